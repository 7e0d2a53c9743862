"""The two ways the product runs, as real processes:

- `shouhou serve` (the embedded default): one command starts the web server and the task worker on the
  SQLite database; a page answers over HTTP and a queued task is carried out by the worker it started.
- `SHOUHOU_REDIS_URL` set: the same code uses the local Redis as the task broker and the cache; a task
  queued by one process is carried out by `shouhou worker` in another.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
QUEUE_KEY = "django_q:shouhou:q"  # django-q2's Redis list for the cluster named "shouhou"

# Queue a task from a separate process, as a view or the CLI would.
ENQUEUE = "from django_q.tasks import async_task; print(async_task('math.floor', 2.5, task_name='{name}'))"
# Whether the worker has carried it out: django-q records a success with the task's result.
DONE = ("from django_q.models import Success; t = Success.objects.filter(name='{name}').first(); "
        "print('done', t.result) if t else print('waiting')")


def _env(tmp: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOUHOU_DATABASE", "SHOUHOU_REDIS"))}
    env.update({"SHOUHOU_DATA_DIR": str(tmp), "SHOUHOU_TASKS_SYNC": "false", "SHOUHOU_WORKERS": "1",
                "DJANGO_SETTINGS_MODULE": "shouhou.config.settings", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def _shouhou(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "shouhou", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_done(env: dict, name: str, timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    out = ""
    while time.monotonic() < deadline:
        out = _shouhou(env, "shell", "--no-imports", "-c", DONE.format(name=name)).strip()
        if out.startswith("done"):
            return out
        time.sleep(1)
    raise AssertionError(f"task {name} not carried out within {timeout}s (last: {out})")


def _stop(proc: subprocess.Popen) -> int:
    """SIGTERM the group we started (serve forks the worker, the worker its own children)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        return proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        return proc.wait(timeout=10)
    except ProcessLookupError:
        return proc.wait(timeout=10)


def test_serve_answers_pages_and_runs_the_worker_on_the_embedded_database(tmp_path):
    env = _env(tmp_path)
    _shouhou(env, "migrate", "--noinput", "-v", "0")
    port = _free_port()
    log = tmp_path / "serve.log"
    proc = subprocess.Popen([sys.executable, "-m", "shouhou", "serve", "--no-migrate", "--port", str(port)],
                            cwd=REPO, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline, page = time.monotonic() + 60, None
        while time.monotonic() < deadline and page is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as r:
                    page = (r.status, r.read().decode())
            except OSError:
                time.sleep(0.5)
        assert page is not None, log.read_text()[-2000:]
        assert page[0] == 200 and "登录" in page[1]
        assert (tmp_path / "shouhou.sqlite3").exists()  # the embedded default, no server needed
        _shouhou(env, "shell", "--no-imports", "-c", ENQUEUE.format(name="serve-probe"))
        assert _wait_until_done(env, "serve-probe") == "done 2"
        text = log.read_text()
        assert "后台任务进程已启动" in text and f"http://127.0.0.1:{port}/" in text
        worker_pid = int(re.search(r"后台任务进程已启动（pid (\d+)）", text).group(1))
        # Stopped by its pid alone (as `kill PID` or a supervisor that signals one process does), serve stops
        # the worker and every task process the worker started.
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _group_alive(worker_pid):
            time.sleep(0.2)
        assert not _group_alive(worker_pid), "the worker's processes outlived serve"
    finally:
        if proc.poll() is None:
            code = _stop(proc)
    assert code == 0, log.read_text()[-2000:]


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2):
            return True
    except OSError:
        return False


def test_redis_url_switches_broker_and_cache_to_the_local_redis(tmp_path):
    assert _redis_up(), "Redis must listen on 127.0.0.1:6379 (python3 dev.py test starts it)"
    import redis

    # A database number of its own, emptied first (the queue key is fixed by the cluster's name).
    url = "redis://127.0.0.1:6379/11"
    client = redis.Redis.from_url(url)
    client.flushdb()
    env = _env(tmp_path, SHOUHOU_REDIS_URL=url)
    _shouhou(env, "migrate", "--noinput", "-v", "0")
    settings_seen = _shouhou(env, "shell", "--no-imports", "-c", (
        "from django.conf import settings; from django.core.cache import cache, caches; cache.set('probe', 'ok', 60); "
        "print(settings.Q_CLUSTER.get('redis'), 'orm' in settings.Q_CLUSTER, caches['default'].__class__.__name__)")).split()
    assert settings_seen == [url, "False", "RedisCache"]
    assert any(b"probe" in key for key in client.keys("*"))  # the cache entry lives in Redis

    _shouhou(env, "shell", "--no-imports", "-c", ENQUEUE.format(name="redis-probe"))
    assert client.llen(QUEUE_KEY) == 1  # waiting in Redis, not in the database queue
    log = tmp_path / "worker.log"
    worker = subprocess.Popen([sys.executable, "-m", "shouhou", "worker"], cwd=REPO, env=env,
                              stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        assert _wait_until_done(env, "redis-probe") == "done 2", log.read_text()[-2000:]
        assert client.llen(QUEUE_KEY) == 0
    finally:
        _stop(worker)
        client.flushdb()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    # urllib must talk to 127.0.0.1 directly even where a proxy is configured.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
