"""Run the web server and the background worker together (the embedded default)."""

from __future__ import annotations

import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "启动网页服务（默认 127.0.0.1:8000）和后台任务进程"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-worker", action="store_true", help="不启动后台任务进程")
        parser.add_argument("--no-migrate", action="store_true", help="启动前不执行数据库迁移")

    def handle(self, *args, **opts):
        import uvicorn

        if not opts["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        call_command("schedules_sync", verbosity=0)
        worker = None
        if not opts["no_worker"]:
            # The worker is its own process so a crash in a task never takes the web down.
            worker = subprocess.Popen([sys.executable, "-m", "shouhou", "worker"])  # noqa: S603
            self.stdout.write(f"后台任务进程已启动（pid {worker.pid}）")

        def _stop(*_):
            if worker and worker.poll() is None:
                worker.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, lambda *a: (_stop(), sys.exit(0)))
        self.stdout.write(self.style.SUCCESS(f"shouhou 已启动：http://{opts['host']}:{opts['port']}/"))
        try:
            uvicorn.run(
                "shouhou.config.asgi:application",
                host=opts["host"],
                port=opts["port"],
                log_level="warning" if not settings.DEBUG else "info",
                lifespan="off",
                # Never let uvicorn rewrite the client address from X-Forwarded-For (it trusts 127.0.0.1 by
                # default, so any local proxy let a client pick its IP): TrustedProxyMiddleware decides,
                # from SHOUHOU_TRUSTED_PROXIES only.
                proxy_headers=False,
            )
        finally:
            _stop()
            if worker:
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
