"""shouhou demo [--seed 42] [--if-empty] [--orders N]
    [--platform-sandbox [doudian|kuaishou|wechat_shop|youzan] [--port 8000] [--sandbox-port 8765]]"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from shouhou.commerce.choices import ShipmentStatus
from shouhou.commerce.demo import DEMO_PASSWORD, demo_build
from shouhou.commerce.models import Shipment
from shouhou.core.cli_args import int_between


class Command(BaseCommand):
    help = "生成演示数据：一家直播店铺（主播、场次、商品、顾客、订单、各种物流状态），同一种子结果相同"

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42, help="随机种子（默认 42）")
        parser.add_argument("--orders", type=int_between(1, 1_000_000), default=5000, help="订单数（默认 5000）")
        parser.add_argument("--customers", type=int_between(1, 1_000_000), default=3000, help="顾客数（默认 3000）")
        parser.add_argument("--if-empty", action="store_true", help="已有任何店铺时什么也不做")
        sandbox = parser.add_argument_group("--platform-sandbox：平台沙箱演示（沙箱与 serve 一同运行、一同停止）")
        sandbox.add_argument("--platform-sandbox", nargs="?", const="doudian", default=None,
                             choices=["doudian", "kuaishou", "wechat_shop", "youzan"], metavar="PLATFORM",
                             help="启动本地平台沙箱（doudian 抖店，默认；kuaishou 快手；wechat_shop 微信小店；youzan 有赞）"
                                  "和 serve，把演示店铺连接到沙箱，让沙箱推送几条售后申请")
        sandbox.add_argument("--host", default="127.0.0.1", help="serve 监听地址（默认 127.0.0.1）")
        sandbox.add_argument("--port", type=int, default=8000, help="serve 端口（默认 8000）")
        sandbox.add_argument("--processes", type=int, default=None, help="serve 的网页进程数（默认同 serve）")
        sandbox.add_argument("--sandbox-port", type=int, default=8765, help="沙箱端口（默认 8765，0 为任选）")
        sandbox.add_argument("--watch-seconds", type=float, default=60,
                             help="最多等待多少秒看完整个流程（默认 60）")
        sandbox.add_argument("--seconds", type=float, default=0,
                             help="演示流程结束后再运行多少秒就停止（默认 0：一直运行到 Ctrl+C）")

    def handle(self, *args, **opts):
        started = time.monotonic()
        result = demo_build(seed=opts["seed"], orders=opts["orders"], customers=opts["customers"],
                            if_empty=opts["if_empty"])
        call_command("schedules_sync", stdout=self.stdout)
        if result.skipped:
            self.stdout.write(f"已有店铺数据（{result.shop.name if result.shop else ''}），跳过演示数据。")
        else:
            self._summary(result, started)
        if opts["platform_sandbox"]:
            if result.shop is None:
                raise CommandError("没有店铺，无法连接平台沙箱")
            self._platform_sandbox(result.shop, opts)

    def _summary(self, result, started: float) -> None:
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

    # --- --platform-sandbox ------------------------------------------------------------------------------
    def _platform_sandbox(self, shop, opts) -> None:
        """The platform's sandbox (a thread here) and `serve` (a child process) run together; when serve stops, or
        on Ctrl+C / SIGTERM, both stop."""
        from shouhou.platforms import demo as sandbox_demo
        from shouhou.platforms import services

        say = self.stdout.write
        kind = sandbox_demo.demo_platform(opts["platform_sandbox"])
        label = kind.label
        host = "127.0.0.1" if opts["host"] in ("0.0.0.0", "::") else opts["host"]  # noqa: S104 (a listen address)
        site = f"http://{host}:{opts['port']}"
        try:
            box = kind.start(port=opts["sandbox_port"], push_url=f"{site}/platforms/{kind.platform}/push/")
        except OSError as exc:
            raise CommandError(f"{label}沙箱无法监听端口 {opts['sandbox_port']}（{exc.strerror}）：用 --sandbox-port 换一个，"
                               f"0 为任选") from exc
        serve = None

        def _terminate(*_):
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, _terminate)
        # the sandbox is a platform API address the operator (this command) admits, here and in serve
        allowed = [*settings.SHOUHOU.get("PLATFORM_API_BASES", []), box.url]
        settings.SHOUHOU["PLATFORM_API_BASES"] = allowed
        serve_env = {**os.environ, "SHOUHOU_PLATFORM_API_BASES": ",".join(allowed)}
        try:
            conn = kind.connect(shop)
            say(f"{label}沙箱：{box.url}（app_key={conn.app_key}，店铺ID {conn.platform_shop_id}），推送地址 {box.push_url}")
            say(f"店铺「{shop.name}」已连接到沙箱（连接 #{conn.pk}，自动通过的决定回传平台：开）")
            args = ["serve", "--no-migrate", "--host", opts["host"], "--port", str(opts["port"])]
            if opts["processes"]:
                args += ["--processes", str(opts["processes"])]
            # its own process group: stopping it reaches the worker and the worker's processes too
            serve = subprocess.Popen([sys.executable, "-m", "shouhou", *args], start_new_session=True,  # noqa: S603
                                     env=serve_env)
            say(f"serve 已启动（进程组 {serve.pid}）")
            self._wait_until_up(f"{site}/accounts/login/", serve)
            plan = kind.scenarios()
            lines = sandbox_demo.platform_orders(shop, [item.order_state for item in plan], kind)
            plan = plan[:len(lines)]
            for line in sandbox_demo.intro(kind, plan):
                say(line)
            sandbox_demo.file_requests(kind, plan, lines)
            pushed = [item for item in plan if item.pushed]
            ok = sandbox_demo.wait_for(pushed, kind, say, seconds=opts["watch_seconds"])
            read = services.connection_sync(conn)  # reconciliation: what a lost push missed
            say(f"  对账：从{label}读到 {read} 条售后单")
            ok = sandbox_demo.wait_for(plan, kind, say, seconds=opts["watch_seconds"]) and ok
            conn.refresh_from_db()
            say("\n打开看看（登录 demo / " + DEMO_PASSWORD + "）：")
            for item in plan:
                case = sandbox_demo.case_of(item)
                if case is not None:
                    say(f"  案件 {site}/cases/{case.pk}/  {case.get_status_display()}。{item.next_step}")
            say(f"  平台连接健康 {site}/platforms/{conn.pk}/  最近推送 {self._when(conn.last_push_at)}，"
                f"最近同步 {self._when(conn.last_sync_at)}")
            if not ok:
                say(self.style.WARNING(f"{opts['watch_seconds']:.0f} 秒内流程没有走完：看 serve 的输出和连接页的最近错误"))
            say(self.style.SUCCESS(f"{label}沙箱与 shouhou 运行中，按 Ctrl+C 一起停止。"))
            deadline = time.monotonic() + opts["seconds"] if opts["seconds"] else None
            while serve.poll() is None and (deadline is None or time.monotonic() < deadline):
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            if serve is not None:
                self._stop_group(serve)
            box.stop()
            say(f"{label}沙箱已停止。")

    @staticmethod
    def _stop_group(serve: subprocess.Popen) -> None:
        """Stop serve's whole process group as Ctrl+C in a terminal would (web, worker and the worker's own
        processes: serve stops the worker's own group), then make sure nothing of it is left."""
        import os

        def alive() -> bool:
            try:
                os.killpg(serve.pid, 0)
            except ProcessLookupError:
                return False
            return True

        if alive():
            os.killpg(serve.pid, signal.SIGINT)
        deadline = time.monotonic() + 30  # serve gives its worker 15 s, then kills the worker's group
        while (serve.poll() is None or alive()) and time.monotonic() < deadline:
            time.sleep(0.1)
        if alive():
            os.killpg(serve.pid, signal.SIGKILL)
        serve.wait()

    @staticmethod
    def _when(value) -> str:
        from django.utils import timezone

        return timezone.localtime(value).strftime("%H:%M:%S") if value else "（无）"

    @staticmethod
    def _wait_until_up(url: str, serve: subprocess.Popen, seconds: float = 120) -> None:
        import httpx

        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if serve.poll() is not None:
                raise CommandError(f"serve 已退出（{serve.returncode}），端口可能被占用")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise CommandError(f"serve 在 {seconds:.0f} 秒内没有应答 {url}")
