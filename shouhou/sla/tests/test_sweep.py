"""The SLA sweep with a frozen clock: a warning before breach (once), the breach at the due time with an
escalation to the shop's supervisor (once), paused tickets left alone, departments' own clocks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shouhou.accounts.choices import Role
from shouhou.core.testing.factories import CustomerFactory, MembershipFactory, UserFactory
from shouhou.inbox.choices import Channel, Priority, Team, TicketEventKind, TicketStatus
from shouhou.inbox.models import Ticket, TicketEvent
from shouhou.inbox.services import message_receive, ticket_escalate, ticket_reply, ticket_set_status
from shouhou.sla.services import department_due_at, sla_defaults_install, sla_sweep
from shouhou.sla.tests.helpers import agent_profile, at, frozen, local

pytestmark = pytest.mark.django_db
K = TicketEventKind


@pytest.fixture
def sla_shop(shop):
    sla_defaults_install(shop=shop)
    return shop


def chat(shop, body="在吗？衣服什么时候发货", customer=None):
    customer = customer or CustomerFactory(shop=shop)
    return message_receive(shop=shop, channel=Channel.WEB_CHAT, body=body, customer=customer).ticket


def events(ticket, kind):
    return list(TicketEvent.objects.filter(ticket=ticket, kind=kind).order_by("pk").values_list("to_value", "note"))


def test_warning_once_then_breach_once_with_escalation_to_the_supervisor(sla_shop, supervisor):
    with frozen("2026-11-23 10:00"):
        t = chat(sla_shop)                       # web chat: first response due 10:05, warn 2 minutes before
    assert local(t.first_response_due_at) == "2026-11-23 10:05"
    assert sla_sweep(at=at("2026-11-23 10:02")).warned == 0
    assert sla_sweep(at=at("2026-11-23 10:03")).warned == 1
    assert sla_sweep(at=at("2026-11-23 10:04")).warned == 0   # a re-run does not warn twice
    assert events(t, K.SLA_WARNING) == [("10:05", "还有 2 分钟超时（截止 11-23 10:05）")]
    t.refresh_from_db()
    assert local(t.sla_warned_at) == "2026-11-23 10:03" and not t.sla_breached

    result = sla_sweep(at=at("2026-11-23 10:05"))
    assert (result.breached, result.warned) == (1, 0)
    assert sla_sweep(at=at("2026-11-23 10:06")).breached == 0  # once
    t.refresh_from_db()
    assert t.sla_breached and local(t.sla_breached_at) == "2026-11-23 10:05"
    assert t.escalated_to == supervisor
    assert events(t, K.SLA_BREACH) == [("supervisor", "已超时：首次响应（截止 11-23 10:05），已升级给主管 supervisor")]
    assert len(events(t, K.SLA_WARNING)) == 1


def test_the_on_duty_supervisor_is_chosen_and_other_shops_are_not_touched(sla_shop, other_shop):
    off = MembershipFactory(shop=sla_shop, role=Role.SUPERVISOR, user=UserFactory(username="a_off")).user
    on = MembershipFactory(shop=sla_shop, role=Role.SUPERVISOR, user=UserFactory(username="z_on")).user
    agent_profile(sla_shop, on, shifts=(("2026-11-23 08:00", "2026-11-23 17:00"),))
    agent_profile(sla_shop, off, shifts=(("2026-11-23 17:00", "2026-11-24 01:00"),))
    MembershipFactory(shop=other_shop, role=Role.SUPERVISOR, user=UserFactory(username="elsewhere"))
    sla_defaults_install(shop=other_shop)
    with frozen("2026-11-23 10:00"):
        mine = chat(sla_shop)
        theirs = chat(other_shop)
    sla_sweep(at=at("2026-11-23 10:10"))
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.escalated_to == on                 # on duty beats the lower id
    assert theirs.escalated_to.username == "elsewhere"
    # in the evening the other supervisor is on duty
    with frozen("2026-11-23 20:00"):
        late = chat(sla_shop)
    sla_sweep(at=at("2026-11-23 20:30"))
    late.refresh_from_db()
    assert late.escalated_to == off


def test_breach_without_a_supervisor_says_so(sla_shop):
    with frozen("2026-11-23 10:00"):
        t = chat(sla_shop)
    sla_sweep(at=at("2026-11-23 10:05"))
    t.refresh_from_db()
    assert t.sla_breached and t.escalated_to is None
    assert events(t, K.SLA_BREACH)[0][1].endswith("本店暂无主管可升级")


def test_answered_in_time_is_never_warned_or_breached(sla_shop, agent, supervisor):
    with frozen("2026-11-23 10:00") as clock:
        t = chat(sla_shop)
        clock.move_to(at("2026-11-23 10:02"))
        ticket_reply(ticket=t, author=agent, body="您好，今天下午发出")
    for minute in range(3, 10):
        sla_sweep(at=at(f"2026-11-23 10:{minute:02d}"))
    t.refresh_from_db()
    assert not t.sla_breached and t.sla_warned_at is None
    assert events(t, K.SLA_WARNING) == [] and events(t, K.SLA_BREACH) == []


def test_paused_ticket_is_not_breached_and_the_clock_continues_after(sla_shop, agent, supervisor):
    with frozen("2026-11-23 10:00") as clock:
        t = chat(sla_shop)
        clock.move_to(at("2026-11-23 10:01"))
        ticket_reply(ticket=t, author=agent, body="请提供订单号")
        ticket_set_status(ticket=t, status=TicketStatus.PENDING_CUSTOMER, actor=agent)
    # paused: even long past the resolution due time nothing happens
    assert sla_sweep(at=at("2026-11-26 10:00")).breached == 0
    with frozen("2026-11-26 10:00"):
        message_receive(shop=sla_shop, channel=Channel.WEB_CHAT, body="订单号 123", customer=t.customer)
    t.refresh_from_db()
    assert local(t.next_response_due_at) == "2026-11-26 10:05"
    assert sla_sweep(at=at("2026-11-26 10:03")).warned == 1
    result = sla_sweep(at=at("2026-11-26 10:05"))
    assert result.breached == 1
    assert events(t, K.SLA_BREACH)[0][1].startswith("已超时：再次响应（截止 11-26 10:05）")


def test_a_new_clock_gets_its_own_warning(sla_shop, agent):
    with frozen("2026-11-23 10:00") as clock:
        t = chat(sla_shop)
        sla_sweep(at=at("2026-11-23 10:03"))          # warned for the first response
        clock.move_to(at("2026-11-23 10:04"))
        ticket_reply(ticket=t, author=agent, body="您好")
        clock.move_to(at("2026-11-23 10:20"))
        message_receive(shop=sla_shop, channel=Channel.WEB_CHAT, body="还在吗", customer=t.customer)
    assert sla_sweep(at=at("2026-11-23 10:23")).warned == 1  # next response due 10:25
    assert [v for v, _ in events(t, K.SLA_WARNING)] == ["10:05", "10:25"]


def test_department_escalation_clock_on_office_hours_and_overdue_once(sla_shop, agent):
    with frozen("2026-11-27 16:00") as clock:           # a Friday
        t = chat(sla_shop, body="收到的杯子有裂纹")
        ticket_reply(ticket=t, author=agent, body="非常抱歉，我们马上请仓库核查")
        esc = ticket_escalate(ticket=t, department=Team.WAREHOUSE, request="核查出库前是否完好", actor=agent)
        # warehouse: 4 office hours; Fri 16:00–18:00, then Monday 09:00–11:00
        assert local(esc.due_at) == "2026-11-30 11:00"
        clock.move_to(at("2026-11-30 10:59"))
        assert sla_sweep().escalations_overdue == 0
    assert sla_sweep(at=at("2026-11-30 11:00")).escalations_overdue == 1
    assert sla_sweep(at=at("2026-11-30 11:01")).escalations_overdue == 0
    rows = list(TicketEvent.objects.filter(ticket=t, kind=K.ESCALATION_UPDATE, to_value="overdue")
                .values_list("from_value", "note"))
    assert rows == [("warehouse", "仓库处理已逾期（截止 11-30 11:00）")]


def test_department_due_skips_national_day_and_honours_shop_settings(sla_shop):
    assert local(department_due_at(shop=sla_shop, department=Team.WAREHOUSE, at=at("2026-09-30 17:00"))) \
        == "2026-10-08 12:00"
    assert local(department_due_at(shop=sla_shop, department=Team.RND, at=at("2026-11-23 09:00"))) \
        == "2026-11-27 18:00"
    sla_shop.settings = {**(sla_shop.settings or {}), "escalation_minutes": {"warehouse": 30}}
    assert local(department_due_at(shop=sla_shop, department=Team.WAREHOUSE, at=at("2026-11-23 17:50"))) \
        == "2026-11-24 09:20"


def test_old_tickets_are_raised_in_priority_once(sla_shop):
    with frozen("2026-11-23 10:00"):
        t = chat(sla_shop, body="这个怎么用")
    Ticket.objects.filter(pk=t.pk).update(priority=Priority.NORMAL)
    assert sla_sweep(at=at("2026-11-25 09:59")).priority_raised == 0
    assert sla_sweep(at=at("2026-11-25 10:00")).priority_raised == 1
    assert sla_sweep(at=at("2026-11-25 10:01")).priority_raised == 0
    t.refresh_from_db()
    assert t.priority == Priority.HIGH


# --- a clock stopped late is a breach even when no sweep ran between its due time and the stop -------------

def test_a_reply_in_the_minute_after_the_due_time_is_a_breach_without_a_sweep(sla_shop, agent):
    # given a web chat whose first response is due 10:05, and no sweep ran since (the worker is one minute apart)
    with frozen("2026-11-23 10:00"):
        t = chat(sla_shop)
    # when the agent replies at 10:05:40
    with frozen("2026-11-23 10:05:40"):
        ticket_reply(ticket=t, author=agent, body="您好，马上为您查询")
    # then the ticket is breached at 10:05, and the next sweep does not claim it again
    t.refresh_from_db()
    assert t.sla_breached and local(t.sla_breached_at) == "2026-11-23 10:05"
    assert sla_sweep(at=at("2026-11-23 10:06")).breached == 0


@pytest.mark.parametrize(("reply_at", "breached"), [("2026-11-23 10:05", False), ("2026-11-23 10:04", False),
                                                    ("2026-11-23 10:30", True)])
def test_a_reply_exactly_at_the_due_time_is_in_time(sla_shop, agent, reply_at, breached):
    with frozen("2026-11-23 10:00"):
        t = chat(sla_shop)
    with frozen(reply_at):
        ticket_reply(ticket=t, author=agent, body="您好")
    t.refresh_from_db()
    assert t.sla_breached is breached


def test_a_late_follow_up_reply_and_a_late_resolution_are_breaches(sla_shop, agent):
    with frozen("2026-11-23 10:00"):
        t = chat(sla_shop)
    with frozen("2026-11-23 10:01"):
        ticket_reply(ticket=t, author=agent, body="您好")
    with frozen("2026-11-23 11:00"):
        message_receive(shop=sla_shop, channel=Channel.WEB_CHAT, body="还在吗", customer=t.customer)
    t.refresh_from_db()
    due = t.next_response_due_at
    assert due is not None and not t.sla_breached
    with frozen("2026-11-23 11:20"):  # the follow-up was due 11:05
        ticket_reply(ticket=t, author=agent, body="在的")
    t.refresh_from_db()
    assert t.sla_breached and t.sla_breached_at == due

    # a ticket resolved after its resolution due time, never swept, is breached too
    with frozen("2026-11-23 10:00"):
        late = chat(sla_shop, customer=CustomerFactory(shop=sla_shop))
    with frozen("2026-11-23 10:02"):
        ticket_reply(ticket=late, author=agent, body="您好")
    late.refresh_from_db()
    resolution_due = late.resolution_due_at
    with frozen(local(resolution_due + timedelta(minutes=1))):
        ticket_set_status(ticket=late, status=TicketStatus.RESOLVED, actor=agent)
    late.refresh_from_db()
    assert late.sla_breached and late.sla_breached_at == resolution_due


def test_a_reply_while_paused_is_judged_on_resume_not_on_the_stale_due_time(sla_shop, agent):
    with frozen("2026-11-23 10:00"):
        t = chat(sla_shop)
    with frozen("2026-11-23 10:01"):
        ticket_set_status(ticket=t, status=TicketStatus.PENDING_CUSTOMER, actor=agent)
    with frozen("2026-11-23 12:00"):  # long after 10:05, but the clocks stood still since 10:01
        ticket_reply(ticket=t, author=agent, body="您好，补充一下")
    t.refresh_from_db()
    assert not t.sla_breached
