from __future__ import annotations

from django.db.models import QuerySet

from shouhou.cases.models import Case


def case_list(*, shop, status: str | None = None, kind: str | None = None) -> QuerySet[Case]:
    qs = Case.objects.filter(shop=shop).select_related("order", "order_line", "customer")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-created_at", "-pk")


def case_get(*, shop, pk: int) -> Case:
    return Case.objects.select_related("order", "order_line", "customer", "policy_version").get(shop=shop, pk=pk)


def case_public_events(case: Case):
    return case.events.filter(visible_to_customer=True).order_by("at", "id")
