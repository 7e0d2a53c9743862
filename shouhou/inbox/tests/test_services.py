"""Inbox core services: messages in, tickets, replies, assignment and status — with a frozen clock.

The shop has the default SLA install: desk calendar every day 09:00–24:00, web chat answered in 5 minutes.
"""

from __future__ import annotations

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.core.testing.factories import CustomerFactory, MembershipFactory, OrderFactory, UserFactory
from shouhou.inbox.choices import (
    Channel,
    Direction,
    Priority,
    Team,
    TicketCategory,
    TicketEventKind,
    TicketStatus,
)
from shouhou.inbox.models import Conversation, Message, Script, Ticket, TicketEvent
from shouhou.inbox.services import (
    TRANSITIONS,
    ReplyBlocked,
    TicketError,
    message_receive,
    ticket_assign,
    ticket_note,
    ticket_open,
    ticket_open_for_conversation,
    ticket_reply,
    ticket_set_priority,
    ticket_set_status,
)
from shouhou.sla.services import sla_defaults_install
from shouhou.sla.tests.helpers import at, frozen, local

pytestmark = pytest.mark.django_db
K = TicketEventKind


@pytest.fixture
def sla_shop(shop):
    sla_defaults_install(shop=shop)
    return shop


@pytest.fixture
def customer(sla_shop):
    return CustomerFactory(shop=sla_shop, name="王小丫")


def kinds(ticket) -> list[str]:
    return list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))


def receive(shop, customer, body, **kw):
    return message_receive(shop=shop, channel=kw.pop("channel", Channel.WEB_CHAT), body=body, customer=customer, **kw)


def test_first_message_opens_a_triaged_ticket_with_running_clocks(sla_shop, customer):
    # given a customer on web chat at Monday 10:00
    with frozen("2026-11-23 10:00"):
        # when the first message arrives
        got = receive(sla_shop, customer, "衣服收到就开线了，质量太差", external_id="wx-1")
    # then a conversation, the message and a ticket exist, triaged and on the clock
    t = got.ticket
    assert got.duplicate is False
    assert t.number.startswith("T261123") and len(t.number) == 13
    assert (t.category, t.priority, t.status, t.channel) == (TicketCategory.QUALITY, Priority.NORMAL,
                                                             TicketStatus.NEW, Channel.WEB_CHAT)
    assert t.sla_policy.name == "在线咨询 5 分钟"
    assert local(t.first_response_due_at) == "2026-11-23 10:05"
    # resolution 48 business hours on 09:00–24:00: Mon 14 h + Tue 15 h + Wed 15 h + Thu 4 h
    assert local(t.resolution_due_at) == "2026-11-26 13:00"
    assert local(t.waiting_since) == "2026-11-23 10:00"
    assert t.next_response_due_at is None
    assert kinds(t) == [K.CREATED]
    assert "质量问题" in TicketEvent.objects.get(ticket=t).note
    assert Message.objects.get(conversation=got.conversation).direction == Direction.INBOUND


def test_same_external_id_twice_is_stored_once(sla_shop, customer):
    with frozen("2026-11-23 10:00"):
        first = receive(sla_shop, customer, "在吗", external_id="msg-42")
        again = receive(sla_shop, customer, "在吗", external_id="msg-42")
    assert again.duplicate is True
    assert again.message.pk == first.message.pk and again.ticket.pk == first.ticket.pk
    assert Message.objects.filter(shop=sla_shop).count() == 1
    assert Ticket.objects.filter(shop=sla_shop).count() == 1


def test_a_second_message_before_the_answer_keeps_the_first_clock(sla_shop, customer):
    with frozen("2026-11-23 10:00") as clock:
        got = receive(sla_shop, customer, "快递到哪了")
        clock.move_to(at("2026-11-23 10:03"))
        again = receive(sla_shop, customer, "人呢？")
    t = Ticket.objects.get(pk=got.ticket.pk)
    assert again.ticket.pk == t.pk and again.conversation.pk == got.conversation.pk
    assert local(t.waiting_since) == "2026-11-23 10:00"
    assert local(t.last_customer_message_at) == "2026-11-23 10:03"
    assert t.next_response_due_at is None
    assert kinds(t) == [K.CREATED, K.MESSAGE_IN]


def test_reply_meets_first_response_and_next_message_starts_next_response(sla_shop, customer, agent):
    with frozen("2026-11-23 10:00") as clock:
        t = receive(sla_shop, customer, "快递到哪了").ticket
        clock.move_to(at("2026-11-23 10:02"))
        msg = ticket_reply(ticket=t, author=agent, body="亲，您的包裹已到上海转运中心，预计明天送达。")
        clock.move_to(at("2026-11-23 10:10"))
        receive(sla_shop, customer, "能不能快点")
    t.refresh_from_db()
    assert msg.direction == Direction.OUTBOUND and msg.author == agent
    assert local(t.first_responded_at) == "2026-11-23 10:02"
    assert t.first_response_business_seconds == 120
    assert t.status == TicketStatus.OPEN
    assert t.assignee == agent  # the first to answer takes an unassigned ticket
    assert local(t.waiting_since) == "2026-11-23 10:10"
    assert local(t.next_response_due_at) == "2026-11-23 10:15"
    assert kinds(t) == [K.CREATED, K.STATUS, K.ASSIGNED, K.REPLIED, K.MESSAGE_IN]


def test_reply_stops_the_next_response_clock_and_counts_the_script(sla_shop, customer, agent):
    script = Script.objects.create(shop=sla_shop, scenario="late_shipment", title="催发货", body="抱歉久等了")
    with frozen("2026-11-23 10:00") as clock:
        t = receive(sla_shop, customer, "什么时候发货").ticket
        ticket_reply(ticket=t, author=agent, body="抱歉久等了")
        clock.move_to(at("2026-11-23 10:10"))
        receive(sla_shop, customer, "还没发？")
        clock.move_to(at("2026-11-23 10:12"))
        msg = ticket_reply(ticket=t, author=agent, body="抱歉久等了，今天下午一定安排发出", script=script)
    t.refresh_from_db()
    script.refresh_from_db()
    assert t.next_response_due_at is None and t.waiting_since is None
    assert local(t.last_agent_reply_at) == "2026-11-23 10:12"
    assert msg.script == script and script.usage_count == 1


def test_forbidden_review_offer_is_blocked_with_reasons(sla_shop, customer, agent):
    with frozen("2026-11-23 10:00"):
        t = receive(sla_shop, customer, "东西有划痕").ticket
        with pytest.raises(ReplyBlocked) as err:
            ticket_reply(ticket=t, author=agent, body="给个五星好评返现5元哦")
    assert err.value.reasons and "好评" in err.value.reasons[0]
    assert str(err.value).startswith("回复未发送：")
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()
    t.refresh_from_db()
    assert t.first_responded_at is None


def test_reply_records_quality_flags_as_an_internal_note(sla_shop, customer, agent):
    with frozen("2026-11-23 10:00"):
        t = receive(sla_shop, customer, "快递怎么还没到").ticket
        ticket_reply(ticket=t, author=agent, body="这是快递的问题，你自己去找快递吧")
    note = TicketEvent.objects.get(ticket=t, kind=K.NOTE)
    assert note.note.startswith("质检提示：推卸责任")
    assert note.visible_to_customer is False


def test_pending_customer_pauses_and_a_customer_message_resumes(sla_shop, customer, agent):
    with frozen("2026-11-23 10:00") as clock:
        t = receive(sla_shop, customer, "尺码偏小，能换大一码吗").ticket
        ticket_reply(ticket=t, author=agent, body="可以的，请问您平时穿什么尺码？")
        clock.move_to(at("2026-11-23 10:01"))
        ticket_set_status(ticket=t, status=TicketStatus.PENDING_CUSTOMER, actor=agent, note="等顾客回复尺码")
        assert local(t.paused_at) == "2026-11-23 10:01"
        clock.move_to(at("2026-11-23 10:31"))
        receive(sla_shop, customer, "我平时穿M")
    t.refresh_from_db()
    assert t.status == TicketStatus.OPEN
    assert t.paused_at is None and t.paused_seconds == 30 * 60
    # resolution due moved later by the 30 paused minutes (Thu 13:00 → 13:30)
    assert local(t.resolution_due_at) == "2026-11-26 13:30"
    assert local(t.next_response_due_at) == "2026-11-23 10:36"
    status_events = list(TicketEvent.objects.filter(ticket=t, kind=K.STATUS).values_list("from_value", "to_value"))
    assert status_events == [("new", "open"), ("open", "pending_customer"), ("pending_customer", "open")]


def test_resolve_fills_resolution_business_seconds_without_the_pause(sla_shop, customer, agent):
    with frozen("2026-11-23 23:00") as clock:
        t = receive(sla_shop, customer, "怎么清洗").ticket
        ticket_reply(ticket=t, author=agent, body="建议冷水手洗")
        clock.move_to(at("2026-11-23 23:30"))
        ticket_set_status(actor=SYSTEM, ticket=t, status=TicketStatus.PENDING_CUSTOMER)
        clock.move_to(at("2026-11-24 09:30"))   # 23:30–24:00 open, night closed, 09:00–09:30 open: 60 paused minutes
        ticket_set_status(ticket=t, status=TicketStatus.RESOLVED, actor=agent)
    t.refresh_from_db()
    assert local(t.resolved_at) == "2026-11-24 09:30"
    assert t.paused_seconds == 3600
    # open time 23:00→09:30 is 1 h 30 min, minus the 1 h paused
    assert t.resolution_business_seconds == 30 * 60
    assert TicketEvent.objects.filter(ticket=t, kind=K.STATUS, to_value="resolved", visible_to_customer=True).exists()


def test_customer_message_reopens_a_resolved_ticket(sla_shop, customer, agent):
    with frozen("2026-11-23 10:00") as clock:
        t = receive(sla_shop, customer, "怎么连接蓝牙").ticket
        ticket_reply(ticket=t, author=agent, body="长按电源键 3 秒进入配对")
        clock.move_to(at("2026-11-23 10:05"))
        ticket_set_status(actor=SYSTEM, ticket=t, status=TicketStatus.RESOLVED)
        clock.move_to(at("2026-11-23 11:05"))
        again = receive(sla_shop, customer, "还是连不上")
    t.refresh_from_db()
    assert again.ticket.pk == t.pk
    assert t.status == TicketStatus.OPEN and t.resolved_at is None and t.resolution_business_seconds is None
    assert t.paused_seconds == 3600  # the hour it stood resolved does not count
    assert local(t.resolution_due_at) == "2026-11-26 14:00"
    assert local(t.next_response_due_at) == "2026-11-23 11:10"


def test_a_message_after_close_starts_a_new_conversation_and_ticket(sla_shop, customer):
    with frozen("2026-11-23 10:00") as clock:
        first = receive(sla_shop, customer, "在吗")
        ticket_set_status(actor=SYSTEM, ticket=first.ticket, status=TicketStatus.CLOSED)
        clock.move_to(at("2026-11-24 10:00"))
        second = receive(sla_shop, customer, "又有个问题")
    assert second.conversation.pk != first.conversation.pk
    assert second.ticket.pk != first.ticket.pk


@pytest.mark.parametrize(("start", "to", "message"), [
    (TicketStatus.CLOSED, TicketStatus.OPEN, "当前状态为「已关闭」，不能变更为「处理中」"),
    (TicketStatus.RESOLVED, TicketStatus.PENDING_CUSTOMER, "当前状态为「已解决」，不能变更为「等待顾客」"),
])
def test_invalid_transitions_are_refused_in_chinese(sla_shop, customer, start, to, message):
    with frozen("2026-11-23 10:00"):
        t = receive(sla_shop, customer, "在吗").ticket
        ticket_set_status(actor=SYSTEM, ticket=t, status=start)
        with pytest.raises(TicketError, match=message):
            ticket_set_status(actor=SYSTEM, ticket=t, status=to)


def test_unknown_status_and_escalated_without_department_are_refused(sla_shop, customer):
    with frozen("2026-11-23 10:00"):
        t = receive(sla_shop, customer, "在吗").ticket
        with pytest.raises(TicketError, match="未知的工单状态：done"):
            ticket_set_status(actor=SYSTEM, ticket=t, status="done")
        with pytest.raises(TicketError, match="升级部门"):
            ticket_set_status(actor=SYSTEM, ticket=t, status=TicketStatus.ESCALATED)


def test_transition_table_is_complete_and_closed_is_final():
    assert set(TRANSITIONS) == set(TicketStatus.values)
    assert TRANSITIONS[TicketStatus.CLOSED] == frozenset()
    assert all(s not in targets for s, targets in TRANSITIONS.items())


def test_closed_ticket_cannot_be_replied_to(sla_shop, customer, agent):
    with frozen("2026-11-23 10:00"):
        t = receive(sla_shop, customer, "在吗").ticket
        ticket_set_status(actor=SYSTEM, ticket=t, status=TicketStatus.CLOSED)
        with pytest.raises(TicketError, match="已关闭，不能再回复"):
            ticket_reply(ticket=t, author=agent, body="您好")


def test_assign_writes_from_and_to_and_refuses_outsiders(sla_shop, customer, agent, supervisor):
    outsider = UserFactory(username="outsider")
    other = MembershipFactory(shop=sla_shop, role=Role.AGENT, user=UserFactory(username="xiaomei")).user
    with frozen("2026-11-23 10:00"):
        t = receive(sla_shop, customer, "在吗").ticket
        ticket_assign(ticket=t, agent=agent, actor=supervisor)
        ticket_assign(ticket=t, agent=other, actor=supervisor, note="换人跟进")
        with pytest.raises(TicketError, match="「outsider」不是本店铺的成员"):
            ticket_assign(ticket=t, agent=outsider, actor=supervisor)
    rows = list(TicketEvent.objects.filter(ticket=t, kind=K.ASSIGNED).values_list("from_value", "to_value", "actor",
                                                                                   "note"))
    assert rows == [("", "agent", supervisor.pk, ""), ("agent", "xiaomei", supervisor.pk, "换人跟进")]
    assert t.assignee == other


def test_note_does_not_touch_the_clocks(sla_shop, customer, agent):
    with frozen("2026-11-23 10:00"):
        t = receive(sla_shop, customer, "在吗").ticket
        note = ticket_note(ticket=t, author=agent, body="顾客是老客，语气温和些")
    t.refresh_from_db()
    assert note.direction == Direction.NOTE
    assert t.first_responded_at is None and t.status == TicketStatus.NEW
    assert kinds(t) == [K.CREATED, K.NOTE]


def test_priority_change_is_validated_and_logged(sla_shop, customer, agent):
    with frozen("2026-11-23 10:00"):
        t = receive(sla_shop, customer, "在吗").ticket
        ticket_set_priority(ticket=t, priority=Priority.HIGH, actor=agent)
        with pytest.raises(TicketError, match="优先级应为 1（紧急）到 4（低）"):
            ticket_set_priority(actor=SYSTEM, ticket=t, priority=9)
    e = TicketEvent.objects.get(ticket=t, kind=K.PRIORITY)
    assert (e.from_value, e.to_value) == ("普通", "高")


def test_bot_active_conversation_stores_the_message_only(sla_shop, customer):
    conv = Conversation.objects.create(shop=sla_shop, customer=customer, channel=Channel.WECHAT, bot_active=True)
    with frozen("2026-11-23 10:00"):
        got = message_receive(shop=sla_shop, channel=Channel.WECHAT, body="怎么退货", customer=customer)
    assert got.conversation.pk == conv.pk and got.ticket is None
    assert Ticket.objects.count() == 0


def test_bot_handoff_opens_a_triaged_ticket_once(sla_shop, customer):
    conv = Conversation.objects.create(shop=sla_shop, customer=customer, channel=Channel.WECHAT, bot_active=True)
    with frozen("2026-11-23 10:00"):
        message_receive(shop=sla_shop, channel=Channel.WECHAT, body="我要退货", customer=customer)
        t = ticket_open_for_conversation(conversation=conv, reason="顾客要求人工")
        again = ticket_open_for_conversation(conversation=conv, reason="第二次")
    conv.refresh_from_db()
    assert again.pk == t.pk
    assert conv.bot_active is False and local(conv.handed_over_at) == "2026-11-23 10:00"
    assert t.category == TicketCategory.RETURN_REQUEST
    # WeChat answers in 15 minutes; the return request adds its 48-hour (wall clock) decision
    assert local(t.first_response_due_at) == "2026-11-23 10:15"
    assert local(t.resolution_due_at) == "2026-11-25 10:00"
    assert kinds(t) == [K.CREATED, K.BOT_HANDOFF, K.BOT_HANDOFF]


def test_ticket_open_keeps_the_logistics_contract(sla_shop, customer):
    order = OrderFactory(shop=sla_shop, customer=customer)
    with frozen("2026-11-23 10:00"):
        t = ticket_open(shop=sla_shop, channel=Channel.SYSTEM, category=TicketCategory.LOGISTICS,
                        subject="物流异常：长时间未更新", body="订单OD1：48 小时无物流更新。", customer=customer,
                        order=order, team=Team.LOGISTICS)
    assert (t.category, t.team, t.status, t.order) == (TicketCategory.LOGISTICS, Team.LOGISTICS, TicketStatus.NEW,
                                                       order)
    assert local(t.first_response_due_at) == "2026-11-23 12:00"
    assert t.conversation.messages.get().body == "订单OD1：48 小时无物流更新。"
    assert t.assignee is None  # department tickets are not routed to front-desk agents


def test_tickets_without_policies_use_the_fallback_targets(shop):
    with frozen("2026-11-23 10:00"):
        t = message_receive(shop=shop, channel=Channel.EMAIL, body="发票怎么开", contact_handle="a@example.com").ticket
    assert t.sla_policy is None
    assert local(t.first_response_due_at) == "2026-11-23 11:00"
    assert local(t.resolution_due_at) == "2026-11-25 10:00"
    assert t.priority == Priority.LOW


def test_resolving_a_ticket_invites_its_customer_to_a_survey_once(sla_shop, customer, agent, django_capture_on_commit_callbacks):
    from shouhou.insight.models import SurveyInvitation

    t = receive(sla_shop, customer, "耳机怎么配对").ticket
    ticket_reply(ticket=t, author=agent, body="长按电源键三秒进入配对")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_set_status(ticket=t, status=TicketStatus.RESOLVED, actor=agent)
    with django_capture_on_commit_callbacks(execute=True):
        ticket_set_status(ticket=t, status=TicketStatus.OPEN, actor=agent)
        ticket_set_status(ticket=t, status=TicketStatus.RESOLVED, actor=agent)
    invitations = SurveyInvitation.objects.filter(ticket=t)
    assert invitations.count() == 1
    assert invitations.get().customer == customer and invitations.get().shop == sla_shop
