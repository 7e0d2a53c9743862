"""`shouhou demo --platform-sandbox`: the 抖店 sandbox beside a running shouhou, the demo shop connected to it,
and a few after-sale requests a newcomer can watch arrive, be decided, go back and resolve.

The sandbox is a thread of the demo process, which also runs `serve` (web + worker) as its child: the two live
and stop together. Every step crosses real HTTP as in production: the sandbox pushes to the server's push URL
(signed as 抖店 signs), the worker reads the request's detail from the sandbox, the policy engine decides, the
approval goes out through the outbox to the sandbox's afterSale/operate, and the sandbox's new status comes
back by its status push and by reconciliation."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import OperationalError, transaction

from shouhou.accounts.actors import SYSTEM
from shouhou.cases.choices import CaseStatus
from shouhou.cases.models import Case
from shouhou.commerce.choices import Carrier, OrderStatus, ShipmentStatus
from shouhou.commerce.models import Order, OrderLine, Shipment, Shop
from shouhou.core import clock
from shouhou.platforms import services
from shouhou.platforms.models import OutboundAction, PlatformAftersale, PlatformConnection
from shouhou.platforms.sandbox.doudian import ADDRESSES, DoudianSandbox, SandboxAftersale

STATUS_WORDS = dict(CaseStatus.choices)
AUTO_PRICE = Decimal("300")  # the default policy approves automatically up to this unit price (auto_approve.max_price)


@dataclass
class Scenario:
    """One request the sandbox's buyer files, what it shows, and how far it goes on its own."""

    key: str
    title: str
    aftersale_type: int  # 0 退货退款, 1 已发货仅退款, 2 未发货仅退款
    reason: str
    order_state: str  # the shop order's state when the buyer asks: "paid" (not shipped) or "delivered"
    pushed: bool  # False: the push is "lost" and reconciliation finds it
    until: tuple[str, ...]  # the case statuses at which the demo stops watching it
    next_step: str  # what the newcomer does next on the case page
    buyer_returns: bool = False  # once approved, the buyer sends the goods back on the platform
    record: SandboxAftersale | None = None
    line: OrderLine | None = None
    case_id: int | None = None
    seen: list[str] = field(default_factory=list)


def scenarios() -> list[Scenario]:
    return [
        Scenario("refund", "未发货仅退款（七天无理由）：政策自动通过，同意退款回传抖店，平台退款后结案", 2, "七天无理由退款",
                 "paid", True, (CaseStatus.RESOLVED,), "已结案：在案件页看抖店的答复和时间线"),
        Scenario("return", "退货退款（七天无理由）：政策自动通过并回传抖店，买家在抖店寄回", 0, "七天无理由退货",
                 "delivered", True, (CaseStatus.IN_TRANSIT_BACK,),
                 "买家已寄回：在案件页点「确认收货」，确认收货回传抖店，平台退款后结案", buyer_returns=True),
        Scenario("lost", "已发货仅退款（不想要了）：推送丢失，由对账找回，等客服决定", 1, "不想要了",
                 "delivered", False, (CaseStatus.REQUESTED, CaseStatus.APPROVED, CaseStatus.RESOLVED),
                 "等客服决定：在案件页点「同意」或「拒绝并回传平台」，决定回传抖店"),
    ]


def sandbox_start(*, port: int, push_url: str) -> DoudianSandbox:
    # as the real platform does, the sandbox pushes each status change its operate causes
    return DoudianSandbox(port=port, push_url=push_url, push_on_operate=True).start()


def connect(shop: Shop, box: DoudianSandbox) -> PlatformConnection:
    """The demo shop connected to the sandbox as a self-built app, automatic approvals sent back to it."""
    conn = services.connection_connect(shop=shop, actor=SYSTEM, platform="doudian", app_key=box.app_key,
                                       app_secret=box.app_secret, platform_shop_id=box.shop_id, api_base=box.url,
                                       backfill=False)
    return services.connection_settings(conn=conn, actor=SYSTEM, push_auto_decisions=True, auto_refund_limit=0,
                                        return_address_id=str(ADDRESSES[0]["address_id"]))


def platform_orders(shop: Shop, states: list[str]) -> list[OrderLine]:
    """One 抖店 order of the shop per state ("delivered": signed for yesterday, inside the 7-day no-reason
    window however old the demo data is; "paid": not shipped yet), one line each under the policy's
    automatic-approval price, copied from the demo's own products, customers and prices. Numbered as 抖店
    numbers orders and sku orders (digits), new on every run."""
    templates = list(OrderLine.objects.filter(order__shop=shop, price_paid__gt=0, price_paid__lte=AUTO_PRICE,
                                              quantity=1, product__isnull=False, order__customer__isnull=False)
                     .select_related("order", "order__customer", "product", "sku").order_by("pk")[:len(states)])
    now = clock.now().replace(microsecond=0)
    base = 6_950_000_000_000_000 + int(time.time()) % 10**9 * 1000
    lines = []
    with transaction.atomic():
        for n, (tpl, state) in enumerate(zip(templates, states, strict=False)):
            order_no = str(base + n * 10)
            price = tpl.price_paid
            delivered = state == "delivered"
            order = Order.objects.create(
                shop=shop, order_no=order_no, customer=tpl.order.customer,
                status=OrderStatus.DELIVERED if delivered else OrderStatus.PAID,
                placed_at=now - dt.timedelta(days=3), paid_at=now - dt.timedelta(days=3, minutes=-2),
                shipped_at=now - dt.timedelta(days=2) if delivered else None,
                delivered_at=now - dt.timedelta(days=1) if delivered else None, total_paid=price,
                receiver_name=tpl.order.receiver_name, receiver_phone=tpl.order.receiver_phone,
                address=tpl.order.address)
            if delivered:
                Shipment.objects.create(shop=shop, order=order, carrier=Carrier.ZTO, tracking_no=f"ZT{order_no[-12:]}",
                                        status=ShipmentStatus.SIGNED, shipped_at=order.shipped_at,
                                        signed_at=order.delivered_at, last_event_at=order.delivered_at)
            lines.append(OrderLine.objects.create(
                shop=shop, order=order, line_key=str(int(order_no) + 1), product=tpl.product, sku=tpl.sku,
                product_name=tpl.product_name, spec=tpl.spec, category=tpl.category, quantity=1, price_paid=price,
                batch_no=tpl.batch_no))
    return lines


def file_requests(box: DoudianSandbox, plan: list[Scenario], lines: list[OrderLine]) -> None:
    """The sandbox's buyers file their requests; each arrives by push unless its scenario loses it.
    Request ids are new on every run (the sandbox keeps nothing between runs, shouhou does)."""
    base = 7_300_000_000_000_000 + int(time.time()) % 10**9 * 100
    for n, (item, line) in enumerate(zip(plan, lines, strict=False)):
        item.line = line
        item.record = box.add_aftersale(
            order_id=line.order.order_no, sku_order_id=line.line_key, aftersale_type=item.aftersale_type,
            reason=item.reason, refund_amount=int(line.price_paid * 100), push=False, aftersale_id=str(base + n))
        item.record.product_name = line.product.name if line.product_id else item.record.product_name
        if item.pushed:
            box.push_aftersale("200", item.record)


def _step(item: Scenario, text: str, say: Callable[[str], None]) -> None:
    if text not in item.seen:
        item.seen.append(text)
        say(f"  [{item.record.aftersale_id}] {text}")


def observe(item: Scenario, box: DoudianSandbox, say: Callable[[str], None]) -> bool:
    """Say what is new for one request; True once it reached where its scenario stops on its own."""
    link = PlatformAftersale.objects.filter(aftersale_id=item.record.aftersale_id).select_related("case").first()
    if link is None or link.case is None:
        return False
    case = link.case
    item.case_id = case.pk
    _step(item, f"案件 #{case.pk} 已建立（抖店售后单 {link.aftersale_id}，订单 {link.order_id}）", say)
    if case.auto_approved:
        _step(item, "政策引擎：自动通过", say)
    for action in OutboundAction.objects.filter(aftersale=link).order_by("pk"):
        _step(item, f"已排队回传：{action.get_kind_display()}", say)
        if action.status == "done":
            _step(item, f"抖店已受理：{action.get_kind_display()}（afterSale/operate 答复 {action.answer.get('code')}）", say)
    sandbox_status = box.aftersales[item.record.aftersale_id].status
    _step(item, f"抖店售后状态 {sandbox_status}；案件状态：{STATUS_WORDS.get(case.status, case.status)}", say)
    if item.buyer_returns and sandbox_status == 7 and case.status == CaseStatus.AWAITING_RETURN:
        box.buyer_returns(item.record.aftersale_id)  # the buyer ships the goods back: 抖店 pushes tag 203
        _step(item, "买家在抖店填写退货单号寄回（推送 203）", say)
    return case.status in item.until


def wait_for(plan: list[Scenario], box: DoudianSandbox, say: Callable[[str], None], *, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        try:
            done = [observe(item, box, say) for item in plan if item.record is not None]
        except OperationalError:  # SQLite busy while serve and the worker write: look again
            done = [False]
        if all(done):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.3)


def case_of(item: Scenario) -> Case | None:
    return Case.objects.filter(pk=item.case_id).first() if item.case_id else None
