"""Ticket clocks with a frozen clock: business hours, holidays, night shifts, pauses, next response and
resolution — first on the pure functions (sla.clocks), then driven through the inbox services the way the
desk and the channels drive them (message_receive, ticket_reply, ticket_set_status)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from shouhou.core.testing.factories import CustomerFactory
from shouhou.inbox.choices import Channel, TicketCategory, TicketStatus
from shouhou.inbox.services import message_receive, ticket_reply, ticket_set_status
from shouhou.sla import clocks
from shouhou.sla.calendar import always_open, calendar_from_spec
from shouhou.sla.models import BusinessCalendar, SlaPolicy
from shouhou.sla.policies import Target, Targets
from shouhou.sla.selectors import ticket_clock
from shouhou.sla.tests.helpers import at, frozen, local

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DESK_9_22 = {"weekly": {d: ["09:00-22:00"] for d in DAYS},
             "holidays": ["2026-10-01", "2026-10-02"], "makeup_workdays": []}
# A night desk from 20:00 to 02:00, written as two intervals per day.
NIGHT_DESK = {"weekly": {d: ["00:00-02:00", "20:00-24:00"] for d in DAYS}}


def targets(first_min: int, next_min: int, resolution_min: int, spec: dict | None = None) -> Targets:
    cal = calendar_from_spec(spec) if spec else always_open()
    return Targets(policy_id=None, first_response=Target(first_min * 60, cal, None),
                   next_response=Target(next_min * 60, cal, None), resolution=Target(resolution_min * 60, cal, None),
                   warn_before_minutes=2)


def blank_ticket(created: str) -> SimpleNamespace:
    return SimpleNamespace(
        created_at=at(created), sla_policy_id=None, first_response_due_at=None, next_response_due_at=None,
        resolution_due_at=None, waiting_since=None, last_customer_message_at=None, last_agent_reply_at=None,
        first_responded_at=None, first_response_business_seconds=None, resolved_at=None,
        resolution_business_seconds=None, paused_at=None, paused_seconds=0, sla_breached=False, sla_warned_at=None,
        status=TicketStatus.OPEN)


# --- pure ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("created", "expected_first", "expected_resolution"), [
    # 21:50 with 10 minutes left in the day: 30 minutes → 10 tonight + 20 tomorrow from 09:00
    ("2026-11-23 21:50", "2026-11-24 09:20", "2026-11-24 11:50"),
    # before opening: starts counting at 09:00
    ("2026-11-24 06:00", "2026-11-24 09:30", "2026-11-24 12:00"),
    # the evening before a holiday: Oct 1 and 2 closed, the clock continues on Oct 3
    ("2026-09-30 21:50", "2026-10-03 09:20", "2026-10-03 11:50"),
    # on the holiday itself
    ("2026-10-01 10:00", "2026-10-03 09:30", "2026-10-03 12:00"),
])
def test_start_due_times_across_closing_and_holidays(created, expected_first, expected_resolution):
    t = blank_ticket(created)
    clocks.clocks_start(t, at=t.created_at, targets=targets(30, 30, 3 * 60, DESK_9_22))
    assert local(t.first_response_due_at) == expected_first
    assert local(t.resolution_due_at) == expected_resolution
    assert t.waiting_since == t.created_at and t.next_response_due_at is None


@pytest.mark.parametrize(("created", "expected"), [
    ("2026-11-23 23:50", "2026-11-24 00:20"),   # crosses midnight inside the shift
    ("2026-11-24 01:50", "2026-11-24 20:20"),   # 10 minutes before 02:00, the rest from 20:00
    ("2026-11-24 12:00", "2026-11-24 20:30"),   # daytime: closed, starts at 20:00
])
def test_night_shift_crossing_midnight(created, expected):
    t = blank_ticket(created)
    clocks.clocks_start(t, at=t.created_at, targets=targets(30, 30, 60, NIGHT_DESK))
    assert local(t.first_response_due_at) == expected


def test_pause_and_resume_shift_due_times_by_the_paused_business_time():
    tg = targets(30, 15, 3 * 60, DESK_9_22)
    t = blank_ticket("2026-11-23 20:00")
    clocks.clocks_start(t, at=t.created_at, targets=tg)
    clocks.clocks_agent_reply(t, at=at("2026-11-23 20:10"), targets=tg)
    # resolution: 20:00 + 3 h on 09–22 → 2 h today + 1 h tomorrow = 10:00
    assert local(t.resolution_due_at) == "2026-11-24 10:00"
    clocks.clocks_pause(t, at=at("2026-11-23 21:00"))
    assert clocks.clocks_pause(t, at=at("2026-11-23 21:30")) == []  # pausing twice keeps the first start
    # resumed next day 09:45: paused business time = 21:00–22:00 + 09:00–09:45 = 1 h 45 min
    clocks.clocks_resume(t, at=at("2026-11-24 09:45"), targets=tg)
    assert t.paused_at is None
    assert t.paused_seconds == 105 * 60
    # what was left at 21:00 (1 h today + 1 h tomorrow = 2 h) is what is left at 09:45 → 11:45
    assert local(t.resolution_due_at) == "2026-11-24 11:45"
    assert clocks.clocks_resume(t, at=at("2026-11-24 10:00"), targets=tg) == []  # not paused: nothing


def test_a_due_time_passed_before_the_pause_stays_breached():
    tg = targets(5, 5, 60)
    t = blank_ticket("2026-11-23 10:00")
    clocks.clocks_start(t, at=t.created_at, targets=tg)
    clocks.clocks_pause(t, at=at("2026-11-23 10:20"))            # first response was due 10:05
    clocks.clocks_resume(t, at=at("2026-11-23 10:50"), targets=tg)
    assert local(t.first_response_due_at) == "2026-11-23 10:05"
    assert local(t.resolution_due_at) == "2026-11-23 11:30"      # 11:00 + the 30 paused minutes


def test_next_response_after_reply_and_follow_up_and_resolution():
    tg = targets(5, 10, 120, DESK_9_22)
    t = blank_ticket("2026-11-23 10:00")
    clocks.clocks_start(t, at=t.created_at, targets=tg)
    clocks.clocks_agent_reply(t, at=at("2026-11-23 10:03"), targets=tg)
    assert local(t.first_responded_at) == "2026-11-23 10:03" and t.first_response_business_seconds == 180
    assert t.waiting_since is None and t.next_response_due_at is None
    assert clocks.running_dues(t) == {"resolution": at("2026-11-23 12:00")}
    # the customer writes twice: the clock runs from the first unanswered message
    clocks.clocks_customer_message(t, at=at("2026-11-23 10:20"), targets=tg)
    clocks.clocks_customer_message(t, at=at("2026-11-23 10:25"), targets=tg)
    assert local(t.waiting_since) == "2026-11-23 10:20" and local(t.next_response_due_at) == "2026-11-23 10:30"
    clocks.clocks_agent_reply(t, at=at("2026-11-23 10:28"), targets=tg)
    assert local(t.first_responded_at) == "2026-11-23 10:03"  # met once, never moved
    assert t.next_response_due_at is None
    clocks.clocks_resolve(t, at=at("2026-11-23 11:00"), targets=tg)
    assert t.resolution_business_seconds == 3600
    assert clocks.running_dues(t) == {}


def test_follow_up_late_in_the_evening_is_due_next_morning():
    tg = targets(30, 30, 24 * 60, DESK_9_22)
    t = blank_ticket("2026-11-23 20:00")
    clocks.clocks_start(t, at=t.created_at, targets=tg)
    clocks.clocks_agent_reply(t, at=at("2026-11-23 20:05"), targets=tg)
    clocks.clocks_customer_message(t, at=at("2026-11-23 21:50"), targets=tg)
    assert local(t.next_response_due_at) == "2026-11-24 09:20"


def test_reopen_after_resolve_moves_the_resolution_due_by_the_resolved_time():
    tg = targets(5, 10, 120)
    t = blank_ticket("2026-11-23 10:00")
    clocks.clocks_start(t, at=t.created_at, targets=tg)
    clocks.clocks_agent_reply(t, at=at("2026-11-23 10:01"), targets=tg)
    clocks.clocks_resolve(t, at=at("2026-11-23 11:00"), targets=tg)
    clocks.clocks_reopen(t, at=at("2026-11-23 13:00"), targets=tg)
    assert t.resolved_at is None and t.resolution_business_seconds is None
    assert local(t.resolution_due_at) == "2026-11-23 14:00"  # one hour was left when it was resolved
    clocks.clocks_resolve(t, at=at("2026-11-23 13:30"), targets=tg)
    assert t.resolution_business_seconds == 90 * 60  # 10:00–13:30 minus the 2 h it stood resolved


def test_ticket_clock_counts_down_and_stands_still_while_paused():
    tg = targets(30, 30, 120)
    t = blank_ticket("2026-11-23 10:00")
    clocks.clocks_start(t, at=t.created_at, targets=tg)
    c = ticket_clock(ticket=t, at=at("2026-11-23 10:20"))
    assert (c.target, c.remaining_seconds, c.paused, c.breached) == ("first_response", 600, False, False)
    clocks.clocks_pause(t, at=at("2026-11-23 10:25"))
    c = ticket_clock(ticket=t, at=at("2026-11-23 11:40"))
    assert (c.remaining_seconds, c.paused, c.breached) == (300, True, False)
    clocks.clocks_resume(t, at=at("2026-11-23 11:40"), targets=tg)
    c = ticket_clock(ticket=t, at=at("2026-11-23 11:50"))
    assert (local(c.due_at), c.remaining_seconds, c.breached) == ("2026-11-23 11:45", -300, True)
    t.status = TicketStatus.CLOSED
    assert ticket_clock(ticket=t, at=at("2026-11-23 11:50")) is None


# --- through the inbox services ---------------------------------------------------------------------

@pytest.fixture
def desk_shop(shop):
    """A shop with one calendar 09:00–22:00 (Oct 1–2 closed) and one web-chat policy of 30 / 15 / 180 min."""
    cal = BusinessCalendar.objects.create(shop=shop, name="白班", spec=DESK_9_22, is_default=True)
    SlaPolicy.objects.create(shop=shop, name="在线 30 分钟", channel=Channel.WEB_CHAT, first_response_minutes=30,
                             next_response_minutes=15, resolution_minutes=180, calendar=cal)
    return shop


def receive(shop, customer, body):
    return message_receive(shop=shop, channel=Channel.WEB_CHAT, body=body, customer=customer)


@pytest.mark.django_db
def test_message_at_2150_is_due_next_morning_0920(desk_shop):
    customer = CustomerFactory(shop=desk_shop)
    with frozen("2026-11-23 21:50"):
        t = receive(desk_shop, customer, "请问这款怎么用").ticket
    t.refresh_from_db()
    assert t.sla_policy.name == "在线 30 分钟"
    assert local(t.first_response_due_at) == "2026-11-24 09:20"
    assert local(t.resolution_due_at) == "2026-11-24 11:50"


@pytest.mark.django_db
def test_holiday_skipped_through_the_services(desk_shop):
    customer = CustomerFactory(shop=desk_shop)
    with frozen("2026-09-30 21:50"):
        t = receive(desk_shop, customer, "国庆前最后一问").ticket
    assert local(t.first_response_due_at) == "2026-10-03 09:20"


@pytest.mark.django_db
def test_pending_customer_pause_and_follow_up_through_the_services(desk_shop, agent):
    customer = CustomerFactory(shop=desk_shop)
    with frozen("2026-11-23 21:00") as clock:
        t = receive(desk_shop, customer, "尺码怎么选").ticket
        clock.move_to(at("2026-11-23 21:05"))
        ticket_reply(ticket=t, author=agent, body="请问您的身高体重？")
        ticket_set_status(ticket=t, status=TicketStatus.PENDING_CUSTOMER, actor=agent)
        # resolution was due 21:00 + 3 h = 22:00 today (1 h) + 11:00 tomorrow (2 h)
        assert local(t.resolution_due_at) == "2026-11-24 11:00"
        clock.move_to(at("2026-11-24 09:30"))    # paused 21:05–22:00 and 09:00–09:30: 85 business minutes
        receive(desk_shop, customer, "170/60")
    t.refresh_from_db()
    assert t.status == TicketStatus.OPEN and t.paused_at is None
    assert t.paused_seconds == 85 * 60
    assert local(t.resolution_due_at) == "2026-11-24 12:25"
    # the follow-up starts the 15-minute next-response clock
    assert local(t.waiting_since) == "2026-11-24 09:30" and local(t.next_response_due_at) == "2026-11-24 09:45"
    assert ticket_clock(ticket=t, at=at("2026-11-24 09:40")).remaining_seconds == 300


@pytest.mark.django_db
def test_resolution_clock_through_the_services(desk_shop, agent):
    customer = CustomerFactory(shop=desk_shop)
    with frozen("2026-11-23 21:30") as clock:
        t = receive(desk_shop, customer, "退款到账了吗").ticket
        clock.move_to(at("2026-11-23 21:40"))
        ticket_reply(ticket=t, author=agent, body="已经原路退回")
        clock.move_to(at("2026-11-24 09:15"))
        ticket_set_status(ticket=t, status=TicketStatus.RESOLVED, actor=agent)
    t.refresh_from_db()
    assert t.first_response_business_seconds == 600
    assert t.resolution_business_seconds == 45 * 60   # 21:30–22:00 + 09:00–09:15
    assert t.status == TicketStatus.RESOLVED and ticket_clock(ticket=t, at=at("2026-11-24 09:20")) is None


@pytest.mark.django_db
def test_return_request_gets_its_own_targets_on_the_default_install(shop):
    from shouhou.sla.services import sla_defaults_install

    sla_defaults_install(shop=shop)
    customer = CustomerFactory(shop=shop)
    with frozen("2026-11-23 23:30"):
        got = message_receive(shop=shop, channel=Channel.EMAIL, body="我要退货，七天无理由", customer=customer)
    t = got.ticket
    assert t.category == TicketCategory.RETURN_REQUEST
    # the e-mail channel's 2 h answer runs on desk hours (09:00–24:00): 30 min tonight + 1 h 30 tomorrow;
    # the return request adds its 48 h decision on the wall clock (that policy has no calendar)
    assert local(t.first_response_due_at) == "2026-11-24 10:30"
    assert local(t.resolution_due_at) == "2026-11-25 23:30"


def test_resolving_an_unanswered_ticket_leaves_no_due_time_and_reopening_brings_it_back():
    tg = targets(5, 10, 120)
    t = blank_ticket("2026-11-23 10:00")
    clocks.clocks_start(t, at=t.created_at, targets=tg)
    assert local(t.next_due_at) == "2026-11-23 10:05"
    clocks.clocks_resolve(t, at=at("2026-11-23 10:02"), targets=tg)  # nobody answered; nothing runs now
    assert t.next_due_at is None
    clocks.clocks_reopen(t, at=at("2026-11-23 10:30"), targets=tg)
    assert local(t.next_due_at) == "2026-11-23 10:33"  # the 3 minutes that were left
