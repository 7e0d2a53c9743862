from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shouhou.accounts.choices import Role
from shouhou.cases.choices import CaseStatus
from shouhou.cases.models import Case
from shouhou.commerce.choices import MembershipTier
from shouhou.core.testing.factories import (
    CustomerFactory,
    LiveSessionFactory,
    MembershipFactory,
    OrderLineFactory,
    ShopFactory,
    UserFactory,
)
from shouhou.desk.tests.factories import (
    AgentProfileFactory,
    EscalationFactory,
    ScriptFactory,
    ShiftFactory,
    TicketFactory,
)
from shouhou.inbox.choices import (
    Channel,
    Direction,
    EscalationStatus,
    TicketCategory,
    TicketEventKind,
    TicketStatus,
)
from shouhou.inbox.models import Escalation, Message, Script, Ticket, TicketEvent
from shouhou.inbox.services import message_receive

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 6, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _inbound(shop, body="衣服收到有破洞，怎么处理？", **kw):
    if "customer" not in kw:
        kw["customer"] = CustomerFactory(shop=shop, phone="13812345678")
    return message_receive(shop=shop, channel=kw.pop("channel", Channel.WEB_CHAT), body=body, **kw).ticket


def _html(response) -> str:
    return response.content.decode()


# --- the queue --------------------------------------------------------------------------------------

def test_queue_requires_login(client):
    response = client.get("/desk/queue/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_queue_lists_own_shop_tickets_with_a_running_countdown(agent_client, shop):
    # given a customer message that opened a ticket here, and one in another shop
    ticket = _inbound(shop)
    other = _inbound(ShopFactory(name="别家"), body="别家的问题")
    # when the agent opens the queue
    html = _html(agent_client.get("/desk/queue/"))
    # then our ticket is there with its first-response clock, the other shop's is not
    assert ticket.number in html and other.number not in html
    assert 'data-target="first_response"' in html
    assert f'data-due="{ticket.first_response_due_at.astimezone(NOW.tzinfo).isoformat()}"' in html
    assert "138****5678" in html and "13812345678" not in html


def test_queue_bad_filter_is_named_and_the_queue_still_shows(agent_client, shop):
    _inbound(shop)
    response = agent_client.get("/desk/queue/?priority=9")
    html = _html(response)
    assert response.status_code == 200
    assert 'data-testid="filter-error"' in html and "优先级应为 1–4 的整数" in html
    assert html.count('data-testid="queue-row"') == 1


def test_queue_filters_by_search(agent_client, shop):
    t1 = TicketFactory(shop=shop, conversation__customer=CustomerFactory(shop=shop, phone="13900004321"))
    t2 = TicketFactory(shop=shop)
    html = _html(agent_client.get("/desk/queue/?q=4321"))
    assert t1.number in html and t2.number not in html


def test_queue_rows_endpoint_returns_rows_and_counts(agent_client, shop, agent):
    ticket = _inbound(shop)
    data = agent_client.get("/desk/queue/rows/?scope=unassigned").json()
    assert ticket.number in data["html"]
    assert data["counts"]["open"] == 1 and data["total"] == (0 if ticket.assignee_id else 1)
    assert data["error"] == ""


def _queue_page_queries(client) -> int:
    from django.core.cache import cache

    cache.clear()  # count the queries of a cold page (the badges and reply rates are shared for a few seconds)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/desk/queue/").status_code == 200
    return len(ctx.captured_queries)


def test_queue_page_query_count_does_not_grow_with_tickets(agent_client, shop, agent):
    for _ in range(2):
        TicketFactory(shop=shop, assignee=agent, first_response_due_at=NOW + dt.timedelta(minutes=3))
    few = _queue_page_queries(agent_client)
    for _ in range(25):
        TicketFactory(shop=shop, first_response_due_at=NOW + dt.timedelta(minutes=9),
                      order=OrderLineFactory(order__shop=shop).order)
    assert _queue_page_queries(agent_client) == few


# --- the conversation view --------------------------------------------------------------------------

def test_conversation_shows_the_customer_at_a_glance(agent_client, shop):
    session = LiveSessionFactory(shop=shop, title="双11宠粉专场")
    customer = CustomerFactory(shop=shop, phone="13812345678", tier=MembershipTier.VIP)
    line = OrderLineFactory(order__shop=shop, order__customer=customer, order__live_session=session,
                            product_name="羊毛大衣")
    Case.objects.create(shop=shop, number="SH-EARLIER", order=line.order, order_line=line, customer=customer,
                        kind="exchange")
    from shouhou.reviews.models import Review

    Review.objects.create(shop=shop, customer=customer, rating=1, text="袖口开线")
    ticket = _inbound(shop, customer=customer, order=line.order)
    earlier = TicketFactory(shop=shop, conversation__customer=customer, status=TicketStatus.RESOLVED)
    assert earlier.pk != ticket.pk

    html = _html(agent_client.get(f"/desk/t/{ticket.pk}/"))

    assert "双11宠粉专场" in html and "羊毛大衣" in html and "SH-EARLIER" in html and "袖口开线" in html
    assert earlier.number in html and "VIP" in html
    assert "历史工单 <span class=\"muted\">(1)</span>" in html  # the earlier one, not the one open here
    assert "138****5678" in html and "13812345678" not in html
    assert "data-reveal-kind" not in html  # an agent may not reveal the phone
    assert "衣服收到有破洞" in html


def test_supervisor_gets_the_reveal_button(client, shop, supervisor):
    ticket = _inbound(shop)
    client.force_login(supervisor)
    html = _html(client.get(f"/desk/t/{ticket.pk}/"))
    assert 'data-reveal-kind="customer"' in html and "13812345678" not in html


def test_another_shops_ticket_is_not_found(agent_client):
    ticket = _inbound(ShopFactory())
    assert agent_client.get(f"/desk/t/{ticket.pk}/").status_code == 404
    assert agent_client.get(f"/desk/t/{ticket.pk}/poll/").status_code == 404
    assert agent_client.post(f"/desk/t/{ticket.pk}/act/reply/", {"body": "您好"}).status_code == 404
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()


def test_scripts_are_suggested_by_category_and_rendered_for_the_ticket(agent_client, shop):
    customer = CustomerFactory(shop=shop, name="王小姐")
    ticket = _inbound(shop, customer=customer)
    Ticket.objects.filter(pk=ticket.pk).update(category=TicketCategory.QUALITY)
    script = ScriptFactory(shop=shop, title="质量问题致歉", body="{customer}您好，非常抱歉！换货还是退款？",
                           categories=[TicketCategory.QUALITY])
    ScriptFactory(shop=shop, title="物流查件", categories=[TicketCategory.LOGISTICS], scenario="logistics_delay")
    html = _html(agent_client.get(f"/desk/t/{ticket.pk}/"))
    suggestions = html.split('data-testid="script-suggestions"')[1].split('id="more-scripts"')[0]
    assert "质量问题致歉" in suggestions and "物流查件" not in suggestions

    data = agent_client.get(f"/desk/t/{ticket.pk}/scripts/{script.pk}/").json()
    assert data == {"id": script.pk, "title": "质量问题致歉", "text": "王小姐您好，非常抱歉！换货还是退款？"}
    other_script = ScriptFactory(shop=ShopFactory())
    assert agent_client.get(f"/desk/t/{ticket.pk}/scripts/{other_script.pk}/").status_code == 404


def test_reply_with_a_script_stops_the_first_response_clock(agent_client, shop, agent):
    ticket = _inbound(shop)
    script = ScriptFactory(shop=shop)
    assert ticket.first_responded_at is None and ticket.first_response_due_at is not None

    response = agent_client.post(f"/desk/t/{ticket.pk}/act/reply/",
                                 {"body": "非常抱歉，我们马上为您处理，换货还是退款？", "script": script.pk})

    assert response.status_code == 302 and response["Location"] == f"/desk/t/{ticket.pk}/"
    ticket.refresh_from_db()
    assert ticket.first_responded_at == NOW and ticket.status == TicketStatus.OPEN and ticket.assignee == agent
    reply = Message.objects.get(direction=Direction.OUTBOUND)
    assert (reply.body, reply.author, reply.script) == ("非常抱歉，我们马上为您处理，换货还是退款？", agent, script)
    assert Script.objects.get(pk=script.pk).usage_count == 1
    html = _html(agent_client.get(f"/desk/t/{ticket.pk}/"))
    assert 'data-target="first_response"' not in html and 'data-testid="sla-answered"' in html


def test_a_blocked_reply_shows_the_reasons_and_keeps_the_draft(agent_client, shop):
    ticket = _inbound(shop)
    draft = "亲，给个五星好评返现5元哦"
    response = agent_client.post(f"/desk/t/{ticket.pk}/act/reply/", {"body": draft})
    html = _html(response)
    assert response.status_code == 422
    assert 'data-testid="reply-blocked"' in html and "草稿已保留" in html
    assert f">{draft}</textarea>" in html
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None


def test_note_status_assign_priority_and_escalate(agent_client, shop, agent):
    ticket = _inbound(shop)
    colleague = MembershipFactory(shop=shop, role=Role.AGENT, user=UserFactory(username="kefu2")).user
    outsider = UserFactory(username="outsider")
    base = f"/desk/t/{ticket.pk}/act"

    agent_client.post(f"{base}/note/", {"body": "老顾客，语气温和些"})
    agent_client.post(f"{base}/assign/", {"agent": colleague.pk})
    agent_client.post(f"{base}/assign/", {"agent": outsider.pk})  # refused: not a member of the shop
    agent_client.post(f"{base}/priority/", {"priority": "1"})
    agent_client.post(f"{base}/escalate/", {"department": "warehouse", "request": "请核对发货视频",
                                            "due_at": "2026-11-07T10:00", "owner": colleague.pk})
    escalation = Escalation.objects.get()
    agent_client.post(f"{base}/escalation_update/", {"escalation": escalation.pk, "note": "仓库已找到视频"})
    agent_client.post(f"{base}/escalation_close/", {"escalation": escalation.pk, "note": "确认漏发"})
    agent_client.post(f"{base}/status/", {"status": "pending_customer"})

    ticket.refresh_from_db()
    escalation.refresh_from_db()
    assert Message.objects.get(direction=Direction.NOTE).body == "老顾客，语气温和些"
    assert ticket.assignee == colleague and ticket.priority == 1
    assert (escalation.department, escalation.owner, escalation.status) == ("warehouse", colleague,
                                                                            EscalationStatus.DONE)
    assert escalation.due_at == dt.datetime(2026, 11, 7, 10, 0, tzinfo=NOW.tzinfo)
    assert ticket.status == TicketStatus.PENDING_CUSTOMER and ticket.paused_at == NOW
    html = _html(agent_client.get(f"/desk/t/{ticket.pk}/"))
    assert "已暂停" in html and "仓库已找到视频" in html and "不是本店铺的成员" not in html
    response = agent_client.post(f"{base}/assign/", {"agent": outsider.pk}, follow=True)
    assert "请选择本店铺的客服" in _html(response)


def test_an_invalid_status_change_is_explained(agent_client, shop):
    ticket = _inbound(shop)
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.CLOSED)
    response = agent_client.post(f"/desk/t/{ticket.pk}/act/status/", {"status": "open"}, follow=True)
    assert "不能变更为「处理中」" in _html(response)


def test_poll_returns_only_new_messages_and_the_clock(agent_client, shop):
    ticket = _inbound(shop)
    first = agent_client.get(f"/desk/t/{ticket.pk}/poll/?m=0&e=0").json()
    assert "衣服收到有破洞" in first["html"] and int(first["m"]) > 0  # settled at once: no writer was open
    message_receive(shop=shop, channel=Channel.WEB_CHAT, body="还在吗？", customer=ticket.customer)
    later = agent_client.get(f"/desk/t/{ticket.pk}/poll/?m={first['m']}&e={first['e']}").json()
    assert "还在吗？" in later["html"] and "衣服收到有破洞" not in later["html"]
    assert int(later["m"]) > int(first["m"]) and 'data-target="first_response"' in later["clock_html"]
    assert later["status_label"] == ticket.get_status_display()


def test_a_message_stored_while_a_poll_reads_is_in_the_next_poll(agent_client, shop, monkeypatch):
    """A customer's message committed between the poll's read of the timeline and its read of the newest ids was
    counted by the cursor it returned but not in its items: the desk never showed it until a reload."""
    from shouhou.inbox import selectors

    ticket = _inbound(shop)
    first = agent_client.get(f"/desk/t/{ticket.pk}/poll/?m=0&e=0").json()
    read = selectors.ticket_timeline

    def timeline_then_a_message(**kwargs):
        items = read(**kwargs)
        monkeypatch.setattr(selectors, "ticket_timeline", read)  # once
        message_receive(shop=shop, channel=Channel.WEB_CHAT, body="刚才那条看到了吗？", customer=ticket.customer)
        return items

    monkeypatch.setattr(selectors, "ticket_timeline", timeline_then_a_message)
    racing = agent_client.get(f"/desk/t/{ticket.pk}/poll/?m={first['m']}&e={first['e']}").json()
    assert "刚才那条看到了吗？" not in racing["html"]
    later = agent_client.get(f"/desk/t/{ticket.pk}/poll/?m={racing['m']}&e={racing['e']}").json()
    assert "刚才那条看到了吗？" in later["html"]
    again = agent_client.get(f"/desk/t/{ticket.pk}/poll/?m={later['m']}&e={later['e']}").json()
    assert "刚才那条看到了吗？" not in again["html"]  # and once only


def test_poll_refreshes_the_delivery_badge_of_a_reply_being_retried(agent_client, shop, agent):
    from shouhou.inbox.models import Message
    from shouhou.inbox.services import ticket_reply

    ticket = _inbound(shop)
    reply = ticket_reply(ticket=ticket, author=agent, body="您好，马上为您处理")
    Message.objects.filter(pk=reply.pk).update(delivery_status="failed", delivery_error="errcode -1",
                                               delivery_attempts=1, delivery_retry_at=NOW + dt.timedelta(minutes=1))
    page = _html(agent_client.get(f"/desk/t/{ticket.pk}/"))
    assert f'data-delivery="{reply.pk}"' in page and "发送失败，10:01 自动重试" in page
    first = agent_client.get(f"/desk/t/{ticket.pk}/poll/?m=0&e=0").json()
    assert "10:01 自动重试" in first["deliveries"][str(reply.pk)]
    # the retry went out: the next poll carries the new badge for the reply already on the page
    Message.objects.filter(pk=reply.pk).update(delivery_status="sent", delivery_retry_at=None, delivery_attempts=2)
    later = agent_client.get(f"/desk/t/{ticket.pk}/poll/?m={first['m']}&e={first['e']}").json()
    assert later["count"] == 0
    assert "已送达渠道" in later["deliveries"][str(reply.pk)]


def test_analyst_sees_the_conversation_read_only(client, shop):
    analyst = MembershipFactory(shop=shop, role=Role.ANALYST, user=UserFactory(username="analyst")).user
    ticket = _inbound(shop)
    client.force_login(analyst)
    html = _html(client.get(f"/desk/t/{ticket.pk}/"))
    assert 'data-testid="read-only"' in html and 'id="composer"' not in html
    assert client.post(f"/desk/t/{ticket.pk}/act/reply/", {"body": "您好"}).status_code == 403
    assert client.post(f"/desk/t/{ticket.pk}/case/create/", {"reason": "quality"}).status_code == 403
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()


# --- one-click case actions -------------------------------------------------------------------------

def test_case_create_then_reject_with_reason_from_the_ticket(agent_client, shop, agent):
    line = OrderLineFactory(order__shop=shop, product_name="保湿面霜")
    ticket = _inbound(shop, customer=line.order.customer, order=line.order)
    base = f"/desk/t/{ticket.pk}/case"

    agent_client.post(f"{base}/create/", {"line": line.pk, "reason": "quality", "kind": "exchange",
                                          "description": "瓶口漏液"})
    case = Case.objects.get()
    ticket.refresh_from_db()
    assert ticket.case == case and case.order_line == line and case.kind == "exchange"
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.CASE_ACTION).count() == 1

    response = agent_client.post(f"{base}/reject/", {"reason": ""}, follow=True)
    assert "拒绝售后单必须填写原因" in _html(response)
    assert case.status == CaseStatus.REQUESTED
    agent_client.post(f"{base}/reject/", {"reason": "超出保修范围"})
    case.refresh_from_db()
    assert case.status == CaseStatus.REJECTED
    assert list(TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.CASE_ACTION)
                .values_list("note", flat=True))[-1] == f"拒绝售后单 {case.number}：超出保修范围"


def test_case_approve_from_the_ticket(agent_client, shop):
    line = OrderLineFactory(order__shop=shop)
    ticket = _inbound(shop, customer=line.order.customer, order=line.order)
    # a case filed on the consumer page for the same order (not yet linked to the ticket)
    case = Case.objects.create(shop=shop, number="SH-PORTAL", order=line.order, order_line=line,
                               customer=line.order.customer, kind="refund_only")
    html = _html(agent_client.get(f"/desk/t/{ticket.pk}/"))
    assert "SH-PORTAL" in html and 'data-testid="case-approve"' in html
    agent_client.post(f"/desk/t/{ticket.pk}/case/approve/")
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED


def test_case_create_without_an_order_is_refused(agent_client, shop):
    ticket = _inbound(shop)
    response = agent_client.post(f"/desk/t/{ticket.pk}/case/create/", {"reason": "quality"}, follow=True)
    assert "工单没有关联订单" in _html(response) and not Case.objects.exists()


# --- phone calls ------------------------------------------------------------------------------------

def test_phone_call_from_the_queue_opens_an_answered_ticket(agent_client, shop, agent):
    response = agent_client.post("/desk/call/", {"phone": "13800009999", "summary": "询问发货时间",
                                                 "duration_seconds": "95"})
    ticket = Ticket.objects.get(channel=Channel.PHONE)
    assert response["Location"] == f"/desk/t/{ticket.pk}/"
    assert ticket.first_responded_at == NOW and ticket.assignee == agent
    bad = agent_client.post("/desk/call/", {"phone": "", "summary": "x"}, follow=True)
    assert "请选择顾客或填写来电号码" in _html(bad)


# --- the supervisor view ----------------------------------------------------------------------------

def test_team_board_for_supervisors(client, shop, supervisor, agent):
    profile = AgentProfileFactory(shop=shop, user=agent, capacity=5)
    ShiftFactory(agent=profile, starts_at=NOW - dt.timedelta(hours=1), ends_at=NOW + dt.timedelta(hours=7),
                 label="早班")
    late = TicketFactory(shop=shop, assignee=agent, first_response_due_at=NOW - dt.timedelta(minutes=3))
    EscalationFactory(ticket=late, due_at=NOW - dt.timedelta(hours=1))
    client.force_login(supervisor)
    html = _html(client.get("/desk/team/"))
    row = html.split('data-agent="agent"')[1].split("</tr>")[0]
    assert "在岗" in row and "早班" in row and 'data-testid="agent-open">1<' in row
    assert 'data-testid="agent-breached">1<' in row
    assert late.number in html.split('data-testid="team-breached"')[1]
    assert "逾期" in html.split('data-testid="team-escalations"')[1]
    assert late.number in json.loads(client.get("/desk/team/rows/").content)["html"]


def test_team_board_says_full_over_or_handover_honestly(client, shop, supervisor, agent):
    """Issue 15: every agent showed over capacity (a full agent counted as over), off-shift ones too."""
    from shouhou.accounts.choices import Role
    from shouhou.core.testing.factories import MembershipFactory, UserFactory

    def agent_with(name: str, *, capacity: int, open_tickets: int, on_shift: bool):
        user = MembershipFactory(shop=shop, role=Role.AGENT, user=UserFactory(username=name)).user
        profile = AgentProfileFactory(shop=shop, user=user, capacity=capacity)
        start = NOW - dt.timedelta(hours=1) if on_shift else NOW - dt.timedelta(hours=10)
        ShiftFactory(agent=profile, starts_at=start, ends_at=start + dt.timedelta(hours=8 if on_shift else 2))
        for _ in range(open_tickets):
            TicketFactory(shop=shop, assignee=user, status="open")

    agent_with("full", capacity=2, open_tickets=2, on_shift=True)
    agent_with("over", capacity=2, open_tickets=3, on_shift=True)
    agent_with("resting", capacity=2, open_tickets=5, on_shift=False)
    client.force_login(supervisor)
    html = _html(client.get("/desk/team/"))

    def row(name: str) -> str:
        return html.split(f'data-agent="{name}"')[1].split("</tr>")[0]

    assert 'data-testid="at-capacity"' in row("full") and 'data-testid="over-capacity"' not in row("full")
    assert 'data-testid="over-capacity"' in row("over")
    resting = row("resting")
    assert "休息" in resting and "休息中，5 张待转交" in resting
    assert "over-capacity" not in resting and "at-capacity" not in resting and "class=\"load" not in resting


def test_team_board_is_not_for_agents(agent_client):
    assert agent_client.get("/desk/team/").status_code == 403


def test_nav_has_the_inbox_for_agents_and_the_team_board_for_supervisors(agent_client, client, shop, supervisor):
    html = _html(agent_client.get("/"))
    assert 'href="/desk/queue/"' in html and "收件箱" in html
    assert "团队看板" not in html and "审计日志" not in html  # an agent's menu offers only what opens
    client.force_login(supervisor)
    html = _html(client.get("/"))
    assert 'href="/desk/team/"' in html and "团队看板" in html and "审计日志" not in html


def test_timeline_names_statuses_categories_and_the_system_in_the_readers_language(agent_client, shop):
    ticket = TicketFactory(shop=shop, category=TicketCategory.SIZE_FIT)
    for kind, before, after in [(TicketEventKind.CREATED, "", "size_fit"), (TicketEventKind.STATUS, "new", "open"),
                                (TicketEventKind.PRIORITY, "普通", "高")]:
        TicketEvent.objects.create(shop=shop, ticket=ticket, kind=kind, from_value=before, to_value=after)
    html = _html(agent_client.get(f"/desk/t/{ticket.pk}/"))
    assert "：尺码不合适" in html and "：新建 → 处理中" in html and "：普通 → 高" in html
    assert "size_fit" not in html and "new → open" not in html
    agent_client.cookies["django_language"] = "en"
    html = _html(agent_client.get(f"/desk/t/{ticket.pk}/"))
    assert ": New → In progress" in html and ": Normal → High" in html and "：" not in html.split("data-testid=\"event\"", 1)[1][:200]
    assert "· 系统<" not in html and "· System<" in html
    assert "Phone <span data-testid=\"customer-phone\"" in html  # the number, not the product category


@pytest.mark.browser
def test_supervisor_reveals_the_phone_on_the_ticket_page_in_a_browser(login_page, live_server, shop, supervisor):
    from shouhou.core.testing.audit import assert_audited

    ticket = _inbound(shop)
    page = login_page("supervisor")
    page.goto(f"{live_server.url}/desk/t/{ticket.pk}/")
    assert page.inner_text("#customer-phone") == "138****5678"
    page.click("[data-reveal-kind=customer]")  # accounts/reveal.js, shared with the case page
    page.wait_for_function("document.getElementById('customer-phone').textContent === '13812345678'")
    event = assert_audited("pii.reveal", ticket.customer, actor=supervisor)
    assert event.note == "客服工作台查看"
