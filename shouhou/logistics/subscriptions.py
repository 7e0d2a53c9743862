"""Kuaidi100 subscriptions (an outbox with retries) and the handling of its pushes.

- `shipments_arrived(shop)`: call after shipments were imported or synced. Subscribes every tracked
  shipment not subscribed yet, and applies the pushes kept for numbers that were unknown.
- `subscriptions_dispatch()`: the scheduled sender. Each row is claimed with a conditional UPDATE (two
  workers never send the same row), sent once, and on a network error or Kuaidi100's 500 retried with
  back-off; 501 (already tracked) counts as success, so a repeat never tracks a parcel twice.
- `kuaidi100_push_receive(shop, param)`: a verified push. polling/updateall store events, shutdown ends
  the subscription, abort ends it, opens an exception (ticket for the logistics team) and, when
  Kuaidi100 names a corrected carrier (`comNew`), resubscribes with it. An unknown number is kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse

from shouhou.accounts.actors import require_role
from shouhou.accounts.permissions import REPLY
from shouhou.commerce.choices import Carrier
from shouhou.commerce.choices import ShipmentStatus as St
from shouhou.commerce.models import Shipment
from shouhou.core.clock import now
from shouhou.logistics import kuaidi100
from shouhou.logistics.models import ExceptionKind, KeptTrackingPush, LogisticsException, TrackingSubscription
from shouhou.logistics.normalize import carrier_from_kuaidi100, kuaidi100_company
from shouhou.logistics.pushes import Kuaidi100Push, kuaidi100_salt, parse_kuaidi100_push, shop_secret
from shouhou.logistics.services import _exception_open, _ingest_for, rules_for

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=2)  # a claimed row that was never answered is due again after this
RESUBSCRIBE_AFTER = timedelta(minutes=30)  # Kuaidi100: resubscribe half an hour after abort/shutdown
Sub = TrackingSubscription.Status


@dataclass(frozen=True)
class Kuaidi100Config:
    key: str
    salt: str
    resultv2: str
    callback_url: str


def kuaidi100_config(shop) -> Kuaidi100Config | None:
    """The shop's Kuaidi100 account (Shop.settings or SHOUHOU_TRACKING_SECRETS), or None: not configured."""
    key = shop_secret(shop, "kuaidi100_key")
    if not key:
        return None
    base = settings.SHOUHOU["PUBLIC_BASE_URL"].rstrip("/")
    return Kuaidi100Config(key=key, salt=kuaidi100_salt(shop),
                           resultv2=str((shop.settings or {}).get("kuaidi100_resultv2") or "4"),
                           callback_url=base + reverse("logistics:kuaidi100_push", args=[shop.code]))


def _poll_url() -> str:
    return getattr(settings, "SHOUHOU_KUAIDI100_POLL_URL", "") or kuaidi100.DEFAULT_POLL_URL


def _key(shop_id: int, tracking_no: str, generation: int, carrier: str = "") -> str:
    # The carrier is part of the key: carriers' number ranges overlap, and a number another carrier used before
    # (a parcel of months ago) is a parcel of its own, subscribed with its own company code.
    return f"kuaidi100:{shop_id}:{tracking_no}:{generation}:{carrier}"


def _same_parcel(shipment) -> Q:
    """The subscriptions of this shipment's parcel: its number with its carrier (another carrier's parcel with the
    same number is not this one; a subscription whose shipment is gone still counts)."""
    return Q(tracking_no=shipment.tracking_no) & (Q(shipment__carrier=shipment.carrier) | Q(shipment__isnull=True))


def subscriptions_enqueue(*, shop, shipments, generation: int = 1, company: str | None = None,
                          delay: timedelta = timedelta(0)) -> int:
    """Queue one subscription per tracked shipment (idempotent: a repeat adds nothing). Returns rows offered."""
    if kuaidi100_config(shop) is None:
        return 0
    due = now() + delay
    rows = [TrackingSubscription(shop=shop, shipment=s, tracking_no=s.tracking_no, generation=generation,
                                 company=company if company is not None else kuaidi100_company(s.carrier),
                                 idempotency_key=_key(shop.pk, s.tracking_no, generation, s.carrier),
                                 next_attempt_at=due)
            for s in shipments if s.tracking_no]
    TrackingSubscription.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(rows)


def shipments_arrived(*, shop) -> dict[str, int]:
    """After an import or a platform sync: subscribe new tracked shipments, apply kept pushes."""
    subscribed = 0
    if kuaidi100_config(shop) is not None:
        known = TrackingSubscription.objects.filter(shop=shop, tracking_no=OuterRef("tracking_no")).filter(
            Q(shipment__carrier=OuterRef("carrier")) | Q(shipment__isnull=True))
        fresh = (Shipment.objects.filter(shop=shop, voided_at__isnull=True).exclude(tracking_no="").filter(~Exists(known))
                 .only("pk", "carrier", "tracking_no").order_by("pk"))
        batch: list[Shipment] = []
        for s in fresh.iterator(2000):
            batch.append(s)
            if len(batch) >= 2000:
                subscribed += subscriptions_enqueue(shop=shop, shipments=batch)
                batch = []
        subscribed += subscriptions_enqueue(shop=shop, shipments=batch)
    return {"subscribed": subscribed, "kept_applied": kept_pushes_apply(shop=shop)}


def subscriptions_dispatch(*, limit: int = 200) -> dict[str, int]:
    """Send the due subscriptions. Returns counts per outcome."""
    counts = {"subscribed": 0, "retry": 0, "failed": 0}
    at = now()
    due = list(TrackingSubscription.objects.filter(status=Sub.PENDING, next_attempt_at__lte=at)
               .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    for pk in due:
        claimed = TrackingSubscription.objects.filter(pk=pk, status=Sub.PENDING, next_attempt_at__lte=at).update(
            next_attempt_at=at + LEASE, attempts=F("attempts") + 1)
        if claimed:
            counts[_send(TrackingSubscription.objects.select_related("shop").get(pk=pk))] += 1
    return counts


def _send(sub: TrackingSubscription) -> str:
    cfg = kuaidi100_config(sub.shop)
    if cfg is None:
        return _finish(sub, Sub.FAILED, "", "店铺未配置快递100 key")
    param = kuaidi100.subscribe_param(company=sub.company, number=sub.tracking_no, key=cfg.key,
                                      callback_url=cfg.callback_url, salt=cfg.salt, resultv2=cfg.resultv2,
                                      phone=_parcel_phone(sub))
    try:
        answer = kuaidi100.subscribe(_poll_url(), param)
    except kuaidi100.Kuaidi100Unavailable as exc:
        return _retry(sub, "", str(exc))
    if answer.accepted:
        TrackingSubscription.objects.filter(pk=sub.pk).update(
            status=Sub.SUBSCRIBED, return_code=answer.return_code, last_message=answer.message,
            subscribed_at=now(), next_attempt_at=None, updated_at=now())
        return "subscribed"
    if answer.retryable:
        return _retry(sub, answer.return_code, answer.message)
    return _finish(sub, Sub.FAILED, answer.return_code, answer.message or "快递100 拒绝订阅")


# Kuaidi100 tracks these carriers' parcels only with the receiver's (or sender's) phone: 「顺丰单号必填」 (subscription
# and query documentation), 顺丰快运/丰网 and 中通 too (map-track documentation). Without it a 顺丰 parcel is never
# tracked: no sign-off (the 7-day window never starts), then 「3天查询无记录」 and a ticket per parcel. Other carriers'
# parcels are subscribed without a phone (not needed: the buyer's number is not given away).
PHONE_COMPANIES = frozenset({"shunfeng", "shunfengkuaiyun", "fengwang", "zhongtong"})


def _parcel_phone(sub: TrackingSubscription) -> str:
    """The phone Kuaidi100 asks for with this parcel: the order's receiver phone (the buyer sends a return parcel: the
    same number), else its customer's; from a privacy number (17012345678转1234) or a masked one (138****5678) the
    last four digits, as Kuaidi100 asks for e-commerce virtual numbers. "" when not needed or unknown."""
    if sub.company not in PHONE_COMPANIES or sub.shipment_id is None:
        return ""
    ship = (Shipment.objects.filter(pk=sub.shipment_id).select_related("order__customer")
            .only("order__receiver_phone", "order__customer__phone").first())
    if ship is None:
        return ""
    candidates = [ship.order.receiver_phone or ""]
    if ship.order.customer is not None:
        candidates.append(ship.order.customer.phone or "")
    for phone in candidates:  # an identifying number first
        if phone and phone.lstrip("+").isdigit():
            return phone
    for phone in candidates:
        tail = phone[-4:]
        if tail.isdigit():
            return tail
    return ""


def _retry(sub: TrackingSubscription, code: str, message: str) -> str:
    if sub.attempts >= MAX_ATTEMPTS:
        return _finish(sub, Sub.FAILED, code, f"重试{sub.attempts}次仍失败：{message}")
    wait = min(timedelta(minutes=2 ** sub.attempts), timedelta(hours=6))  # 2, 4, 8 … minutes
    TrackingSubscription.objects.filter(pk=sub.pk).update(return_code=code, last_message=message[:300],
                                                          next_attempt_at=now() + wait, updated_at=now())
    return "retry"


def _finish(sub: TrackingSubscription, status: str, code: str, message: str) -> str:
    TrackingSubscription.objects.filter(pk=sub.pk).update(status=status, return_code=code, last_message=message[:300],
                                                          next_attempt_at=None, updated_at=now())
    log.warning("kuaidi100 subscription %s failed: %s %s", sub.pk, code, message)
    return "failed"


# --- pushes ----------------------------------------------------------------------------------------

def _find_shipment(shop, push: Kuaidi100Push) -> Shipment | None:
    candidates = list(Shipment.objects.select_for_update(of=("self",)).filter(shop=shop, tracking_no=push.tracking_no)
                      .select_related("order", "order__customer", "shop").order_by("pk")[:5])
    for s in candidates:
        if s.carrier in (push.carrier, ""):
            return s
    # The carrier we had may be the one Kuaidi100 corrected (comOld -> comNew): the number decides.
    return candidates[0] if len(candidates) == 1 else None


def kuaidi100_push_receive(*, shop, param: str, actor) -> str:
    """Apply a verified push; returns "applied" or "kept". Raises PushError on a malformed one. `actor`:
    SystemActor(the push channel) from the webhook, or a person's role that may `reply` (replays)."""
    require_role(actor, shop, REPLY)
    push = parse_kuaidi100_push(param)
    with transaction.atomic():
        shipment = _find_shipment(shop, push)
        if shipment is None:
            KeptTrackingPush.objects.create(shop=shop, company=push.com, tracking_no=push.tracking_no, param=param)
            return "kept"
        _apply(shipment, push)
    return "applied"


def _apply(shipment: Shipment, push: Kuaidi100Push) -> None:
    if push.events:
        _ingest_for(shipment, push.events, source="kuaidi100")
    if shipment.voided_at is not None:  # no longer tracked (logistics.services.shipment_void): no resubscription
        return
    subs = TrackingSubscription.objects.filter(_same_parcel(shipment), shop_id=shipment.shop_id)
    current = subs.order_by("-generation").first()
    if push.status == "shutdown":
        subs.filter(status__in=[Sub.PENDING, Sub.SUBSCRIBED]).update(status=Sub.SHUTDOWN, next_attempt_at=None,
                                                                     updated_at=now())
    elif push.status == "abort":
        active = subs.filter(status__in=[Sub.PENDING, Sub.SUBSCRIBED])
        # A repeated abort must not cancel the resubscription the first one queued (with comNew).
        redone = bool(push.com_new) and active.filter(company=push.com_new).exists()
        if redone:
            active = active.exclude(company=push.com_new)
        active.update(status=Sub.ABORTED, next_attempt_at=None, last_message=push.message, updated_at=now())
        _aborted(shipment, push, generation=(current.generation if current else 0) + 1, resubscribe=not redone)
    elif current is not None and current.status == Sub.PENDING:
        # The push proves Kuaidi100 tracks it (our answer may have been lost): do not send again.
        subs.filter(pk=current.pk).update(status=Sub.SUBSCRIBED, subscribed_at=now(), next_attempt_at=None,
                                          updated_at=now())


def _aborted(shipment: Shipment, push: Kuaidi100Push, *, generation: int, resubscribe: bool = True) -> None:
    """Kuaidi100 stopped tracking (e.g. 「3天查询无记录」, 「60天无变化」): a person must look; with a corrected
    carrier code (comNew) we resubscribe with it (half an hour later, as Kuaidi100 asks)."""
    if shipment.status == St.SIGNED or shipment.is_return:
        return
    detail = f"快递100停止跟踪：{push.message or '无原因'}"
    if push.com_new:
        corrected = carrier_from_kuaidi100(push.com_new)
        if corrected != Carrier.OTHER and corrected != shipment.carrier:
            Shipment.objects.filter(pk=shipment.pk).update(carrier=corrected, updated_at=now())
            shipment.carrier = corrected
        if resubscribe:
            subscriptions_enqueue(shop=shipment.shop, shipments=[shipment], generation=generation,
                                  company=push.com_new, delay=RESUBSCRIBE_AFTER)
        detail += f"；快递公司编码更正为 {push.com_new}，已重新订阅"
    else:
        detail += "；请核对快递公司和单号"
    if LogisticsException.objects.filter(shipment=shipment, status=LogisticsException.Status.OPEN).exists():
        return
    _rules, ruleset = rules_for(shipment.shop)
    _exception_open(shipment=shipment, kind=ExceptionKind.TRACKING_STOPPED, detail=detail[:300], ruleset=ruleset,
                    notify_customer=False)


def kept_pushes_apply(*, shop) -> int:
    """Apply the pushes kept for numbers that now have a shipment (oldest first). Returns how many."""
    kept = KeptTrackingPush.objects.filter(shop=shop, applied_at__isnull=True)
    known = Shipment.objects.filter(shop=shop, tracking_no=OuterRef("tracking_no"))
    applied = 0
    for row in kept.filter(Exists(known)).order_by("pk").iterator(500):
        push = parse_kuaidi100_push(row.param)  # it parsed when it was kept
        with transaction.atomic():
            shipment = _find_shipment(shop, push)
            if shipment is None:
                continue
            _apply(shipment, push)
            KeptTrackingPush.objects.filter(pk=row.pk).update(applied_at=now(), updated_at=now())
        applied += 1
    return applied
