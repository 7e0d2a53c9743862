"""One `shouhou serve` with its worker per data directory (config/serve_lock.py), with real processes: a second one
is refused at once naming the first; a serve killed with SIGKILL leaves neither a lock, a worker nor a web
process holding the port, so the next one starts on the same port."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from shouhou.config import serve_lock
from shouhou.core.testing.asgiserver import free_port

REPO = Path(__file__).resolve().parents[3]


def _env(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOUHOU_", "PYTEST", "DJANGO_"))}
    env.update({"SHOUHOU_DATA_DIR": str(data_dir), "SHOUHOU_WORKERS": "1"})
    return env


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("serve-lock")
    subprocess.run([sys.executable, "-m", "shouhou", "migrate", "--noinput", "-v", "0"], cwd=REPO, env=_env(path),
                   check=True, timeout=600)
    return path


def _start(data_dir: Path, port: int, *args: str) -> subprocess.Popen:
    log = (data_dir / f"serve-{port}.log").open("ab")
    return subprocess.Popen([sys.executable, "-m", "shouhou", "serve", "--no-migrate", "--port", str(port), *args],
                            cwd=REPO, env=_env(data_dir), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _answers(port: int, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "serve stopped before it answered"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise AssertionError(f"nothing answered on {port}")


def _descendants(pid: int) -> set[int]:
    """Every process whose parent chain leads to pid, or that was in its process group or its worker's."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            child = int(entry.name)
            found |= {child} | _descendants(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def test_a_second_serve_on_the_same_data_directory_is_refused_at_once_naming_the_first(data_dir):
    port, other = free_port(), free_port()
    first = _start(data_dir, port, "--processes", "1")
    try:
        _answers(port, first)
        started = time.monotonic()
        second = subprocess.run([sys.executable, "-m", "shouhou", "serve", "--no-migrate", "--port", str(other)],
                                cwd=REPO, env=_env(data_dir), capture_output=True, text=True, timeout=120)
        assert time.monotonic() - started < 30  # before Django's set-up, migrations or a worker
        assert second.returncode == 1
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, second.stderr
        assert lines[0].startswith(f"shouhou serve: 数据目录 {data_dir} 已有一个 shouhou serve 在运行")
        assert f"pid {first.pid}" in lines[0] and f"http://127.0.0.1:{port}/" in lines[0]
        assert "(shouhou serve is already running on this data directory" in lines[0]
        assert "Traceback" not in second.stderr and "已启动" not in second.stdout
        _answers(port, first, seconds=10)  # the first one goes on
        # `serve --no-worker` (web instances beside it, docs/deploy.md) is not refused
        extra = _start(data_dir, other, "--processes", "1", "--no-worker")
        try:
            _answers(other, extra)
        finally:
            _stop(extra)
    finally:
        _stop(first)


def test_a_killed_serve_blocks_no_restart_and_leaves_no_process_behind(data_dir):
    port = free_port()
    first = _start(data_dir, port, "--processes", "2")
    try:
        _answers(port, first)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # two web processes and the worker (with its task processes)
            left = _descendants(first.pid)
            if len(left) >= 4:
                break
            time.sleep(0.5)
        assert serve_lock.serving(data_dir)["pid"] == first.pid
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(_alive(pid) for pid in left):
            time.sleep(0.3)
        assert not [pid for pid in left if _alive(pid)], "processes of the killed serve still run"
        assert serve_lock.serving(data_dir) is None  # its lock file is there, its lock is not
        again = _start(data_dir, port, "--processes", "1")
        try:
            _answers(port, again)
            assert serve_lock.serving(data_dir)["pid"] == again.pid
        finally:
            _stop(again)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
        for pid in _descendants(first.pid):
            os.kill(pid, signal.SIGKILL)


def test_the_lock_is_one_per_data_directory_and_gone_with_its_holder(tmp_path):
    script = ("import sys, time\nfrom shouhou.config import serve_lock\n"
              "serve_lock.hold(sys.argv[1], host='0.0.0.0', port=8123)\nprint('held', flush=True)\ntime.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], cwd=REPO, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert serve_lock.serving(tmp_path)["port"] == 8123
        with pytest.raises(serve_lock.AlreadyServing) as refused:
            serve_lock.hold(tmp_path, host="127.0.0.1", port=8000)
        assert re.search(rf"（pid {holder.pid}，http://127\.0\.0\.1:8123/）", str(refused.value))
        assert serve_lock.serving(tmp_path / "elsewhere") is None
    finally:
        holder.kill()
        holder.wait(timeout=10)
    assert serve_lock.serving(tmp_path) is None
