from __future__ import annotations

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from shouhou.cases.choices import OPEN_STATUSES
from shouhou.cases.models import Case


def case_list(*, shop, status: str | None = None, kind: str | None = None,
              open_first: bool = False) -> QuerySet[Case]:
    """Newest first. open_first (the staff list): cases still being worked on come before resolved,
    rejected and cancelled ones, each group newest first."""
    qs = Case.objects.filter(shop=shop).select_related("order", "order_line", "customer")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if open_first:
        is_open = ExpressionWrapper(Q(status__in=OPEN_STATUSES), output_field=BooleanField())
        return qs.order_by(is_open.desc(), "-created_at", "-pk")
    return qs.order_by("-created_at", "-pk")


def case_get(*, shop, pk: int) -> Case:
    return Case.objects.select_related("order", "order_line", "customer", "policy_version").get(shop=shop, pk=pk)


def case_public_events(case: Case):
    return case.events.filter(visible_to_customer=True).order_by("at", "id")
