"""Phone calls logged by agents. A call is answered at once: the call itself is the first response, so
the ticket it opens (or continues) records first_responded_at = the call time."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from shouhou.core.clock import now
from shouhou.core.phones import PhoneError, mask_phone, normalize_phone
from shouhou.inbox.channels.base import Inbound
from shouhou.inbox.choices import Channel


class CallLogError(ValueError):
    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message)
        self.field = field


DIRECTIONS = {"inbound": "来电", "outbound": "去电"}


def _duration(seconds: int) -> str:
    minutes, rest = divmod(max(int(seconds), 0), 60)
    return f"{minutes}分{rest:02d}秒" if minutes else f"{rest}秒"


@transaction.atomic
def phone_call_log(*, shop, agent, summary: str, customer=None, phone: str = "", direction: str = "inbound",
                   duration_seconds: int = 0, at: dt.datetime | None = None, order=None):
    """Record one call as messages on a phone conversation and its ticket; returns the ticket. `agent` is
    who took the call (a user or an API principal): they need the reply permission."""
    from shouhou.accounts.actors import require_role
    from shouhou.accounts.permissions import REPLY

    require_role(agent, shop, REPLY)
    from shouhou.commerce.models import Customer
    from shouhou.inbox import services
    from shouhou.inbox.channels.inbound import inbound_accept
    from shouhou.inbox.models import Ticket

    summary = (summary or "").strip()
    phone = (phone or "").strip()
    if direction not in DIRECTIONS:
        raise CallLogError("通话方向应为 inbound（来电）或 outbound（去电）", field="direction")
    if not summary:
        raise CallLogError("请填写通话内容摘要", field="summary")
    if customer is None and not phone:
        raise CallLogError("请选择顾客或填写来电号码", field="phone")
    if customer is not None and customer.shop_id != shop.pk:
        raise CallLogError("顾客不属于当前店铺", field="customer")
    if duration_seconds is None or int(duration_seconds) < 0:
        raise CallLogError("通话时长不能为负数", field="duration_seconds")
    if phone:
        try:
            phone = normalize_phone(phone)
        except PhoneError as exc:
            raise CallLogError(str(exc), field="phone") from exc
    at = at or now()
    if customer is None:
        customer = Customer.objects.filter(shop=shop, phone=phone).order_by("pk").first()
    handle = phone or (customer.phone if customer is not None else "")
    label = DIRECTIONS[direction]
    who = customer.name if customer is not None and customer.name else mask_phone(handle)
    item = Inbound(external_id="", contact_handle=handle, at=at, msg_type="call",
                   subject=f"{label}：{who}"[:200], body=f"【{label} {_duration(duration_seconds)}】{summary}"[:5000])
    received = inbound_accept(shop=shop, channel=Channel.PHONE, item=item, customer=customer, order=order)
    ticket = received.ticket
    if ticket is None:  # the phone channel has no bot; be safe if a shop turned one on
        ticket = services.ticket_open_for_conversation(conversation=received.conversation, reason_code="phone_log")
    first = ticket.first_responded_at is None
    services.ticket_reply(ticket=ticket, author=agent,
                          body=f"【{label}已接通 · 通话 {_duration(duration_seconds)}】已在电话中答复顾客。")
    if first:  # answered at once: the call itself is the first response
        Ticket.objects.filter(pk=ticket.pk).update(first_responded_at=at, first_response_business_seconds=0)
    ticket.refresh_from_db()
    return ticket
