"""Every core: two web processes and two workers on PostgreSQL + Redis, each its own OS process, as in
production (docs/deploy.md). A customer's message sent to one web process reaches an agent connected to
the other; an agent's reply sent to that one reaches the customer's page on the first; a ticket assigned
by a worker reaches the agent. The table backstop is set to ten minutes, so only Redis can carry these.
Self-contained: a private PostgreSQL server (core/testing/pgserver.py) and a private Redis on free ports,
whatever database the rest of the suite uses."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from shouhou.core.testing.pgserver import PrivatePostgres, free_port

REPO = Path(__file__).resolve().parents[3]
TEXT = "多进程：我的面霜什么时候发货？"

SEED = """
import json
from shouhou.accounts.choices import Role
from shouhou.core.testing.factories import CustomerFactory, MembershipFactory, OrderFactory, ShopFactory, UserFactory
from shouhou.inbox.channels import webchat
shop = ShopFactory(name="小鹿直播旗舰店", code="xiaolu")
agent = MembershipFactory(shop=shop, role=Role.AGENT, user=UserFactory(username="agent")).user
order = OrderFactory(shop=shop, customer=CustomerFactory(shop=shop, name="李女士", phone="13812345678"),
                     order_no="XL20261101001")
order2 = OrderFactory(shop=shop, customer=CustomerFactory(shop=shop, name="赵女士", phone="13900002222"),
                      order_no="XL20261101002")
tokens = []
for o in (order, order2):
    conv = webchat.webchat_start(order=o)
    conv.bot_active = False
    conv.save(update_fields=["bot_active"])
    tokens.append(webchat.chat_token(conv))
print(json.dumps({"tokens": tokens}))
"""

ON_DUTY_AND_ROUTE = """
import datetime as dt
from django.contrib.auth import get_user_model
from django_q.tasks import async_task
from shouhou.core.clock import now
from shouhou.inbox.models import AgentProfile, Shift
agent = get_user_model().objects.get(username="agent")
membership = agent.memberships.get()
profile = AgentProfile.objects.create(shop_id=membership.shop_id, user=agent, capacity=8)
Shift.objects.create(shop_id=membership.shop_id, agent=profile, starts_at=now() - dt.timedelta(hours=1),
                     ends_at=now() + dt.timedelta(hours=8), label="白班")
async_task("shouhou.inbox.tasks.tickets_route_waiting_task")
"""


def _wait_http(url: str, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def _frames(ws, until, seconds: float):
    """Frames from the socket until `until(frame)` holds; the matching frame, or fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        assert left > 0, "the pushed event did not arrive in time"
        frame = json.loads(ws.recv(timeout=left))
        if until(frame):
            return frame


@pytest.fixture
def stack():
    root = Path(tempfile.mkdtemp(prefix="shouhou-procs-"))
    pg = PrivatePostgres().init()
    redis_port = free_port()
    procs: list[subprocess.Popen] = []
    redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",  # noqa: S607
                              "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(redis)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "SHOUHOU_"))}
    env.update({"SHOUHOU_DATABASE_URL": pg.url, "SHOUHOU_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
                "SHOUHOU_DATA_DIR": str(root), "SHOUHOU_LIVE_BACKSTOP_MS": "600000", "SHOUHOU_WORKERS": "1",
                "DJANGO_SETTINGS_MODULE": "shouhou.config.settings", "PYTHONPATH": str(REPO)})

    def shouhou(*args, **kwargs):
        return subprocess.run([sys.executable, "-m", "shouhou", *args], cwd=REPO, env=env, check=True,  # noqa: S603
                              capture_output=True, text=True, timeout=600, **kwargs)

    def start(*args):
        log = (root / f"{args[0]}-{len(procs)}.log").open("w")
        proc = subprocess.Popen([sys.executable, "-m", "shouhou", *args], cwd=REPO, env=env,  # noqa: S603
                                stdout=log, stderr=subprocess.STDOUT)
        procs.append(proc)
        return proc

    try:
        shouhou("migrate", "-v", "0")
        seeded = json.loads(shouhou("shell", "-c", SEED).stdout.strip().splitlines()[-1])
        ports = [free_port(), free_port()]
        webs = [start("serve", "--no-worker", "--no-migrate", "--processes", "1", "--port", str(p)) for p in ports]
        workers = [start("worker"), start("worker")]
        for port, web in zip(ports, webs, strict=True):
            _wait_http(f"http://127.0.0.1:{port}/accounts/login/", web)
        with contextlib.ExitStack() as sockets:
            yield {"ports": ports, "workers": workers, "seeded": seeded, "shouhou": shouhou,
                   "closing": sockets.enter_context, "pg": pg}
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(pg.root, ignore_errors=True)


def test_a_message_sent_to_one_web_process_reaches_an_agent_connected_to_the_other(stack):
    a, b = (f"127.0.0.1:{p}" for p in stack["ports"])
    token, token2 = stack["seeded"]["tokens"]

    # the agent logs in on web process B and connects the desk's live stream there
    agent = httpx.Client(base_url=f"http://{b}", timeout=10)
    agent.get("/accounts/login/")
    login = agent.post("/accounts/login/", data={"username": "agent", "password": "pass-12345",
                                                 "csrfmiddlewaretoken": agent.cookies["csrftoken"]})
    assert login.status_code == 302, login.text[:300]
    cookie = "; ".join(f"{k}={v}" for k, v in agent.cookies.items())
    desk = stack["closing"](connect(f"ws://{b}/ws/desk/", additional_headers={"Cookie": cookie, "Origin": f"http://{b}"}))
    assert json.loads(desk.recv(timeout=10))["type"] == "hello"

    # the customer's chat page is served by web process A, and its live stream is connected there
    customer = httpx.Client(base_url=f"http://{a}", timeout=10)
    assert customer.get(f"/inbox/chat/{token}/").status_code == 200
    chat = stack["closing"](connect(f"ws://{a}/ws/chat/{token}/", additional_headers={"Origin": f"http://{a}"}))
    assert json.loads(chat.recv(timeout=10))["type"] == "hello"

    # when the customer sends a message to A, the agent connected to B has it within a second
    sent = customer.post(f"/inbox/chat/{token}/send/", data={"body": TEXT, "client_id": "mp-1"},
                         headers={"X-CSRFToken": customer.cookies["csrftoken"]})
    assert sent.status_code == 200 and sent.json()["ok"], sent.text
    started = time.monotonic()
    frame = _frames(desk, lambda f: f.get("kind") == "message", 5)
    assert time.monotonic() - started < 1.0
    assert frame["data"]["preview"] == TEXT and frame["data"]["who"] == "me"
    ticket_id = frame["data"]["ticket_id"] or _frames(desk, lambda f: f.get("kind") == "ticket", 5)["data"]["ticket_id"]

    # when the agent replies through B, the customer's page connected to A has it within a second
    reply = agent.post(f"/desk/t/{ticket_id}/act/reply/", data={"body": "亲，今天下午发出"},
                       headers={"X-CSRFToken": agent.cookies["csrftoken"], "X-Desk-Fetch": "1"})
    assert reply.status_code == 200 and reply.json()["ok"], reply.text[:300]
    started = time.monotonic()
    pushed = _frames(chat, lambda f: f.get("kind") == "message" and f["data"]["who"] == "agent", 5)
    assert time.monotonic() - started < 1.0 and pushed["data"]["body"] == "亲，今天下午发出"

    # a worker's change reaches the agent too: another customer's ticket waits unassigned; the agent comes
    # on duty and a task (through the Redis broker) lets a worker route it: the assignment is pushed to B
    other = httpx.Client(base_url=f"http://{a}", timeout=10)
    other.get(f"/inbox/chat/{token2}/")
    waiting = other.post(f"/inbox/chat/{token2}/send/", data={"body": "我要退货", "client_id": "mp-2"},
                         headers={"X-CSRFToken": other.cookies["csrftoken"]})
    assert waiting.status_code == 200
    _frames(desk, lambda f: f.get("kind") == "message" and f["data"]["preview"] == "我要退货", 5)
    stack["shouhou"]("shell", "-c", ON_DUTY_AND_ROUTE)
    assigned = _frames(desk, lambda f: f.get("kind") == "ticket" and f["data"]["kind"] == "assigned", 30)
    assert assigned["data"]["ticket_id"] != ticket_id
    assert all(w.poll() is None for w in stack["workers"]), "a worker died"

    # the web processes keep their database connections in a pool (docs/deploy.md): the backends that served
    # the requests above are still open, and ten more sends are served by them, not by new ones (without the
    # pool every request opened a connection, a new PostgreSQL process, and closed it when done)
    def web_backends() -> set[int]:
        return {pid for (pid,) in stack["pg"].query(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'shouhou-web'")}

    kept = web_backends()
    assert kept, "no pooled connection of a web process is open"
    for n in range(10):
        more = customer.post(f"/inbox/chat/{token}/send/", data={"body": f"还有一个问题 {n}", "client_id": f"mp-p{n}"},
                             headers={"X-CSRFToken": customer.cookies["csrftoken"]})
        assert more.status_code == 200, more.text[:200]
    assert len(web_backends() - kept) <= 2
