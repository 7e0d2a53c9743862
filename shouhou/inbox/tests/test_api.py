"""/api/inbox/ over real HTTP (Django test client), authenticated like any caller: a per-shop bearer
token with the `inbox` scope and a role (agent, supervisor, analyst), or a logged-in session.

The shop has the default SLA install (desk calendar every day 09:00–24:00, web chat answered within
5 minutes) and the default Chinese scripts; the clock is frozen on Monday 2026-11-23 10:00 Shanghai.
"""

from __future__ import annotations

import json

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.accounts.services import token_issue
from shouhou.core.testing.factories import (
    CustomerFactory,
    MembershipFactory,
    OrderFactory,
    OrderLineFactory,
    UserFactory,
)
from shouhou.inbox.models import Conversation, Escalation, Message, Script, Shift, Ticket
from shouhou.inbox.scripts import scripts_install_defaults
from shouhou.sla.services import sla_defaults_install
from shouhou.sla.tests.helpers import agent_profile, at, frozen, local

pytestmark = pytest.mark.django_db

BASE = "/api/inbox"
PHONE = "13912345678"


class Caller:
    """The test client with one Authorization header (or a session when token is None)."""

    def __init__(self, client, token=None):
        self.client = client
        self.headers = {"Authorization": token.header} if token is not None else {}

    def get(self, path, **params):
        return self.client.get(BASE + path, params, headers=self.headers)

    def post(self, path, data=None):
        return self.client.post(BASE + path, json.dumps(data or {}), content_type="application/json",
                                headers=self.headers)


@pytest.fixture
def clock():
    with frozen("2026-11-23 10:00") as traveller:
        yield traveller


@pytest.fixture
def desk(shop, clock):
    sla_defaults_install(shop=shop)
    scripts_install_defaults(shop=shop)
    return shop


@pytest.fixture
def customer(desk):
    return CustomerFactory(shop=desk, name="王小丫", phone=PHONE, phone_last4=PHONE[-4:])


@pytest.fixture
def order(desk, customer):
    o = OrderFactory(shop=desk, customer=customer, order_no="OD2026112301")
    OrderLineFactory(order=o, product__shop=desk, product_name="法式碎花连衣裙")
    return o


def _caller(client, shop, role) -> Caller:
    return Caller(client, token_issue(actor=SYSTEM, shop=shop, name=f"inbox-{role}", scopes=["inbox"], role=role))


@pytest.fixture
def api(client, desk):
    """An agent's token."""
    return _caller(client, desk, Role.AGENT)


@pytest.fixture
def sup(client, desk):
    return _caller(client, desk, Role.SUPERVISOR)


@pytest.fixture
def analyst(client, desk):
    return _caller(client, desk, Role.ANALYST)


def inbound(api, body="衣服收到就开线了，质量太差", **extra):
    payload = {"channel": "web_chat", "body": body, **extra}
    return api.post("/messages", payload)


def new_ticket(api, customer, body="衣服收到就开线了，质量太差", **extra) -> int:
    r = inbound(api, body, customer_id=customer.pk, **extra)
    assert r.status_code == 201, r.content
    return r.json()["ticket_id"]


# --- inbound messages -----------------------------------------------------------------------------

def test_inbound_message_opens_conversation_and_triaged_ticket(api, customer, order):
    r = inbound(api, external_id="wx-1", customer_id=customer.pk, order_no=order.order_no)

    assert r.status_code == 201, r.content
    got = r.json()
    assert got["duplicate"] is False and got["ticket_number"].startswith("T261123")
    ticket = Ticket.objects.get(pk=got["ticket_id"])
    assert (ticket.conversation_id, ticket.customer_id, ticket.order_id) == (got["conversation_id"], customer.pk,
                                                                             order.pk)
    assert (ticket.category, ticket.status) == ("quality", "new")
    assert local(ticket.first_response_due_at) == "2026-11-23 10:05"
    assert Message.objects.get(pk=got["message_id"]).direction == "inbound"


def test_the_same_external_id_pushed_twice_is_stored_once(api, customer):
    first = inbound(api, external_id="wx-dup", customer_id=customer.pk)
    again = inbound(api, external_id="wx-dup", customer_id=customer.pk)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {**first.json(), "duplicate": True}
    assert Message.objects.filter(external_id="wx-dup").count() == 1
    assert Ticket.objects.count() == 1 and Conversation.objects.count() == 1


def test_a_second_message_joins_the_open_ticket(api, customer):
    first = inbound(api, external_id="m1", customer_id=customer.pk).json()
    second = inbound(api, "还有，线头也很多", external_id="m2", customer_id=customer.pk)

    assert second.status_code == 201
    assert (second.json()["ticket_id"], second.json()["conversation_id"]) == (first["ticket_id"],
                                                                              first["conversation_id"])
    assert Message.objects.filter(conversation_id=first["conversation_id"]).count() == 2


def test_inbound_refusals_name_the_field(api, customer, other_shop):
    stranger = CustomerFactory(shop=other_shop)

    r = inbound(api, channel="carrier_pigeon", customer_id=customer.pk)
    assert r.status_code == 400 and r.json()["detail"] == "未知的渠道：carrier_pigeon"
    r = inbound(api, customer_id=stranger.pk)
    assert r.status_code == 404 and r.json()["errors"][0]["loc"] == ["customer_id"]
    r = inbound(api, order_no="OD-NOPE", customer_id=customer.pk)
    assert r.status_code == 404 and r.json()["detail"] == "订单不存在"
    r = inbound(api, body="")
    assert r.status_code == 422
    assert Message.objects.count() == 0


# --- replies, notes -------------------------------------------------------------------------------

def test_reply_stops_the_first_response_clock(client, desk, agent, customer, clock):
    api = Caller(client)
    client.force_login(agent)
    tid = new_ticket(api, customer)
    before = api.get(f"/tickets/{tid}").json()
    assert before["clock"]["target"] == "first_response" and before["clock"]["remaining_seconds"] == 300

    clock.move_to(at("2026-11-23 10:03"))
    r = api.post(f"/tickets/{tid}/reply", {"body": "亲，非常抱歉给您添麻烦了，我们马上为您处理，换货还是退款呢？"})

    assert r.status_code == 201, r.content
    assert (r.json()["direction"], r.json()["author"]) == ("outbound", "agent")
    after = api.get(f"/tickets/{tid}").json()
    assert local(Ticket.objects.get(pk=tid).first_responded_at) == "2026-11-23 10:03"
    assert after["first_responded_at"] is not None
    assert after["clock"]["target"] == "resolution"
    assert (after["status"], after["assignee"]) == ("open", "agent")
    assert [m["direction"] for m in after["messages"]] == ["inbound", "outbound"]


def test_reply_offering_cashback_for_a_good_review_is_refused_with_the_reason(api, customer):
    tid = new_ticket(api, customer)

    r = api.post(f"/tickets/{tid}/reply", {"body": "亲，给个五星好评返现5元哦"})

    assert r.status_code == 422
    body = r.json()
    assert body["detail"].startswith("回复未发送：「五星好评返现」：不得以返现或金钱换取好评")
    assert body["errors"][0]["loc"] == ["body"]
    assert not Message.objects.filter(direction="outbound").exists()
    assert Ticket.objects.get(pk=tid).first_responded_at is None


def test_reply_with_a_script_counts_its_use_and_another_shops_script_is_404(api, customer, other_shop):
    tid = new_ticket(api, customer)
    script = api.get(f"/tickets/{tid}/scripts").json()[0]
    scripts_install_defaults(shop=other_shop)
    foreign = Script.objects.filter(shop=other_shop).first()

    r = api.post(f"/tickets/{tid}/reply", {"body": "亲，马上为您处理", "script_id": script["id"]})
    assert r.status_code == 201 and r.json()["script_id"] == script["id"]
    assert Script.objects.get(pk=script["id"]).usage_count == 1
    r = api.post(f"/tickets/{tid}/reply", {"body": "亲，马上为您处理", "script_id": foreign.pk})
    assert r.status_code == 404 and r.json()["detail"] == "话术不存在"


def test_notes_stay_internal_and_leave_the_clock_alone(api, customer):
    tid = new_ticket(api, customer)

    r = api.post(f"/tickets/{tid}/notes", {"body": "顾客上次也反馈过开线，注意语气"})

    assert r.status_code == 201 and r.json()["direction"] == "note"
    t = Ticket.objects.get(pk=tid)
    assert t.first_responded_at is None and t.status == "new"
    detail = api.get(f"/tickets/{tid}").json()
    assert detail["clock"]["target"] == "first_response"
    note_events = [e for e in detail["events"] if e["kind"] == "note"]
    assert note_events and not any(e["visible_to_customer"] for e in note_events)
    assert all("注意语气" not in p["note"] for p in detail["customer_progress"])
    msg = Message.objects.get(pk=r.json()["id"])
    assert msg.delivery_status != "sent"  # never pushed to the customer's channel


def test_reply_to_a_closed_ticket_is_refused(api, customer):
    tid = new_ticket(api, customer)
    assert api.post(f"/tickets/{tid}/status", {"status": "closed"}).status_code == 200

    r = api.post(f"/tickets/{tid}/reply", {"body": "亲，还在吗"})

    assert r.status_code == 409 and "已关闭，不能再回复" in r.json()["detail"]


# --- phone calls ----------------------------------------------------------------------------------

def test_a_logged_call_opens_a_phone_ticket_answered_at_once(client, desk, agent, customer, clock):
    api = Caller(client)
    client.force_login(agent)

    r = api.post("/calls", {"phone": "139 1234 5678", "summary": "顾客问退货地址", "duration_seconds": 95})

    assert r.status_code == 201, r.content
    t = r.json()
    assert (t["channel"], t["customer_id"], t["assignee"]) == ("phone", customer.pk, "agent")
    assert local(Ticket.objects.get(pk=t["id"]).first_responded_at) == "2026-11-23 10:00"
    assert t["messages"][0]["body"] == "【来电 1分35秒】顾客问退货地址"
    assert [m["direction"] for m in t["messages"]] == ["inbound", "outbound"]
    assert PHONE not in r.content.decode() and t["customer_phone"] == "139****5678"

    clock.move_to(at("2026-11-23 11:00"))
    again = api.post("/calls", {"customer_id": customer.pk, "summary": "回电告知地址", "direction": "outbound"})
    assert again.status_code == 201 and again.json()["id"] == t["id"]
    assert local(Ticket.objects.get(pk=t["id"]).first_responded_at) == "2026-11-23 10:00"


def test_call_log_refusals(api, analyst, customer):
    r = api.post("/calls", {"summary": "没留号码"})
    assert r.status_code == 400 and r.json()["errors"][0]["loc"] == ["phone"]
    r = api.post("/calls", {"phone": "12", "summary": "号码不全"})
    assert r.status_code == 400 and r.json()["errors"][0]["loc"] == ["phone"]
    r = api.post("/calls", {"customer_id": customer.pk, "summary": "x", "direction": "sideways"})
    assert r.status_code == 400 and r.json()["errors"][0]["loc"] == ["direction"]
    assert analyst.post("/calls", {"customer_id": customer.pk, "summary": "x"}).status_code == 403
    assert not Ticket.objects.exists()


# --- assign, status, priority ---------------------------------------------------------------------

def test_assign_to_a_member_back_to_queue_and_a_non_member_refused(api, customer, agent, other_shop):
    tid = new_ticket(api, customer)
    MembershipFactory(shop=other_shop, role=Role.AGENT, user=UserFactory(username="outsider"))

    r = api.post(f"/tickets/{tid}/assign", {"username": "agent"})
    assert r.status_code == 200 and r.json()["assignee"] == "agent"
    r = api.post(f"/tickets/{tid}/assign", {"username": "outsider"})
    assert r.status_code == 400 and r.json()["detail"] == "「outsider」不是本店铺的成员"
    assert Ticket.objects.get(pk=tid).assignee == agent
    r = api.post(f"/tickets/{tid}/assign", {"username": None})
    assert r.status_code == 200 and r.json()["assignee"] is None
    assert [e["to_value"] for e in r.json()["events"] if e["kind"] == "assigned"] == ["agent", ""]


def test_status_transitions_pause_resolve_and_refuse_invalid_ones(api, customer, clock):
    tid = new_ticket(api, customer)
    api.post(f"/tickets/{tid}/reply", {"body": "亲，请拍一张开线处的照片给我们看看"})

    r = api.post(f"/tickets/{tid}/status", {"status": "pending_customer", "note": "等顾客拍照"})
    assert r.status_code == 200 and r.json()["status"] == "pending_customer"
    assert r.json()["clock"]["paused"] is True and r.json()["clock"]["due_at"] is None

    r = api.post(f"/tickets/{tid}/status", {"status": "resolved"})
    assert r.status_code == 200 and r.json()["status"] == "resolved" and r.json()["resolved_at"] is not None

    r = api.post(f"/tickets/{tid}/status", {"status": "pending_customer"})
    assert r.status_code == 409
    assert r.json()["detail"].endswith("当前状态为「已解决」，不能变更为「等待顾客」。")
    r = api.post(f"/tickets/{tid}/status", {"status": "escalated"})
    assert r.status_code == 409 and "不能变更为「已升级」" in r.json()["detail"]
    r = api.post(f"/tickets/{tid}/status", {"status": "done"})
    assert r.status_code == 400 and r.json()["detail"].startswith("未知的工单状态：done（可选：new、open")
    assert Ticket.objects.get(pk=tid).status == "resolved"


def test_escalated_status_only_through_an_escalation(api, customer):
    tid = new_ticket(api, customer)

    r = api.post(f"/tickets/{tid}/status", {"status": "escalated"})

    assert r.status_code == 409 and "升级部门" in r.json()["detail"]


def test_priority_change_is_recorded_and_out_of_range_refused(api, customer):
    tid = new_ticket(api, customer)

    r = api.post(f"/tickets/{tid}/priority", {"priority": 1})
    assert r.status_code == 200 and r.json()["priority"] == 1
    assert [(e["from_value"], e["to_value"]) for e in r.json()["events"] if e["kind"] == "priority"] == [
        ("普通", "紧急")]
    r = api.post(f"/tickets/{tid}/priority", {"priority": 5})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"][-1] == "priority"
    assert Ticket.objects.get(pk=tid).priority == 1


# --- escalations ----------------------------------------------------------------------------------

def test_escalation_create_update_close_and_what_the_customer_sees(api, customer, supervisor, clock):
    tid = new_ticket(api, customer)

    r = api.post(f"/tickets/{tid}/escalations", {"department": "quality", "request": "请质检判断是否批次问题",
                                                  "owner": "supervisor"})
    assert r.status_code == 201, r.content
    esc = r.json()
    assert (esc["department"], esc["status"], esc["owner"], esc["updates"]) == ("quality", "open", "supervisor", [])
    assert api.get(f"/tickets/{tid}").json()["status"] == "escalated"

    r = api.post(f"/escalations/{esc['id']}/updates", {"note": "质检已收到样品，正在检测"})
    assert r.status_code == 201 and r.json()["status"] == "in_progress"
    r = api.post(f"/escalations/{esc['id']}/updates", {"note": "疑似供应商批次问题", "visible_to_customer": False})
    assert [u["visible_to_customer"] for u in r.json()["updates"]] == [True, False]

    r = api.post(f"/escalations/{esc['id']}/close", {"note": "确认为个别瑕疵，可换新"})
    assert r.status_code == 200 and r.json()["status"] == "done" and r.json()["resolved_at"] is not None

    detail = api.get(f"/tickets/{tid}").json()
    assert detail["status"] == "open"
    seen = [p["note"] for p in detail["customer_progress"]]
    assert seen[0].startswith("已转交质检处理，预计")
    assert "质检：质检已收到样品，正在检测" in seen
    assert not any("供应商批次" in n for n in seen)
    assert seen[-1].startswith("质检已") and seen[-1].endswith("：确认为个别瑕疵，可换新")
    assert [x["id"] for x in api.get(f"/tickets/{tid}/escalations").json()] == [esc["id"]]

    r = api.post(f"/escalations/{esc['id']}/updates", {"note": "再补充一句"})
    assert r.status_code == 409 and "不能再添加进展" in r.json()["detail"]


def test_escalation_refusals(api, customer, other_shop):
    tid = new_ticket(api, customer)
    MembershipFactory(shop=other_shop, user=UserFactory(username="outsider"))

    r = api.post(f"/tickets/{tid}/escalations", {"department": "marketing", "request": "x"})
    assert r.status_code == 400 and r.json()["errors"][0]["loc"] == ["department"]
    assert "未知的部门：marketing" in r.json()["detail"]
    r = api.post(f"/tickets/{tid}/escalations", {"department": "quality", "request": "x", "owner": "outsider"})
    assert r.status_code == 400 and r.json()["errors"][0]["loc"] == ["owner"]
    r = api.post(f"/tickets/{tid}/escalations", {"department": "quality", "request": "x",
                                                  "due_at": "2026-11-24T10:00:00"})
    assert r.status_code == 400 and "须带时区" in r.json()["detail"]
    r = api.post(f"/tickets/{tid}/escalations", {"department": "quality", "request": "x",
                                                  "due_at": "2026-11-22T10:00:00+08:00"})
    assert r.status_code == 409 and r.json()["detail"] == "截止时间必须晚于现在。"
    assert not Escalation.objects.exists()
    r = api.post(f"/tickets/{tid}/escalations", {"department": "logistics", "request": "查件",
                                                  "due_at": "2026-11-24T10:00:00+08:00"})
    assert r.status_code == 201 and local(Escalation.objects.get().due_at) == "2026-11-24 10:00"
    r = api.post(f"/escalations/{r.json()['id']}/close", {"status": "lost"})
    assert r.status_code == 400 and r.json()["errors"][0]["loc"] == ["status"] and "「lost」" in r.json()["detail"]
    assert Escalation.objects.get().status == "open"


# --- scripts --------------------------------------------------------------------------------------

def test_scripts_list_filter_suggest_and_render_with_the_tickets_variables(api, customer, order):
    tid = new_ticket(api, customer, order_no=order.order_no)

    everything = api.get("/scripts").json()
    assert len(everything) >= 8 and all(s["is_active"] for s in everything)
    price = api.get("/scripts", scenario="price_drop").json()
    assert price and {s["scenario"] for s in price} == {"price_drop"}

    suggested = api.get(f"/tickets/{tid}/scripts", limit=3).json()
    assert len(suggested) == 3 and "quality" in suggested[0]["categories"]

    script = Script.objects.create(shop=customer.shop, scenario="quality_problem", title="测试变量",
                                   body="{customer}您好，订单{order_no}的{product}给您{remedy}")
    r = api.post(f"/scripts/{script.pk}/render", {"ticket_id": tid, "extra": {"remedy": "补发一件"}})
    assert r.status_code == 200
    assert r.json()["text"] == "王小丫您好，订单OD2026112301的法式碎花连衣裙给您补发一件"
    r = api.post(f"/scripts/{script.pk}/render", {})
    assert r.json()["text"] == "亲您好，订单您的订单的商品给您合适的售后方案"


# --- agents, shifts, team load --------------------------------------------------------------------

def test_team_configuration_needs_team_manage(api, sup, agent):
    r = api.post("/agents", {"username": "agent", "skills": ["clothing"]})
    assert r.status_code == 403 and r.json()["detail"] == "无权执行此操作。"

    r = sup.post("/agents", {"username": "agent", "skills": ["clothing"], "capacity": 5})
    assert r.status_code == 201 and (r.json()["skills"], r.json()["capacity"]) == (["clothing"], 5)
    profile_id = r.json()["id"]
    r = api.post("/shifts", {"agent_profile_id": profile_id, "starts_at": "2026-11-23T09:00:00+08:00",
                             "ends_at": "2026-11-23T18:00:00+08:00"})
    assert r.status_code == 403
    assert not Shift.objects.exists()
    assert [a["username"] for a in api.get("/agents").json()] == ["agent"]


def test_agent_profile_validation(sup, agent, other_shop):
    MembershipFactory(shop=other_shop, user=UserFactory(username="outsider"))

    r = sup.post("/agents", {"username": "outsider"})
    assert r.status_code == 400 and r.json()["errors"][0]["loc"] == ["username"]
    r = sup.post("/agents", {"username": "agent", "skills": ["clothing", "spaceships"]})
    assert r.status_code == 400 and r.json()["errors"][0]["loc"] == ["skills[1]"]
    assert "spaceships" in r.json()["detail"]
    assert sup.post("/agents", {"username": "agent"}).status_code == 201
    r = sup.post("/agents", {"username": "agent"})
    assert r.status_code == 400 and r.json()["detail"] == "「agent」已有客服资料"


def test_shifts_night_over_midnight_and_refusals(sup, desk, agent, other_shop):
    profile = agent_profile(desk, agent)
    foreign = agent_profile(other_shop, MembershipFactory(shop=other_shop).user)

    def shift(start, end, pid=profile.pk):
        return sup.post("/shifts", {"agent_profile_id": pid, "starts_at": start, "ends_at": end, "label": "夜班"})

    r = shift("2026-11-23T22:00:00+08:00", "2026-11-24T06:00:00+08:00")
    assert r.status_code == 201, r.content
    assert (r.json()["username"], r.json()["label"]) == ("agent", "夜班")
    r = shift("2026-11-25T08:00:00+08:00", "2026-11-26T08:00:01+08:00")
    assert r.status_code == 400 and r.json()["detail"] == "一个班次最长 24 小时"
    r = shift("2026-11-25T22:00:00+08:00", "2026-11-25T06:00:00+08:00")
    assert r.status_code == 400 and "夜班请把结束写成次日" in r.json()["detail"]
    r = shift("2026-11-24T05:00:00+08:00", "2026-11-24T09:00:00+08:00")
    assert r.status_code == 400 and r.json()["detail"] == "与该客服已有的班次重叠"
    r = shift("2026-11-25T09:00:00", "2026-11-25T18:00:00")
    assert r.status_code == 400 and "须带时区" in r.json()["detail"]
    r = shift("2026-11-25T09:00:00+08:00", "2026-11-25T18:00:00+08:00", pid=foreign.pk)
    assert r.status_code == 404
    assert Shift.objects.filter(shop=desk).count() == 1

    listed = sup.get("/shifts", start="2026-11-24T00:00:00+08:00").json()
    assert [s["label"] for s in listed] == ["夜班"]
    assert sup.get("/shifts", start="2026-11-24T06:00:00+08:00").json() == []


def test_team_load_counts_on_duty_open_breached_and_due_soon(api, desk, agent, supervisor, clock):
    agent_profile(desk, agent, capacity=4, shifts=(("2026-11-23 09:00", "2026-11-23 18:00"),))
    agent_profile(desk, supervisor, capacity=6)
    customers = [CustomerFactory(shop=desk) for _ in range(3)]
    ids = [new_ticket(api, c) for c in customers]
    for tid in ids:
        api.post(f"/tickets/{tid}/assign", {"username": "agent"})
    clock.move_to(at("2026-11-23 10:04"))  # two tickets more, due 10:09; the first three due 10:05
    late = [new_ticket(api, CustomerFactory(shop=desk)) for _ in range(2)]
    api.post(f"/tickets/{late[0]}/assign", {"username": "supervisor"})
    clock.move_to(at("2026-11-23 10:06"))

    rows = {r["username"]: r for r in api.get("/team-load").json()}

    assert (rows["agent"]["on_duty"], rows["agent"]["open"], rows["agent"]["capacity"],
            rows["agent"]["breached"]) == (True, 3, 4, 3)
    assert (rows["supervisor"]["on_duty"], rows["supervisor"]["open"], rows["supervisor"]["breached"],
            rows["supervisor"]["due_soon"]) == (False, 1, 0, 1)
    assert list(rows) == ["agent", "supervisor"]  # on duty first


# --- the queue ------------------------------------------------------------------------------------

def test_queue_masks_phones_orders_and_filters(api, desk, customer):
    urgent_customer = CustomerFactory(shop=desk)
    normal = new_ticket(api, customer)
    urgent = new_ticket(api, urgent_customer, "快递太慢了")
    api.post(f"/tickets/{urgent}/priority", {"priority": 1})

    r = api.get("/tickets")
    assert r.status_code == 200 and r.json()["total"] == 2
    items = r.json()["items"]
    assert [t["id"] for t in items] == [urgent, normal]
    mine = next(t for t in items if t["id"] == normal)
    assert mine["customer_phone"] == "139****5678"
    assert PHONE not in r.content.decode()
    assert [t["id"] for t in api.get("/tickets", category="logistics").json()["items"]] == [urgent]
    assert [t["id"] for t in api.get("/tickets", q="5678").json()["items"]] == [normal]
    assert api.get("/tickets", priority=1, per_page=1).json()["pages"] == 1
    r = api.get("/tickets", channel="fax")
    assert r.status_code == 400 and r.json()["errors"][0]["loc"] == ["channel"]
    assert "渠道「fax」不存在" in r.json()["detail"]


def test_conversation_list_and_detail_mask_phones(api, desk, customer):
    inbound(api, "电话里说不清，我再发一遍", channel="phone", contact_handle=PHONE)
    r = api.get("/conversations")
    assert r.status_code == 200 and r.json()[0]["contact"] == "139****5678"
    cid = r.json()[0]["id"]
    detail = api.get(f"/conversations/{cid}")
    assert detail.status_code == 200 and len(detail.json()["ticket_ids"]) == 1
    assert PHONE not in r.content.decode() + detail.content.decode()
    assert api.get("/conversations", channel="wechat").json() == []


@pytest.mark.parametrize("handle", ["+86 139-1234-5678", "139 1234 5678", "(+86)13912345678"])
def test_a_phone_written_with_spaces_or_country_code_is_masked_too(api, handle):
    inbound(api, "我的电话打不通", channel="phone", contact_handle=handle)

    r = api.get("/conversations")

    assert r.json()[0]["contact"] == "139****5678"
    assert "1234" not in r.content.decode()


def test_an_email_handle_is_shown_as_it_is(api):
    inbound(api, "发票什么时候开", channel="email", contact_handle="wang@example.com")

    assert api.get("/conversations").json()[0]["contact"] == "wang@example.com"


def test_an_order_of_another_customer_is_refused(api, desk, customer, order):
    someone_else = CustomerFactory(shop=desk)

    r = inbound(api, customer_id=someone_else.pk, order_no=order.order_no)

    assert r.status_code == 400 and r.json()["errors"][0]["loc"] == ["order_no"]
    assert r.json()["detail"] == "订单 OD2026112301 不属于该顾客"
    assert not Message.objects.exists()


def test_shift_list_bounds_must_carry_a_time_zone(sup):
    r = sup.get("/shifts", start="2026-11-24T00:00:00")

    assert r.status_code == 400 and r.json()["errors"][0]["loc"] == ["start"]


# --- isolation and roles --------------------------------------------------------------------------

def test_another_shops_ids_answer_404_and_lists_hold_only_our_rows(client, api, desk, customer, other_shop):
    sla_defaults_install(shop=other_shop)
    theirs_api = _caller(client, other_shop, Role.SUPERVISOR)
    theirs = new_ticket(theirs_api, CustomerFactory(shop=other_shop, name="乙店顾客"), "乙店的工单")
    x = theirs_api.post(f"/tickets/{theirs}/escalations", {"department": "warehouse", "request": "乙店"}).json()
    their_conv = Ticket.objects.get(pk=theirs).conversation_id
    ours = new_ticket(api, customer)

    for method, path, body in [
        ("get", f"/tickets/{theirs}", None), ("post", f"/tickets/{theirs}/reply", {"body": "你好"}),
        ("post", f"/tickets/{theirs}/notes", {"body": "备注"}), ("post", f"/tickets/{theirs}/assign", {"username": None}),
        ("post", f"/tickets/{theirs}/status", {"status": "closed"}),
        ("post", f"/tickets/{theirs}/priority", {"priority": 1}),
        ("get", f"/tickets/{theirs}/escalations", None),
        ("post", f"/tickets/{theirs}/escalations", {"department": "quality", "request": "x"}),
        ("get", f"/tickets/{theirs}/scripts", None),
        ("post", f"/escalations/{x['id']}/updates", {"note": "x"}), ("post", f"/escalations/{x['id']}/close", {}),
        ("get", f"/conversations/{their_conv}", None),
    ]:
        r = api.get(path) if method == "get" else api.post(path, body)
        assert r.status_code == 404, (path, r.status_code)
    script = Script.objects.filter(shop=desk).first()
    assert api.post(f"/scripts/{script.pk}/render", {"ticket_id": theirs}).status_code == 404

    assert [t["id"] for t in api.get("/tickets", status="all").json()["items"]] == [ours]
    lists = "".join(api.get(p).content.decode() for p in ("/conversations", "/scripts?active_only=false",
                                                          "/agents", "/shifts", "/team-load", "/tickets"))
    assert "乙店" not in lists
    t = Ticket.objects.get(pk=theirs)
    assert (t.status, t.priority, t.assignee_id) == ("escalated", 3, None)
    assert not Message.objects.filter(shop=other_shop).exclude(direction="inbound").exists()


def test_analyst_reads_but_changes_nothing(analyst, api, customer, desk, agent):
    tid = new_ticket(api, customer)
    profile = agent_profile(desk, agent)

    assert analyst.get("/tickets").status_code == 200
    assert analyst.get(f"/tickets/{tid}").status_code == 200
    assert analyst.get("/team-load").status_code == 200
    for path, body in [("/messages", {"channel": "web_chat", "body": "x"}), (f"/tickets/{tid}/reply", {"body": "x"}),
                       (f"/tickets/{tid}/notes", {"body": "x"}), (f"/tickets/{tid}/priority", {"priority": 1}),
                       (f"/tickets/{tid}/status", {"status": "closed"}),
                       (f"/tickets/{tid}/escalations", {"department": "quality", "request": "x"}),
                       ("/shifts", {"agent_profile_id": profile.pk, "starts_at": "2026-11-24T09:00:00+08:00",
                                    "ends_at": "2026-11-24T18:00:00+08:00"})]:
        r = analyst.post(path, body)
        assert r.status_code == 403, path
    t = Ticket.objects.get(pk=tid)
    assert (t.status, t.priority) == ("new", 3)
    assert Message.objects.count() == 1 and not Escalation.objects.exists() and not Shift.objects.exists()


def test_a_token_without_the_inbox_scope_is_refused(client, desk, customer):
    cases_only = Caller(client, token_issue(actor=SYSTEM, shop=desk, name="cases", scopes=["cases"], role=Role.AGENT))
    read_only = Caller(client, token_issue(actor=SYSTEM, shop=desk, name="read", scopes=["inbox:read"], role=Role.AGENT))

    assert cases_only.get("/tickets").status_code == 403
    assert read_only.get("/tickets").status_code == 200
    r = read_only.post("/messages", {"channel": "web_chat", "body": "x", "customer_id": customer.pk})
    assert r.status_code == 403 and "inbox" in r.json()["detail"]


def test_the_openapi_document_lists_every_inbox_operation(client):
    schema = client.get("/api/openapi.json").json()
    inbox = {(m.upper(), p.removeprefix("/api/inbox")) for p, item in schema["paths"].items()
             if p.startswith("/api/inbox/") for m in item}

    assert {("POST", "/messages"), ("GET", "/conversations"), ("GET", "/conversations/{conversation_id}"),
            ("GET", "/tickets"), ("GET", "/tickets/{ticket_id}"), ("POST", "/tickets/{ticket_id}/reply"),
            ("POST", "/tickets/{ticket_id}/notes"), ("POST", "/tickets/{ticket_id}/assign"),
            ("POST", "/tickets/{ticket_id}/status"), ("POST", "/tickets/{ticket_id}/priority"),
            ("GET", "/tickets/{ticket_id}/escalations"), ("POST", "/tickets/{ticket_id}/escalations"),
            ("POST", "/escalations/{escalation_id}/updates"), ("POST", "/escalations/{escalation_id}/close"),
            ("GET", "/scripts"), ("GET", "/tickets/{ticket_id}/scripts"), ("POST", "/scripts/{script_id}/render"),
            ("GET", "/agents"), ("POST", "/agents"), ("GET", "/shifts"), ("POST", "/shifts"),
            ("GET", "/team-load"), ("POST", "/calls")} <= inbox
    msg = schema["paths"]["/api/inbox/messages"]["post"]
    assert {"200", "201"} <= set(msg["responses"]) and "幂等" in msg["summary"]


def test_ticket_messages_show_the_delivery_retry_state(api, customer):
    import datetime as dt

    from django.utils import timezone

    tid = new_ticket(api, customer)
    reply = api.post(f"/tickets/{tid}/reply", {"body": "您好，马上为您处理"}).json()
    at = timezone.now() + dt.timedelta(minutes=5)
    Message.objects.filter(pk=reply["id"]).update(delivery_status="failed", delivery_error="errcode -1 system error",
                                                  delivery_attempts=1, delivery_retry_at=at)
    sent = [m for m in api.get(f"/tickets/{tid}").json()["messages"] if m["id"] == reply["id"]][0]
    assert (sent["delivery_status"], sent["delivery_attempts"], sent["delivery_error"]) == (
        "failed", 1, "errcode -1 system error")
    assert sent["delivery_retry_at"] is not None


def test_ticket_messages_carry_the_name_the_sender_gave_the_file(api, customer):
    from django.core.files.base import ContentFile

    tid = new_ticket(api, customer)
    message = Ticket.objects.get(pk=tid).conversation.messages.get()
    message.attachment.save("mail-F1.pdf", ContentFile(b"%PDF-1.4"), save=False)
    message.attachment_name = "发票.pdf"
    message.save()
    shown = api.get(f"/tickets/{tid}").json()["messages"][0]
    assert shown["attachment"].endswith(".pdf") and shown["attachment_name"] == "发票.pdf"


def test_a_ticket_carries_the_complaint_type_triage_read_with_its_name(api, customer):
    ticket_id = new_ticket(api, customer, body="你们卖的是假货吧，和专柜的完全不一样，防伪码也查不到")
    got = api.get(f"/tickets/{ticket_id}").json()
    assert got["complaint_type"] == Ticket.objects.get(pk=ticket_id).complaint_type == "counterfeit"
    assert got["complaint_type_label"] == "假货/非正品"
