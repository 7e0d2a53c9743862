"""`shouhou demo --platform-sandbox [doudian|kuaishou|wechat_shop|youzan]`: one platform's sandbox beside a running
shouhou, the demo shop connected to it, and a few after-sale requests a newcomer can watch arrive, be decided, go
back and resolve.

The sandbox is a thread of the demo process, which also runs `serve` (web + worker) as its child: the two live
and stop together. Every step crosses real HTTP as in production: the sandbox pushes to the server's push URL in
its platform's format (抖店 signed JSON, 快手 an encrypted body, 微信小店 a safe-mode sealed message with its
msg_signature, 有赞 its signed body), the worker reads the request's detail from the sandbox, the policy engine
decides, the approval goes out through the outbox to the sandbox's API, and the sandbox's new status comes back by
the re-read after the action, by its status pushes and by reconciliation.

Each platform is a `DemoPlatform`: how its sandbox starts, how the demo shop connects, how its orders are numbered,
how its buyer files a request and sends goods back, and what its API cannot do (printed for the newcomer)."""

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

STATUS_WORDS = dict(CaseStatus.choices)
AUTO_PRICE = Decimal("300")  # the default policy approves automatically up to this unit price (auto_approve.max_price)
# 有赞 takes the return address written out (收货人|手机号|地址), not an address-book id
YOUZAN_SANDBOX_ADDRESS = "沙箱仓库|13800000000|浙江省杭州市沙箱路 1 号"

# A push the app answers 5xx (busy for a moment) is tried again, as the platforms do; the demo's sandboxes
# retry three times within a few seconds.
PUSH_RETRIES = 3


@dataclass
class Scenario:
    """One request the sandbox's buyer files, what it shows, and how far it goes on its own."""

    key: str  # refund (not shipped, refund only) | return (return & refund) | lost (shipped, refund only, push lost)
    title: str
    reason: str  # the buyer's reason as the platform words it (有赞: as the demo describes it)
    order_state: str  # the shop order's state when the buyer asks: "paid" (not shipped) or "delivered"
    pushed: bool  # False: the push is "lost" and reconciliation finds it
    until: tuple[str, ...]  # the case statuses at which the demo stops watching it
    next_step: str  # what the newcomer does next on the case page
    buyer_returns: bool = False  # once approved, the buyer sends the goods back on the platform
    aftersale_id: str = ""
    line: OrderLine | None = None
    case_id: int | None = None
    seen: list[str] = field(default_factory=list)


class DemoPlatform:
    """The demo's view of one platform's sandbox. Subclasses fill the platform's shapes."""

    platform = ""
    label = ""
    push_words = ""  # how the sandbox pushes, said once before the requests
    api = ""  # the API the approvals go to, as the printed steps name it
    waiting_status: object = None  # the sandbox status of a return approved and waiting for the buyer
    limits: tuple[str, ...] = ()  # what this platform's API cannot do, printed for the newcomer
    box = None

    def start(self, *, port: int, push_url: str):
        """Start this platform's sandbox, pushing to `push_url`; a push the app answers 5xx is tried again."""
        self.box = self.sandbox(port=port, push_url=push_url).start()
        self.box.push_retries = PUSH_RETRIES
        return self.box

    def sandbox(self, *, port: int, push_url: str):
        raise NotImplementedError

    def connect(self, shop: Shop) -> PlatformConnection:
        raise NotImplementedError

    def numbers(self, base: int, n: int) -> tuple[str, str]:
        """(order number, line key) as the platform numbers them."""
        order_no = str(base + n * 10)
        return order_no, str(int(order_no) + 1)

    def file(self, item: Scenario, line: OrderLine) -> None:
        """The sandbox's buyer files `item` on `line` (no push yet), under `item.aftersale_id`."""
        raise NotImplementedError

    def push(self, item: Scenario) -> None:
        raise NotImplementedError

    def status(self, item: Scenario):
        raise NotImplementedError

    def buyer_returns(self, item: Scenario) -> str:
        """The buyer ships the goods back on the platform; the words printed for it."""
        raise NotImplementedError

    def answer_code(self, answer: dict) -> str:
        for key in ("code", "result", "errcode", "is_success"):
            if key in (answer or {}):
                return str(answer[key])
        return "ok"

    def scenarios(self) -> list[Scenario]:
        raise NotImplementedError

    def _connect(self, shop: Shop, *, return_address_id: str, **credentials) -> PlatformConnection:
        conn = services.connection_connect(shop=shop, actor=SYSTEM, platform=self.platform, api_base=self.box.url,
                                           backfill=False, **credentials)
        # no inspection step in the demo's flow: 确认收货 goes back at once (the platform refunds, the case resolves)
        return services.connection_settings(conn=conn, actor=SYSTEM, push_auto_decisions=True, auto_refund_limit=0,
                                            return_address_id=return_address_id, inspect_returns=False)

    def _scenarios(self, refund: str, ret: str, lost: str, *, received: str) -> list[Scenario]:
        """The three requests every platform's demo files: words per platform, the same path."""
        label = self.label
        return [
            Scenario("refund", f"{refund}：政策自动通过，同意退款回传{label}，平台退款后结案", "七天无理由退款",
                     "paid", True, (CaseStatus.RESOLVED,), f"已结案：在案件页看{label}的答复和时间线"),
            Scenario("return", f"{ret}：政策自动通过并回传{label}，买家在{label}寄回", "七天无理由退货",
                     "delivered", True, (CaseStatus.IN_TRANSIT_BACK,),
                     f"买家已寄回：在案件页点「确认收货」，{received}，平台退款后结案", buyer_returns=True),
            Scenario("lost", f"{lost}：推送丢失，由对账找回，等客服决定", "不想要了",
                     "delivered", False, (CaseStatus.REQUESTED, CaseStatus.APPROVED, CaseStatus.RESOLVED),
                     f"等客服决定：在案件页点「同意」或「拒绝并回传平台」，决定回传{label}"),
        ]


class DoudianDemo(DemoPlatform):
    platform, label, api, waiting_status = "doudian", "抖店", "afterSale/operate", 7
    push_words = "沙箱按抖店的方式签名推送 event-sign"
    TYPES = {"refund": 2, "return": 0, "lost": 1}  # 2 未发货仅退款, 0 退货退款, 1 已发货仅退款

    def sandbox(self, *, port: int, push_url: str):
        from shouhou.platforms.sandbox.doudian import DoudianSandbox

        # as the real platform does, the sandbox pushes each status change its operate causes
        return DoudianSandbox(port=port, push_url=push_url, push_on_operate=True)

    def connect(self, shop: Shop) -> PlatformConnection:
        from shouhou.platforms.sandbox.doudian import ADDRESSES

        return self._connect(shop, app_key=self.box.app_key, app_secret=self.box.app_secret,
                             platform_shop_id=self.box.shop_id, return_address_id=str(ADDRESSES[0]["address_id"]))

    def file(self, item: Scenario, line: OrderLine) -> None:
        record = self.box.add_aftersale(
            order_id=line.order.order_no, sku_order_id=line.line_key, aftersale_type=self.TYPES[item.key],
            reason=item.reason, refund_amount=int(line.price_paid * 100), push=False, aftersale_id=item.aftersale_id)
        record.product_name = line.product.name if line.product_id else record.product_name

    def push(self, item: Scenario) -> None:
        self.box.push_aftersale("200", self.box.aftersales[item.aftersale_id])

    def status(self, item: Scenario):
        return self.box.aftersales[item.aftersale_id].status

    def buyer_returns(self, item: Scenario) -> str:
        self.box.buyer_returns(item.aftersale_id)  # 抖店 pushes tag 203
        return "买家在抖店填写退货单号寄回（推送 203）"

    def scenarios(self) -> list[Scenario]:
        return self._scenarios("未发货仅退款（七天无理由）", "退货退款（七天无理由）", "已发货仅退款（不想要了）",
                               received="确认收货回传抖店")


class KuaishouDemo(DemoPlatform):
    platform, label, waiting_status = "kuaishou", "快手", 30
    api = "open.seller.order.refund.approve / returngoods.approve / confirm.receipt"
    push_words = "沙箱按快手的方式推送：消息体用消息密钥 AES 加密"
    limits = ("快手没有补寄发货和仲裁凭证的开放接口：案件页给出快手后台链接，在后台处理",
              "快手售后单没有可读的平台处理时限：案件用店铺政策的时限",
              "沙箱回传后不推送状态变更：shouhou 在每次回传后重新读取售后单，跟上快手的状态")
    WAYS = {"refund": 10, "return": 1, "lost": 10}  # handlingWay: 10 仅退款, 1 退货退款

    def sandbox(self, *, port: int, push_url: str):
        from shouhou.platforms.sandbox.kuaishou import KuaishouSandbox

        return KuaishouSandbox(port=port, push_url=push_url)

    def connect(self, shop: Shop) -> PlatformConnection:
        from shouhou.platforms.sandbox.kuaishou import ADDRESSES

        return self._connect(shop, app_key=self.box.app_key, app_secret=self.box.app_secret,
                             platform_shop_id=self.box.seller_id, code="sandbox-code",
                             extra_secrets={"sign_secret": self.box.sign_secret, "msg_secret": self.box.msg_secret},
                             return_address_id=str(ADDRESSES[0]["addressId"]))

    def numbers(self, base: int, n: int) -> tuple[str, str]:
        order_no = str(base + n * 10)  # one item per 快手 order: the request names the order only
        return order_no, order_no

    def file(self, item: Scenario, line: OrderLine) -> None:
        self.box.add_refund(order_id=line.order.order_no, handling_way=self.WAYS[item.key],
                            refund_fee=int(line.price_paid * 100), reason=item.reason, push=False,
                            refund_id=item.aftersale_id)

    def push(self, item: Scenario) -> None:
        self.box.push_refund("kwaishop_aftersales_addRefund", self.box.refunds[item.aftersale_id])

    def status(self, item: Scenario):
        return self.box.refunds[item.aftersale_id].status

    def buyer_returns(self, item: Scenario) -> str:
        self.box.buyer_returns(item.aftersale_id)  # status 40, kwaishop_aftersales_updateRefund pushed
        return "买家在快手填写退货单号寄回（推送 kwaishop_aftersales_updateRefund）"

    def scenarios(self) -> list[Scenario]:
        return self._scenarios("未发货仅退款（七天无理由）", "退货退款（七天无理由）", "已发货仅退款（不想要了）",
                               received="确认收货回传快手")


class WechatShopDemo(DemoPlatform):
    platform, label, waiting_status = "wechat_shop", "微信小店", "USER_WAIT_RETURN"
    api = "channels/ec/aftersale/acceptapply"
    push_words = "沙箱按微信小店的安全模式推送：消息用 EncodingAESKey 加密，带 msg_signature 签名（JSON）"
    limits = ("微信小店没有补寄类型的售后单，也没有补寄发货接口",
              "微信小店没有单个售后单的后台直达链接：在 https://store.weixin.qq.com/ 的售后里搜索售后单号")
    KINDS = {"refund": "REFUND", "return": "RETURN", "lost": "REFUND"}

    def sandbox(self, *, port: int, push_url: str):
        from shouhou.platforms.sandbox.wechat_shop import WechatShopSandbox

        return WechatShopSandbox(port=port, push_url=push_url, fmt="json")

    def connect(self, shop: Shop) -> PlatformConnection:
        from shouhou.platforms.sandbox.wechat_shop import ADDRESSES

        return self._connect(shop, app_key=self.box.app_id, app_secret=self.box.app_secret,
                             platform_shop_id=self.box.username,
                             extra_secrets={"sign_secret": self.box.push_token, "msg_secret": self.box.aes_key},
                             return_address_id=next(iter(ADDRESSES)))

    def file(self, item: Scenario, line: OrderLine) -> None:
        self.box.add_aftersale(order_id=line.order.order_no, sku_id=line.line_key, kind=self.KINDS[item.key],
                               amount=int(line.price_paid * 100), reason=item.reason, push=False,
                               aftersale_id=item.aftersale_id)

    def push(self, item: Scenario) -> None:
        self.box.push_update(self.box.aftersales[item.aftersale_id])

    def status(self, item: Scenario):
        return self.box.aftersales[item.aftersale_id].status

    def buyer_returns(self, item: Scenario) -> str:
        self.box.buyer_returns(item.aftersale_id)  # MERCHANT_WAIT_RECEIPT, channels_ec_aftersale_update pushed
        return "买家在微信小店填写退货单号寄回（推送 channels_ec_aftersale_update）"

    def scenarios(self) -> list[Scenario]:
        plan = self._scenarios("未发货仅退款（七天无理由）", "退货退款（七天无理由）", "已发货仅退款（不想要了）",
                               received="确认收货（再次同意）回传微信小店")
        for item in plan:
            item.reason = "七天无理由" if item.key != "lost" else item.reason  # reason_text as 微信小店 words it
        return plan


class YouzanDemo(DemoPlatform):
    platform, label, waiting_status = "youzan", "有赞", "WAIT_BUYER_RETURN_GOODS"
    api = "youzan.trade.refund.agree / youzan.trade.returngoods.agree"
    push_words = "沙箱按有赞的方式推送：Event-Sign 签名，消息体里的 sign 也校验"
    limits = ("有赞没有换货、补寄和仲裁凭证的开放接口：在有赞后台 https://www.youzan.com/v4/trade/refunds 处理",
              "有赞售后单没有平台处理时限：案件用店铺政策的时限")
    DEMANDS = {"refund": 1, "return": 2, "lost": 1}  # demand: 1 仅退款, 2 退货退款
    REASONS = {"refund": 12, "return": 104, "lost": 17}  # 12/104 拍错/多拍/不喜欢 (no reason), 17 其他

    def sandbox(self, *, port: int, push_url: str):
        from shouhou.platforms.sandbox.youzan import YouzanSandbox

        return YouzanSandbox(port=port, push_url=push_url)

    def connect(self, shop: Shop) -> PlatformConnection:
        return self._connect(shop, app_key=self.box.client_id, app_secret=self.box.client_secret,
                             platform_shop_id=self.box.kdt_id, return_address_id=YOUZAN_SANDBOX_ADDRESS)

    def numbers(self, base: int, n: int) -> tuple[str, str]:
        order_no = str(base + n * 10)
        return f"E{order_no}", str(int(order_no) + 1)  # 有赞 order numbers (tid) start with E; oid digits

    def file(self, item: Scenario, line: OrderLine) -> None:
        self.box.add_refund(tid=line.order.order_no, oid=line.line_key, demand=self.DEMANDS[item.key],
                            refund_fee=f"{line.price_paid:.2f}", reason=self.REASONS[item.key], push=False,
                            refund_id=item.aftersale_id)

    def push(self, item: Scenario) -> None:
        self.box.push_refund("trade_refund_BuyerCreated", self.box.refunds[item.aftersale_id])

    def status(self, item: Scenario):
        return self.box.refunds[item.aftersale_id].status

    def buyer_returns(self, item: Scenario) -> str:
        self.box.buyer_returns(item.aftersale_id)  # WAIT_SELLER_CONFIRM_GOODS, trade_refund_RefundBuyerReturnGoods
        return "买家在有赞填写退货单号寄回（推送 trade_refund_RefundBuyerReturnGoods）"

    def scenarios(self) -> list[Scenario]:
        plan = self._scenarios("仅退款（未发货，拍错/不喜欢）", "退货退款（拍错/不喜欢）", "已发货仅退款（其他原因）",
                               received="同意退款回传有赞")
        for item in plan:
            item.reason = {"refund": "拍错/多拍/不喜欢", "return": "拍错/多拍/不喜欢", "lost": "其他"}[item.key]
        return plan


PLATFORMS: dict[str, type[DemoPlatform]] = {"doudian": DoudianDemo, "kuaishou": KuaishouDemo,
                                            "wechat_shop": WechatShopDemo, "youzan": YouzanDemo}


def demo_platform(platform: str) -> DemoPlatform:
    return PLATFORMS[platform]()


def platform_orders(shop: Shop, states: list[str], kind: DemoPlatform) -> list[OrderLine]:
    """One order of the shop on the platform per state ("delivered": signed for yesterday, inside the 7-day
    no-reason window however old the demo data is; "paid": not shipped yet), one line each under the policy's
    automatic-approval price, copied from the demo's own products, customers and prices. Numbered as the platform
    numbers orders and lines, new on every run."""
    templates = list(OrderLine.objects.filter(order__shop=shop, price_paid__gt=0, price_paid__lte=AUTO_PRICE,
                                              quantity=1, product__isnull=False, order__customer__isnull=False)
                     .select_related("order", "order__customer", "product", "sku").order_by("pk")[:len(states)])
    now = clock.now().replace(microsecond=0)
    base = 6_950_000_000_000_000 + int(time.time()) % 10**9 * 1000
    lines = []
    with transaction.atomic():
        for n, (tpl, state) in enumerate(zip(templates, states, strict=False)):
            order_no, line_key = kind.numbers(base, n)
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
                shop=shop, order=order, line_key=line_key, product=tpl.product, sku=tpl.sku,
                product_name=tpl.product_name, spec=tpl.spec, category=tpl.category, quantity=1, price_paid=price,
                batch_no=tpl.batch_no))
    return lines


def file_requests(kind: DemoPlatform, plan: list[Scenario], lines: list[OrderLine]) -> None:
    """The sandbox's buyers file their requests; each arrives by push unless its scenario loses it.
    Request ids are new on every run (the sandbox keeps nothing between runs, shouhou does)."""
    base = 7_300_000_000_000_000 + int(time.time()) % 10**9 * 100
    for n, (item, line) in enumerate(zip(plan, lines, strict=False)):
        item.line, item.aftersale_id = line, str(base + n)
        kind.file(item, line)
        if item.pushed:
            kind.push(item)


def intro(kind: DemoPlatform, plan: list[Scenario]) -> list[str]:
    """What the newcomer reads before the requests arrive: the requests, and what the platform's API cannot do."""
    lines = [f"\n{kind.label}买家发起售后（{kind.push_words}）："] + [f"  - {item.title}" for item in plan]
    if kind.limits:
        lines.append(f"{kind.label}接口做不到的（演示里不出现，案件页会说明）：")
        lines += [f"  · {limit}" for limit in kind.limits]
    return lines


def _step(item: Scenario, text: str, say: Callable[[str], None]) -> None:
    if text not in item.seen:
        item.seen.append(text)
        say(f"  [{item.aftersale_id}] {text}")


def observe(item: Scenario, kind: DemoPlatform, say: Callable[[str], None]) -> bool:
    """Say what is new for one request; True once it reached where its scenario stops on its own."""
    link = (PlatformAftersale.objects.filter(connection__platform=kind.platform, aftersale_id=item.aftersale_id)
            .select_related("case").first())
    if link is None or link.case is None:
        return False
    case = link.case
    item.case_id = case.pk
    label = kind.label
    _step(item, f"案件 #{case.pk} 已建立（{label}售后单 {link.aftersale_id}，订单 {link.order_id}）", say)
    if case.auto_approved:
        _step(item, "政策引擎：自动通过", say)
    for action in OutboundAction.objects.filter(aftersale=link).order_by("pk"):
        _step(item, f"已排队回传：{action.get_kind_display()}", say)
        if action.status == "done":
            _step(item, f"{label}已受理：{action.get_kind_display()}（{kind.api} 答复 "
                        f"{kind.answer_code(action.answer)}）", say)
    sandbox_status = kind.status(item)
    _step(item, f"{label}售后状态 {sandbox_status}；案件状态：{STATUS_WORDS.get(case.status, case.status)}", say)
    if item.buyer_returns and sandbox_status == kind.waiting_status and case.status == CaseStatus.AWAITING_RETURN:
        _step(item, kind.buyer_returns(item), say)
    return case.status in item.until


def wait_for(plan: list[Scenario], kind: DemoPlatform, say: Callable[[str], None], *, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        try:
            done = [observe(item, kind, say) for item in plan if item.aftersale_id]
        except OperationalError:  # SQLite busy while serve and the worker write: look again
            done = [False]
        if all(done):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.3)


def case_of(item: Scenario) -> Case | None:
    return Case.objects.filter(pk=item.case_id).first() if item.case_id else None
