"""Run the web server processes and the background worker together (the embedded default)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from shouhou.config.env import POOL_ENV, postgres_pool
from shouhou.config.serve_lock import DEFAULT_HOST, DEFAULT_PORT
from shouhou.core.runtime import SERVING_ENV

PROCESSES_ENV = "SHOUHOU_WEB_PROCESSES"


def cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def web_processes(flag: int | None, environ=os.environ) -> int:
    """How many web processes: the flag, else SHOUHOU_WEB_PROCESSES, else one per core."""
    if flag is not None:
        chosen, where = flag, "--processes"
    elif environ.get(PROCESSES_ENV, "").strip():
        raw = environ[PROCESSES_ENV].strip()
        if not raw.isdigit():
            raise CommandError(f"{PROCESSES_ENV} 应为正整数，收到「{raw}」")
        chosen, where = int(raw), PROCESSES_ENV
    else:
        return cores()
    if not 1 <= chosen <= 64:
        raise CommandError(f"{where} 应在 1–64 之间，收到 {chosen}")
    return chosen


def web_pool_size(environ=os.environ) -> int:
    """Connections a web process keeps in its pool: SHOUHOU_DB_POOL (0: none, a connection per request),
    else one per request thread and live reading thread plus two (Channels' logins, the pool's slack)."""
    raw = environ.get(POOL_ENV, "").strip()
    if raw:
        if not raw.isdigit():
            raise CommandError(f"{POOL_ENV} 应为非负整数，收到「{raw}」")
        return int(raw)
    return settings.WEB_THREADS + settings.LIVE_READ_THREADS + 2


def pool_web_connections(environ=os.environ) -> int:
    """Turn on the connection pool for the web processes about to start (PostgreSQL only): this one's
    settings now, and the environment the processes uvicorn spawns read theirs from. Returns the size (0: off).
    A connection to PostgreSQL costs the server a new backend process that loads its catalog caches again:
    opened and closed per request, it was a third of PostgreSQL's CPU during the surge (docs/benchmarks.md)."""
    size = web_pool_size(environ)
    if not size or connections["default"].vendor != "postgresql":
        return 0
    connections.close_all()  # opened unpooled (migrate, schedules): the pool starts from here
    postgres_pool(settings.DATABASES["default"], size)
    environ[POOL_ENV] = str(size)
    return size


def connection_budget(*, processes: int, pool: int, worker: bool) -> int:
    """PostgreSQL connections this command may hold at once: each web process's pool, and the worker's own
    (SHOUHOU_WORKERS + 3: its workers, monitor, scheduler and pusher; docs/deploy.md "Database connections")."""
    workers = int(settings.Q_CLUSTER.get("workers", 2)) if worker else 0
    return processes * pool + (workers + 3 if worker else 0)


def budget_warning(*, needed: int, max_connections: int, reserved: int, in_use: int) -> str:
    """A warning when the pools could ask PostgreSQL for more connections than it has left (else ''): it then
    refuses new ones ("sorry, too many clients already") and requests wait, then answer 503."""
    free = max_connections - reserved - in_use
    if needed <= free:
        return ""
    return (f"警告：本机网页进程的连接池与后台任务进程最多需要 {needed} 个数据库连接，PostgreSQL 只剩 {free} 个"
            f"（max_connections {max_connections}，保留 {reserved}，已被占用 {in_use}）。"
            f"请调小 {POOL_ENV} 或 {PROCESSES_ENV}，调大 max_connections，或在前面加 PgBouncer（见 docs/deploy.md）。")


def postgres_budget_warning(needed: int) -> str:
    """Read PostgreSQL's limits and the connections other clients hold now, and compare (PostgreSQL only)."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT current_setting('max_connections')::int, "
                       "current_setting('superuser_reserved_connections')::int, "
                       "(SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                       "AND pid <> pg_backend_pid())")
        max_connections, reserved, in_use = cursor.fetchone()
    connections.close_all()
    return budget_warning(needed=needed, max_connections=max_connections, reserved=reserved, in_use=in_use)


WORKER_CHECK_SECONDS = 2
WORKER_RESTART_MAX_SECONDS = 30
WORKER_STABLE_SECONDS = 60


class WorkerWatch:
    """The background worker, started again whenever it stops while serve runs (a crash, an out-of-memory kill,
    someone's `kill`): without it the pages kept working while the outbox, the SLA sweep and the platform sync
    stood still without a word. Waits 1 s before the first restart, doubling up to WORKER_RESTART_MAX_SECONDS
    while it keeps dying, back to 1 s once a worker has run WORKER_STABLE_SECONDS."""

    def __init__(self, start, say):
        self._start, self._say = start, say
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self.process = start()
        self._started_at = time.monotonic()
        self._thread = threading.Thread(target=self._watch, name="shouhou-worker-watch", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        wait = 1.0
        while not self._stopping.wait(WORKER_CHECK_SECONDS):
            code = self.process.poll()  # also reaps it: no <defunct> left behind
            if code is None:
                if time.monotonic() - self._started_at > WORKER_STABLE_SECONDS:
                    wait = 1.0
                continue
            self._say(f"后台任务进程已退出（退出码 {code}），{wait:.0f} 秒后重启")
            if self._stopping.wait(wait):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                signal_group(self.process.pid, signal.SIGKILL)  # task processes the dead worker left behind
                self.process = self._start()
                self._started_at = time.monotonic()
            self._say(f"后台任务进程已重启（pid {self.process.pid}）")
            wait = min(wait * 2, WORKER_RESTART_MAX_SECONDS)

    def stop_watching(self) -> None:
        """No restart after this (serve is stopping); the current worker is left to the caller to stop."""
        with self._lock:
            self._stopping.set()


def signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


READY_WAIT_SECONDS = 300


def say_when_listening(host: str, port: int, say) -> None:
    """Call `say` once something accepts connections on host:port (a wildcard host: this machine)."""
    import socket

    target = "127.0.0.1" if host in ("0.0.0.0", "") else "::1" if host == "::" else host  # noqa: S104
    deadline = time.monotonic() + READY_WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((target, port), timeout=1):
                say()
                return
        except OSError:
            time.sleep(0.2)


def port_problem(host: str, port: int) -> None:
    """Refuse a port that cannot be served before anything starts (it printed 「已启动」, started the worker, and
    then uvicorn's English "address already in use")."""
    import socket

    if not 1 <= port <= 65535:
        raise CommandError(f"--port 应在 1–65535 之间，收到 {port}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise CommandError(f"--host 无法识别：{host}") from None
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            raise CommandError(f"无法在 {host}:{port} 上提供服务（{exc.strerror}）：端口已被占用或地址不属于本机，"
                               f"请换一个 --port 或 --host") from None


class Command(BaseCommand):
    help = "启动网页服务（默认 127.0.0.1:8000，每个核一个进程）和后台任务进程"

    def add_arguments(self, parser):
        parser.add_argument("--host", default=DEFAULT_HOST, help="监听地址（默认 127.0.0.1；0.0.0.0 为所有网卡）")
        parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="端口（默认 8000）")
        parser.add_argument("--processes", type=int, default=None,
                            help=f"网页服务进程数（默认：环境变量 {PROCESSES_ENV}，否则每个 CPU 核一个）")
        parser.add_argument("--no-worker", action="store_true", help="不启动后台任务进程")
        parser.add_argument("--no-migrate", action="store_true", help="启动前不执行数据库迁移")

    def handle(self, *args, **opts):
        import uvicorn

        processes = web_processes(opts["processes"])
        port_problem(opts["host"], opts["port"])
        if processes > 1 and not settings.REDIS_URL:
            # Cached values are shared by the processes (and the worker) this command starts: without Redis,
            # through files in the data directory (settings.CACHES). Rate limits and the portal's guesses are
            # not counted in this cache but in the database (core/counters.py: one atomic step per hit).
            os.environ["SHOUHOU_CACHE"] = "file"
        if not opts["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        call_command("schedules_sync", verbosity=0)
        watch = None
        if not opts["no_worker"]:
            # The worker is its own process so a crash in a task never takes the web down, started again if it
            # stops (WorkerWatch). In a process group of its own, so stopping serve stops the worker's children
            # too: a SIGKILL to the worker alone left its task processes running when serve was stopped by pid.
            def start_worker() -> subprocess.Popen:
                return subprocess.Popen([sys.executable, "-m", "shouhou", "worker"], process_group=0)  # noqa: S603

            watch = WorkerWatch(start_worker, lambda text: self.stdout.write(text))
            self.stdout.write(f"后台任务进程已启动（pid {watch.process.pid}）")
        worker = watch is not None

        def _signal_worker(sig: int) -> None:
            signal_group(watch.process.pid, sig)

        def _stop(*_):
            if watch:
                watch.stop_watching()
                if watch.process.poll() is None:
                    # the worker's main process only: it stops its own task processes and exits in seconds;
                    # SIGTERM to the whole group killed the task processes first and left the main one hanging
                    # until the SIGKILL below, 15 s later (every Ctrl+C took 16 s)
                    try:
                        os.kill(watch.process.pid, signal.SIGTERM)
                    except ProcessLookupError:
                        pass

        signal.signal(signal.SIGTERM, lambda *a: (_stop(), sys.exit(0)))
        if connections["default"].vendor == "postgresql" and web_pool_size():
            # before the pool exists: this one check must not keep a pooled connection open in this process
            needed = connection_budget(processes=processes, pool=web_pool_size(), worker=worker)
            warning = postgres_budget_warning(needed)
            if warning:
                self.stderr.write(self.style.WARNING(warning))
        pool = pool_web_connections()
        if pool:
            self.stdout.write(f"每个网页进程的数据库连接池：最多 {pool} 个连接")
        if processes > 1 and not settings.REDIS_URL:
            # Without Redis each process pushes only to its own pages; the others read the stored events
            # (LIVE_BACKSTOP_SECONDS, docs/live.md). Fine on one machine; use Redis beyond that.
            self.stdout.write(f"{processes} 个网页进程共用数据库中的推送事件（未配置 SHOUHOU_REDIS_URL）")
        # said once the address answers (uvicorn takes seconds to import and bind; said before, the printed
        # address refused connections for a while)
        ready = self.style.SUCCESS(f"shouhou 已启动：http://{opts['host']}:{opts['port']}/（{processes} 个网页进程）")
        threading.Thread(target=say_when_listening, args=(opts["host"], opts["port"], lambda: self.stdout.write(ready)),
                         name="shouhou-ready", daemon=True).start()
        os.environ[SERVING_ENV] = "1"  # the server processes settle before serving (core/runtime.py)
        try:
            uvicorn.run(
                "shouhou.config.asgi:application",
                host=opts["host"],
                port=opts["port"],
                # N processes share the listening socket (uvicorn's supervisor restarts one that dies).
                workers=processes,
                log_level="warning" if not settings.DEBUG else "info",
                lifespan="off",
                # Never let uvicorn rewrite the client address from X-Forwarded-For (it trusts 127.0.0.1 by
                # default, so any local proxy let a client pick its IP): TrustedProxyMiddleware decides,
                # from SHOUHOU_TRUSTED_PROXIES only.
                proxy_headers=False,
                # Live frames are small JSON: compressing each one for each socket cost more CPU than it saved
                # bytes (every desk event goes to every agent's socket: docs/benchmarks.md, the surge).
                ws_per_message_deflate=False,
            )
        finally:
            _stop()
            if watch:
                try:
                    watch.process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    _signal_worker(signal.SIGKILL)
                    watch.process.wait(timeout=5)
                _signal_worker(signal.SIGKILL)  # any task process the worker's own stop left behind
