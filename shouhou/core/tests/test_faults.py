"""Faults against a real PostgreSQL and a real task worker (both subprocesses, a private server).

(a) A worker SIGKILLed in the middle of a task: the task is delivered again and its effect happens once.
(b) The database restarting while webhooks arrive: senders get 503 + Retry-After (never a stack
    trace), nothing is half-written, and after retries every webhook took effect exactly once.
"""

from __future__ import annotations

import json
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


def server_now() -> int:
    """The clock of the `serve` process these tests start: the real one, even when SHOUHOU_TEST_CLOCK moves
    this process's clock (a signature stamped with the moved clock was refused as a replay)."""
    import time

    import time_machine

    if time_machine.escape_hatch.is_travelling():
        return int(time_machine.escape_hatch.time.time())
    return int(time.time())  # the escape hatch refuses to answer when no travel is on

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


@pytest.mark.parametrize("command", ["runserver", "serve"])
def test_database_restart_while_webhooks_arrive(pg, migrated, tmp_path, command):
    """Under Django's runserver (a connection per request) and under `serve` (the ASGI server, whose
    connections wait in a pool while the database restarts)."""
    port = free_port()
    env = _env(pg, migrated)
    args = ["runserver", f"127.0.0.1:{port}", "--noreload"] if command == "runserver" else \
        ["serve", "--no-worker", "--no-migrate", "--processes", "1", "--port", str(port)]
    server = subprocess.Popen([sys.executable, "-m", "shouhou", *args],
                              cwd=REPO, env=env, stdout=(tmp_path / "web.log").open("ab"),
                              stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: _post(base, b"{}", {})[0] == 401, 60, "web 服务启动")
        deliveries = []
        first = 0 if command == "runserver" else 1000  # both runs share the module's database
        for n in range(first, first + 60):
            body = f'{{"id": {n}, "slow": 0.05}}'.encode()
            deliveries.append((n, body, signed_headers(FAULT_SECRET, body, nonce=f"evt-{n}", timestamp=server_now())))

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
    if command == "runserver":
        assert unavailable, "数据库重启期间应至少有一个请求得到 503"
    # Under serve a request may instead wait for the pool to reconnect (up to its 10 s) and be served once the
    # database is back: a 503 there is allowed, not required; either way nothing is lost or applied twice.
    assert all(a[1] == "5" and "数据库连接中断" in a[2] and "Traceback" not in a[2] for a in unavailable)
    assert set(retried.values()) <= {200}
    assert replays == {200}
    parents = [(oid, count) for oid, count in pg.query(
        "select object_id, count(*) from core_auditevent where action = 'fault.hook.parent' group by object_id")
        if first <= int(oid) < first + 60]
    children = sum(1 for (after,) in pg.query("select after from core_auditevent where action = 'fault.hook.child'")
                   if first <= int((after if isinstance(after, dict) else json.loads(after))["id"]) < first + 60)
    assert sorted(int(oid) for oid, _ in parents) == list(range(first, first + 60))
    assert {count for _, count in parents} == {1}
    assert children == 60


# --- the product's own paths: a gateway outage under the real worker, real pushes during a restart ---

class _Gateway:
    """An Aliyun-SendSms-shaped gateway on 127.0.0.1: 503 while `down`, then OK with one BizId per OutId."""

    def __init__(self):
        from collections import Counter
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import parse_qsl

        self.down = True
        self.failed: Counter = Counter()
        self.sent: Counter = Counter()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                fields = dict(parse_qsl(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()))
                out_id = fields.get("OutId", "?")
                if gateway.down or fields.get("Action") != "SendSms":
                    gateway.failed[out_id] += 1
                    status, body = 503, b'{"Code": "ServiceUnavailable"}'
                else:
                    gateway.sent[out_id] += 1
                    status, body = 200, f'{{"Code": "OK", "BizId": "biz-{out_id}"}}'.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


SEED_MESSAGES = """
from django.db import transaction
from shouhou.commerce.models import Customer, Shop
from shouhou.notifications.services import notification_enqueue
shop = Shop.objects.create(name="故障测试店", code="fault-notify")
with transaction.atomic():  # the outbox rows and the business change commit together; dispatch after commit
    for i in range(3):
        c = Customer.objects.create(shop=shop, name=f"顾客{i}", phone=f"1390000000{i}", phone_last4=f"000{i}")
        notification_enqueue(shop=shop, customer=c, trigger="order_placed", context={"order_no": f"F{i}"},
                             idempotency_key=f"fault:order:{i}")
"""

SCHEDULER = """
import time
from django_q.tasks import async_task
for _ in range(150):  # the periodic outbox sweep, once a second instead of once a minute (bounded)
    async_task("shouhou.notifications.tasks.outbox_dispatch_task")
    time.sleep(1)
"""


def test_provider_outage_messages_wait_and_go_out_once_with_the_real_worker(pg, migrated, tmp_path):
    gateway = _Gateway()
    options = {"aliyun_sms": {"access_key_id": "LTAIfault", "access_key_secret": "s", "sign_name": "故障测试",
                              "template_codes": {"order_placed": "SMS_1"}, "base_url": gateway.url}}
    import json as _json

    env = _env(pg, migrated, SHOUHOU_FAULT_NOTIFY_CHANNELS=_json.dumps({"sms": "aliyun_sms"}),
               SHOUHOU_FAULT_NOTIFY_PROVIDERS=_json.dumps(options), SHOUHOU_FAULT_BACKOFF_SECONDS="1")
    log = tmp_path / "worker.log"
    worker = scheduler = None
    try:
        # Given three messages written with their business change while the SMS gateway is down ...
        _shouhou(env, "shell", "-c", SEED_MESSAGES)
        worker = _start_worker(env, log)
        scheduler = subprocess.Popen([sys.executable, "-m", "shouhou", "shell", "-c", SCHEDULER], cwd=REPO,
                                     env=env, stdout=(tmp_path / "sched.log").open("ab"), stderr=subprocess.STDOUT,
                                     start_new_session=True)
        # ... every message is tried and fails at least twice (the worker backs off and tries again),
        _wait_for(lambda: len(gateway.failed) == 3 and min(gateway.failed.values()) >= 2, 90, "网关故障期间的重试")
        rows = pg.query("select status, last_error from notifications_outboundmessage order by id")
        assert {status for status, _ in rows} <= {"queued", "sending"}  # waiting, not failed, not sent
        assert gateway.sent == {}
        # ... when the gateway recovers, each goes out, and exactly once.
        gateway.down = False
        _wait_for(lambda: pg.query("select count(*) from notifications_outboundmessage where status = 'sent'")[0][0]
                  == 3, 90, "网关恢复后发送")
        time.sleep(3)  # the sweep keeps running: nothing is sent again
    finally:
        for proc in (scheduler, worker):
            if proc is not None:
                _kill_group(proc, signal.SIGTERM)
        gateway.stop()
        pg.query("delete from django_q_ormq returning id")  # sweeps still queued when the worker stopped

    ids = [str(pk) for (pk,) in pg.query("select id from notifications_outboundmessage order by id")]
    assert dict(gateway.sent) == {pk: 1 for pk in ids}
    assert all(gateway.failed[pk] >= 2 for pk in ids)
    rows = pg.query("select status, provider, provider_message_id, attempts from notifications_outboundmessage "
                    "order by id")
    assert [(s, p, m) for s, p, m, _ in rows] == [("sent", "aliyun_sms", f"biz-{pk}") for pk in ids]
    assert all(attempts >= 3 for *_, attempts in rows)


SEED_SHIPMENTS = """
from shouhou.commerce.models import Customer, Order, Shipment, Shop
shop = Shop.objects.create(name="推送故障店", code="fault-track", settings={"tracking_secret": "fault-track-secret"})
for n in range(40):
    c = Customer.objects.create(shop=shop, name=f"收件人{n}", phone=f"1370000{n:04d}", phone_last4=f"{n:04d}")
    o = Order.objects.create(shop=shop, order_no=f"FT{n:04d}", customer=c, total_paid=10)
    Shipment.objects.create(shop=shop, order=o, carrier="SF", tracking_no=f"SFFAULT{n:04d}", status="pending")
"""


def test_database_restart_while_tracking_pushes_arrive(pg, migrated, tmp_path):
    import datetime as _dt
    import json as _json

    _shouhou(_env(pg, migrated), "shell", "-c", SEED_SHIPMENTS)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "shouhou", "runserver", f"127.0.0.1:{port}", "--noreload"],
                              cwd=REPO, env=_env(pg, migrated), stdout=(tmp_path / "web.log").open("ab"),
                              stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/logistics/push/generic/fault-track/"
    start = _dt.datetime.now(_dt.UTC).replace(microsecond=0) - _dt.timedelta(hours=2)

    def post(body, headers):
        try:
            r = requests.post(url, data=body, timeout=10, headers={"Content-Type": "application/json", **headers})
            return r.status_code, r.headers.get("Retry-After", ""), r.text
        except requests.RequestException as exc:
            return 0, "", str(exc)

    try:
        _wait_for(lambda: post(b"{}", {})[0] == 401, 60, "web 服务启动")
        deliveries = []
        for n in range(40):
            body = _json.dumps({"carrier": "SF", "tracking_no": f"SFFAULT{n:04d}", "events": [
                {"time": start.isoformat(), "status": "picked_up", "description": "已揽收"},
                {"time": (start + _dt.timedelta(hours=1)).isoformat(), "status": "in_transit",
                 "description": "到达【深圳转运中心】"}]}).encode()
            deliveries.append((n, body, signed_headers("fault-track-secret", body, timestamp=server_now())))
        first: dict[int, tuple] = {}

        def sender():
            for n, body, headers in deliveries:
                first[n] = post(body, headers)
                time.sleep(0.05)

        thread = threading.Thread(target=sender)
        thread.start()
        time.sleep(0.5)
        pg.restart(pause=1.5)
        thread.join(timeout=120)
        # The sender retries what was not accepted, freshly signed as a real sender would.
        retried = {n: post(body, signed_headers("fault-track-secret", body, timestamp=server_now()))[0]
                   for n, body, _ in deliveries if first[n][0] != 200}
    finally:
        _kill_group(server, signal.SIGTERM)

    unavailable = [a for a in first.values() if a[0] == 503]
    assert {a[0] for a in first.values()} <= {200, 503}, first
    assert unavailable, "数据库重启期间应至少有一个推送得到 503"
    assert all(a[1] == "5" and "Traceback" not in a[2] for a in unavailable)
    assert set(retried.values()) <= {200}
    per_shipment = pg.query(
        "select s.tracking_no, s.status, count(e.id) from commerce_shipment s left join logistics_trackingevent e "
        "on e.shipment_id = s.id where s.tracking_no like 'SFFAULT%%' group by s.tracking_no, s.status")
    assert len(per_shipment) == 40
    assert {(status, events) for _, status, events in per_shipment} == {("in_transit", 2)}  # nothing half-written
    shipped = pg.query("select count(*), count(distinct idempotency_key) from notifications_outboundmessage "
                       "where trigger = 'order_shipped' and idempotency_key like 'shipment:%%'")[0]
    assert shipped == (40, 40)  # the "shipped" message once per parcel, whatever was retried
