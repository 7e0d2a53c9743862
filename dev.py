#!/usr/bin/env python3
"""Set up and run shouhou on a fresh machine with nothing but python3.

    python3 dev.py run    set up, load the demo live session, serve http://127.0.0.1:8000, print the login
    python3 dev.py run --port 8001   the same on another port (any `shouhou serve` option: --host, --processes)
    python3 dev.py run --platform-sandbox [kuaishou|wechat_shop|youzan]
                          the same, with a local platform sandbox (抖店 unless named) beside serve: watch
                          after-sale requests arrive, be decided, go back and resolve (docs/platforms.md)
    python3 dev.py test   set up, then run the whole test suite on SQLite and on PostgreSQL

Uses only the standard library until the virtual environment exists.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("SHOUHOU_VENV", ROOT / ".venv"))
PY = VENV / "bin" / "python"
PG_URL = os.environ.get("SHOUHOU_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432/shouhou")
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
_apt_updated = False


def say(msg: str) -> None:
    print(f"==> {msg}", flush=True)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kw)  # noqa: S603


def apt_install(*packages: str) -> None:
    global _apt_updated
    if not IS_ROOT or not shutil.which("apt-get"):
        raise SystemExit(f"需要系统软件包 {' '.join(packages)}：请用 root 运行，或手动安装后重试。")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if not _apt_updated:
        run(["apt-get", "update", "-qq"], env=env)
        _apt_updated = True
    say(f"apt-get install {' '.join(packages)}")
    run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages], env=env, stdout=subprocess.DEVNULL)


def ensure_venv(extras: str) -> None:
    if not PY.exists():
        say(f"创建虚拟环境 {VENV}")
        try:
            run([sys.executable, "-m", "venv", str(VENV)])
        except subprocess.CalledProcessError:
            shutil.rmtree(VENV, ignore_errors=True)
            apt_install("python3-venv")
            run([sys.executable, "-m", "venv", str(VENV)])
    marker = VENV / f".installed-{extras or 'base'}"
    stamp = str((ROOT / "pyproject.toml").stat().st_mtime_ns)
    if marker.exists() and marker.read_text() == stamp:
        return
    say("安装 Python 依赖（pip）")
    run([str(PY), "-m", "pip", "install", "-q", "--upgrade", "pip"])
    target = f".[{extras}]" if extras else "."
    run([str(PY), "-m", "pip", "install", "-q", "-e", target], cwd=ROOT)
    marker.write_text(stamp)


def ensure_frontend() -> None:
    """Front-end packages (Chart.js, Swagger UI) come from the npm registry, installed here, never copied in."""
    frontend = ROOT / "frontend"
    if not (frontend / "package.json").exists():
        return
    import json

    wanted = json.loads((frontend / "package.json").read_text()).get("dependencies", {})
    if all((frontend / "node_modules" / name / "package.json").exists() for name in wanted):
        return  # every package of package.json is installed (a new one added later is installed below)
    if not shutil.which("npm"):
        apt_install("nodejs", "npm")
    say("安装前端依赖（npm）")
    lock = (frontend / "package-lock.json").exists()
    run(["npm", "ci" if lock else "install", "--no-audit", "--no-fund", "--silent"], cwd=frontend)


def ensure_chromium() -> None:
    if not any(Path(p).exists() for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser")):
        apt_install("chromium", "fonts-noto-cjk")


def pg_reachable() -> bool:
    """Whether the server of SHOUHOU_TEST_PG_URL answers (its `postgres` database: the tests make their own)."""
    code = (
        "import sys, psycopg\n"
        "try:\n"
        "    psycopg.connect(sys.argv[1], dbname='postgres', connect_timeout=3).close()\n"
        "except Exception as exc:\n"
        "    print(exc); sys.exit(1)\n"
    )
    return subprocess.run([str(PY), "-c", code, PG_URL], capture_output=True).returncode == 0  # noqa: S603


def pg_where() -> tuple[str, int]:
    """(host, port) of SHOUHOU_TEST_PG_URL."""
    from urllib.parse import urlsplit

    parts = urlsplit(PG_URL)
    return parts.hostname or "127.0.0.1", parts.port or 5432


def ensure_postgres() -> None:
    if pg_reachable():
        return
    host, port = pg_where()
    if host not in ("127.0.0.1", "localhost", "::1") or port != 5432:
        # a server of the developer's own (a container, another port): nothing here to install or start
        raise SystemExit(f"PostgreSQL 不可用：SHOUHOU_TEST_PG_URL 指向的 {host}:{port} 没有响应，请先启动它"
                         "（或不设 SHOUHOU_TEST_PG_URL，用本机 127.0.0.1:5432）。")
    if not shutil.which("pg_ctlcluster") and not Path("/usr/lib/postgresql").exists():
        apt_install("postgresql")
    versions = sorted(os.listdir("/etc/postgresql")) if Path("/etc/postgresql").exists() else []
    if versions:
        say("启动 PostgreSQL")
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"], check=False)  # noqa: S603,S607
        hba = Path(f"/etc/postgresql/{versions[-1]}/main/pg_hba.conf")
        if not pg_reachable() and hba.exists():
            # A fresh cluster asks for passwords on TCP; tests use the documented trust set-up.
            text = re.sub(r"(host\s+all\s+all\s+127\.0\.0\.1/32\s+)\S+", r"\1trust", hba.read_text())
            hba.write_text(text)
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "reload"], check=False)  # noqa: S603,S607
    if not pg_reachable():
        raise SystemExit("PostgreSQL 不可用：请确认 127.0.0.1:5432 上有 postgres 用户（trust 认证）。")


def redis_reachable() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2):
            return True
    except OSError:
        return False


def ensure_redis() -> None:
    """The Redis tests (cache and task broker behind SHOUHOU_REDIS_URL) need a server on 6379."""
    if redis_reachable():
        return
    if not shutil.which("redis-server"):
        apt_install("redis-server")
    if shutil.which("redis-server"):
        say("启动 Redis")
        # Nothing kept on disk: the tests' data is throwaway.
        subprocess.run(["redis-server", "--bind", "127.0.0.1", "--port", "6379", "--daemonize", "yes",  # noqa: S607
                        "--save", "", "--appendonly", "no"], check=False)
        for _ in range(50):
            if redis_reachable():
                return
            time.sleep(0.1)
    raise SystemExit("Redis 不可用：请在 127.0.0.1:6379 启动 redis-server。")


def shouhou(*args: str, env: dict | None = None) -> None:
    run([str(PY), "-m", "shouhou", *args], cwd=ROOT, env=env)


def _option(argv: list[str], name: str, default: str) -> str:
    """The value of `--name VALUE` or `--name=VALUE` among the arguments passed on to serve (the last wins)."""
    value = default
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith(name + "="):
            value = arg.split("=", 1)[1]
    return value


def site_url(argv: list[str]) -> str:
    """The address the banner prints: the --host and --port given to `dev.py run`, else serve's own defaults."""
    host = _option(argv, "--host", "127.0.0.1")
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - a listen address; the browser opens this machine
        host = "127.0.0.1"
    return f"http://{host}:{_option(argv, '--port', '8000')}/"


def port_problem(argv: list[str]) -> str:
    """Why serve could not listen where it is asked to (a port in use, most often 8000), else ''. Said before
    anything starts: uvicorn's own error came after the ready banner, in English, without the way out."""
    import socket

    host, port = _option(argv, "--host", "127.0.0.1"), _option(argv, "--port", "8000")
    if not port.isdigit():
        return f"--port 应为端口号，收到「{port}」"
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: TIME_WAIT is no conflict
            probe.bind((host, int(port)))
    except OSError as exc:
        return (f"无法在 {host}:{port} 上启动（{exc.strerror}）：换一个端口，例如 python3 dev.py run --port "
                f"{int(port) + 1}")
    return ""


def serving_problem() -> str:
    """The line naming the `shouhou serve` already running on this checkout's data directory (its pid and address),
    else ''. Said first: the port check alone sent a second `dev.py run` to another port, where it set up, then
    was refused by serve (shouhou/config/serve_lock.py)."""
    from shouhou.config import serve_lock  # standard library only, like this file

    data_dir = ROOT / Path(os.environ.get("SHOUHOU_DATA_DIR") or "var").expanduser()
    holder = serve_lock.serving(data_dir)
    return serve_lock.refusal(data_dir, holder) if holder is not None else ""


def cmd_run(argv: list[str]) -> int:
    problem = serving_problem() or port_problem(argv)
    if problem:
        raise SystemExit(problem)
    ensure_venv("")
    ensure_frontend()
    shouhou("migrate", "--noinput", "-v", "0")
    url = site_url(argv)
    if "--platform-sandbox" in argv:
        # `demo --platform-sandbox [platform]` runs serve itself (its child) beside the platform's sandbox; both
        # stop together. The other arguments (the platform, --host, --port, --processes, --sandbox-port) go to it.
        return _foreground([str(PY), "-m", "shouhou", "demo", "--if-empty", *argv],
                           ready=(url, f"\n  shouhou 售后 + 平台沙箱：{url}   登录：demo / shouhou-demo\n"))
    shouhou("demo", "--if-empty")
    note = stale_demo_note(_demo_anchor())
    if note:
        say(note)
    say("启动 shouhou serve（网页进程与后台任务进程），网址能打开时在下面打印")
    return _foreground([str(PY), "-m", "shouhou", "serve", "--no-migrate", *argv],
                       ready=(url, f"\n  shouhou 售后 已就绪：{url}   登录：demo / shouhou-demo\n"))


def announce_when_answering(url: str, banner: str, child, timeout: float = 600) -> bool:
    """Print the banner once the site answers (any HTTP status), not before: it was printed before serve started,
    and the address it gave was refused for the half minute the web processes took to load. False (nothing
    printed) when the server stopped first or never answered."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while child.poll() is None and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "accounts/login/", timeout=5):  # noqa: S310 - this machine's server
                pass
        except urllib.error.HTTPError:
            pass  # it answers
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
            continue
        print(banner, flush=True)
        return True
    return False


def _demo_anchor() -> str:
    """The day the demo shop's data was built around ("" when there is none): `demo --if-empty` keeps it."""
    code = ("from shouhou.commerce.models import Shop\n"
            "shop = Shop.objects.filter(code='xiaolu-demo').first()\n"
            "print((shop.settings or {}).get('anchor', '') if shop else '')")
    done = subprocess.run([str(PY), "-m", "shouhou", "shell", "--no-imports", "-c", code], cwd=ROOT,  # noqa: S603
                          capture_output=True, text=True)
    return done.stdout.strip().splitlines()[-1] if done.returncode == 0 and done.stdout.strip() else ""


def stale_demo_note(anchor: str, now: float | None = None) -> str:
    """What to run when the demo was built on an earlier day (its live sessions, orders and timers are dated from
    that day: a week later the home page's latest session is a week old), else ''. The day is the shop's (the
    anchor's own UTC offset), not this machine's."""
    import datetime as dt

    try:
        built = dt.datetime.fromisoformat(anchor)
    except ValueError:
        return ""
    if built.tzinfo is None:
        return ""
    today = dt.datetime.fromtimestamp(time.time() if now is None else now, built.tzinfo).date()
    if built.date() >= today:
        return ""
    venv_python = PY.relative_to(ROOT) if PY.is_relative_to(ROOT) else PY
    return (f"演示数据是 {built:%Y-%m-%d} 生成的，日期都停在那天；要换成今天的：{venv_python} -m shouhou demo"
            "（只重建演示店铺「小鹿直播旗舰店」，其他店铺不动）")


def _foreground(cmd: list[str], ready: tuple[str, str] | None = None) -> int:
    """Run the server command until it stops; a SIGTERM to dev.py alone (a supervisor, `timeout`) is passed on,
    so serve (or the demo with its sandbox) stops its web processes and worker instead of being orphaned.
    ready: (address, banner) printed once the address answers."""
    import threading

    child = subprocess.Popen(cmd, cwd=ROOT)  # noqa: S603
    signal.signal(signal.SIGTERM, lambda *_: child.send_signal(signal.SIGTERM))
    if ready:
        threading.Thread(target=announce_when_answering, args=(*ready, child), daemon=True).start()
    try:
        return child.wait()
    except KeyboardInterrupt:  # Ctrl+C reached the child too: it stops what it started, then exits
        return child.wait(timeout=60)


SUMMARY = re.compile(r"^(?:=+ )?((?:\d+ \w+(?:, )?)+) in [\d.]+s")


def _pytest(label: str, env: dict, extra: list[str]) -> tuple[int, dict[str, int]]:
    say(f"测试（{label}）")
    proc = subprocess.Popen(  # noqa: S603
        [str(PY), "-m", "pytest", "-p", "no:cacheprovider", *extra],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    counts: dict[str, int] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        sys.stdout.write(line)
        match = SUMMARY.search(line)
        if match:
            for number, word in re.findall(r"(\d+) (\w+)", match.group(1)):
                counts[word] = counts.get(word, 0) + int(number)
    return proc.wait(), counts


def cmd_test(argv: list[str]) -> int:
    ensure_venv("test")
    ensure_frontend()
    ensure_chromium()
    ensure_postgres()
    ensure_redis()
    if not shutil.which("xgettext"):
        apt_install("gettext")  # the test that every marked string is in the English catalog extracts them
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("SHOUHOU_DATABASE")}
    base_env["SHOUHOU_DATA_DIR"] = str(ROOT / "var" / "test")
    say("检查：ruff、迁移是否齐全")
    run([str(PY), "-m", "ruff", "check", "--quiet", "."], cwd=ROOT)
    shouhou("makemigrations", "--check", "--dry-run", "-v", "0", env=base_env)
    extra = argv or ["-q", "-n", "2", "--dist", "loadfile", "--durations=25"]
    total: dict[str, int] = {}
    codes = []
    for label, url in (("SQLite", None), ("PostgreSQL", PG_URL)):
        env = dict(base_env)
        if url:
            env["SHOUHOU_DATABASE_URL"] = url
        code, counts = _pytest(label, env, extra)
        codes.append(code)
        for word, n in counts.items():
            total[word] = total.get(word, 0) + n
    passed, failed = total.get("passed", 0), total.get("failed", 0) + total.get("errors", 0) + total.get("error", 0)
    line = f"{passed} passed, {failed} failed"
    if total.get("skipped"):
        line += f", {total['skipped']} skipped"
    print(f"\nSQLite + PostgreSQL:\n{line}", flush=True)
    return 0 if all(c == 0 for c in codes) and passed > 0 else 1


def python_problem(version: tuple[int, int] = sys.version_info[:2]) -> str:
    """Why this python3 cannot run shouhou (pyproject's requires-python, e.g. ">=3.11,<3.12"), else ''. pip's
    own refusal came only after the virtual environment was made, as "requires a different Python"."""
    spec = re.search(r'requires-python\s*=\s*"([^"]+)"', (ROOT / "pyproject.toml").read_text())
    if not spec:
        return ""
    for op, major, minor in re.findall(r"(>=|<)\s*(\d+)\.(\d+)", spec.group(1)):
        bound = (int(major), int(minor))
        if (op == ">=" and version < bound) or (op == "<" and version >= bound):
            return (f"shouhou 需要 Python {spec.group(1)}（pyproject.toml），这个 python3 是 "
                    f"{version[0]}.{version[1]}：在 Debian 12 上 python3 即是 3.11；否则装好合适的版本，"
                    f"用它运行，例如 python3.11 dev.py run")
    return ""


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"run", "test"}:
        print(__doc__)
        return 2
    problem = python_problem()
    if problem:
        for candidate in ("python3.11",):  # the supported version beside another default python3: use it
            found = shutil.which(candidate)
            if found and os.path.realpath(found) != os.path.realpath(sys.executable):
                say(f"本机 python3 不合适，改用 {found}")
                os.execv(found, [found, str(Path(__file__).resolve()), *sys.argv[1:]])  # noqa: S606
        raise SystemExit(problem)
    return {"run": cmd_run, "test": cmd_test}[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
