"""`shouhou serve` uses every core: --processes, SHOUHOU_WEB_PROCESSES, else one per core; the real command
with two processes answers on one port from two server processes that share their rate-limit counts
(without Redis, in the database: core/counters.py)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.management.base import CommandError

from shouhou.core.management.commands.serve import cores, web_processes
from shouhou.core.testing.asgiserver import free_port
from shouhou.core.testing.waiting import wait_until

REPO = Path(__file__).resolve().parents[3]


def test_the_number_of_web_processes_comes_from_the_flag_the_variable_or_the_cores():
    assert web_processes(3, {"SHOUHOU_WEB_PROCESSES": "5"}) == 3
    assert web_processes(None, {"SHOUHOU_WEB_PROCESSES": "5"}) == 5
    assert web_processes(None, {}) == cores() == len(os.sched_getaffinity(0))
    with pytest.raises(CommandError, match="SHOUHOU_WEB_PROCESSES 应为正整数，收到「two」"):
        web_processes(None, {"SHOUHOU_WEB_PROCESSES": "two"})
    with pytest.raises(CommandError, match="--processes 应在 1–64 之间，收到 0"):
        web_processes(0, {})


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _portal_burst(port: int, n: int) -> list[int]:
    """n wrong guesses at once (each another order number) from this address: the statuses."""
    import re
    import urllib.parse
    from concurrent.futures import ThreadPoolExecutor

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/p/", timeout=10) as response:
        cookie = next(c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") if c.startswith("csrftoken="))
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.read().decode()).group(1)

    def guess(i: int) -> int:
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "order_no": f"DY-NONE-{i}",
                                       "last4": "0000"}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/p/", data=body, headers={
            "Cookie": cookie, "Referer": f"http://127.0.0.1:{port}/p/"})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status
        except urllib.error.HTTPError as exc:
            return exc.code

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(guess, range(n)))


@contextlib.contextmanager
def _serving(tmp_path, *args: str, **extra_env: str):
    """`shouhou serve --no-migrate ARGS` on a free port with a fresh SQLite data directory: (process, port, log);
    stopped (its whole process group) afterwards."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOUHOU_", "PYTEST"))}
    env.update({"SHOUHOU_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "shouhou.config.settings",
                "PYTHONUNBUFFERED": "1", **extra_env})
    subprocess.run([sys.executable, "-m", "shouhou", "migrate", "--noinput", "-v", "0"], cwd=REPO, env=env,
                   check=True, timeout=300)
    port, log = free_port(), tmp_path / "serve.log"
    proc = subprocess.Popen([sys.executable, "-m", "shouhou", "serve", "--no-migrate", "--port", str(port), *args],
                            cwd=REPO, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc, port, log
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_serve_with_two_processes_answers_from_both_and_counts_rate_limits_across_them(tmp_path):
    with _serving(tmp_path, "--no-worker", SHOUHOU_WEB_PROCESSES="2") as (proc, port, log):
        _answers_from_two_processes(proc, port, log)


def _answers_from_two_processes(proc, port, log) -> None:
    def status(path: str) -> int:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if status("/accounts/login/") == 200 and len(_children(proc.pid)) >= 2:
                break
        except OSError:
            pass
        time.sleep(0.5)
    else:
        raise AssertionError(log.read_text()[-2000:])
    assert "2 个网页进程" in log.read_text()
    # two server processes (uvicorn's supervisor spawns them) listen on the one port
    servers = [pid for pid in _children(proc.pid)
               if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    assert len(servers) == 2, servers
    # each server process was told it serves, so it froze its startup objects (core/runtime.py)
    for pid in servers:
        assert b"SHOUHOU_SERVING=1" in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"), pid
    # the survey page allows 30 requests a minute per address, counted across both processes
    if time.time() % 60 > 45:  # the window is a calendar minute: start in a fresh one
        time.sleep(61 - time.time() % 60)
    codes = [status("/insight/s/no-such-token/") for _ in range(34)]
    assert codes[:30] == [404] * 30 and set(codes[30:]) == {429}, codes
    # the portal's 5 guesses per address hold for 40 guesses sent at once, whichever process takes each
    assert sorted(_portal_burst(port, 40)) == [200] * 5 + [429] * 35


def test_serve_starts_its_worker_again_when_it_dies(tmp_path):
    # given serve with its background worker
    with _serving(tmp_path, "--processes", "1") as (proc, _port, log):
        second = _worker_restarted(proc, log)
    # and stopping serve stops the new worker too (no restart while stopping)
    _wait_for(lambda: not Path(f"/proc/{second}").exists() or b") Z " in Path(f"/proc/{second}/stat").read_bytes(),
              "the restarted worker outlived serve", log, 30)


def _wait_for(check, what: str, log: Path, seconds: float = 90):
    """check()'s first true value within `seconds`, else fail with what serve printed."""
    found = []
    if not wait_until(lambda: found.append(check()) or found[-1], seconds):
        raise AssertionError(f"{what}: {log.read_text()[-2000:]}")
    return found[-1]


def _worker_restarted(proc, log: Path) -> int:
    def is_worker(pid: int) -> bool:
        try:
            return b"worker" in Path(f"/proc/{pid}/cmdline").read_bytes()
        except (FileNotFoundError, ProcessLookupError):  # a child that ended (was reaped) since it was listed
            return False

    def worker_pids() -> list[int]:
        return [pid for pid in _children(proc.pid) if is_worker(pid)]

    first = _wait_for(worker_pids, "no worker started", log)[0]
    # when the worker is killed (with its task processes)
    os.killpg(first, signal.SIGKILL)
    # then serve starts a new one and says so
    second = _wait_for(lambda: [p for p in worker_pids() if p != first], "the worker was not started again", log)[0]
    text = _wait_for(lambda: "后台任务进程已重启" in log.read_text() and log.read_text(), "no restart line", log)
    assert "后台任务进程已退出（退出码 -9）" in text and f"后台任务进程已重启（pid {second}）" in text
    assert not Path(f"/proc/{first}").exists()  # reaped, not left <defunct>
    return second


def test_a_port_that_cannot_be_served_is_refused_before_anything_starts():
    import socket

    from shouhou.core.management.commands.serve import port_problem

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match=f"无法在 127.0.0.1:{port} 上提供服务"):
            port_problem("127.0.0.1", port)
    with pytest.raises(CommandError, match="--port 应在 1–65535 之间，收到 70000"):
        port_problem("127.0.0.1", 70000)
    with pytest.raises(CommandError, match="--host 无法识别"):
        port_problem("no-such-host.invalid", 8000)
    port_problem("127.0.0.1", free_port())  # a free port passes
