"""Tracking ingestion (Kuaidi100 push, generic JSON), exception rules, recovery.

tracking_ingest stores events idempotently (event_key = hash of shipment + time + text), moves the
shipment to the newest event's status, records sign-off (Shipment.signed_at, Order.delivered_at: the
policy engine's 7-day clock) and runs the push-time exception check.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q

from shouhou.accounts.actors import require_role
from shouhou.accounts.permissions import REPLY
from shouhou.commerce.choices import OrderStatus
from shouhou.commerce.choices import ShipmentStatus as St
from shouhou.commerce.models import Order, Shipment
from shouhou.core.clock import now
from shouhou.inbox.choices import Channel, Team, TicketCategory, TicketStatus
from shouhou.inbox.models import Ticket
from shouhou.inbox.services import ticket_open
from shouhou.logistics.models import ExceptionKind, ExceptionRuleSet, LogisticsException, TrackingEvent
from shouhou.logistics.rules import Rules, ShipmentFacts, exception_for
from shouhou.notifications.choices import Trigger
from shouhou.notifications.services import notification_enqueue, notify_orders_shipped
from shouhou.policies.engine import compensation_phrase
from shouhou.policies.selectors import TIER_ZH, policy_compensation
from shouhou.reviews.guards import guard_refusal


@dataclass(frozen=True)
class Event:
    occurred_at: datetime
    status: str
    description: str
    location: str = ""
    carrier_status: str = ""


class UnknownShipment(LookupError):
    pass


def _event_key(shipment_id: int, ev: Event) -> str:
    raw = f"{shipment_id}|{ev.occurred_at.isoformat()}|{ev.description}|{ev.status}"
    return hashlib.sha256(raw.encode()).hexdigest()


def tracking_ingest(*, shop, carrier: str, tracking_no: str, events: list[Event], source: str, actor) -> int:
    """Store the events of one push; returns how many were new. `actor`: the API principal (needs
    `reply`, as the exception sweep) or SystemActor(the push channel) for a verified webhook."""
    require_role(actor, shop, REPLY)
    with transaction.atomic():
        shipment = (Shipment.objects.select_for_update(of=("self",)).filter(shop=shop, tracking_no=tracking_no)
                    .filter(Q(carrier=carrier) | Q(carrier="")).select_related("order", "order__customer", "shop").first())
        if shipment is None:
            raise UnknownShipment(f"未找到运单：{carrier} {tracking_no}")
        return _ingest_for(shipment, events, source=source)


def shipment_void(*, shipment_ids: list[int], reason: str) -> int:
    """The waybills no longer belong to their orders (a shop platform corrected them): keep each shipment and its
    tracking history, stop tracking it (active Kuaidi100 subscriptions end; later pushes are stored as history and
    change nothing), close its open exception, and leave it out of the order's parcels. Returns how many were voided."""
    from shouhou.logistics.models import TrackingSubscription

    at = now()
    with transaction.atomic():
        ships = list(Shipment.objects.select_for_update(of=("self",)).filter(pk__in=shipment_ids, voided_at__isnull=True)
                     .order_by("pk"))
        if not ships:
            return 0
        ids = [s.pk for s in ships]
        Shipment.objects.filter(pk__in=ids).update(voided_at=at, void_reason=reason[:200], updated_at=at)
        for s in ships:
            TrackingSubscription.objects.filter(
                Q(shipment__carrier=s.carrier) | Q(shipment__isnull=True), shop_id=s.shop_id, tracking_no=s.tracking_no,
                status__in=[TrackingSubscription.Status.PENDING, TrackingSubscription.Status.SUBSCRIBED],
            ).update(status=TrackingSubscription.Status.SHUTDOWN, next_attempt_at=None, last_message=reason[:200],
                     updated_at=at)
        ended = LogisticsException.objects.filter(shipment_id__in=ids, status=LogisticsException.Status.OPEN)
        ticket_ids = list(ended.values_list("ticket_id", flat=True))
        ended.update(status=LogisticsException.Status.RESOLVED, resolved_at=at)
        _tickets_close(ticket_ids=ticket_ids, note=VOIDED_NOTE)
    return len(ids)


def shipment_unvoid(*, shipment_ids: list[int]) -> int:
    """The platform lists the waybill again: the shipment is the order's parcel again (tracking resumes with the
    next subscription pass, logistics.subscriptions.shipments_arrived)."""
    return Shipment.objects.filter(pk__in=shipment_ids, voided_at__isnull=False).update(
        voided_at=None, void_reason="", updated_at=now())


def _ingest_for(shipment: Shipment, events: list[Event], *, source: str) -> int:
    rows = [TrackingEvent(shop_id=shipment.shop_id, shipment=shipment, occurred_at=e.occurred_at, status=e.status,
                          carrier_status=e.carrier_status[:40], description=e.description[:500],
                          location=e.location[:100], source=source, event_key=_event_key(shipment.pk, e))
            for e in events]
    keys = [r.event_key for r in rows]
    before = TrackingEvent.objects.filter(event_key__in=keys).count()
    TrackingEvent.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    new = len(set(keys)) - before
    if not events or shipment.voided_at is not None:  # a voided waybill's news is history only
        return 0 if not events else new
    newest = _newest(events)
    if _moves_on(shipment, newest):
        if _now_on_its_way(shipment.status, newest.status, shipment.is_return):
            _shipped_notify(shipment)
        fields = {"status": newest.status, "last_event_at": newest.occurred_at}
        if shipment.shipped_at is None:
            fields["shipped_at"] = min(e.occurred_at for e in events)
        if newest.status == St.SIGNED and shipment.signed_at is None:
            fields["signed_at"] = newest.occurred_at
            if not shipment.is_return:
                Order.objects.filter(pk=shipment.order_id, delivered_at__isnull=True).update(
                    delivered_at=newest.occurred_at, status=OrderStatus.DELIVERED)
        Shipment.objects.filter(pk=shipment.pk).update(**fields)
        for k, v in fields.items():
            setattr(shipment, k, v)
    shipment_check(shipment=shipment)
    return new


# How far along a parcel is, for rows stamped with the same instant only (time decides otherwise).
STATUS_RANK: dict[str, int] = {
    St.PENDING: 0, St.INFO_RECEIVED: 1, St.PICKED_UP: 2, St.IN_TRANSIT: 3, St.EXCEPTION: 4,
    St.OUT_FOR_DELIVERY: 5, St.DELIVERY_FAILED: 6, St.RETURNED: 7, St.SIGNED: 8,
}


def _newest(events: list[Event]) -> Event:
    """The latest event; rows stamped with the same instant (a carrier logs 派件 and 签收 in the same second) are
    ordered by how far along they are, whatever order the push lists them in."""
    return max(events, key=lambda e: (e.occurred_at, STATUS_RANK.get(e.status, 0)))


def _moves_on(shipment: Shipment, newest: Event) -> bool:
    """Whether a push's newest event becomes the parcel's status: a later instant does; the same instant only when
    it is not a step back (a late or repeated push of an older snapshot whose 派件 shared the second of the stored
    签收 used to move a signed parcel back to out for delivery); an earlier one never."""
    if shipment.last_event_at is None or newest.occurred_at > shipment.last_event_at:
        return True
    return (newest.occurred_at == shipment.last_event_at
            and STATUS_RANK.get(newest.status, 0) >= STATUS_RANK.get(shipment.status, 0))


NOT_YET_SHIPPED = {St.PENDING, St.INFO_RECEIVED}
ON_ITS_WAY = {St.PICKED_UP, St.IN_TRANSIT, St.OUT_FOR_DELIVERY}


def _now_on_its_way(old: str, new: str, is_return: bool) -> bool:
    """The carrier has the parcel for the first time: time for the "shipped" message (not for returns,
    and not when the first news is already the sign-off)."""
    return not is_return and old in NOT_YET_SHIPPED and new in ON_ITS_WAY


def _shipped_notify(shipment: Shipment) -> None:
    customer = shipment.order.customer
    if customer is None:
        return
    notification_enqueue(
        shop=shipment.shop, customer=customer, trigger=Trigger.ORDER_SHIPPED,
        context={"order_no": shipment.order.order_no, "carrier": shipment.get_carrier_display(),
                 "tracking_no": shipment.tracking_no},
        idempotency_key=f"shipment:{shipment.pk}:shipped")  # the same key as notify_orders_shipped


# --- exceptions ------------------------------------------------------------------------------------

class RulesError(ValueError):
    """A refused change of a shop's exception rules; the message (Chinese) names the field."""

    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.field = field


# The rule set's texts go to customers word for word (dispatch_late message).
_CUSTOMER_TEXTS = {"dispatch_late_reason": "延迟发货原因", "dispatch_late_remedy": "延迟发货补偿"}


def rules_save(*, shop, values: dict[str, Any], actor) -> ExceptionRuleSet:
    """Create or change the shop's exception rules (audited). The texts customers read pass the
    compliance guard: a remedy such as 「好评返现5元」 is refused, naming the field."""
    from shouhou.accounts.actors import require_role
    from shouhou.accounts.permissions import POLICY_EDIT
    from shouhou.core.audit import audit_record

    require_role(actor, shop, POLICY_EDIT)
    for name, label in _CUSTOMER_TEXTS.items():
        refusal = guard_refusal(str(values.get(name) or ""), field=label)
        if refusal:
            raise RulesError(refusal, field=name)
    with transaction.atomic():
        row = ExceptionRuleSet.objects.select_for_update().filter(shop=shop).first()
        before = {f: getattr(row, f) for f in values} if row else {}
        row, _ = ExceptionRuleSet.objects.update_or_create(shop=shop, defaults=values)
        audit_record(action="logistics.rules.update", obj=row, actor=actor, before=before, after=values)
    return row


def dispatch_late_remedy(*, shop, customer, ruleset: ExceptionRuleSet | None) -> tuple[str, str]:
    """(what the customer is told, the policy clause or "") for a late dispatch. The shop's active
    policy decides by membership tier (compensation.late_shipment.<tier>: a VIP may get a red packet
    where others get a coupon); the rule set's own text is the fallback when no policy is published or
    it has no late-shipment step."""
    tier = getattr(customer, "tier", "") or "regular"
    step = policy_compensation(shop=shop, reason="late_shipment", tier=tier)
    if step is None:
        return (ruleset or ExceptionRuleSet()).dispatch_late_remedy, ""
    what = compensation_phrase(step["kind"], step["amount"])
    # The "*" step is everyone's; a tier's own step says whose it is.
    whose = "" if step["clause"].endswith(".*") else f"{TIER_ZH.get(tier, tier)}会员的"
    return f"{what}（按本店售后政策，{whose}发货延迟补偿）", step["clause"]


def rules_for(shop) -> tuple[Rules, ExceptionRuleSet | None]:
    row = ExceptionRuleSet.objects.filter(shop=shop).first()
    if row is None:
        return Rules(), None
    return Rules(no_movement_hours=row.no_movement_hours, out_for_delivery_hours=row.out_for_delivery_hours,
                 delivery_failed=row.delivery_failed, returned=row.returned, dispatch_late=row.dispatch_late), row


AUTO_RESOLVED_NOTE = "物流恢复，系统自动解决"
VOIDED_NOTE = "运单已作废，系统自动解决"


def _tickets_close(*, ticket_ids, note: str = AUTO_RESOLVED_NOTE) -> int:
    """Resolve the logistics tickets of exceptions that ended (the shipment recovered, or its waybill was voided),
    as an agent's 已解决 would stop the clocks: each ticket is locked, `sla.clocks.clocks_resolve` stops its clocks
    (resolved_at, the business-time resolution figure, the stored next due cleared; a breach when it stops late),
    and a status event hidden from the customer is recorded — its live push tells open desks. Not through
    `inbox.services.ticket_set_status`: that invites the customer to a satisfaction survey, and nobody served them.
    Tickets already resolved or closed (an agent was first) are left alone. One locking query, then two writes per
    ticket (the row, its event) — bounded by the exceptions closed at once (one per shipment). Returns how many."""
    from shouhou.inbox.choices import OPEN_TICKET_STATUSES, TicketEventKind
    from shouhou.inbox.services import _event, _save
    from shouhou.sla.clocks import clocks_resolve
    from shouhou.sla.policies import shop_sla_config, targets_for

    ids = sorted({pk for pk in ticket_ids if pk})
    if not ids:
        return 0
    at = now()
    configs: dict[int, tuple] = {}
    with transaction.atomic():
        tickets = list(Ticket.objects.select_for_update(of=("self",)).filter(pk__in=ids, status__in=OPEN_TICKET_STATUSES)
                       .select_related("customer", "shop").order_by("pk"))
        for t in tickets:
            if t.shop_id not in configs:
                configs[t.shop_id] = shop_sla_config(t.shop)
            before = t.status
            fields = ["status"]
            if t.resolved_at is None:
                fields += clocks_resolve(t, at=at, targets=targets_for(t, config=configs[t.shop_id]))
            t.status = TicketStatus.RESOLVED
            _save(t, fields)
            _event(t, TicketEventKind.STATUS, from_value=before, to_value=TicketStatus.RESOLVED, note=note)
    return len(tickets)


def shipment_check(*, shipment: Shipment, rules: Rules | None = None, ruleset=None) -> str:
    """Open or close this shipment's exception. Returns "opened", "resolved" or ""."""
    if shipment.voided_at is not None:  # not the order's parcel any more (shipment_void closed its exception)
        return ""
    if rules is None:
        rules, ruleset = rules_for(shipment.shop)
    at = now()
    found = exception_for(ShipmentFacts(shipment.status, shipment.promised_ship_by, shipment.shipped_at,
                                        shipment.last_event_at, shipment.is_return,
                                        order_cancelled=shipment.order.status == OrderStatus.CANCELLED), rules, at)
    current = LogisticsException.objects.filter(shipment=shipment, status=LogisticsException.Status.OPEN).first()
    if found is None:
        if current is not None and current.kind == ExceptionKind.TRACKING_STOPPED and (
                shipment.last_event_at is None or shipment.last_event_at <= current.opened_at):
            return ""  # tracking stopped: only a newer event (tracking resumed) closes it
        if current is not None:
            with transaction.atomic():
                LogisticsException.objects.filter(pk=current.pk).update(
                    status=LogisticsException.Status.RESOLVED, resolved_at=at)
                _tickets_close(ticket_ids=[current.ticket_id])
            return "resolved"
        return ""
    if current is not None:
        return ""  # one open exception (one ticket) per shipment
    kind, detail = found
    return _exception_open(shipment=shipment, kind=kind, detail=detail, ruleset=ruleset)


def _exception_open(*, shipment: Shipment, kind: str, detail: str, ruleset, notify_customer: bool = True) -> str:
    from django.db import IntegrityError

    order = shipment.order
    customer = order.customer
    at = now()
    try:
        with transaction.atomic():
            exc = LogisticsException.objects.create(shop=shipment.shop, shipment=shipment, kind=kind, detail=detail,
                                                    opened_at=at)
            label = ExceptionKind(kind).label
            # A parcel not yet handed to a carrier has neither carrier nor tracking number: no empty "（ ）".
            waybill = " ".join(x for x in (shipment.get_carrier_display() if shipment.carrier else "",
                                           shipment.tracking_no) if x)
            ticket = ticket_open(
                shop=shipment.shop, channel=Channel.SYSTEM, category=TicketCategory.LOGISTICS,
                subject=f"物流异常：{label}（{waybill}）" if waybill else f"物流异常：{label}",
                body=f"订单{order.order_no}：{detail}。", customer=customer, order=order, team=Team.LOGISTICS)
            LogisticsException.objects.filter(pk=exc.pk).update(ticket=ticket)
            if notify_customer and customer is not None and (ruleset is None or ruleset.notify_customer):
                if kind == ExceptionKind.DISPATCH_LATE:
                    remedy, clause = dispatch_late_remedy(shop=shipment.shop, customer=customer, ruleset=ruleset)
                    reason = (ruleset or ExceptionRuleSet()).dispatch_late_reason
                    # "_remedy_clause" stays on the outbox row (which clause promised it), never sent.
                    notification_enqueue(
                        shop=shipment.shop, customer=customer, trigger=Trigger.DISPATCH_LATE,
                        context={"order_no": order.order_no, "reason": reason, "remedy": remedy,
                                 "_remedy_clause": clause},
                        idempotency_key=f"logex:{exc.pk}:customer")
                else:
                    notification_enqueue(
                        shop=shipment.shop, customer=customer, trigger=Trigger.LOGISTICS_EXCEPTION,
                        context={"order_no": order.order_no, "carrier": shipment.get_carrier_display(),
                                 "tracking_no": shipment.tracking_no, "problem": detail},
                        idempotency_key=f"logex:{exc.pk}:customer")
    except IntegrityError:
        return ""  # another worker opened it first
    return "opened"


def exception_sweep(*, shop=None, batch: int = 1000) -> dict[str, int]:
    """Periodic: open/close exceptions for undelivered shipments and shipments with an open exception."""
    qs = Shipment.objects.filter(is_return=False, voided_at__isnull=True).filter(
        Q(signed_at__isnull=True) | Q(exceptions__status=LogisticsException.Status.OPEN)).distinct()
    if shop is not None:
        qs = qs.filter(shop=shop)
    counts = {"opened": 0, "resolved": 0, "checked": 0}
    cache: dict[int, tuple] = {}
    # pages read whole (keyset by pk), not one open cursor: each opened exception queues a message after its
    # commit, and queueing on the database broker may close this connection (CONN_MAX_AGE 0, the default), which
    # killed an open iterator after the first exception ("Cannot operate on a closed database")
    last = 0
    while True:
        page = list(qs.select_related("order", "order__customer", "shop").filter(pk__gt=last).order_by("pk")[:batch])
        if not page:
            return counts
        for s in page:
            if s.shop_id not in cache:
                cache[s.shop_id] = rules_for(s.shop)
            rules, ruleset = cache[s.shop_id]
            result = shipment_check(shipment=s, rules=rules, ruleset=ruleset)
            counts["checked"] += 1
            if result:
                counts[result] += 1
        last = page[-1].pk


def tracking_ingest_many(*, shop, pushes: list[tuple[str, str, list[Event]]], source: str, actor) -> int:
    """Returns the number of events offered. Set-based ingestion of many pushes (replays, aggregator batch files): one shipment lookup, one bulk
    insert, one bulk update; the exception check runs only for shipments whose new status needs it."""
    require_role(actor, shop, REPLY)
    nos = {nu for _, nu, _ in pushes}
    with transaction.atomic():
        ships = {(s.carrier, s.tracking_no): s for s in Shipment.objects.select_for_update(of=("self",))
                 .filter(shop=shop, tracking_no__in=nos).order_by("pk").select_related("order")}
        rows, touched, delivered, shipped = [], {}, [], []
        for carrier, nu, events in pushes:
            s = ships.get((carrier, nu))
            if s is None or not events:
                continue
            for e in events:
                rows.append(TrackingEvent(shop_id=shop.pk, shipment=s, occurred_at=e.occurred_at, status=e.status,
                                          carrier_status=e.carrier_status[:40], description=e.description[:500],
                                          location=e.location[:100], source=source, event_key=_event_key(s.pk, e)))
            newest = _newest(events)
            if s.voided_at is not None:  # kept as history, changes nothing
                continue
            if _moves_on(s, newest):
                if _now_on_its_way(s.status, newest.status, s.is_return):
                    shipped.append(s.pk)
                s.status, s.last_event_at = newest.status, newest.occurred_at
                if s.shipped_at is None:
                    s.shipped_at = min(e.occurred_at for e in events)
                if newest.status == St.SIGNED and s.signed_at is None:
                    s.signed_at = newest.occurred_at
                    if not s.is_return:
                        delivered.append(s)
                touched[s.pk] = s
        created = TrackingEvent.objects.bulk_create(rows, ignore_conflicts=True, batch_size=5000)
        _shipments_update(list(touched.values()))
        if shipped:
            notify_orders_shipped(shop=shop, shipment_ids=shipped)
        by_time: dict[datetime, list[int]] = {}
        for s in delivered:
            by_time.setdefault(s.signed_at, []).append(s.order_id)
        for when, order_ids in by_time.items():
            Order.objects.filter(pk__in=order_ids, delivered_at__isnull=True).update(
                delivered_at=when, status=OrderStatus.DELIVERED)
        watch = {St.DELIVERY_FAILED, St.RETURNED, St.EXCEPTION, St.SIGNED, St.IN_TRANSIT, St.PICKED_UP,
                 St.OUT_FOR_DELIVERY}
        open_ids = set(LogisticsException.objects.filter(shipment_id__in=list(touched),
                                                         status=LogisticsException.Status.OPEN)
                       .values_list("shipment_id", flat=True))
        rules, ruleset = rules_for(shop)
        at = now()
        for s in touched.values():
            if s.status not in watch:
                continue
            facts = ShipmentFacts(s.status, s.promised_ship_by, s.shipped_at, s.last_event_at, s.is_return,
                                  order_cancelled=s.order.status == OrderStatus.CANCELLED)
            if s.pk in open_ids or exception_for(facts, rules, at) is not None:
                shipment_check(shipment=s, rules=rules, ruleset=ruleset)
    return len(created)  # rows offered (ignore_conflicts cannot tell inserted from skipped)


def _shipments_update(ships: list[Shipment]) -> None:
    """One UPDATE ... FROM (VALUES ...) per 500 shipments (Django's bulk_update builds CASE expressions
    that SQLite evaluates per row: quadratic in the batch). Works on SQLite >= 3.33 and PostgreSQL."""
    from django.db import connection

    table = Shipment._meta.db_table
    ops = connection.ops
    pg = connection.vendor == "postgresql"
    row_sql = "(%s::bigint, %s::varchar, %s::timestamptz, %s::timestamptz, %s::timestamptz)" if pg else \
        "(%s, %s, %s, %s, %s)"
    for lo in range(0, len(ships), 500):
        chunk = ships[lo:lo + 500]
        params: list = []
        for sh in chunk:
            params += [sh.pk, sh.status, ops.adapt_datetimefield_value(sh.last_event_at),
                       ops.adapt_datetimefield_value(sh.shipped_at), ops.adapt_datetimefield_value(sh.signed_at)]
        values = ", ".join([row_sql] * len(chunk))
        sql = (f"WITH v(id, status, last_event_at, shipped_at, signed_at) AS (VALUES {values}) "  # noqa: S608
               f"UPDATE {table} SET status = v.status, last_event_at = v.last_event_at, shipped_at = v.shipped_at, "
               f"signed_at = v.signed_at, updated_at = %s FROM v WHERE {table}.id = v.id")
        with connection.cursor() as cur:
            cur.execute(sql, [*params, ops.adapt_datetimefield_value(now())])
