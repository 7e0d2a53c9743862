"""Write audit events. Call inside the same transaction as the change it records."""

from __future__ import annotations

from typing import Any

from django.db import models

from shouhou.core.models import AuditEvent


def audit_record(
    *,
    action: str,
    obj: models.Model,
    actor: Any = None,
    shop: Any = None,
    before: dict | None = None,
    after: dict | None = None,
    note: str = "",
) -> AuditEvent:
    from shouhou.accounts.actors import acting_user

    actor_obj = acting_user(actor)  # a user, or the user behind an API session; None for a token or the system
    return AuditEvent.objects.create(
        shop=shop if shop is not None else getattr(obj, "shop", None),
        actor=actor_obj,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        before=_jsonable(before or {}),
        after=_jsonable(after or {}),
        note=note[:500],
    )


def _jsonable(data: dict) -> dict:
    """JSON as it is (a calendar's spec stays a dict, so the audit page can put it in words); anything else
    (Decimal, dates, model instances) as its text."""
    return {str(key): _json_value(value) for key, value in data.items()}


def _json_value(value: Any) -> Any:
    if isinstance(value, str | int | float | bool | type(None)):
        return value
    if isinstance(value, dict):
        return _jsonable(value)
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return str(value)
