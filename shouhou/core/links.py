"""Signed customer links (the case-follow page, the web chat): they expire and staff can revoke them.

A link is `django.core.signing.dumps(payload, salt=…)`, which carries the time it was signed. It works
while it is younger than SHOUHOU_LINK_MAX_AGE_DAYS (default 90) and no revocation of its object was made
at or after that time (`LinkRevocation`). Revoking (`link_revoke`, by staff on the case page or the
conversation; audited) kills every link given out so far; the customer gets a fresh one by looking the
order up again (order number + phone tail). A case's follow link also stops LINK_CLOSED_DAYS (default 30)
after the case was finished. A dead link shows the customer a plain page that says so and how to go on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils.translation import gettext, gettext_lazy

from shouhou.core.clock import now
from shouhou.core.models import LinkRevocation

Kind = LinkRevocation.Kind


class LinkState(StrEnum):
    OK = "ok"
    INVALID = "invalid"  # not signed by us (a typo, a forgery)
    EXPIRED = "expired"  # older than the maximum age, or its case finished long ago
    REVOKED = "revoked"  # staff revoked the object's links after this one was given out


@dataclass(frozen=True)
class LinkRead:
    state: LinkState
    payload: dict | None = None
    issued_at: dt.datetime | None = None


def max_age_seconds() -> int:
    return int(settings.SHOUHOU.get("LINK_MAX_AGE_DAYS", 90)) * 86400


def closed_days() -> int:
    return int(settings.SHOUHOU.get("LINK_CLOSED_DAYS", 30))


def link_issue(*, payload: dict, salt: str) -> str:
    return signing.dumps(payload, salt=salt, compress=True)


def _issued_at(token: str) -> dt.datetime:
    """The signing time inside a verified token (`payload:timestamp:signature`, timestamp in base 62)."""
    stamp = token.rsplit(":", 2)[1]
    return dt.datetime.fromtimestamp(signing.b62_decode(stamp), tz=dt.UTC)


def link_read(token: str, *, salt: str) -> LinkRead:
    """Verify signature and age; the payload with the signing time, or why not."""
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age_seconds())
    except signing.SignatureExpired:
        return LinkRead(LinkState.EXPIRED)
    except (signing.BadSignature, ValueError, TypeError):
        return LinkRead(LinkState.INVALID)
    if not isinstance(payload, dict):
        return LinkRead(LinkState.INVALID)
    return LinkRead(LinkState.OK, payload, _issued_at(token))


def link_revoked(*, kind: str, object_id: int, issued_at: dt.datetime) -> bool:
    return LinkRevocation.objects.filter(kind=kind, object_id=object_id,
                                         revoked_at__gte=issued_at.replace(microsecond=0)).exists()


def link_finished_long_ago(finished_at: dt.datetime | None) -> bool:
    return finished_at is not None and now() - finished_at > dt.timedelta(days=closed_days())


def link_revoke(*, shop, kind: str, object_id: int, actor, reason: str = "") -> LinkRevocation:
    """Revoke every link of the object given out until now. Staff who may act on the object may revoke
    (case.approve for a case, reply for a conversation); audited."""
    from shouhou.accounts.actors import acting_user, require_role
    from shouhou.accounts.permissions import CASE_APPROVE, REPLY
    from shouhou.core.audit import audit_record

    if kind not in Kind.values:
        raise ValueError(f"未知的链接类型：{kind}")
    require_role(actor, shop, CASE_APPROVE if kind == Kind.CASE_FOLLOW else REPLY)
    with transaction.atomic():
        row = LinkRevocation.objects.create(shop=shop, kind=kind, object_id=object_id, revoked_at=now(),
                                            actor=acting_user(actor),
                                            reason=(reason or "")[:200])
        audit_record(action="link.revoke", obj=row, actor=actor, shop=shop,
                     after={"kind": kind, "object_id": object_id, "reason": row.reason})
    return row


class LinkGone(Exception):  # noqa: N818 (a state, answered by LinkGoneMiddleware)
    def __init__(self, state: str):
        super().__init__(state)
        self.state = state


MESSAGES = {
    LinkState.EXPIRED: gettext_lazy("这个链接已过期。"),
    LinkState.REVOKED: gettext_lazy("这个链接已被店铺收回。"),
    LinkState.INVALID: gettext_lazy("这个链接无效，可能复制不完整。"),
}


def link_gone_response(request, state: str):
    """What the customer sees for a dead link: a plain page (or JSON for the chat's own requests) saying
    so and how to go on — look the order up again — never an error page."""
    from django.http import JsonResponse
    from django.shortcuts import render

    message = str(MESSAGES.get(state, MESSAGES[LinkState.INVALID]))
    if request.headers.get("x-requested-with") == "XMLHttpRequest" or "json" in request.headers.get("accept", "") \
            or request.path.endswith(("/messages/", "/send/")):
        return JsonResponse({"ok": False, "error": message + gettext("请重新查询订单后再进入。"), "link": state},
                            status=404 if state == LinkState.INVALID else 410,
                            json_dumps_params={"ensure_ascii": False})
    # A link we never signed is "not found" (404); one that expired or was revoked is "gone" (410).
    status = 404 if state == LinkState.INVALID else 410
    return render(request, "core/link_gone.html", {"message": message, "state": state}, status=status)
