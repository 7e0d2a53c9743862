"""`shouhou demo --platform-sandbox` for real: the command starts the 抖店 sandbox and `serve` (web + worker) on
free ports, connects the demo shop, and the sandbox's signed pushes travel over HTTP to the server; the cases
go push → decided → approved back → resolved, a lost push is found by reconciliation, the connection's
health shows the last push and sync, and stopping the demo stops serve and the sandbox with it.

The demo shop is built here at the demo instant (fixture `demo_clock`) and handed to the child processes
(SQLite: a copy of the test database in a file; PostgreSQL: the test database itself). The processes keep
the real clock, and the sandbox's orders are made relative to it, so the test passes on any date."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from shouhou.commerce.demo import DEMO_PASSWORD, demo_build
from shouhou.core.testing.asgiserver import free_port

pytestmark = pytest.mark.django_db(transaction=True)

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def demo_db(demo_clock, tmp_path):
    """A small demo shop in the test database; (the database URL for a child process, a raw SQL reader)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import override_settings

    demo_build(seed=7, orders=40, customers=20, other_apps=False)
    # the suite hashes passwords with MD5 for speed; the child processes only know the real hashers
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"]):
        user = get_user_model().objects.get(username="demo")
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    if connection.vendor == "sqlite":
        path = tmp_path / "demo.sqlite3"
        connection.ensure_connection()
        with closing(sqlite3.connect(path)) as target:
            connection.connection.backup(target)

        def rows(sql: str) -> list[tuple]:
            with closing(sqlite3.connect(path)) as db:
                return db.execute(sql).fetchall()

        return f"sqlite:///{path}", rows
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""

    def rows(sql: str) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()

    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}", rows


def _refused(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
    except httpx.ConnectError:
        return True
    except httpx.HTTPError:
        return False
    return False


def _group(pgid: int) -> list[int]:
    """The live processes of a process group (zombies waiting for their parent are gone already)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def test_demo_with_the_platform_sandbox_runs_the_whole_doudian_loop(demo_db, tmp_path):
    url, rows = demo_db
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOUHOU_", "PYTEST"))}
    env.update({"SHOUHOU_DATABASE_URL": url, "SHOUHOU_DATA_DIR": str(tmp_path), "SHOUHOU_WORKERS": "1",
                "DJANGO_SETTINGS_MODULE": "shouhou.config.settings", "PYTHONUNBUFFERED": "1"})
    demo = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "shouhou", "demo", "--if-empty", "--platform-sandbox", "--port", str(port),
         "--sandbox-port", "0", "--processes", "1", "--watch-seconds", "40", "--seconds", "120"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.extend(demo.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 90
        while not any("运行中" in line for line in out) and demo.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        text = "".join(out)
        assert "按 Ctrl+C 一起停止" in text, text[-3000:]
        sandbox_port = int(re.search(r"抖店沙箱：http://127\.0\.0\.1:(\d+)", text).group(1))
        serve_group = int(re.search(r"serve 已启动（进程组 (\d+)）", text).group(1))
        worker_group = int(re.search(r"后台任务进程已启动（pid (\d+)）", text).group(1))
        assert _group(serve_group) and _group(worker_group)  # serve, and its worker in a group of its own

        # three requests on three 抖店 orders: their cases carry the platform's ids
        cases = rows("SELECT a.aftersale_id, a.order_id, a.status, c.id, c.status, c.auto_approved, c.channel "
                     "FROM platforms_platformaftersale a JOIN cases_case c ON c.id = a.case_id ORDER BY a.aftersale_id")
        assert len(cases) == 3, text[-3000:]
        refund, ret, lost = cases
        assert all(row[0].isdigit() and row[1].isdigit() and row[6] == "doudian" for row in cases)
        # 未发货仅退款: pushed, decided by the policy, approved back (401 同意售前退), refunded on 抖店 (12), resolved
        assert (refund[2], refund[4], bool(refund[5])) == ("12", "resolved", True)
        # 退货退款: approved back (101), the buyer sent it back on 抖店 (11): the case waits for the warehouse
        assert (ret[2], ret[4], bool(ret[5])) == ("11", "in_transit_back", True)
        # the lost push: found by reconciliation, left to an agent
        assert (lost[2], lost[4], bool(lost[5])) == ("6", "requested", False)
        actions = rows("SELECT a.aftersale_id, o.kind, o.status, o.attempts FROM platforms_outboundaction o "
                       "JOIN platforms_platformaftersale a ON a.id = o.aftersale_id ORDER BY a.aftersale_id")
        assert actions == [(refund[0], "approve", "done", 1), (ret[0], "approve", "done", 1)]
        tags = rows(f"SELECT tag, status FROM platforms_platformevent WHERE aftersale_id = '{refund[0]}' ORDER BY id")
        assert ("200", "applied") in tags and ("206", "applied") in tags  # filed, then 抖店's 退款成功 push
        notes = [r[0] for r in rows(f"SELECT note FROM cases_caseevent WHERE case_id = {refund[3]} ORDER BY id")]
        assert any("平台已受理" in n for n in notes)
        health = rows("SELECT id, last_push_at, last_sync_at, push_auto_decisions FROM platforms_platformconnection")
        assert len(health) == 1 and health[0][1] and health[0][2] and health[0][3]

        # what the newcomer is told to open
        assert f"http://127.0.0.1:{port}/cases/{refund[3]}/" in text
        assert f"http://127.0.0.1:{port}/platforms/{health[0][0]}/" in text
        for step in ("政策引擎：自动通过", "抖店已受理：同意申请", "对账：从抖店读到 3 条售后单"):
            assert step in text
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            client.get("/accounts/login/")
            login = client.post("/accounts/login/", data={"username": "demo", "password": DEMO_PASSWORD,
                                                          "csrfmiddlewaretoken": client.cookies["csrftoken"]})
            assert login.status_code == 302, login.text[:300]
            page = client.get(f"/platforms/{health[0][0]}/").text
            for label in ("最近推送", "最近同步"):
                cell = re.search(label + r"</th><td>([^<]*)</td>", page).group(1)
                assert re.search(r"\d", cell), (label, cell)
            case_page = client.get(f"/cases/{refund[3]}/").text
            assert refund[0] in case_page and "售后成功" in case_page
            # the newcomer does what the demo says for the return: 确认收货 goes back (111), 抖店 refunds
            received = client.post(f"/cases/{ret[3]}/act/receive/",
                                   data={"csrfmiddlewaretoken": client.cookies["csrftoken"]})
            assert received.status_code == 302
        deadline = time.monotonic() + 20
        while rows(f"SELECT status FROM cases_case WHERE id = {ret[3]}")[0][0] != "resolved":
            assert time.monotonic() < deadline, rows(f"SELECT status FROM cases_case WHERE id = {ret[3]}")
            time.sleep(0.2)
        assert rows(f"SELECT status FROM platforms_platformaftersale WHERE aftersale_id = '{ret[0]}'") == [("12",)]
        assert rows("SELECT o.kind, o.status FROM platforms_outboundaction o JOIN platforms_platformaftersale a "
                    f"ON a.id = o.aftersale_id WHERE a.aftersale_id = '{ret[0]}' ORDER BY o.id") == [
            ("approve", "done"), ("confirm_receipt", "done")]

        # stopping the demo stops serve and the sandbox with it
        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=45) == 0
        reader.join(timeout=5)
        assert "抖店沙箱已停止" in "".join(out)
        assert _refused(port) and _refused(sandbox_port)
        assert _group(serve_group) == [] and _group(worker_group) == []  # the worker and its processes too
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait(timeout=10)
        for pattern in (r"serve 已启动（进程组 (\d+)）", r"后台任务进程已启动（pid (\d+)）"):
            found = re.search(pattern, "".join(out))
            if found and _group(int(found.group(1))):
                os.killpg(int(found.group(1)), signal.SIGKILL)


# --- every platform's demo loop, in this process -----------------------------------------------------------
# The command above is the 抖店 default run end to end (serve, worker, signals). The loop itself is the same for
# every platform: here each platform's sandbox pushes in its own format to this test's running shouhou (real HTTP
# both ways, tasks run at once), the demo's watcher follows, and the newcomer's 确认收货 goes back.
EXPECTED = {  # platform → (sandbox status: refunded, buyer sent it back, the lost request untouched; after 确认收货)
    "doudian": (12, 11, 6, 12),
    "kuaishou": (60, 40, 10, 60),
    "wechat_shop": ("MERCHANT_REFUND_SUCCESS", "MERCHANT_WAIT_RECEIPT", "MERCHANT_PROCESSING", "MERCHANT_RETURN_SUCCESS"),
    "youzan": ("SUCCESS", "WAIT_SELLER_CONFIRM_GOODS", "WAIT_SELLER_AGREE", "SUCCESS"),
}
LIMIT_WORDS = {"doudian": None, "kuaishou": "补寄发货", "wechat_shop": "没有补寄类型", "youzan": "没有换货、补寄"}


@pytest.fixture
def web_server(transactional_db):
    """The app served in a thread, each request on a connection of its own: Django's live_server shares the test
    thread's SQLite connection, and this test reads the database while the server takes pushes (a BEGIN on the
    shared connection then met the other thread's open transaction)."""
    from shouhou.core.testing.asgiserver import asgi_server_run

    yield from asgi_server_run()


@pytest.mark.parametrize("platform", sorted(EXPECTED))
def test_each_platforms_demo_loop_goes_round(platform, demo_clock, web_server, client):
    from django.contrib.auth import get_user_model

    from shouhou.cases.models import Case
    from shouhou.platforms import demo, services
    from shouhou.platforms.models import OutboundAction, PlatformAftersale

    shop = demo_build(seed=7, orders=40, customers=20, other_apps=False).shop
    kind = demo.demo_platform(platform)
    box = kind.start(port=0, push_url=f"{web_server.url}/platforms/{platform}/push/")
    out: list[str] = []
    try:
        conn = kind.connect(shop)
        plan = kind.scenarios()
        lines = demo.platform_orders(shop, [item.order_state for item in plan], kind)
        assert len(lines) == 3
        out += demo.intro(kind, plan)
        demo.file_requests(kind, plan, lines)
        assert demo.wait_for([item for item in plan if item.pushed], kind, out.append, seconds=20), out
        lost_link = PlatformAftersale.objects.filter(connection=conn, aftersale_id=plan[2].aftersale_id)
        assert not lost_link.exists()  # its push never came
        # reconciliation finds it (the requests acted on this very second may wait for the next pass's overlap)
        assert services.connection_sync(conn) >= 1 and lost_link.exists()
        assert demo.wait_for(plan, kind, out.append, seconds=20), out

        refund, ret, lost = plan
        statuses = EXPECTED[platform]
        assert [kind.status(item) for item in plan] == list(statuses[:3])
        cases = {item.key: Case.objects.get(pk=item.case_id) for item in plan}
        assert [(cases[k].status, cases[k].auto_approved, cases[k].channel) for k in ("refund", "return", "lost")] == [
            ("resolved", True, platform), ("in_transit_back", True, platform), ("requested", False, platform)]
        links = {link.aftersale_id: link for link in PlatformAftersale.objects.filter(connection=conn)}
        assert set(links) == {item.aftersale_id for item in plan}
        assert links[refund.aftersale_id].order_id == refund.line.order.order_no
        assert list(OutboundAction.objects.filter(connection=conn).order_by("pk").values_list(
            "aftersale__aftersale_id", "kind", "status")) == [(refund.aftersale_id, "approve", "done"),
                                                              (ret.aftersale_id, "approve", "done")]
        text = "\n".join(out)
        for step in ("政策引擎：自动通过", f"{kind.label}已受理：同意申请", f"{kind.label}售后状态 {statuses[0]}",
                     f"买家在{kind.label}填写退货单号寄回"):
            assert step in text, text
        if LIMIT_WORDS[platform]:  # what the platform's API cannot do is said
            assert f"{kind.label}接口做不到的" in text and LIMIT_WORDS[platform] in text, text
        else:
            assert "接口做不到的" not in text
        assert f"已结案：在案件页看{kind.label}的答复和时间线" == refund.next_step

        # the newcomer does what the demo says for the return: 确认收货 on the case page goes back, the platform
        # refunds and the case resolves
        client.force_login(get_user_model().objects.get(username="demo"))
        assert client.post(f"/cases/{ret.case_id}/act/receive/").status_code == 302
        assert kind.status(ret) == statuses[3]
        assert Case.objects.get(pk=ret.case_id).status == "resolved"
        assert list(OutboundAction.objects.filter(aftersale__aftersale_id=ret.aftersale_id).order_by("pk")
                    .values_list("kind", "status")) == [("approve", "done"), ("confirm_receipt", "done")]
        assert Case.objects.get(pk=lost.case_id).status == "requested"  # still the agent's to decide
    finally:
        box.stop()


def test_the_platform_sandbox_flag_takes_a_platform_and_keeps_doudian_bare():
    from django.core.management.base import CommandError

    from shouhou.commerce.management.commands.demo import Command

    parser = Command().create_parser("shouhou", "demo")
    assert parser.parse_args(["--platform-sandbox"]).platform_sandbox == "doudian"  # README's command
    assert parser.parse_args(["--platform-sandbox", "--port", "8001"]).platform_sandbox == "doudian"
    for platform in ("doudian", "kuaishou", "wechat_shop", "youzan"):
        assert parser.parse_args(["--platform-sandbox", platform]).platform_sandbox == platform
    assert parser.parse_args([]).platform_sandbox is None
    with pytest.raises(CommandError):
        parser.parse_args(["--platform-sandbox", "taobao"])
