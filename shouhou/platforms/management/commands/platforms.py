"""`shouhou platforms sandbox`: run a local platform sandbox (抖店, 快手, 微信小店 or 有赞), connect a shop to it and
(optionally) let a buyer file an after-sale request, so a newcomer can watch it arrive, be decided, go back
and resolve.

    shouhou serve                                                          # in one terminal
    shouhou platforms sandbox --connect --request                          # 抖店 (the default)
    shouhou platforms sandbox --platform kuaishou --connect --request      # 快手小店
    shouhou platforms sandbox --platform wechat_shop --connect --request   # 微信小店
    shouhou platforms sandbox --platform youzan --connect --request        # 有赞
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

LABELS = {"doudian": "抖店", "kuaishou": "快手", "wechat_shop": "微信小店", "youzan": "有赞"}
# 有赞 takes the return address written out (收货人|手机号|地址), not an address-book id
YOUZAN_SANDBOX_ADDRESS = "沙箱仓库|13800000000|浙江省杭州市沙箱路 1 号"


def start_sandbox(platform: str, *, port: int, push_url: str, status_push: bool):
    """The sandbox of one platform, started, and the arguments that connect a shop to it."""
    if platform == "doudian":
        from shouhou.platforms.sandbox.doudian import DoudianSandbox

        box = DoudianSandbox(port=port, push_url=push_url, push_on_operate=status_push).start()
        return box, {"app_key": box.app_key, "app_secret": box.app_secret, "platform_shop_id": box.shop_id}
    if platform == "kuaishou":
        from shouhou.platforms.sandbox.kuaishou import KuaishouSandbox

        box = KuaishouSandbox(port=port, push_url=push_url).start()
        return box, {"app_key": box.app_key, "app_secret": box.app_secret, "platform_shop_id": box.seller_id,
                     "code": "sandbox-code",
                     "extra_secrets": {"sign_secret": box.sign_secret, "msg_secret": box.msg_secret}}
    if platform == "youzan":
        from shouhou.platforms.sandbox.youzan import YouzanSandbox

        box = YouzanSandbox(port=port, push_url=push_url).start()
        return box, {"app_key": box.client_id, "app_secret": box.client_secret, "platform_shop_id": box.kdt_id}
    from shouhou.platforms.sandbox.wechat_shop import WechatShopSandbox

    box = WechatShopSandbox(port=port, push_url=push_url).start()
    return box, {"app_key": box.app_id, "app_secret": box.app_secret, "platform_shop_id": box.username,
                 "extra_secrets": {"sign_secret": box.push_token, "msg_secret": box.aes_key}}


def file_request(platform: str, box, line):
    """The sandbox's buyer asks for a return on `line`; returns (request id, the push's HTTP response)."""
    fen = int(line.price_paid * 100)
    if platform == "doudian":
        record = box.add_aftersale(order_id=line.order.order_no, sku_order_id=line.line_key, aftersale_type=0,
                                   refund_amount=fen, push=False)
        return record.aftersale_id, lambda: box.push_aftersale("200", record)
    if platform == "kuaishou":
        refund = box.add_refund(order_id=line.order.order_no, handling_way=1, refund_fee=fen, push=False)
        return refund.refund_id, lambda: box.push_refund("kwaishop_aftersales_addRefund", refund)
    if platform == "youzan":
        record = box.add_refund(tid=line.order.order_no, oid=line.line_key, demand=2, reason=104,
                                refund_fee=str(line.price_paid), push=False)
        return record.refund_id, lambda: box.push_refund("trade_refund_BuyerCreated", record)
    record = box.add_aftersale(order_id=line.order.order_no, sku_id=line.line_key, kind="RETURN", amount=fen,
                               push=False)
    return record.aftersale_id, lambda: box.push_update(record)


class Command(BaseCommand):
    help = "平台对接工具：sandbox 运行本地平台沙箱（抖店、快手、微信小店、有赞）"

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["sandbox"])
        parser.add_argument("--platform", choices=sorted(LABELS), default="doudian", help="沙箱平台（默认抖店）")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--push-url", default="",
                            help="shouhou 的推送地址（默认 http://127.0.0.1:8000/platforms/<平台>/push/）")
        parser.add_argument("--shop", default="", help="店铺代码（默认第一个店铺）")
        parser.add_argument("--connect", action="store_true", help="把店铺连接到沙箱并回填")
        parser.add_argument("--auto-push", action="store_true", help="开启“自动通过的决定回传平台”")
        parser.add_argument("--request", action="store_true", help="沙箱里的买家对最近签收的订单发起退货退款")
        parser.add_argument("--no-status-push", action="store_true",
                            help="沙箱处理回传操作后不再推送状态变更消息（默认推送，如真实平台；仅抖店沙箱）")
        parser.add_argument("--seconds", type=float, default=0, help="运行多久后退出（0 为一直运行）")

    def handle(self, *args, **opts):
        from shouhou.accounts.actors import SYSTEM
        from shouhou.commerce.models import OrderLine, Shop
        from shouhou.platforms import services

        platform = opts["platform"]
        push_url = opts["push_url"] or f"http://127.0.0.1:8000/platforms/{platform}/push/"
        box, credentials = start_sandbox(platform, port=opts["port"], push_url=push_url,
                                         status_push=not opts["no_status_push"])
        self.stdout.write(f"{LABELS[platform]}沙箱：{box.url}  app_key={credentials['app_key']}  "
                          f"shop_id={credentials['platform_shop_id']}")
        try:
            shop = Shop.objects.filter(code=opts["shop"]).first() if opts["shop"] else Shop.objects.order_by("pk").first()
            if (opts["connect"] or opts["request"]) and shop is None:
                raise CommandError("没有店铺：先运行 shouhou demo")
            if opts["connect"]:
                conn = services.connection_connect(shop=shop, actor=SYSTEM, platform=platform, api_base=box.url,
                                                   **credentials)
                if opts["auto_push"] or platform == "youzan":
                    address = YOUZAN_SANDBOX_ADDRESS if platform == "youzan" else conn.settings.get("return_address_id", "")
                    services.connection_settings(conn=conn, actor=SYSTEM, push_auto_decisions=opts["auto_push"],
                                                 auto_refund_limit=0, return_address_id=address)
                self.stdout.write(f"已连接店铺「{shop.name}」（连接 #{conn.pk}）")
            if opts["request"]:
                line = (OrderLine.objects.filter(order__shop=shop, order__delivered_at__isnull=False, cases__isnull=True)
                        .select_related("order").order_by("-order__delivered_at").first())
                if line is None:
                    raise CommandError("没有可申请售后的已签收订单")
                request_id, push = file_request(platform, box, line)
                response = push()
                for _ in range(3):  # as the platforms do, a push answered 5xx is sent again a little later
                    if response is None or response.status_code < 500:
                        break
                    time.sleep(1)
                    response = push()
                answer = response.text if response is not None else "（未推送）"
                self.stdout.write(f"买家发起售后 {request_id}（订单 {line.order.order_no}），推送答复：{answer}")
            if opts["seconds"]:
                time.sleep(opts["seconds"])
            else:
                while True:
                    time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            box.stop()
