"""Case writes: creation from a policy decision, the guarded state machine, evidence, recalls.

Every transition is a conditional UPDATE (claims the row), a CaseEvent and an audit record; messages
are enqueued after commit."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from shouhou.accounts.actors import CustomerActor, acting_user, require_role
from shouhou.accounts.permissions import (
    CASE_APPROVE,
    CASE_CREATE,
    COMPENSATE,
    COMPENSATE_ABOVE_LIMIT,
    RECALL_LAUNCH,
)
from shouhou.cases import offers
from shouhou.cases.choices import (
    CaseKind,
    CaseStatus,
    ClaimReason,
    InspectionSite,
    Resolution,
    ReturnMethod,
    ShippingPayer,
)
from shouhou.cases.models import Case, CaseEvent, CaseEvidence, Recall
from shouhou.cases.parcels import ParcelError, carrier_code, return_parcel_text, tracking_no_check
from shouhou.commerce.choices import OrderStatus
from shouhou.commerce.models import Order, OrderLine, Shipment
from shouhou.core import clock
from shouhou.core.audit import audit_record
from shouhou.core.money import MoneyError, positive_amount
from shouhou.core.numbers import new_number
from shouhou.core.uploads import check_image
from shouhou.policies.claims import claim_from_data
from shouhou.policies.document import REFUND_WITHIN_DAYS, STATUTORY_MERCHANT_REASONS
from shouhou.policies.document import load_default as load_default_policy
from shouhou.policies.document import parse as parse_policy
from shouhou.policies.engine import (
    REPAIR_OVERDUE_DAYS,
    SHANGHAI,
    Claim,
    ClaimInputError,
    Decision,
    LineFacts,
    compensation_value,
    decide,
    decision_for_review,
    decision_on_approval,
    needs_person,
    refund_share,
)
from shouhou.policies.selectors import approval_limit, policy_document
from shouhou.reviews.guards import guard_refusal

S = CaseStatus

TRANSITIONS: dict[str, set[str]] = {
    S.REQUESTED: {S.APPROVED, S.REJECTED, S.CANCELLED},
    S.APPROVED: {S.AWAITING_RETURN, S.FULFILLING, S.RESOLVED, S.CANCELLED, S.AWAITING_SUPERVISOR},
    S.AWAITING_RETURN: {S.IN_TRANSIT_BACK, S.RECEIVED, S.CANCELLED},
    S.IN_TRANSIT_BACK: {S.RECEIVED},
    S.RECEIVED: {S.INSPECTING, S.FULFILLING, S.RESOLVED, S.AWAITING_SUPERVISOR},
    S.INSPECTING: {S.FULFILLING, S.RESOLVED, S.AWAITING_SUPERVISOR, S.REJECTED},
    S.AWAITING_SUPERVISOR: {S.FULFILLING, S.REJECTED},  # approve/decline first: never resolve past a pending request
    S.FULFILLING: {S.RESOLVED, S.AWAITING_SUPERVISOR},
    S.RESOLVED: set(),
    S.REJECTED: set(),
    S.CANCELLED: set(),
}
# Moves only the shop platform makes (case_follow_platform), never an agent: the platform holds the money and the last
# word. After the merchant refused, its customer service or arbitration may still rule for the buyer (有赞 客满介入,
# 微信小店 平台介入纠纷退款, 抖店/快手 仲裁) — refunding now or soon (→ 已完结 / 待履约) — and the buyer may file again on the
# same request (有赞 SAFE_HANDLED「被拒绝后再次发起」, 抖店 208 买家修改售后申请) — back to the merchant (→ 待审核).
PLATFORM_TRANSITIONS: dict[str, set[str]] = {S.REJECTED: {S.REQUESTED, S.FULFILLING, S.RESOLVED}}
REFUND_KINDS = (CaseKind.RETURN_REFUND, CaseKind.REFUND_ONLY, CaseKind.PRICE_PROTECT)  # kinds whose remedy is money back
log = logging.getLogger(__name__)
RETURN_KINDS = {CaseKind.RETURN_REFUND, CaseKind.EXCHANGE, CaseKind.REPAIR}
MAX_CUSTOMER_PHOTOS = 9  # photos a customer may add to one case (the follow page is public by link)


# Called as hook(case=..., decision="approved"|"rejected"|"received"|"inspected"|"fulfilling"|"resolved", actor=...)
# inside the deciding transaction, so
# what they write (e.g. the platforms outbox) exists iff the decision committed. Registered in AppConfig.ready.
decision_hooks: list = []


def _decided(case: Case, decision: str, actor) -> None:
    for hook in decision_hooks:
        hook(case=case, decision=decision, actor=actor)


class CaseError(ValueError):
    """A refused case action; the message is shown as is (Chinese). `field`: the input it is about, when one
    is (e.g. `claim.return_quantity`), for a form or the API to say it at that field."""

    def __init__(self, message: str = "", *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _guard(text: str, *, field: str) -> None:
    """Text the customer reads (the follow page, messages) passes the compliance guard: nothing may be
    offered for a good review or for deleting/changing a bad one. Raises CaseError naming the field."""
    refusal = guard_refusal(text, field=field)
    if refusal:
        raise CaseError(refusal)


def _label(status: str) -> str:
    return str(S(status).label) if status in S.values else status


def _stored(label) -> str:
    """A choice's label as stored in a note or a customer notification: in the source language (Chinese), whatever
    language the acting staff member reads — a note written while reading English read 「已完结：Refund」 to everyone,
    and a customer's SMS 「处理结果：Refund」. Staff pages say these notes in the reader's language from the event's
    `data` (cases.selectors.case_event_note)."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(label)


# Case events → notification triggers (shouhou/notifications/choices.py) and their variables.
_TRIGGERS = {"case_progress": "case_inspection_progress"}
_NEXT_STEP = {
    S.AWAITING_RETURN: "请按页面提示寄回商品，并填写运单号",
    S.FULFILLING: "我们正在为您安排处理",
    S.RESOLVED: "售后已完成",
}


def _notify(case: Case, trigger: str, suffix: str, extra: dict | None = None) -> None:
    """Write the outbox row in the caller's transaction: the message exists iff the change committed."""
    if case.customer_id is None:
        return
    from shouhou.notifications.services import notification_enqueue

    extra = extra or {}
    context = {"case_no": case.number, "order_no": case.order.order_no, "status": _stored(S(case.status).label)
               if case.status in S.values else case.status,
               "resolution": extra.get("resolution") or _stored(CaseKind(case.kind).label),
               "next_step": _NEXT_STEP.get(case.status, "我们会尽快处理并通知您"),
               "progress": "，".join(str(v) for v in (extra.get("note"), extra.get("result")) if v),
               "outcome": extra.get("resolution", ""), **extra}
    notification_enqueue(shop=case.shop, customer=case.customer, trigger=_TRIGGERS.get(trigger, trigger),
                         context=context, idempotency_key=f"case:{case.pk}:{suffix}")


def _allowed(status: str, *, by_platform: bool = False) -> set[str]:
    allowed = TRANSITIONS.get(status, set())
    return allowed | PLATFORM_TRANSITIONS.get(status, set()) if by_platform else allowed


def _move(case: Case, to: str, *, actor=None, note: str = "", kind: str = "transition",
          data: dict | None = None, fields: dict[str, Any] | None = None, visible: bool = True,
          by_platform: bool = False) -> Case:
    current = case.status
    if to not in _allowed(current, by_platform=by_platform):
        raise CaseError(gettext("售后单 %(case)s 当前状态为「%(status)s」，不能变更为「%(to)s」。") % {
            "case": case.number, "status": _label(current), "to": _label(to)})
    fields = fields or {}
    updated = Case.objects.filter(pk=case.pk, status=current).update(status=to, updated_at=clock.now(), **fields)
    if updated != 1:
        case.refresh_from_db()
        raise CaseError(gettext("售后单 %(case)s 的状态已被他人变更为「%(status)s」，请刷新后重试。") % {
            "case": case.number, "status": _label(case.status)})
    for key, value in fields.items():
        setattr(case, key, value)
    case.status = to
    CaseEvent.objects.create(case=case, actor=_user(actor), from_status=current, to_status=to, kind=kind,
                             note=note, data=data or {}, visible_to_customer=visible)
    audit_record(action=f"case.{kind}" if kind != "transition" else f"case.{to}", obj=case, actor=actor,
                 before={"status": current}, after={"status": to, **{k: v for k, v in fields.items()}}, note=note)
    return case


def _user(actor):
    return acting_user(actor)


def _event(case: Case, *, kind: str, actor=None, note: str = "", data: dict | None = None,
           visible: bool = True) -> CaseEvent:
    return CaseEvent.objects.create(case=case, actor=_user(actor), from_status=case.status, to_status=case.status,
                                    kind=kind, note=note, data=data or {}, visible_to_customer=visible)


def line_facts(line: OrderLine, *, earlier_refunds: bool = True, exclude: Case | None = None) -> LineFacts:
    """The line as the policy sees it. `earlier_refunds`: with what earlier cases on it already paid back
    (`cases.selectors.line_refunded`, excluding `exclude`), so a new claim is on what is left."""
    from shouhou.cases.selectors import line_refunded

    units_refunded, refunded = line_refunded(line, exclude=exclude) if earlier_refunds else (0, Decimal("0"))
    order = line.order
    delivered, split_unsigned = _sign_off(order)
    customer = order.customer
    # OrderLine.price_paid is what was paid for the whole line (imports and the demo store the line
    # total): the engine gets the unit price and the line total, so refunds are never multiplied twice.
    ordered_on = clock_date(min([t for t in (order.placed_at, order.paid_at) if t is not None], default=None)
                            or order.shipped_at or delivered or order.created_at)
    return LineFacts.from_line_total(
        category=line.category or "other", paid_total=line.price_paid, quantity=line.quantity,
        # the order date: when it was placed or paid, whichever is earlier (cash on delivery pays late); an
        # order imported without either counts from its earliest known event
        ordered_on=ordered_on,
        shipped_on=_shipped_on(order, ordered_on, delivered),
        delivered_on=clock_date(delivered),
        delivery_unknown=delivered is None and (split_unsigned
                                                or order.status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED)),
        return_insurance=bool(order.return_insurance), tier=getattr(customer, "tier", "regular") or "regular",
        # the product's own warranty (its 三包凭证), when longer than the policy's
        warranty_days=(line.product.warranty_days or None) if line.product_id else None,
        units_refunded=units_refunded, refunded=min(Decimal(refunded), Decimal(line.price_paid)))


def _shipped_on(order, ordered_on: dt.date | None, delivered: dt.datetime | None) -> dt.date | None:
    """When the goods left: the order's ship time, else its first parcel's. The engine tells 「尚未发货」 (cancel) from
    「已发出、尚未签收」 (intercept or refuse) by it — it was never given, so a parcel out for delivery read as not yet
    shipped. A time out of order with the others (an export's typo) is left out rather than refusing the claim."""
    outbound = [s for s in order.shipments.all() if not s.is_return and not s.voided_at]
    shipped = clock_date(order.shipped_at or min((s.shipped_at for s in outbound if s.shipped_at), default=None))
    if shipped is None:
        # shipped, but no time on record (an export without 发货时间): the order date stands in for the unknown day —
        # what matters here is that it left (「已发出…拦截或拒收」, not 「尚未发货…订单直接取消」)
        known = outbound or order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED)
        return ordered_on if known else None
    latest = clock_date(delivered) if delivered else clock_date(clock.now())
    if (ordered_on is not None and shipped < ordered_on) or (latest is not None and shipped > latest):
        return None
    return shipped


def _sign_off(order) -> tuple[dt.datetime | None, bool]:
    """(when the buyer received the order's goods, whether that is unknowable yet). One parcel: the order's own
    sign-off time, else the parcel's (a tracking push may record it when the order export did not). Several
    parcels (split shipment; after-sales parcels — an exchange's or a 补寄's, which case events name — aside): no
    parcel records its lines, so a line may be in the last one to arrive, and the seven days run from the buyer's
    receipt of the goods (消法25, 办法: 自签收次日起): the last signature once all are signed; while one is still on
    its way, nobody can tell whether this line has arrived (None, True: a person checks); none signed yet: the
    order's own time, if an export recorded one. The order's sign-off time is the first parcel's (logistics
    records it on the first signature): counting every line from it cut the window of the goods that came later."""
    parcels = [s for s in order.shipments.all() if not s.is_return and not s.voided_at]
    if len(parcels) > 1:
        after_sales = set(CaseEvent.objects.filter(case__order_id=order.pk, data__has_key="shipment_id")
                          .values_list("data__shipment_id", flat=True))
        parcels = [s for s in parcels if s.pk not in after_sales]
    signed = [s.signed_at for s in parcels if s.signed_at]
    if len(parcels) <= 1 or not signed:
        return order.delivered_at or min(signed, default=None), False
    if len(signed) < len(parcels):
        return None, True
    return max([*signed, *([order.delivered_at] if order.delivered_at else [])]), False


def clock_date(value: dt.datetime | None) -> dt.date | None:
    """The Beijing-time calendar day of a moment: the law's days (消法24, 25; 办法10) are counted in Asia/Shanghai,
    whatever the deployment's TIME_ZONE (a server set to UTC must not move a 23:59 sign-off to the day before)."""
    if value is None:
        return None
    return (value if timezone.is_aware(value) else timezone.make_aware(value)).astimezone(SHANGHAI).date()


def beijing_now() -> dt.datetime:
    """Now, in Asia/Shanghai (the calendar every after-sales deadline is counted on)."""
    return clock.now().astimezone(SHANGHAI)


def _claim_from(data: dict, reason: str, has_photo: bool, line: OrderLine | None = None,
                facts: LineFacts | None = None) -> Claim:
    # Strictly, like the claim JSON (policies.claims): "false" is not true, an unknown key is refused.
    try:
        claim = claim_from_data(data, reason=reason, has_photo=has_photo)
    except ClaimInputError as exc:
        raise CaseError("申请信息有误：" + "；".join(exc.errors), field=_error_field(exc.errors)) from exc
    # a partial return is of the units this line has: more is the claim's mistake, not the order's
    if line is not None and claim.return_quantity is not None and claim.return_quantity > line.quantity:
        raise CaseError(gettext("申请信息有误：claim.return_quantity: 必须是 1 到 %(quantity)s 的整数"
                                "（本行共 %(quantity)s 件，收到 %(units)s）") % {
            "quantity": line.quantity, "units": claim.return_quantity}, field="claim.return_quantity")
    # …and of the units earlier cases have not already refunded
    left = facts.quantity - facts.units_refunded if facts is not None else None
    if claim.return_quantity is not None and left is not None and claim.return_quantity > left \
            and claim.reason != ClaimReason.PRICE_DROP:
        raise CaseError(gettext("申请信息有误：claim.return_quantity: 必须是 1 到 %(left)s 的整数（本行共 %(quantity)s 件，"
                                "已退款 %(done)s 件，收到 %(units)s）") % {
            "left": left, "quantity": facts.quantity, "done": facts.units_refunded, "units": claim.return_quantity},
            field="claim.return_quantity")
    # an installation (条例18: the 三包 periods run from it) lies between the sign-off and today: said at the claim's key,
    # not as a fault of the order
    if claim.installed_on is not None and facts is not None:
        today = beijing_now().date()
        if facts.delivered_on is None or not facts.delivered_on <= claim.installed_on <= today:
            raise CaseError(gettext("申请信息有误：claim.installed_date: 安装完成日期 %(installed)s 须在签收日期（%(signed)s）"
                                    "与今天（%(today)s）之间") % {
                "installed": claim.installed_on.isoformat(), "today": today.isoformat(),
                "signed": facts.delivered_on.isoformat() if facts.delivered_on else gettext("未记录")},
                field="claim.installed_date")
    return claim


def _claim_facts(line: OrderLine, *, platform_request: bool = False, kind: str | None = None) -> LineFacts:
    """The line for a new claim: what earlier cases refunded is taken off (the same units and the same money
    are never refunded twice). A line refunded in full takes no new claim, but for a goodwill compensation
    (which refunds nothing; capped by what was paid) and the platform's own request on it, recorded as it
    comes (the platform holds that money): both decided on the line as bought. With the line's 三包 history
    (`warranty_history`: the last exchange, the days in repair)."""
    facts = line_facts(line)
    replaced_on, repair_days = warranty_history(line)
    if replaced_on is not None and (facts.delivered_on is None or replaced_on < facts.delivered_on):
        replaced_on = None  # no sign-off known, or one recorded after the exchange (a re-imported order): ignore it
    if facts.units_refunded < facts.quantity:
        return dataclasses.replace(facts, replaced_on=replaced_on, repair_days=repair_days)
    if platform_request or kind == CaseKind.COMPENSATION:
        return dataclasses.replace(line_facts(line, earlier_refunds=False), replaced_on=replaced_on,
                                   repair_days=repair_days)
    from shouhou.cases.selectors import line_refund_cases

    raise CaseError(gettext("订单 %(order)s 的商品「%(line)s」共 %(quantity)s 件已全部退款或正在退款（售后单 %(cases)s），"
                            "不能再为它申请售后；进度请看该售后单。") % {
        "order": line.order.order_no, "quantity": line.quantity, "cases": "、".join(line_refund_cases(line)),
        "line": " ".join(part for part in (line.product_name, line.spec) if part) or line.line_key})


def _with_units(claim_data: dict, reason: str, facts: LineFacts) -> dict:
    """A claim on a line partly refunded before is on the units left: recorded as such (「退 1/3 件」)."""
    if facts.units_refunded and claim_data.get("return_quantity") is None and reason != ClaimReason.PRICE_DROP:
        return {**claim_data, "return_quantity": facts.quantity - facts.units_refunded}
    return claim_data


def _error_field(errors: list[str]) -> str | None:
    """The located field of a claim's errors (`claim.<key>: …`), when they are about one."""
    fields = {str(e).split(":", 1)[0].strip() for e in errors}
    return fields.pop() if len(fields) == 1 else None


def _decide(line: OrderLine, claim: Claim, doc: dict, *, requested_at: dt.datetime | None = None,
            facts: LineFacts | None = None) -> Decision:
    # the buyer's rights are those of the day they asked (CRPL art. 25: a return asked for within the seven
    # days is in time however late the request reaches the shop); never a day still to come
    now = beijing_now()
    facts = facts if facts is not None else line_facts(line)
    at = now
    if requested_at is not None:
        asked = (requested_at if timezone.is_aware(requested_at) else timezone.make_aware(requested_at)
                 ).astimezone(SHANGHAI)
        # a request made before the goods arrived (or before what the order records) is judged on today's facts
        known = [d for d in (facts.ordered_on, facts.shipped_on, facts.delivered_on, facts.replaced_on,
                             claim.installed_on) if d is not None]
        if asked < now and all(d <= asked.date() for d in known):
            at = asked
    try:
        return decide(facts, claim, at, policy=doc)
    except ClaimInputError as exc:  # the order's own dates are impossible (e.g. signed before it was placed)
        raise CaseError("订单信息有误，无法按政策判断：" + "；".join(exc.errors)) from exc


NO_REASON_REASONS = (ClaimReason.NO_REASON, ClaimReason.SIZE_FIT)  # the engine's no-reason path


def free_shipping_lost(*, shop, line: OrderLine, decision: Decision) -> Decimal | None:
    """The shipping fee a free-shipping offer spared the order, due now that this return takes it below the
    threshold (the claim's `free_shipping_lost`), or None. From the shop's offer (`Shop.free_shipping_threshold`,
    `shipping_fee`) and the order as it stands: its goods (the lines the platform has not removed), less what
    earlier cases on it refunded or settled; the return is the value of the goods this decision takes back (its
    refund plus a gift deduction). Only for a no-reason return the policy grants — never for a quality or
    merchant-fault return — and not when the order was under the threshold when bought, when the buyer paid the
    fee (`total_paid` holds it), when an earlier return already took the order below the threshold, or when the
    return leaves nothing kept (the whole order back: no goods stay that shipped free)."""
    threshold, fee = shop.free_shipping_threshold, shop.shipping_fee
    if not threshold or not fee or fee <= 0:
        return None
    if "return_refund" not in decision.allowed or "no_reason.window" not in decision.clauses:
        return None
    from shouhou.cases.selectors import lines_refunded

    lines = line.order.lines.filter(removed_at__isnull=True)
    quantities = dict(lines.values_list("pk", "quantity"))
    goods = sum((Decimal(p or 0) for p in lines.values_list("price_paid", flat=True)), Decimal("0"))
    if goods < threshold:
        return None
    paid = Decimal(line.order.total_paid or 0)
    if paid and paid - goods >= fee:
        return None  # the buyer paid the postage: nothing was spared
    settled = sum((money for _units, money in lines_refunded(lines, quantities).values()), Decimal("0"))
    kept = goods - settled
    returned = decision.refund_amount + (decision.gift_deduction or Decimal("0"))
    # a partial return: the goods kept would not have shipped free; a return of everything left keeps nothing
    # that was shipped, so no fee is due for it
    if kept >= threshold and Decimal("0") < kept - returned < threshold:
        return Decimal(fee).quantize(Decimal("0.01"))
    return None


def _decide_claim(*, shop, line: OrderLine, reason: str, claim_data: dict, has_photo: bool, doc: dict,
                  facts: LineFacts, requested_at: dt.datetime | None = None,
                  free_shipping: bool = True) -> tuple[Decision, dict]:
    """(decision, claim data): the claim decided; a no-reason return that takes the order below the shop's
    free-shipping threshold is decided again with the fee it makes due (free_shipping_lost), which the claim data
    then records. A `free_shipping_lost` the caller gives (staff, the API) stands as given; `free_shipping=False`
    (a shop platform's own request, whose refund the platform sets) computes none."""
    decision = _decide(line, _claim_from(claim_data, reason, has_photo, line, facts), doc,
                       requested_at=requested_at, facts=facts)
    if not free_shipping or "free_shipping_lost" in claim_data or reason not in NO_REASON_REASONS:
        return decision, claim_data
    lost = free_shipping_lost(shop=shop, line=line, decision=decision)
    if lost is None:
        return decision, claim_data
    claim_data = {**claim_data, "free_shipping_lost": str(lost)}
    return _decide(line, _claim_from(claim_data, reason, has_photo, line, facts), doc, requested_at=requested_at,
                   facts=facts), claim_data


def case_preview(*, shop, order_line: OrderLine, reason: str, claim_data: dict | None = None,
                 has_photo: bool = False) -> Decision:
    """The decision a claim would get now, without writing anything."""
    _, doc = policy_document(shop=shop)
    claim_data = _claim_history(claim_data or {}, order_line)
    facts = _claim_facts(order_line)
    claim_data = _with_units(claim_data, reason, facts)
    return _decide_claim(shop=shop, line=order_line, reason=reason, claim_data=claim_data, has_photo=has_photo,
                         doc=doc, facts=facts)[0]


def _exchanges_so_far(line: OrderLine) -> int:
    return Case.objects.filter(order_line=line, kind=CaseKind.EXCHANGE, status=S.RESOLVED).count()


FAULT_REASONS = (ClaimReason.QUALITY, ClaimReason.NOT_AS_DESCRIBED, ClaimReason.PERFORMANCE_FAULT)


def _unit_history(line: OrderLine) -> tuple[Case | None, list[Case]]:
    """(the case that last replaced the line's goods, the fault repairs of the unit the buyer has now)."""
    done = list(Case.objects.filter(order_line=line, status=S.RESOLVED, resolved_at__isnull=False,
                                    resolution__in=(Resolution.REPLACEMENT, Resolution.REPAIR))
                .only("resolution", "reason", "resolved_at", "return_shipped_at", "received_at", "created_at")
                .order_by("resolved_at", "pk"))
    replaced = ([c for c in done if c.resolution == Resolution.REPLACEMENT] or [None])[-1]
    repairs = [c for c in done if c.resolution == Resolution.REPAIR and c.reason in FAULT_REASONS
               and (replaced is None or c.resolved_at > replaced.resolved_at)]
    return replaced, repairs


def failed_repairs_so_far(line: OrderLine) -> int:
    """Repairs this line's goods have had for a fault (cases resolved as a repair, whatever kind they were opened
    as), since the last replacement: a new fault claim means they did not hold. 三包 art. 11 and 消法24 (法定解除):
    repaired twice and still faulty → exchange or return; the claim used to say 0 unless staff typed the count,
    so a third fault was offered a third repair. Repairs of a unit since replaced were of other goods."""
    return len(_unit_history(line)[1])


def warranty_history(line: OrderLine) -> tuple[dt.date | None, int]:
    """(replaced_on, repair_days) for the policy's 三包 warranty: the Beijing day the goods were last exchanged (the new
    unit's parcel sign-off, else the exchange case's resolution; 换货后的三包有效期自换货之日起重新计算) and the days the
    present unit spent being repaired, from when it was handed over (sent back, else received, else the request) to
    the repair case's resolution (三包有效期扣除因修理占用和无零配件待修的时间). Both used to be ignored: the warranty
    ran from the first sign-off through every repair."""
    replaced, repairs = _unit_history(line)
    days = 0
    for case in repairs:
        handed = case.return_shipped_at or case.received_at or case.created_at
        days += max((clock_date(case.resolved_at) - clock_date(handed)).days, 0)
    if replaced is None:
        return None, days
    # the day of the exchange: the new unit's sign-off when its parcel was recorded (exchange_ship) and signed for,
    # else the day the exchange case was resolved
    parcels = CaseEvent.objects.filter(case=replaced, data__has_key="shipment_id").values_list(
        "data__shipment_id", flat=True)
    signed = Shipment.objects.filter(pk__in=list(parcels), signed_at__isnull=False).order_by(
        "-signed_at").values_list("signed_at", flat=True).first()
    return clock_date(signed or replaced.resolved_at), days


def _claim_history(claim_data: dict, line: OrderLine) -> dict:
    """The line's after-sales history the policy needs, unless the caller stated it: exchanges done, failed
    repairs (recorded only when there were some)."""
    claim_data = dict(claim_data or {})
    claim_data.setdefault("exchanges_so_far", _exchanges_so_far(line))
    if "failed_repairs" not in claim_data and (repairs := failed_repairs_so_far(line)):
        claim_data["failed_repairs"] = repairs
    return claim_data


def _store_photo(case: Case, upload, *, actor=None, from_customer: bool = False, note: str = "") -> CaseEvidence:
    checked = check_image(upload)
    upload.seek(0)
    ev = CaseEvidence(case=case, kind=checked.kind, size=checked.size, note=note, uploaded_by=_user(actor),
                      from_customer=from_customer)
    ev.file.save(f"{case.number}-{new_number('P')}.{checked.extension}", ContentFile(upload.read()), save=False)
    ev.save()
    return ev


@transaction.atomic
def case_create(*, shop, order_line: OrderLine, reason: str, kind: str | None = None, description: str = "",
                claim_data: dict | None = None, photos: list | tuple = (), actor=None, channel: str = "",
                from_customer: bool = False, auto_approve: bool = True, platform_request: bool = False,
                requested_at: dt.datetime | None = None, settled_on_platform: bool = False,
                refund_amount: Decimal | None = None) -> Case:
    """Open a case on an order line; the active policy decides; auto-approval when it says so (and the
    caller allows it: a request a shop platform already decided is recorded, not decided again).
    `actor`: staff (a user or API principal), `CustomerActor()` on the self-service page, or `SYSTEM`.
    A line the shop platform took off the order (`removed_at`, order sync) is refused — by page, API, CLI or
    portal alike — except for `platform_request`: the platform's own after-sale request on it (the connector)
    is recorded as the platform sends it. `requested_at`: when the buyer asked, if earlier than now (a shop
    platform's request synced late): the policy decides as of that moment. `settled_on_platform`: a request the
    platform had already closed (refunded, refused, withdrawn) when it was first read — a back-fill on connecting —
    is recorded only: the customer is not told it was received, and no person is asked to review it.
    `refund_amount`: what the buyer asks back on the shop platform (yuan), which the platform refunds on approval: a
    refund case carries it, while the decision keeps the policy's amount; a request for more than the policy grants
    is not approved automatically (a person sees both on the case)."""
    require_role(actor, shop, CASE_CREATE)
    if order_line.order.shop_id != shop.pk:
        raise CaseError("订单不属于本店铺。")
    if order_line.removed_at is not None and not platform_request:
        raise CaseError(gettext("订单 %(order)s 的商品「%(line)s」已被平台从订单中移除，不能为它创建售后单。") % {
            "order": order_line.order.order_no,
            "line": " ".join(part for part in (order_line.product_name, order_line.spec) if part) or order_line.line_key})
    if reason not in ClaimReason.values:
        raise CaseError(f"未知的售后原因：{reason}")
    for photo in photos:
        check_image(photo)  # refuse before writing anything
    if Case.objects.filter(order_line=order_line, status__in=[s for s in S.values if TRANSITIONS[s]],
                           kind__in=[k for k in CaseKind.values if k != CaseKind.COMPENSATION]).exists() \
            and kind != CaseKind.COMPENSATION:
        raise CaseError(gettext("该商品已有进行中的售后单，请在原售后单中跟进。"))
    version, doc = policy_document(shop=shop)
    claim_data = _claim_history(claim_data or {}, order_line)
    facts = _claim_facts(order_line, platform_request=platform_request, kind=kind)
    claim_data = _with_units(claim_data, reason, facts)
    decision, claim_data = _decide_claim(shop=shop, line=order_line, reason=reason, claim_data=claim_data,
                                         has_photo=bool(photos), doc=doc, facts=facts, requested_at=requested_at,
                                         free_shipping=not platform_request)
    chosen = kind or decision.recommended or CaseKind.COMPENSATION
    if chosen not in CaseKind.values:
        raise CaseError(f"未知的售后类型：{chosen}")
    if kind is not None and isinstance(actor, CustomerActor) and (
            kind not in [*decision.allowed, *decision.on_request] or kind == CaseKind.COMPENSATION):
        # the customer chooses among what the policy grants; compensation is the shop's to offer
        offered = "、".join(str(CaseKind(k).label) for k in decision.allowed
                           if k in CaseKind.values and k != CaseKind.COMPENSATION)
        raise CaseError(gettext("按本店售后政策，这个申请不能办理「%(kind)s」，可选择：%(offered)s。") % {
            "kind": CaseKind(kind).label, "offered": offered or gettext("无（请直接提交，由客服审核）")})
    order = order_line.order
    deadline = decision.deadlines.get("return_ship_by") if chosen in RETURN_KINDS else None
    # a price the customer states (price protection) waits for a person to check the screenshot (cases/offers.py)
    stated = offers.needs_a_person_for_stated_facts(
        reason=reason, from_customer=from_customer or isinstance(actor, CustomerActor))
    # a remedy the buyer may only ask for (a 三包 return instead of an exchange: the depreciation fee is the
    # merchant's to set) or one a person must approve waits, whatever the recommended one would do
    refunds = chosen in REFUND_KINDS
    asked = refund_amount if refunds and refund_amount else None
    beyond_policy = asked is not None and asked > Decimal(decision.refund_amount or 0)
    approve_now = (auto_approve and decision.auto_approved and chosen in decision.allowed and not stated
                   and not needs_person(decision, chosen) and not beyond_policy)
    stored = decision.to_json()
    if auto_approve and decision.auto_approved and not approve_now:
        # the policy would approve it, but this case waits for a person: its page, history and message say so
        # (a platform's request recorded with auto_approve=False was decided on the platform: left as it is)
        stored = decision_for_review(stored)
    case = Case.objects.create(
        shop=shop, number=new_number("SH"), order=order, order_line=order_line, customer=order.customer,
        live_session=order.live_session, kind=chosen, reason=reason, description=description, channel=channel,
        policy_version=version, decision=stored, claim=claim_data,
        # the payer decided for the recommended remedy; a return chosen instead of a resend/refund (transit
        # damage) is the merchant's when the reason is the merchant's fault (CRPL art. 24)
        shipping_payer=("merchant" if decision.shipping_payer == "none" and reason in STATUTORY_MERCHANT_REASONS
                        else decision.shipping_payer) if chosen in RETURN_KINDS else "none",
        # money back only on a refund: an exchange, resend or repair refunds nothing
        refund_amount=(asked if asked is not None else decision.refund_amount) if refunds else Decimal("0"),
        deadline_at=dt.datetime.combine(dt.date.fromisoformat(deadline), dt.time(23, 59), tzinfo=SHANGHAI)
        if deadline else None,
    )
    CaseEvent.objects.create(case=case, actor=_user(actor), from_status="", to_status=S.REQUESTED, kind="created",
                             note=description or stored["explanation_zh"],
                             # the decision's text in each language, for the history in the reader's language
                             data={} if description else {"decision": True,
                                                          "explanation_en": stored.get("explanation_en", "")})
    audit_record(action="case.create", obj=case, actor=actor, after={"kind": chosen, "reason": reason,
                                                                      "policy_version": version.version if version else None})
    if asked is not None and asked != Decimal(decision.refund_amount or 0):
        amounts = {"amount": _yuan(asked), "policy": _yuan(decision.refund_amount)}
        _event(case, kind="platform", actor=actor, visible=False,
               note="平台申请退款金额 ¥{amount}，政策核定 ¥{policy}".format(**amounts),
               data={"step": "platform_amount", **amounts})
    for photo in photos:
        _store_photo(case, photo, actor=actor, from_customer=from_customer)
    if settled_on_platform:
        return case
    _notify(case, "case_created", "created", {"explanation": stored["explanation_zh"]})
    if approve_now:
        Case.objects.filter(pk=case.pk).update(auto_approved=True)
        case.auto_approved = True
        _approve(case, actor=None, note="符合售后政策，系统自动通过")
    elif from_customer or stated:
        _ask_a_person(case)
    return case


def _ask_a_person(case: Case, *, request: str = "", key: str = "needs-person") -> None:
    """A self-service case the policy did not approve: into the agents' queue, with its SLA clock.
    The customer's claim is kept even if the queue refuses (e.g. an SLA policy the clock cannot compute):
    the failure is logged and noted on the case, which stays first in the case list's open cases."""
    from shouhou.inbox.services import ticket_open_for_case

    try:
        with transaction.atomic():
            ticket_open_for_case(case=case, request=request, key=key)
    except Exception:  # any failure of the queue must not lose the customer's claim
        log.exception("case %s could not open a ticket for a person", case.number)
        _event(case, kind="progress", note="未能自动进入客服队列，请人工跟进", visible=False)


def _tickets_done(case: Case, *, note: str, by: str = "portal") -> None:
    """The case needs nobody any more (the customer withdrew; the shop platform closed it): its open tickets are
    resolved with `note`."""
    from shouhou.accounts.actors import SystemActor
    from shouhou.inbox.choices import OPEN_TICKET_STATUSES, TicketStatus
    from shouhou.inbox.models import Ticket
    from shouhou.inbox.services import ticket_set_status

    for ticket in Ticket.objects.filter(case=case, status__in=OPEN_TICKET_STATUSES):
        ticket_set_status(ticket=ticket, status=TicketStatus.RESOLVED, actor=SystemActor(by), note=note)


def _approval_fields(case: Case) -> dict:
    """Deadlines and texts the customer reads, recomputed on the day of approval: a case approved days
    after it was filed must not say "send it back by <a date already past>" or "an agent will review it"."""
    decision = decision_on_approval(case.decision or {}, approved_on=beijing_now().date())
    by = decision["deadlines"].get("return_ship_by")
    if case.kind in RETURN_KINDS:
        from shouhou.commerce.selectors import return_address_for_case

        address = return_address_for_case(case)
        decision["return_address_id"] = address.pk if address is not None else None
    fields: dict[str, Any] = {"decision": decision}
    if case.kind in (CaseKind.RETURN_REFUND, CaseKind.REFUND_ONLY) and not Decimal(case.refund_amount or 0):
        # a refund the policy left to a person (reason 「其他」: no amount decided): approving it agrees to refund
        # the claimed units' share of what the line has left — the page said ¥0.00 while the platform paid it all
        refund = _refund_on_resolution(case, Resolution.REFUND)
        if refund:
            fields["refund_amount"] = refund
    if by and case.kind in RETURN_KINDS:
        fields["deadline_at"] = dt.datetime.combine(dt.date.fromisoformat(by), dt.time(23, 59),
                                                    tzinfo=SHANGHAI)
    return fields


def _approval_message(case: Case) -> dict:
    """The approval message's next step: for a return, by when and where to send the goods."""
    if case.kind not in RETURN_KINDS:
        return {}
    from shouhou.commerce.selectors import return_address_for_case, return_address_text

    address = return_address_for_case(case)
    by = (case.decision.get("deadlines") or {}).get("return_ship_by", "")
    when = f"请在{by}前" if by else "请"
    if address is None:
        return {"next_step": "客服会尽快告知退货地址，收到地址前请先不要寄出"}
    return {"next_step": f"{when}将商品寄回：{return_address_text(address)}；寄出后请在售后进度页填写运单号"}


def _approve(case: Case, *, actor, note: str) -> Case:
    _move(case, S.APPROVED, actor=actor, note=note, fields=_approval_fields(case))
    _notify(case, "case_approved", "approved", _approval_message(case))
    if case.kind in RETURN_KINDS:
        _move(case, S.AWAITING_RETURN, actor=actor, note="请按约定方式寄回商品")
    _decided(case, "approved", actor)
    return case


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update(of=("self",)).select_related("order", "customer", "shop").get(pk=case.pk)


def _require(actor, case: Case, action: str) -> None:
    require_role(actor, case.shop, action, case_id=case.pk)


# What each case operation needs: the page offers an operation only when the role may do it (and the
# case's state allows it); the services refuse it otherwise. One table for pages, API and CLI.
OPERATION_ACTIONS: dict[str, str] = {
    "approve": CASE_APPROVE, "reject": CASE_APPROVE, "cancel": CASE_CREATE, "ship": CASE_CREATE,
    "receive": CASE_APPROVE, "inspect": CASE_APPROVE, "result": CASE_APPROVE, "progress": CASE_CREATE,
    "compensate": COMPENSATE, "supervisor": COMPENSATE_ABOVE_LIMIT, "decline": COMPENSATE_ABOVE_LIMIT,
    "resolve": CASE_APPROVE, "evidence": CASE_CREATE, "delay": CASE_APPROVE,
}
# a repair case whose goods are with the repairer (sent back or received, not yet resolved): 三包12 counts from then
REPAIR_UNDER_WAY = (S.IN_TRANSIT_BACK, S.RECEIVED, S.INSPECTING, S.FULFILLING)
REPAIR_DELAY_CAUSES = ("parts", "repairer")


def case_operations_allowed(*, case: Case, actor) -> set[str]:
    """The operations `actor` may take on `case` now (role and state); the case page offers only these."""
    from shouhou.accounts.actors import actor_can

    nxt = TRANSITIONS.get(case.status, set())
    by_state = {
        "approve": S.APPROVED in nxt, "reject": S.REJECTED in nxt, "cancel": S.CANCELLED in nxt,
        "ship": S.IN_TRANSIT_BACK in nxt, "receive": S.RECEIVED in nxt, "inspect": S.INSPECTING in nxt,
        "result": case.status == S.INSPECTING, "progress": bool(nxt),
        # the same state predicates the services refuse by (cases/offers.py): no compensation form on a
        # case awaiting the buyer's parcel, no supervisor decision without a pending request
        "compensate": offers.may_compensate(case),
        "supervisor": offers.may_decide_as_supervisor(case),
        "decline": offers.may_decide_as_supervisor(case),
        "resolve": S.RESOLVED in nxt, "evidence": True,
        "delay": case.kind == CaseKind.REPAIR and case.status in REPAIR_UNDER_WAY,
    }
    return {op for op, action in OPERATION_ACTIONS.items()
            if by_state[op] and actor_can(actor, case.shop, action, case_id=case.pk)}


@transaction.atomic
def case_approve(*, case: Case, actor, note: str = "") -> Case:
    _require(actor, case, CASE_APPROVE)
    _guard(note, field="审核说明")
    return _approve(_locked(case), actor=actor, note=note or "客服审核通过")


@transaction.atomic
def case_reject(*, case: Case, actor, reason: str, data: dict | None = None) -> Case:
    """`data` rides on the rejection event for the decision hooks (e.g. the platform's reject reason code and
    the evidence photos chosen, platforms.services.case_reject_on_platform)."""
    _require(actor, case, CASE_APPROVE)
    if not reason.strip():
        raise CaseError("拒绝售后单必须填写原因。")
    _guard(reason, field="拒绝原因")
    case = _move(_locked(case), S.REJECTED, actor=actor, note=reason, fields={"resolved_at": clock.now()}, data=data)
    _notify(case, "case_rejected", "rejected", {"reason": reason})
    _decided(case, "rejected", actor)
    return case


@transaction.atomic
def case_cancel(*, case: Case, actor, reason: str = "") -> Case:
    """Withdraw the case: staff, or the customer holding its follow link (`CustomerActor(case.pk)`)."""
    _require(actor, case, CASE_CREATE)
    if not isinstance(actor, CustomerActor):  # the customer's own words are not an outgoing message
        _guard(reason, field="撤销原因")
    case = _move(_locked(case), S.CANCELLED, actor=actor, note=reason or "申请已撤销",
                 fields={"resolved_at": clock.now()})
    if isinstance(actor, CustomerActor):
        _tickets_done(case, note=reason or "顾客撤销了售后申请")
    return case


@transaction.atomic
def case_return_shipped(*, case: Case, actor, method: str = ReturnMethod.SELF_SHIP, carrier: str = "",
                        tracking_no: str = "", payer: str | None = None) -> Case:
    """The goods are on their way back: the buyer sent them (self-ship: a known carrier and a tracking number,
    normalised, cases/parcels.py), or the courier collected them (pickup, registered by staff; carrier and
    number optional). A customer's wish for a pickup is only a request (case_return_pickup_request)."""
    _require(actor, case, CASE_CREATE)
    if method not in ReturnMethod.values:
        raise CaseError(gettext("未知的退回方式：%(method)s") % {"method": method})
    if method == ReturnMethod.PICKUP and isinstance(actor, CustomerActor):
        raise CaseError(gettext("上门取件由客服为您安排，请提交取件申请。"))
    carrier, tracking_no = _return_parcel(method, carrier, tracking_no)
    case = _locked(case)
    fields = {"return_method": method, "return_carrier": carrier, "return_tracking_no": tracking_no,
              "return_shipped_at": clock.now()}
    if payer:
        _check_return_payer(case, payer)
        fields["shipping_payer"] = payer
    with translation.override(settings.LANGUAGE_CODE):
        parcel = return_parcel_text(carrier, tracking_no)
    if method == ReturnMethod.PICKUP:
        note = f"快递员已上门取件：{parcel}" if parcel else "快递员已上门取件"
    else:
        note = f"买家已寄回：{parcel}"
    return _move(case, S.IN_TRANSIT_BACK, actor=actor, note=note, fields=fields,
                 data={"step": "return_shipped", "method": method, "carrier": carrier, "tracking_no": tracking_no})


# who may pay for a parcel that is on its way back ("none", nothing sent back, is no answer for one)
RETURN_PAYERS = (ShippingPayer.MERCHANT, ShippingPayer.BUYER, ShippingPayer.INSURANCE)


def _check_return_payer(case: Case, payer: str) -> None:
    """A payer staff set when registering the return parcel: one of RETURN_PAYERS, and never other than the merchant
    for a statutory reason — a quality return, exchange or repair, a wrong, incomplete or transit-damaged delivery, a
    recall travel at the merchant's cost (消法24 para. 2), whatever was agreed with the buyer."""
    if payer not in RETURN_PAYERS:
        raise CaseError(gettext("运费承担方（payer）只能是 %(allowed)s 之一，收到 %(value)s") % {
            "allowed": " / ".join(f"{p.value}（{p.label}）" for p in RETURN_PAYERS), "value": repr(payer)},
            field="payer")
    if payer != ShippingPayer.MERCHANT and case.reason in STATUTORY_MERCHANT_REASONS:
        raise CaseError(gettext("「%(reason)s」的退回运费由商家承担（消法第24条第二款：经营者应当承担运输等必要费用），"
                                "运费承担方（payer）不能改为「%(payer)s」。") % {
            "reason": ClaimReason(case.reason).label if case.reason in ClaimReason.values else case.reason,
            "payer": ShippingPayer(payer).label}, field="payer")


def _return_parcel(method: str, carrier: str, tracking_no: str) -> tuple[str, str]:
    """(carrier code, tracking number) checked and normalised; both may be blank for a pickup."""
    try:
        if method == ReturnMethod.PICKUP and not (carrier or "").strip() and not (tracking_no or "").strip():
            return "", ""
        number = tracking_no_check(tracking_no)  # the missing number first: the likelier slip
        return carrier_code(carrier), number
    except ParcelError as exc:
        raise CaseError(str(exc)) from exc


@transaction.atomic
def case_return_correct(*, case: Case, actor, carrier: str, tracking_no: str) -> Case:
    """The return parcel's carrier or number was mistyped: correct it while the shop has not received the goods
    (status 退货运输中). Not a transition: a customer-visible event and an audit record with before and after."""
    _require(actor, case, CASE_CREATE)
    carrier, tracking_no = _return_parcel(ReturnMethod.SELF_SHIP, carrier, tracking_no)
    case = _locked(case)
    if case.status != S.IN_TRANSIT_BACK:
        raise CaseError(gettext("售后单当前状态为「%(status)s」，寄回信息已不能修改。") % {"status": _label(case.status)})
    before = {"return_carrier": case.return_carrier, "return_tracking_no": case.return_tracking_no}
    after = {"return_carrier": carrier, "return_tracking_no": tracking_no}
    if before == after:
        return case
    updated = Case.objects.filter(pk=case.pk, status=S.IN_TRANSIT_BACK).update(updated_at=clock.now(), **after)
    if updated != 1:  # cannot happen under the row lock; refuse rather than write over a received parcel
        raise CaseError(gettext("售后单的状态已被他人变更，请刷新后重试。"))
    for key, value in after.items():
        setattr(case, key, value)
    with translation.override(settings.LANGUAGE_CODE):
        note = f"寄回信息已更正：{return_parcel_text(carrier, tracking_no)}"
    _event(case, kind="return_corrected", actor=actor, note=note,
           data={"before": before, "after": after, "step": "return_corrected"})
    audit_record(action="case.return_corrected", obj=case, actor=actor, before=before, after=after, note=note)
    return case


@transaction.atomic
def case_return_pickup_request(*, case: Case, actor) -> Case:
    """The customer asks for the goods to be collected. Nothing books a courier by itself, so the case stays
    「待买家寄回」 with the request on record (customer-visible); staff arrange the pickup with the customer
    and register it (case_return_shipped, method pickup) once the courier has the parcel. Asking twice is
    one request."""
    _require(actor, case, CASE_CREATE)
    case = _locked(case)
    if case.status != S.AWAITING_RETURN:
        raise CaseError(gettext("售后单当前状态为「%(status)s」，不能申请上门取件。") % {"status": _label(case.status)})
    if case.return_method == ReturnMethod.PICKUP:
        return case
    before = {"return_method": case.return_method}
    Case.objects.filter(pk=case.pk, status=S.AWAITING_RETURN).update(return_method=ReturnMethod.PICKUP,
                                                                     updated_at=clock.now())
    case.return_method = ReturnMethod.PICKUP
    note = "已申请上门取件，客服将联系您约定取件时间和地址；快递员取件后进度会更新为「退货运输中」"
    _event(case, kind="pickup_requested", actor=actor, note=note)
    audit_record(action="case.pickup_requested", obj=case, actor=actor, before=before,
                 after={"return_method": ReturnMethod.PICKUP}, note=note)
    _ask_a_person(case, request=f"我申请了上门取件（售后单 {case.number}），请联系我约定取件时间和地址。", key="pickup")
    return case


@transaction.atomic
def case_mark_received(*, case: Case, actor, note: str = "") -> Case:
    _require(actor, case, CASE_APPROVE)
    _guard(note, field="收货说明")
    case = _locked(case)
    case = _move(case, S.RECEIVED, actor=actor, note=note or "仓库已收到退回商品",
                 fields={"received_at": clock.now(), **_refund_deadline_fields(case)})
    _notify(case, "case_received", "received")
    _decided(case, "received", actor)
    return case


def _end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59), tzinfo=SHANGHAI)


def _refund_deadline_fields(case: Case) -> dict:
    """A return and refund: the money is due within 7 days of the shop receiving the goods (消法 art. 25 para. 3,
    办法 art. 13), counted on the Asia/Shanghai calendar from the day of receipt. The case's deadline becomes that
    day (until then it was the day to send the goods back, met once they arrive) and the decision records it."""
    if case.kind != CaseKind.RETURN_REFUND:
        return {}
    by = beijing_now().date() + dt.timedelta(days=REFUND_WITHIN_DAYS)
    decision = {**(case.decision or {})}
    decision["deadlines"] = {**(decision.get("deadlines") or {}), "refund_by": by.isoformat()}
    return {"deadline_at": _end_of_day(by), "decision": decision}


@transaction.atomic
def case_start_inspection(*, case: Case, actor, site: str = InspectionSite.WAREHOUSE, note: str = "") -> Case:
    _require(actor, case, CASE_APPROVE)
    if site not in InspectionSite.values:
        raise CaseError(f"未知的检测地点：{site}")
    _guard(note, field="检测说明")
    return _move(_locked(case), S.INSPECTING, actor=actor, note=note or f"已送{_stored(InspectionSite(site).label)}",
                 fields={"inspection_site": site}, data=None if note else {"step": "inspection_sent", "site": site})


@transaction.atomic
def case_add_progress(*, case: Case, actor, note: str, visible_to_customer: bool = True) -> CaseEvent:
    _require(actor, case, CASE_CREATE)
    if not note.strip():
        raise CaseError("进度说明不能为空。")
    if visible_to_customer:
        _guard(note, field="进度说明")
    case = _locked(case)
    if not TRANSITIONS[case.status]:
        raise CaseError(f"售后单当前状态为「{_label(case.status)}」，已结束，不能再更新进度。")
    ev = _event(case, kind="progress", actor=actor, note=note, visible=visible_to_customer)
    if visible_to_customer:
        _notify(case, "case_progress", f"progress:{ev.pk}", {"note": note})
    return ev


@transaction.atomic
def case_record_repair_delay(*, case: Case, actor, cause: str, note: str = "") -> CaseEvent:
    """Why a repair under way takes long (三包12): `parts` — the producer has not supplied the parts; `repairer` — the
    repairer's own reasons. An internal event (`kind="repair_delay"`, `data.cause`); the case page then says when the
    repair owes the buyer a free exchange (`cases.selectors.case_repair_overdue`). The latest record stands."""
    _require(actor, case, CASE_APPROVE)
    if cause not in REPAIR_DELAY_CAUSES:
        raise CaseError(gettext("维修延误原因须为「缺零配件」或「修理者自身原因」。"), field="cause")
    case = _locked(case)
    if case.kind != CaseKind.REPAIR or case.status not in REPAIR_UNDER_WAY:
        raise CaseError(gettext("只有商品已交修、尚未办结的维修单可以记录维修延误原因。"))
    return _event(case, kind="repair_delay", actor=actor, note=note.strip(), data={"cause": cause}, visible=False)


REPAIR_OVERDUE_EVENT = "repair_overdue"


def repair_overdue_flag(case: Case) -> dict | None:
    """What the daily sweep flags on a repair case (三包12), or None: {"flag": "overdue" (a free exchange is owed: past
    90 days waiting for parts, past 30 for the repairer's own reasons) or "cause_needed" (past 30 days, no cause
    recorded: staff must say why before anything is owed), "cause", "days", "limit"}."""
    from shouhou.cases.selectors import case_repair_overdue

    found = case_repair_overdue(case)
    if found is None:
        return None
    if found["overdue"]:
        flag = "overdue"
    elif found["cause"] is None and found["days"] > min(REPAIR_OVERDUE_DAYS.values()):
        flag = "cause_needed"
    else:
        return None
    return {"flag": flag, "cause": found["cause"], "days": found["days"], "limit": found["limit"]}


def repair_overdue_sweep() -> int:
    """The daily sweep of 三包12: every repair case whose goods have been with the repairer past 30 days (counted from
    the hand-over, Asia/Shanghai) gets one internal `repair_overdue` event for what it is now — "cause_needed" (no
    cause recorded), or "overdue" with the recorded cause (a free exchange for the same model is owed) — and an audit
    record, so staff see it in the case's history and the list's 「维修超期」 filter. Idempotent: a flag already recorded
    with the same cause is not recorded again (running twice changes nothing); a cause recorded later is a new flag.
    Returns the number of events written."""
    cutoff = beijing_now() - dt.timedelta(days=min(REPAIR_OVERDUE_DAYS.values()))
    candidates = (Case.objects.filter(kind=CaseKind.REPAIR, status__in=REPAIR_UNDER_WAY)
                  .filter(Q(return_shipped_at__lt=cutoff) | Q(return_shipped_at__isnull=True, received_at__lt=cutoff))
                  .order_by("pk").values_list("pk", flat=True))
    written = 0
    for pk in list(candidates):
        with transaction.atomic():
            case = Case.objects.select_for_update(of=("self",)).select_related("shop").filter(pk=pk).first()
            if case is None or case.kind != CaseKind.REPAIR or case.status not in REPAIR_UNDER_WAY:
                continue
            flag = repair_overdue_flag(case)
            if flag is None:
                continue
            done = case.events.filter(kind=REPAIR_OVERDUE_EVENT, data__flag=flag["flag"])
            if any((d or {}).get("cause") == flag["cause"] for d in done.values_list("data", flat=True)):
                continue
            with translation.override(settings.LANGUAGE_CODE):  # the stored note is in the source language
                note = repair_overdue_note(flag)
            _event(case, kind=REPAIR_OVERDUE_EVENT, data=flag, visible=False, note=note)
            audit_record(action="case.repair_overdue", obj=case, shop=case.shop, after=flag, note=note)
            written += 1
    return written


def repair_overdue_note(data: dict) -> str:
    """A `repair_overdue` event's text in the active language (the stored note is the Chinese one)."""
    labels = {"parts": gettext("缺零配件"), "repairer": gettext("修理者自身原因")}
    if data.get("flag") == "overdue":
        return gettext("维修已 %(days)s 天（%(cause_label)s），超过 %(limit)s 天：应为顾客免费调换同型号同规格产品（三包第十二条）；顾客不愿换货的可以退货（三包第十三条）") % {
            "days": data.get("days"), "cause_label": labels.get(data.get("cause") or "", ""),
            "limit": data.get("limit")}
    return gettext("维修已 %(days)s 天：请记录延误原因（缺零配件超过 90 天、修理者自身原因超过 30 天，应免费换货，三包第十二条）") % {
        "days": data.get("days")}


def _case_policy(case: Case) -> dict:
    """The policy document the case was decided under (the shipped default for a case without a version)."""
    return parse_policy(case.policy_version.source, law=False) if case.policy_version_id else load_default_policy()


def _compensation_amount(amount, kind: str) -> Decimal:
    try:
        return positive_amount(amount, field="补偿积分" if kind == "points" else "补偿金额", points=kind == "points")
    except MoneyError as exc:
        raise CaseError(str(exc)) from None


def paid_for_case(case: Case) -> Decimal:
    """What the customer paid for what the case is about: the claimed line, else the whole order."""
    return Decimal(case.order_line.price_paid if case.order_line_id else case.order.total_paid)


def _same_purchase(case: Case):
    """The cases about what this case is about: its line's cases, or, for a case about the whole order, every
    case of the order. Compensation adds up over them (one purchase, whichever case pays)."""
    if case.order_line_id:
        return Case.objects.filter(order_line_id=case.order_line_id)
    return Case.objects.filter(order_id=case.order_id)


@dataclasses.dataclass(frozen=True)
class _Payout:
    total: Decimal  # the case's compensation once this payout is added, in its kind
    value: Decimal  # yuan: that, plus what the purchase's other cases gave or wait for a supervisor to give
    elsewhere: Decimal  # yuan the purchase's other cases gave or asked for


def _compensation_total(case: Case, kind: str, amount: Decimal) -> _Payout:
    """The case's compensation once `amount` is added: it accumulates (a second payout adds to the first,
    as the history shows both) in one kind, and, with what the purchase's other cases paid, its value never
    passes what the customer paid — for an agent or a supervisor alike (punitive damages are not a goodwill
    compensation). Locks the order's row: two payouts on one purchase at once are counted one after the other."""
    Order.objects.select_for_update().filter(pk=case.order_id).values_list("pk", flat=True).first()
    given = Decimal(case.compensation_amount or 0)
    if given and case.compensation_kind and case.compensation_kind != kind:
        raise CaseError(f"本单已发放{case.get_compensation_kind_display()}补偿，追加补偿请用同一方式。")
    total = given + amount
    paid_elsewhere, pending_elsewhere = Decimal("0"), Decimal("0")
    others = _same_purchase(case).exclude(pk=case.pk).values_list("compensation_kind", "compensation_amount",
                                                                  "status", "pending_compensation")
    for other_kind, other_amount, status, pending in others:
        if other_amount:
            paid_elsewhere += compensation_value(other_kind, other_amount)
        if status == S.AWAITING_SUPERVISOR and pending:
            # not paid yet, but the agent's limit counts it: waiting is no way around the supervisor
            pending_elsewhere += compensation_value(pending["kind"], pending["amount"])
    value = compensation_value(kind, total)
    paid = paid_for_case(case)
    if value + paid_elsewhere > paid:
        if paid_elsewhere:
            raise CaseError(gettext("补偿合计（折合 %(total)s 元，含同一商品其他售后单已发放的 %(elsewhere)s 元）"
                                    "不能超过顾客为本单实付的 %(paid)s 元。") % {
                "total": (value + paid_elsewhere).quantize(Decimal("0.01")),
                "elsewhere": paid_elsewhere.quantize(Decimal("0.01")), "paid": paid})
        raise CaseError(f"补偿合计（折合 {value.quantize(Decimal('0.01'))} 元）"
                        f"不能超过顾客为本单实付的 {paid} 元。")
    elsewhere = paid_elsewhere + pending_elsewhere
    return _Payout(total=total, value=value + elsewhere, elsewhere=elsewhere)


def _issue(case: Case, *, actor, kind: str, amount: Decimal, note: str, role: str | None = None) -> Case:
    payout = _compensation_total(case, kind, amount)
    total = payout.total
    limit = approval_limit(actor=actor, shop=case.shop, doc=_case_policy(case), role=role)  # a token: its role
    # the purchase's whole compensation decides: two small payouts are one large, on one case or on several
    if limit is not None and payout.value > limit:
        shown = f"{amount} 积分（折合 {compensation_value(kind, amount)} 元）" if kind == "points" else f"{amount} 元"
        if payout.elsewhere:
            shown += f"（连同同一商品其他售后单合计 {payout.value.quantize(Decimal('0.01'))} 元）"
        return _move(case, S.AWAITING_SUPERVISOR, actor=actor, kind="compensation_requested",
                     note=note or f"补偿 {shown}超出客服审批额度 {limit} 元，待主管审批",
                     fields={"pending_compensation": {"kind": kind, "amount": str(amount), "note": note}},
                     visible=False)
    _event(case, kind="compensation_issued", actor=actor, note=note or f"已发放补偿 {amount}",
           data={"kind": kind, "amount": str(amount)})
    Case.objects.filter(pk=case.pk).update(compensation_amount=total, compensation_kind=kind)
    case.compensation_amount, case.compensation_kind = total, kind
    audit_record(action="case.compensate", obj=case, actor=actor,
                 after={"kind": kind, "amount": str(amount), "total": str(total)})
    if case.status != S.FULFILLING:
        _move(case, S.FULFILLING, actor=actor, note="补偿已发放")
    return case


@transaction.atomic
def case_issue_compensation(*, case: Case, actor, kind: str, amount: Decimal, note: str = "",
                            role: str | None = None, given: Decimal | str | None = None) -> Case:
    """Grant compensation. `role` is the caller's role when it has no membership (an API token). `given`: the
    compensation the person saw on the case when deciding (the page sends it): a payout adds to earlier ones,
    so a form submitted twice, or a second agent issuing at the same time, must not pay twice — refused when
    the case's compensation is no longer what they saw."""
    _require(actor, case, COMPENSATE)
    from shouhou.cases.choices import CompensationKind

    if kind not in CompensationKind.values:
        raise CaseError(f"未知的补偿方式：{kind}")
    amount = _compensation_amount(amount, kind)
    _guard(note, field="补偿说明")
    case = _locked(case)
    if given is not None and str(given).strip() != "":
        try:
            seen = Decimal(str(given).strip())
        except ArithmeticError:
            seen = None
        if seen is None or not seen.is_finite() or seen != Decimal(case.compensation_amount or 0):
            raise CaseError(gettext("售后单 %(case)s 的补偿已变为 %(total)s（重复提交，或他人刚刚发放），"
                                    "本次未发放；请刷新页面确认后再操作。") % {
                "case": case.number, "total": case.compensation_amount})
    refusal = offers.compensation_refusal(case)  # the page offers the form on the same predicate
    if refusal:
        raise CaseError(refusal)
    if case.status == S.REQUESTED:
        _move(case, S.APPROVED, actor=actor, note="同意补偿")
    return _issue(case, actor=actor, kind=kind, amount=amount, note=note, role=role)


@transaction.atomic
def case_supervisor_approve(*, case: Case, actor, note: str = "") -> Case:
    _require(actor, case, COMPENSATE_ABOVE_LIMIT)
    _guard(note, field="审批说明")
    case = _locked(case)
    refusal = offers.supervisor_decision_refusal(case)
    if refusal:
        raise CaseError(refusal)
    pending = case.pending_compensation or {}
    total = None
    if pending:  # checked again: the case may have been compensated while this waited
        total = _compensation_total(case, pending["kind"],
                                    _compensation_amount(pending["amount"], pending["kind"])).total
    case = _move(case, S.FULFILLING, actor=actor, kind="supervisor_approved", note=note or "主管已批准",
                 fields={"pending_compensation": {}})
    if pending:
        amount = Decimal(pending["amount"])
        Case.objects.filter(pk=case.pk).update(compensation_amount=total, compensation_kind=pending["kind"])
        case.compensation_amount, case.compensation_kind = total, pending["kind"]
        _event(case, kind="compensation_issued", actor=actor, note=f"主管批准补偿 {amount}", data=pending)
    _decided(case, "fulfilling", actor)
    return case


@transaction.atomic
def case_supervisor_decline(*, case: Case, actor, reason: str) -> Case:
    """The supervisor refuses the pending compensation; the case goes on (an agent may offer less)."""
    _require(actor, case, COMPENSATE_ABOVE_LIMIT)
    if not reason.strip():
        raise CaseError("驳回补偿申请必须填写原因。")
    case = _locked(case)
    refusal = offers.supervisor_decision_refusal(case)
    if refusal:
        raise CaseError(refusal)
    pending = case.pending_compensation or {}
    case = _move(case, S.FULFILLING, actor=actor, kind="supervisor_declined", note=reason,
                 data={"declined": pending}, fields={"pending_compensation": {}}, visible=False)
    _decided(case, "fulfilling", actor)
    return case


@transaction.atomic
def case_record_inspection(*, case: Case, actor, result: str, note: str = "",
                           compensation_kind: str | None = None, compensation_amount: Decimal | None = None,
                           role: str | None = None) -> Case:
    """Record the inspection result. For `compensation`, kind and amount default to the decision's
    ladder suggestion."""
    from shouhou.cases.choices import CompensationKind

    _require(actor, case, CASE_APPROVE)
    if result not in Resolution.values:
        raise CaseError(f"未知的检测结论：{result}")
    _guard(note, field="检测结论说明")
    case = _locked(case)
    suggested = (case.decision or {}).get("compensation") or {}
    comp_kind = compensation_kind or suggested.get("kind") or "coupon"
    raw_amount = compensation_amount if compensation_amount is not None else suggested.get("amount")
    comp_amount = Decimal("0")
    if result == Resolution.COMPENSATION:
        if comp_kind not in CompensationKind.values:
            raise CaseError(f"未知的补偿方式：{comp_kind}")
        if raw_amount in (None, "", 0, "0"):
            raise CaseError("检测结论为补偿时须填写补偿金额（政策未给出建议金额）。")
        comp_amount = _compensation_amount(raw_amount, comp_kind)
    if case.status != S.INSPECTING:
        raise CaseError(f"售后单当前状态为「{_label(case.status)}」，只有「检测中」的售后单才能登记检测结果。")
    _event(case, kind="inspection_result", actor=actor, note=note or f"检测结论：{_stored(Resolution(result).label)}",
           data={"result": result} if note else {"result": result, "step": "inspection_result"})
    Case.objects.filter(pk=case.pk).update(inspection_result=result)
    case.inspection_result = result
    _notify(case, "case_progress", "inspection", {"note": note, "result": _stored(Resolution(result).label)})
    if result == Resolution.NONE:
        case = _move(case, S.REJECTED, actor=actor, note=note or "检测未发现质量问题",
                     fields={"resolved_at": clock.now()})
    elif result == Resolution.COMPENSATION:
        case = _issue(case, actor=actor, kind=comp_kind, amount=comp_amount, note=note, role=role)
    else:
        case = _move(case, S.FULFILLING, actor=actor, note=note or f"检测完成，安排{_stored(Resolution(result).label)}",
                     data=None if note else {"step": "fulfilling", "result": result})
    # not "rejected" for a refusal: a platform's refusal of returned goods carries the inspection's note and photos,
    # which the platforms hook reads from the case (a held 确认收货 is settled on this)
    _decided(case, "inspected", actor)
    return case


def _refund_on_resolution(case: Case, resolution: str) -> Decimal:
    """The money a case ending in `resolution` gives back. Only a refund refunds: a return and refund the
    inspection turned into a replacement, a repair or compensation refunds nothing. A refund on a case decided
    without an amount (an exchange or repair the inspection turned into a return, a recall): the claimed units'
    share of what the line has left after earlier refunds (the same money is never refunded twice)."""
    if resolution != Resolution.REFUND:
        return Decimal("0")
    amount = Decimal(case.refund_amount or 0)
    if amount or case.order_line_id is None or case.kind == CaseKind.PRICE_PROTECT:
        return amount
    facts = line_facts(case.order_line, exclude=case)
    left_units = facts.quantity - facts.units_refunded
    left_money = Decimal(facts.paid_total) - facts.refunded
    if left_units <= 0 or left_money <= 0:
        return Decimal("0")
    units = (case.claim or {}).get("return_quantity") or left_units
    units = min(units, left_units) if isinstance(units, int) else left_units
    return left_money if units == left_units else refund_share(left_money, units, left_units)


@transaction.atomic
def case_resolve(*, case: Case, actor, resolution: str | None = None, note: str = "") -> Case:
    _require(actor, case, CASE_APPROVE)
    _guard(note, field="完结说明")
    default = {CaseKind.REFUND_ONLY: Resolution.REFUND, CaseKind.RETURN_REFUND: Resolution.REFUND,
               CaseKind.PRICE_PROTECT: Resolution.REFUND, CaseKind.EXCHANGE: Resolution.REPLACEMENT,
               CaseKind.RESEND: Resolution.REPLACEMENT, CaseKind.REPAIR: Resolution.REPAIR,
               CaseKind.COMPENSATION: Resolution.COMPENSATION}
    case = _locked(case)
    if not resolution and not case.inspection_result and case.kind in RETURN_KINDS and case.received_at is None \
            and Decimal(case.compensation_amount or 0) > 0:
        # settled by a compensation before the goods came back (an agent compensated a request awaiting review):
        # it ended as that compensation, not as a refund of goods the shop never received
        resolution = Resolution.COMPENSATION
    resolution = resolution or case.inspection_result or default[case.kind]
    if resolution not in Resolution.values:
        raise CaseError(f"未知的处理结果：{resolution}")
    fields: dict[str, Any] = {"resolution": resolution, "resolved_at": clock.now()}
    refund = _refund_on_resolution(case, resolution)
    if refund != Decimal(case.refund_amount or 0):
        fields["refund_amount"] = refund
    case = _move(case, S.RESOLVED, actor=actor, note=note or f"已完结：{_stored(Resolution(resolution).label)}",
                 fields=fields, data=None if note else {"step": "resolved", "resolution": resolution})
    _notify(case, "case_resolved", "resolved", {"resolution": _stored(Resolution(resolution).label)})
    _decided(case, "resolved", actor)
    if case.customer_id:
        from shouhou.insight.services import survey_invite

        shop, customer = case.shop, case.customer
        transaction.on_commit(lambda: survey_invite(shop=shop, customer=customer, case=case))
    return case


@transaction.atomic
def case_add_evidence(*, case: Case, upload, actor, from_customer: bool = False, note: str = "") -> CaseEvidence:
    _require(actor, case, CASE_CREATE)
    from_customer = from_customer or isinstance(actor, CustomerActor)
    if not from_customer:
        _guard(note, field="凭证说明")
    if from_customer:
        if not TRANSITIONS.get(case.status):
            raise CaseError(gettext("售后单当前状态为「%(status)s」，已结束，不能再补充照片。") % {"status": _label(case.status)})
        if case.evidence.filter(from_customer=True).count() >= MAX_CUSTOMER_PHOTOS:
            raise CaseError(gettext("每个售后单最多上传 %(most)s 张照片。") % {"most": MAX_CUSTOMER_PHOTOS})
    ev = _store_photo(case, upload, actor=actor, from_customer=from_customer, note=note)
    _event(case, kind="evidence", actor=actor, note=note or "补充了照片凭证", data={"evidence_id": ev.pk})
    return ev


@transaction.atomic
def recall_launch(*, shop, actor, reason: str, product=None, sku=None, batch_no: str = "",
                  remedy: str = CaseKind.RETURN_REFUND) -> Recall:
    """Open a case for every affected order line (set-based) and queue an outreach message for each."""
    require_role(actor, shop, RECALL_LAUNCH)
    if not reason.strip():
        raise CaseError("召回必须填写原因。")
    _guard(reason, field="召回原因")
    if product is None and sku is None and not batch_no:
        raise CaseError("请至少选择商品、SKU 或批次之一。")
    for obj in (product, sku):
        if obj is not None and obj.shop_id != shop.pk:
            raise CaseError("所选商品不属于本店铺。")
    if remedy not in CaseKind.values:
        raise CaseError(f"未知的补救方式：{remedy}")
    recall = Recall.objects.create(shop=shop, product=product, sku=sku, batch_no=batch_no, reason=reason,
                                   remedy=remedy, launched_by=_user(actor))
    # a line the platform removed from its order was never delivered: nothing to recall
    lines = OrderLine.objects.filter(order__shop=shop, removed_at__isnull=True).exclude(order__status="cancelled")
    if product is not None:
        lines = lines.filter(product=product)
    if sku is not None:
        lines = lines.filter(sku=sku)
    if batch_no:
        lines = lines.filter(batch_no=batch_no)
    lines = lines.exclude(Q(cases__recall__isnull=False) & Q(cases__kind=remedy))
    rows = list(lines.select_related("order").values_list("pk", "order_id", "order__customer_id",
                                                          "order__live_session_id", "quantity", "price_paid")
                .order_by("pk"))
    # what earlier cases refunded: a line whose every unit came back and was refunded has nothing left to recall;
    # one partly refunded is recalled for the units left, and a refund gives back what is left of its price
    from shouhou.cases.selectors import lines_refunded

    before = lines_refunded(lines, {row[0]: row[4] for row in rows})
    rows = [row for row in rows if before.get(row[0], (0, 0))[0] < row[4]]
    version, _doc = policy_document(shop=shop)
    now = clock.now()
    # approved, and — goods going back (every recall remedy: return, exchange, repair) — awaiting them, as an
    # approval leaves any return case: the parcel can be registered, received and inspected (a recall case
    # left in 已同意 could only be resolved or cancelled, never take its parcel back)
    after_approval = S.AWAITING_RETURN if remedy in RETURN_KINDS else S.APPROVED

    def _left(line_id: int, quantity: int, paid) -> tuple[dict, Decimal]:
        units, money = before.get(line_id, (0, Decimal("0")))
        claim = {"return_quantity": quantity - units} if units else {}
        refund = max(Decimal(paid) - money, Decimal("0")) if remedy == CaseKind.RETURN_REFUND else Decimal("0")
        return claim, refund

    cases = Case.objects.bulk_create([
        Case(shop=shop, number=new_number("RC"), order_id=order_id, order_line_id=line_id, customer_id=customer_id,
             live_session_id=session_id, kind=remedy, reason=ClaimReason.RECALL, status=after_approval,
             auto_approved=True, description=reason, channel="recall", policy_version=version, recall=recall,
             shipping_payer="merchant", decision={"clauses": ["recall"], "explanation_zh": reason},
             claim=claim, refund_amount=refund, created_at=now, updated_at=now)
        for line_id, order_id, customer_id, session_id, quantity, paid in rows
        for claim, refund in [_left(line_id, quantity, paid)]
    ], batch_size=1000)
    if not cases:
        audit_record(action="recall.launch", obj=recall, actor=actor, after={"cases": 0})
        return recall
    ids = list(Case.objects.filter(recall=recall).values_list("pk", "customer_id").order_by("pk"))
    CaseEvent.objects.bulk_create([
        event for pk, _c in ids for event in [
            CaseEvent(case_id=pk, from_status="", to_status=S.APPROVED, kind="recall", note=reason,
                      actor=_user(actor), data={"recall_id": recall.pk}),
            *([CaseEvent(case_id=pk, from_status=S.APPROVED, to_status=after_approval, kind="transition",
                         note="请按约定方式寄回商品，运费由商家承担", actor=_user(actor))]
              if after_approval != S.APPROVED else [])]
    ], batch_size=1000)
    audit_record(action="recall.launch", obj=recall, actor=actor, after={"cases": len(ids), "reason": reason})
    from django.conf import settings
    from django_q.tasks import async_task

    recall_id, sync = recall.pk, bool(settings.Q_CLUSTER.get("sync", False))
    transaction.on_commit(lambda: async_task("shouhou.cases.tasks.recall_outreach", recall_id, sync=sync))
    return recall


def _path(start: str, goal: str, *, by_platform: bool = False) -> list[str]:
    """The shortest walk through TRANSITIONS from `start` to `goal` (empty when there is none). `by_platform`: the
    platform's own moves (PLATFORM_TRANSITIONS) may start the walk — only start it: no walk passes through a refusal."""
    frontier, seen = [[start]], {start}
    while frontier:
        walk = frontier.pop(0)
        if walk[-1] == goal:
            return walk[1:]
        for nxt in sorted(_allowed(walk[-1], by_platform=by_platform and len(walk) == 1)):
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(walk + [nxt])
    return []


def _after_refusal(step: str, goal: str, resolution: str, refund: Decimal) -> tuple[str, dict]:
    """The note and data of a platform's move out of 已拒绝 (PLATFORM_TRANSITIONS): the buyer filed again (the request
    waits for the merchant), or the platform's customer service / arbitration ruled for the buyer after the merchant
    refused."""
    if goal == S.REQUESTED:
        return "买家被拒后再次申请", {"step": "refiled_after_refusal"}
    data = {"step": "platform_after_refusal", "resolution": resolution, "refund": str(refund)}
    if step == S.RESOLVED and resolution == Resolution.REFUND:
        return f"商家拒绝后，平台（客服介入/仲裁）已退款 ¥{refund}", data
    return "商家拒绝后，平台（客服介入/仲裁）支持了买家的申请", data


def _yuan(amount) -> str:
    return f"{Decimal(str(amount)):.2f}"


def _line_taken(case: Case) -> Case | None:
    """Another open case on the case's line (one open case per line, as case_create keeps it), if any."""
    return Case.objects.filter(order_line_id=case.order_line_id, status__in=[s for s in S.values if TRANSITIONS[s]]) \
        .exclude(pk=case.pk).exclude(kind=CaseKind.COMPENSATION).first() if case.order_line_id else None


def _follow_platform_amount(case: Case, amount: Decimal, *, actor, data: dict | None) -> None:
    """The refund of an open refund case is what the buyer asks on the platform (the platform refunds that, not the
    policy's figure): set it, and say so beside the policy's amount, which stays in the decision."""
    if case.kind not in REFUND_KINDS or not TRANSITIONS[case.status] or amount == Decimal(case.refund_amount or 0):
        return
    before = Decimal(case.refund_amount or 0)
    Case.objects.filter(pk=case.pk).update(refund_amount=amount, updated_at=clock.now())
    case.refund_amount = amount
    policy = (case.decision or {}).get("refund_amount")
    amounts = {"amount": _yuan(amount), "before": _yuan(before), "policy": _yuan(policy) if policy is not None else "—"}
    _event(case, kind="platform", actor=actor, visible=False,
           note="平台申请退款金额 ¥{amount}（此前 ¥{before}，政策核定 ¥{policy}）".format(**amounts),
           data={**(data or {}), "step": "platform_amount", **amounts})
    audit_record(action="case.platform_amount", obj=case, actor=actor, before={"refund_amount": str(before)},
                 after={"refund_amount": str(amount)})


@transaction.atomic
def case_follow_platform(*, case: Case, status: str, note: str, actor, data: dict | None = None,
                         deadline_at: dt.datetime | None = None, resolution: str = "",
                         tell_customer: bool = True, refund_amount: Decimal | None = None) -> Case:
    """Bring a case to the status its shop platform reports (the platform decided, the buyer shipped,
    the refund went through) by the shortest walk of allowed transitions, each one a recorded event
    (kind "platform"). Decision hooks are not called: the decision came from the platform.
    The platform's own deadline for the current step becomes the case's deadline. `resolution`: how the platform
    says it ended when that differs from the case kind's usual end (an exchange the merchant turned into a refund
    is resolved as a refund); "" = from the kind. `actor`: the platform connector (a SystemActor).
    A case the platform closes (resolved, refused, withdrawn) needs nobody any more: its open tickets are resolved
    (the merchant refunded in the platform's back office, or the platform refunded by itself at the deadline).
    A refused case is left by the platform's moves only (PLATFORM_TRANSITIONS): refunded after all (客服介入/仲裁), or
    filed again — then it waits for the merchant again, in the agents' queue. The caller decides that the platform's
    status is newer than the refusal (platforms.services.aftersale_apply).
    `refund_amount`: the platform request's amount (yuan) — an open refund case carries it, and a refund the platform
    completed is resolved with it; None = the platform sent none (the policy's amount stays).
    `tell_customer=False`: a request already closed when first read (a back-fill) — no message."""
    _require(actor, case, CASE_APPROVE)
    case = _locked(case)
    if deadline_at is not None and case.deadline_at != deadline_at:
        Case.objects.filter(pk=case.pk).update(deadline_at=deadline_at)
        case.deadline_at = deadline_at
    # out of a refusal only towards the buyer (filed again, refunded after all): a request closed after it stays refused
    walk = _path(case.status, status, by_platform=status != S.CANCELLED) if case.status != status else []
    taken = _line_taken(case) if case.status == S.REJECTED and walk and TRANSITIONS[status] else None
    if taken is not None:
        # reopened, the line would have two open cases: the merchant follows it up in the other one
        _event(case, kind="platform", actor=actor, visible=False, data=data,
               note=f"{note}：买家被拒后再次申请，该商品已有进行中的售后单 {taken.number}，请在该单或平台后台跟进")
        event = case.events.order_by("-pk").first()
        _ask_a_person(case, key=f"refiled-{event.pk}")  # still to the queue: the platform waits for the merchant
        walk = []
    elif case.status != status and not walk:
        _event(case, kind="platform", actor=actor,
               note=f"{note}（平台状态「{_label(status)}」无法从「{_label(case.status)}」到达）", data=data, visible=False)
    refiled = False
    for step in walk:
        fields: dict[str, Any] = {}
        step_note = note if step == status else f"{note}（经过「{_stored(S(step).label)}」）"
        step_data = data
        if step in (S.RESOLVED, S.REJECTED, S.CANCELLED):
            fields["resolved_at"] = clock.now()
        elif case.status == S.REJECTED:
            fields["resolved_at"] = None  # open again
        if step == S.RESOLVED:
            fields["resolution"] = resolution if resolution in Resolution.values else {
                CaseKind.EXCHANGE: Resolution.REPLACEMENT, CaseKind.RESEND: Resolution.REPLACEMENT,
                CaseKind.REPAIR: Resolution.REPAIR, CaseKind.COMPENSATION: Resolution.COMPENSATION,
            }.get(case.kind, Resolution.REFUND)
            # as case_resolve: only a refund refunds — and what the platform refunded, when it says
            refund = (refund_amount if refund_amount and fields["resolution"] == Resolution.REFUND
                      else _refund_on_resolution(case, fields["resolution"]))
            if refund != Decimal(case.refund_amount or 0):
                fields["refund_amount"] = refund
        if case.status == S.REJECTED:
            after_note, after_data = _after_refusal(
                step, status, fields.get("resolution", ""), fields.get("refund_amount", Decimal(case.refund_amount or 0)))
            step_note, step_data = f"{after_note}（{note}）", {**(data or {}), **after_data, "platform_note": note}
            refiled = step == S.REQUESTED
        if step == S.RECEIVED:
            fields["received_at"] = clock.now()
        _move(case, step, actor=actor, note=step_note, kind="platform", data=step_data, fields=fields,
              by_platform=True)
    if refund_amount:
        _follow_platform_amount(case, refund_amount, actor=actor, data=data)
    if refiled and case.status == S.REQUESTED:
        # the merchant must see it again: into the agents' queue with its SLA clock (a platform times out an
        # unanswered request in the buyer's favour)
        _ask_a_person(case, key=f"refiled-{case.events.order_by('-pk').first().pk}")
    if not walk:
        return case
    if status in (S.RESOLVED, S.REJECTED, S.CANCELLED):
        _tickets_done(case, note=f"平台上已处理完毕：{note}", by="platforms")
    if not tell_customer:
        return case
    if status == S.RESOLVED:
        _notify(case, "case_resolved", "resolved", {"resolution": _stored(Resolution(case.resolution).label)})
    elif status == S.REJECTED:
        _notify(case, "case_rejected", "rejected", {"reason": note})
    return case


@transaction.atomic
def case_platform_note(*, case: Case, note: str, actor, data: dict | None = None, visible: bool = False) -> CaseEvent:
    """Record what the shop platform answered or reported on a case (staff read it in the history)."""
    _require(actor, case, CASE_CREATE)
    return _event(case, kind="platform", actor=actor, note=note, data=data, visible=visible)
