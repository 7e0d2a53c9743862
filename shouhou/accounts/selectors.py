"""Reads for accounts: the audit log of a shop."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from shouhou.commerce.models import Shop
from shouhou.core.models import AuditEvent


def audit_list(*, shop: Shop, action: str = "", object_type: str = "", object_id: str = "",
               since: datetime | None = None) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.filter(shop=shop).select_related("actor")
    if action:
        qs = qs.filter(action__startswith=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if since is not None:
        qs = qs.filter(at__gte=since)
    return qs.order_by("-at", "-id")
