"""Exception rules as a pure function: which exception (if any) a shipment shows at `at`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shouhou.commerce.choices import ShipmentStatus as St
from shouhou.logistics.models import ExceptionKind


@dataclass(frozen=True)
class Rules:
    no_movement_hours: int = 48
    out_for_delivery_hours: int = 24
    delivery_failed: bool = True
    returned: bool = True
    dispatch_late: bool = True


@dataclass(frozen=True)
class ShipmentFacts:
    status: str
    promised_ship_by: datetime | None
    shipped_at: datetime | None
    last_event_at: datetime | None
    is_return: bool = False
    # the order was cancelled (refunded before dispatch: 未发货仅退款, 已取消 in an export; or intercepted on its way):
    # nothing is late to ship, and its parcel coming back is what the cancellation asked for
    order_cancelled: bool = False


# On its way: an electronic waybill (INFO_RECEIVED, "已下单，等待揽收") is not — until the courier collects it, it
# is late dispatch that matters, not "no movement" (docs/logistics.md)
MOVING = {St.PICKED_UP, St.IN_TRANSIT}


def exception_for(facts: ShipmentFacts, rules: Rules, at: datetime) -> tuple[str, str] | None:
    """(kind, detail in Chinese) or None."""
    if facts.is_return:
        return None
    if facts.status == St.SIGNED:
        return None
    if facts.order_cancelled and facts.status in (St.PENDING, St.INFO_RECEIVED, St.RETURNED):
        return None  # never shipped, or sent back as the cancellation asked (拦截退回): nothing went wrong
    if facts.status == St.PENDING:
        if rules.dispatch_late and facts.promised_ship_by and facts.shipped_at is None and at > facts.promised_ship_by:
            return ExceptionKind.DISPATCH_LATE, "超过承诺发货时间仍未发货"
        return None
    if facts.status == St.INFO_RECEIVED:  # a label printed, never collected
        if rules.dispatch_late and facts.promised_ship_by and at > facts.promised_ship_by:
            return ExceptionKind.DISPATCH_LATE, "已打印面单但快递超过承诺发货时间仍未揽收"
        return None
    if facts.status == St.DELIVERY_FAILED and rules.delivery_failed:
        return ExceptionKind.DELIVERY_FAILED, "派送未成功"
    if facts.status == St.RETURNED and rules.returned:
        return ExceptionKind.RETURNED, "包裹被退回"
    if facts.status == St.EXCEPTION:
        return ExceptionKind.CARRIER_EXCEPTION, "快递标记为异常件"
    last = facts.last_event_at or facts.shipped_at
    if last is None:
        return None
    if facts.status == St.OUT_FOR_DELIVERY and at - last > timedelta(hours=rules.out_for_delivery_hours):
        return ExceptionKind.OUT_FOR_DELIVERY_TOO_LONG, f"派送中超过{rules.out_for_delivery_hours}小时"
    if facts.status in MOVING and at - last > timedelta(hours=rules.no_movement_hours):
        return ExceptionKind.NO_MOVEMENT, f"超过{rules.no_movement_hours}小时没有新的物流信息"
    return None
