"""shouhou demo [--seed 42] [--if-empty] [--orders N]"""

from __future__ import annotations

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

from shouhou.commerce.choices import ShipmentStatus
from shouhou.commerce.demo import DEMO_PASSWORD, demo_build
from shouhou.commerce.models import Shipment


class Command(BaseCommand):
    help = "生成演示数据：一家直播店铺（主播、场次、商品、顾客、订单、各种物流状态），同一种子结果相同"

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42, help="随机种子（默认 42）")
        parser.add_argument("--orders", type=int, default=5000, help="订单数（默认 5000）")
        parser.add_argument("--customers", type=int, default=3000, help="顾客数（默认 3000）")
        parser.add_argument("--if-empty", action="store_true", help="已有任何店铺时什么也不做")

    def handle(self, *args, **opts):
        started = time.monotonic()
        result = demo_build(seed=opts["seed"], orders=opts["orders"], customers=opts["customers"],
                            if_empty=opts["if_empty"])
        call_command("schedules_sync", stdout=self.stdout)
        if result.skipped:
            self.stdout.write(f"已有店铺数据（{result.shop.name if result.shop else ''}），跳过演示数据。")
            return
        c = result.counts
        self.stdout.write(
            f"演示店铺「{result.shop.name}」（{result.shop.code}）已生成，用时 {time.monotonic() - started:.1f} 秒：\n"
            f"  主播 {c['hosts']}，直播场次 {c['live_sessions']}，商品 {c['products']}（SKU {c['skus']}），"
            f"顾客 {c['customers']}\n"
            f"  订单 {c['orders']}，订单行 {c['order_lines']}，物流单 {c['shipments']}")
        labels = dict(ShipmentStatus.choices)
        by_status = {s: Shipment.objects.filter(shop=result.shop, status=s).count() for s in labels}
        self.stdout.write("  物流状态：" + "，".join(f"{labels[s]} {n}" for s, n in by_status.items()))
        if result.seeded_apps:
            self.stdout.write("  其他模块演示数据：" + "、".join(result.seeded_apps))
        self.stdout.write(f"登录：demo / {DEMO_PASSWORD}（店铺管理员，可进管理后台）；"
                          f"主管 zhuguan，客服 kefu1~kefu4，密码相同")
