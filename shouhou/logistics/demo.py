"""Demo data: tracking histories for the demo shipments, a few going wrong (set-based, deterministic)."""

from __future__ import annotations

import random
from datetime import timedelta

from shouhou.commerce.choices import ShipmentStatus as St
from shouhou.commerce.models import Shipment
from shouhou.core.clock import now
from shouhou.inbox.choices import TicketEventKind, TicketStatus
from shouhou.inbox.models import Ticket, TicketEvent
from shouhou.logistics.models import ExceptionRuleSet, LogisticsException, TrackingEvent
from shouhou.logistics.services import Event, _event_key, exception_sweep

CITIES = ["杭州", "上海", "广州", "深圳", "武汉", "成都", "北京", "南京", "郑州", "西安"]
STEPS = [
    (St.PICKED_UP, "快递员已揽收，【{a}】营业部"),
    (St.IN_TRANSIT, "快件已到达【{a}转运中心】"),
    (St.IN_TRANSIT, "快件已从【{a}转运中心】发出，下一站【{b}转运中心】"),
    (St.IN_TRANSIT, "快件已到达【{b}转运中心】"),
    (St.OUT_FOR_DELIVERY, "【{b}】快递员正在为您派件，请保持电话畅通"),
    (St.SIGNED, "您的快件已签收，签收人：本人。感谢使用，期待再次为您服务"),
]
BAD = [
    (St.DELIVERY_FAILED, "收件人电话无法接通，派件不成功，将再次派送"),
    (St.RETURNED, "收件人拒收，快件已退回寄件人"),
]


# How far along the normal route each shipped status is (index into STEPS, inclusive).
_PROGRESS = {St.INFO_RECEIVED: 0, St.PICKED_UP: 1, St.IN_TRANSIT: 3, St.OUT_FOR_DELIVERY: 5, St.SIGNED: 6}
_BAD_FOR = {St.DELIVERY_FAILED: BAD[0], St.RETURNED: BAD[1],
            St.EXCEPTION: (St.EXCEPTION, "快件在【{b}转运中心】外包装破损，已转异常件处理")}


def _track_for(status: str) -> list[tuple[str, str]]:
    """A route that ends in the shipment's current status, so the demo's status spread survives."""
    if status in _BAD_FOR:
        return STEPS[:5] + [_BAD_FOR[status]]
    return STEPS[: _PROGRESS.get(status, 0)]


# Parcels still on the road: most moved in the last day (a healthy network); a few stalled ones are
# what the exception rules should catch, as in a real shop (a few percent, not every tenth parcel).
_MOVING = {St.INFO_RECEIVED, St.PICKED_UP, St.IN_TRANSIT, St.OUT_FOR_DELIVERY}
STALLED_SHARE = 0.04


def _recent_shift(status: str, last_at, at_now, rng: random.Random) -> timedelta:
    """How far to move a moving parcel's track so its last scan is recent (zero for a stalled one), and
    any track that would end in the future back to the last few hours."""
    if status not in _MOVING or rng.random() < STALLED_SHARE:
        if last_at > at_now:
            return (at_now - timedelta(hours=rng.uniform(1, 6))) - last_at
        return timedelta(0)
    hours_ago = rng.uniform(1, 10) if status == St.OUT_FOR_DELIVERY else rng.uniform(1, 30)
    return (at_now - timedelta(hours=hours_ago)) - last_at


def seed(*, shop, rng: random.Random) -> None:
    ExceptionRuleSet.objects.get_or_create(shop=shop, defaults={"no_movement_hours": 48})
    ships = list(Shipment.objects.filter(shop=shop, is_return=False).exclude(status=St.PENDING)
                 .select_related("order").order_by("pk")[:3000])
    rows, updates = [], []
    at_now = now().replace(minute=0, second=0, microsecond=0)  # whole hour: a re-run in the hour adds nothing
    for s in ships:
        steps = _track_for(s.status)
        if not steps:
            continue
        a, b = rng.sample(CITIES, 2)
        at = s.shipped_at or s.order.shipped_at or s.order.placed_at or s.created_at
        if s.shipped_at is None:
            s.shipped_at = at
        track = []
        signed = s.signed_at if s.status == St.SIGNED else None
        if signed is not None and signed > at:
            # a sign-off already on record (the order's): the route ends at it, its scans spread over the way —
            # the demo's last scan said 「已签收」 hours or days away from the sign-off the pages show
            gap = (signed - at) / len(steps)
            for i, (status, text) in enumerate(steps, start=1):
                track.append((signed if i == len(steps) else at + gap * i, status, text.format(a=a, b=b)))
            at = signed
        else:
            for status, text in steps:
                at = at + timedelta(hours=rng.randint(2, 14))
                track.append((at, status, text.format(a=a, b=b)))
        shift = timedelta(0) if signed is not None and at == signed else _recent_shift(s.status, at, at_now, rng)
        for when, status, text in track:
            when = when + shift
            e = Event(occurred_at=when, status=status, description=text, location=b)
            rows.append(TrackingEvent(shop=shop, shipment=s, occurred_at=when, status=status,
                                      description=text, location=b, source="kuaidi100",
                                      event_key=_event_key(s.pk, e)))
        at = at + shift
        s.shipped_at = min(s.shipped_at, track[0][0] + shift)
        s.last_event_at = at
        if s.status == St.SIGNED and s.signed_at is None:
            s.signed_at = at
        updates.append(s)
    TrackingEvent.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    Shipment.objects.bulk_update(updates, ["last_event_at", "signed_at", "shipped_at"], batch_size=2000)
    exception_sweep(shop=shop)
    _settle_old_exceptions(shop=shop, at_now=at_now, rng=rng)


SETTLED_AFTER = timedelta(days=3)


def _settle_old_exceptions(*, shop, at_now, rng: random.Random) -> int:
    """Parcels that went wrong days ago were dealt with back then: their tickets are closed in the past,
    so the demo queue holds this week's problems, not a month of backlog. The exception rows stay open
    (the parcel is still returned or lost), so the periodic sweep does not raise them again.
    Business seconds are taken as wall-clock here: the demo's history, not a measured clock."""
    old = list(LogisticsException.objects.filter(shop=shop, ticket__isnull=False,
                                                 shipment__last_event_at__lt=at_now - SETTLED_AFTER)
               .select_related("ticket", "shipment").order_by("pk"))
    tickets, events = [], []
    for exc in old:
        t = exc.ticket
        created = exc.shipment.last_event_at + timedelta(minutes=rng.randint(20, 180))
        answered = created + timedelta(minutes=rng.randint(5, 90))
        closed = created + timedelta(hours=rng.uniform(3, 30))
        t.created_at, t.first_responded_at, t.last_agent_reply_at = created, answered, answered
        t.resolved_at, t.status = closed, TicketStatus.CLOSED
        t.first_response_business_seconds = int((answered - created).total_seconds())
        t.resolution_business_seconds = int((closed - created).total_seconds())
        t.first_response_due_at = t.next_response_due_at = t.resolution_due_at = t.next_due_at = None
        t.waiting_since = None
        tickets.append(t)
        exc.opened_at = created
        events.append(TicketEvent(shop_id=shop.pk, ticket=t, kind=TicketEventKind.STATUS, from_value=TicketStatus.NEW,
                                  to_value=TicketStatus.CLOSED, note="物流组已联系快递处理，并已告知顾客",
                                  visible_to_customer=True))
    Ticket.objects.bulk_update(tickets, ["created_at", "first_responded_at", "last_agent_reply_at", "resolved_at",
                                         "status", "first_response_business_seconds", "resolution_business_seconds",
                                         "first_response_due_at", "next_response_due_at", "resolution_due_at",
                                         "next_due_at", "waiting_since"], batch_size=1000)
    LogisticsException.objects.bulk_update(old, ["opened_at"], batch_size=1000)
    made = TicketEvent.objects.bulk_create(events, batch_size=1000)
    # the event happened when the ticket was closed (created_at is set on insert)
    TicketEvent.objects.bulk_update([_at(e, t.resolved_at) for e, t in zip(made, tickets, strict=True)],
                                    ["created_at"], batch_size=1000)
    return len(tickets)


def _at(event: TicketEvent, when) -> TicketEvent:
    event.created_at = when
    return event
