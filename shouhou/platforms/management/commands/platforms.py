"""`shouhou platforms sandbox`: run the local 抖店 sandbox, connect a shop to it and (optionally) let a
buyer file an after-sale request, so a newcomer can watch it arrive, be decided, go back and resolve.

    shouhou serve                                   # in one terminal
    shouhou platforms sandbox --connect --request   # in another
    shouhou platforms sandbox --platform youzan --connect --auto-push --request   # the same with 有赞
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "平台对接工具：sandbox 运行本地抖店（或 --platform youzan 有赞）沙箱"

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["sandbox"])
        parser.add_argument("--platform", choices=["doudian", "youzan"], default="doudian",
                            help="运行哪个平台的沙箱（默认抖店）")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--push-url", default="http://127.0.0.1:8000/platforms/doudian/push/",
                            help="shouhou 的推送地址（serve 运行的地址）")
        parser.add_argument("--shop", default="", help="店铺代码（默认第一个店铺）")
        parser.add_argument("--connect", action="store_true", help="把店铺连接到沙箱并回填")
        parser.add_argument("--auto-push", action="store_true", help="开启“自动通过的决定回传平台”")
        parser.add_argument("--request", action="store_true", help="沙箱里的买家对最近签收的订单发起退货退款")
        parser.add_argument("--no-status-push", action="store_true",
                            help="沙箱处理回传操作后不再推送状态变更消息（默认推送，如真实平台）")
        parser.add_argument("--seconds", type=float, default=0, help="运行多久后退出（0 为一直运行）")

    def handle(self, *args, **opts):
        from shouhou.accounts.actors import SYSTEM
        from shouhou.commerce.models import OrderLine, Shop
        from shouhou.platforms import services
        from shouhou.platforms.sandbox.doudian import DoudianSandbox

        if opts["platform"] == "youzan":
            return self._youzan(opts)
        box = DoudianSandbox(port=opts["port"], push_url=opts["push_url"], push_on_operate=not opts["no_status_push"]).start()
        self.stdout.write(f"抖店沙箱：{box.url}  app_key={box.app_key}  shop_id={box.shop_id}")
        shop = Shop.objects.filter(code=opts["shop"]).first() if opts["shop"] else Shop.objects.order_by("pk").first()
        if (opts["connect"] or opts["request"]) and shop is None:
            raise CommandError("没有店铺：先运行 shouhou demo")
        if opts["connect"]:
            conn = services.connection_connect(shop=shop, actor=SYSTEM, platform="doudian", app_key=box.app_key,
                                               app_secret=box.app_secret, platform_shop_id=box.shop_id,
                                               api_base=box.url)
            if opts["auto_push"]:
                services.connection_settings(conn=conn, actor=SYSTEM, push_auto_decisions=True, auto_refund_limit=0)
            self.stdout.write(f"已连接店铺「{shop.name}」（连接 #{conn.pk}）")
        if opts["request"]:
            line = (OrderLine.objects.filter(order__shop=shop, order__delivered_at__isnull=False, cases__isnull=True)
                    .select_related("order").order_by("-order__delivered_at").first())
            if line is None:
                raise CommandError("没有可申请售后的已签收订单")
            record = box.add_aftersale(order_id=line.order.order_no, sku_order_id=line.line_key, aftersale_type=0,
                                       refund_amount=int(line.price_paid * 100), push=False)
            response = box.push_aftersale("200", record)
            for _ in range(3):  # as 抖店 does, a push answered 5xx is sent again a little later
                if response is None or response.status_code < 500:
                    break
                time.sleep(1)
                response = box.push_aftersale("200", record)
            answer = response.text if response is not None else "（未推送）"
            self.stdout.write(f"买家发起售后 {record.aftersale_id}（订单 {line.order.order_no}），推送答复：{answer}")
        try:
            if opts["seconds"]:
                time.sleep(opts["seconds"])
            else:
                while True:
                    time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            box.stop()

    def _youzan(self, opts) -> None:
        """The same walk-through with the 有赞 sandbox: a 自用型 app (silent token), a return filed by the buyer,
        pushed as 有赞 signs it (Event-Sign)."""
        from shouhou.accounts.actors import SYSTEM
        from shouhou.commerce.models import OrderLine, Shop
        from shouhou.platforms import services
        from shouhou.platforms.sandbox.youzan import YouzanSandbox

        push_url = opts["push_url"].replace("/platforms/doudian/push/", "/platforms/youzan/push/")
        box = YouzanSandbox(port=opts["port"], push_url=push_url).start()
        self.stdout.write(f"有赞沙箱：{box.url}  client_id={box.client_id}  kdt_id={box.kdt_id}")
        shop = Shop.objects.filter(code=opts["shop"]).first() if opts["shop"] else Shop.objects.order_by("pk").first()
        try:
            if (opts["connect"] or opts["request"]) and shop is None:
                raise CommandError("没有店铺：先运行 shouhou demo")
            if opts["connect"]:
                conn = services.connection_connect(shop=shop, actor=SYSTEM, platform="youzan", app_key=box.client_id,
                                                   app_secret=box.client_secret, platform_shop_id=box.kdt_id,
                                                   api_base=box.url)
                services.connection_settings(conn=conn, actor=SYSTEM, push_auto_decisions=opts["auto_push"],
                                             auto_refund_limit=0,
                                             return_address_id="沙箱仓库|13800000000|浙江省杭州市沙箱路 1 号")
                self.stdout.write(f"已连接店铺「{shop.name}」（连接 #{conn.pk}）")
            if opts["request"]:
                line = (OrderLine.objects.filter(order__shop=shop, order__delivered_at__isnull=False, cases__isnull=True)
                        .select_related("order").order_by("-order__delivered_at").first())
                if line is None:
                    raise CommandError("没有可申请售后的已签收订单")
                record = box.add_refund(tid=line.order.order_no, oid=line.line_key, demand=2, reason=104,
                                        refund_fee=str(line.price_paid), push=False)
                response = box.push_refund("trade_refund_BuyerCreated", record)
                for _ in range(3):  # as 有赞 does, a push not answered with success is sent again a little later
                    if response is None or response.status_code < 500:
                        break
                    time.sleep(1)
                    response = box.push_refund("trade_refund_BuyerCreated", record)
                answer = response.text if response is not None else "（未推送）"
                self.stdout.write(f"买家发起退货退款 {record.refund_id}（订单 {line.order.order_no}），推送答复：{answer}")
            if opts["seconds"]:
                time.sleep(opts["seconds"])
            else:
                while True:
                    time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            box.stop()
