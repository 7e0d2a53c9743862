"""Faults against a real PostgreSQL and a real task worker (both subprocesses, a private server).

(a) A worker SIGKILLed in the middle of a task: the task is delivered again and its effect happens once.
(b) The database restarting while webhooks arrive: senders get 503 + Retry-After (never a stack
    trace), nothing is half-written, and after retries every webhook took effect exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from shouhou.core.testing.faults import FAULT_SECRET
from shouhou.core.testing.pgserver import PrivatePostgres, free_port
from shouhou.core.webhooks import signed_headers

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def pg():
    server = PrivatePostgres().init()
    yield server
    server.destroy()


def _env(pg, tmp, **extra) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "shouhou.core.testing.fault_settings",
           "SHOUHOU_DATABASE_URL": pg.url, "SHOUHOU_DATA_DIR": str(tmp), "SHOUHOU_TASKS_SYNC": "false",
           "SHOUHOU_WORKERS": "1", "SHOUHOU_TASK_TIMEOUT": "5", "SHOUHOU_TASK_RETRY": "6",
           "SHOUHOU_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
    env.update(extra)
    return env


def _shouhou(env, *args, timeout=300) -> str:
    done = subprocess.run([sys.executable, "-m", "shouhou", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def migrated(pg, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    _shouhou(_env(pg, tmp), "migrate", "--noinput", "-v", "0")
    return tmp


def _start_worker(env, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "shouhou", "worker"], cwd=REPO, env=env,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)


def _kill_group(proc: subprocess.Popen, sig=signal.SIGKILL) -> None:
    """Signal the process group we started (the worker forks its own children)."""
    try:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=15)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"等待超时：{what}")


@pytest.mark.parametrize("pause_where", ["inside", "after"])
def test_worker_killed_mid_task_runs_it_again_with_one_effect(pg, migrated, tmp_path, pause_where):
    env = _env(pg, migrated)
    key = f"credit-{pause_where}"
    func = "shouhou.core.testing.faults.credit_once"
    successes_before = pg.query("select count(*) from django_q_task where func = %s and success", (func,))[0][0]
    markers = tmp_path / "markers"
    markers.mkdir()
    _shouhou(env, "shell", "-c",
             "from django_q.tasks import async_task; "
             f"async_task('shouhou.core.testing.faults.credit_once', {key!r}, {str(markers)!r}, {pause_where!r})")
    log = tmp_path / "worker.log"

    # Given a worker that has started the task ...
    first = _start_worker(env, log)
    _wait_for(lambda: (markers / f"{key}.started").exists(), 60, "任务开始执行")
    # ... when it is killed with SIGKILL in the middle of it,
    _kill_group(first)
    effects_after_kill = pg.query("select count(*) from core_auditevent where object_id = %s", (key,))[0][0]
    # then a new worker receives the task again (after the retry period) and the effect happens once.
    second = _start_worker(env, log)
    try:
        _wait_for(lambda: pg.query("select count(*) from django_q_task where func = %s and success",
                                   (func,))[0][0] == successes_before + 1
                  and pg.query("select count(*) from django_q_ormq")[0][0] == 0, 90, "任务重新投递、成功并确认")
    finally:
        _kill_group(second, signal.SIGTERM)

    assert effects_after_kill == (0 if pause_where == "inside" else 1)
    assert pg.query("select count(*) from core_auditevent where object_id = %s", (key,))[0][0] == 1
    assert pg.query("select count(*) from core_idempotencykey where key = %s", (key,))[0][0] == 1
    assert pg.query("select count(*) from django_q_ormq")[0][0] == 0  # nothing left to deliver
    assert pg.query("select count(*) from django_q_task where func = %s and not success", (func,))[0][0] == 0


def _post(base, body: bytes, headers: dict) -> tuple[int, str, str]:
    try:
        r = requests.post(f"{base}/fault-hook/", data=body, timeout=10,
                          headers={"Content-Type": "application/json", **headers})
        return r.status_code, r.headers.get("Retry-After", ""), r.text
    except requests.RequestException as exc:  # the sender sees a network error: it retries too
        return 0, "", str(exc)


def test_database_restart_while_webhooks_arrive(pg, migrated, tmp_path):
    port = free_port()
    env = _env(pg, migrated)
    server = subprocess.Popen([sys.executable, "-m", "shouhou", "runserver", f"127.0.0.1:{port}", "--noreload"],
                              cwd=REPO, env=env, stdout=(tmp_path / "web.log").open("ab"),
                              stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: _post(base, b"{}", {})[0] == 401, 60, "web 服务启动")
        deliveries = []
        for n in range(60):
            body = f'{{"id": {n}, "slow": 0.05}}'.encode()
            deliveries.append((n, body, signed_headers(FAULT_SECRET, body, nonce=f"evt-{n}")))

        first_answers: dict[int, tuple[int, str, str]] = {}

        def sender():
            for n, body, headers in deliveries:
                first_answers[n] = _post(base, body, headers)
                time.sleep(0.03)

        thread = threading.Thread(target=sender)
        thread.start()
        time.sleep(0.6)
        pg.restart(pause=1.5)  # the database goes away mid-stream and comes back
        thread.join(timeout=120)

        statuses = {answer[0] for answer in first_answers.values()}
        unavailable = [a for a in first_answers.values() if a[0] == 503]
        # The sender retries everything that did not answer 200, with the very same signed request.
        retried = {}
        for n, body, headers in deliveries:
            if first_answers[n][0] != 200:
                retried[n] = _post(base, body, headers)[0]
        # And replays of already-applied deliveries change nothing.
        replays = {_post(base, body, headers)[0] for _, body, headers in deliveries[:10]}
    finally:
        _kill_group(server, signal.SIGTERM)

    assert statuses <= {200, 503}, first_answers
    assert unavailable, "数据库重启期间应至少有一个请求得到 503"
    assert all(a[1] == "5" and "数据库连接中断" in a[2] and "Traceback" not in a[2] for a in unavailable)
    assert set(retried.values()) <= {200}
    assert replays == {200}
    parents = pg.query("select object_id, count(*) from core_auditevent where action = 'fault.hook.parent' "
                       "group by object_id")
    children = pg.query("select count(*) from core_auditevent where action = 'fault.hook.child'")[0][0]
    assert sorted(int(oid) for oid, _ in parents) == list(range(60))
    assert {count for _, count in parents} == {1}
    assert children == 60
