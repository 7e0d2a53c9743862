"""A test helper for every app: assert that a change left exactly the expected audit event.

    from shouhou.core.testing.audit import assert_audited
    event = assert_audited("case.approve", case, actor=agent, before={"status": "requested"},
                           after={"status": "approved"})
"""

from __future__ import annotations

from shouhou.core.models import AuditEvent


def audit_events(action: str, obj=None):
    qs = AuditEvent.objects.filter(action=action)
    if obj is not None:
        qs = qs.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    return qs.order_by("at", "id")


def assert_audited(action: str, obj=None, *, actor=None, shop=None, before: dict | None = None,
                   after: dict | None = None, count: int = 1) -> AuditEvent:
    """Exactly `count` events `action` on `obj`; the last one has the given actor/shop and contains the
    given before/after keys with those values (other keys may be present)."""
    events = list(audit_events(action, obj))
    assert len(events) == count, f"审计事件 {action} 应有 {count} 条，实际 {len(events)} 条"
    event = events[-1]
    if actor is not None:
        assert event.actor_id == actor.pk, f"审计操作人应为 {actor}，实际 {event.actor}"
    if shop is not None:
        assert event.shop_id == shop.pk
    for expected, got, label in ((before, event.before, "before"), (after, event.after, "after")):
        for key, value in (expected or {}).items():
            assert got.get(key) == value, f"审计 {label}[{key}] 应为 {value!r}，实际 {got.get(key)!r}"
    return event


def assert_not_audited(action: str, obj=None) -> None:
    assert not audit_events(action, obj).exists(), f"不应有审计事件 {action}"
