from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shouhou.commerce.choices import MembershipTier
from shouhou.core.testing.factories import (
    CustomerFactory,
    LiveSessionFactory,
    OrderFactory,
    OrderLineFactory,
    ShopFactory,
    UserFactory,
)
from shouhou.desk.tests.factories import (
    AgentProfileFactory,
    EscalationFactory,
    MessageFactory,
    ShiftFactory,
    TicketEventFactory,
    TicketFactory,
)
from shouhou.inbox.choices import Channel, Direction, Team, TicketCategory, TicketStatus
from shouhou.inbox.models import EscalationUpdate
from shouhou.inbox.selectors import (
    FilterError,
    QueueFilters,
    customer_360,
    queue_counts,
    team_load,
    ticket_queue,
    ticket_queue_clock,
    ticket_timeline,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 6, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def minutes(n: float) -> dt.datetime:
    return NOW + dt.timedelta(minutes=n)


def numbers(page) -> list[str]:
    return [row.ticket.number for row in page.rows]


def test_queue_orders_by_priority_then_earliest_running_clock(shop):
    # given tickets of two priorities with different running clocks
    TicketFactory(shop=shop, number="N-LATE", priority=3, first_response_due_at=minutes(30))
    TicketFactory(shop=shop, number="N-SOON", priority=3, first_response_due_at=minutes(5))
    # first response answered: its resolution clock (in 2 hours) is the one that counts
    TicketFactory(shop=shop, number="N-ANSWERED", priority=3, first_response_due_at=minutes(-60),
                  first_responded_at=minutes(-70), resolution_due_at=minutes(120), status=TicketStatus.OPEN)
    # a customer's follow-up starts the next-response clock, earlier than the resolution clock
    TicketFactory(shop=shop, number="N-NEXT", priority=3, first_responded_at=minutes(-70),
                  waiting_since=minutes(-3), next_response_due_at=minutes(2), resolution_due_at=minutes(100))
    TicketFactory(shop=shop, number="N-PAUSED", priority=3, first_response_due_at=minutes(1),
                  paused_at=minutes(-5), status=TicketStatus.PENDING_CUSTOMER)
    TicketFactory(shop=shop, number="U-LATE", priority=1, first_response_due_at=minutes(60))
    TicketFactory(shop=shop, number="RESOLVED", priority=1, status=TicketStatus.RESOLVED)

    # when the queue is read
    page = ticket_queue(shop=shop, filters=QueueFilters())

    # then urgent first, then the earliest running clock; paused last; resolved not in the open queue
    assert numbers(page) == ["U-LATE", "N-NEXT", "N-SOON", "N-LATE", "N-ANSWERED", "N-PAUSED"]
    clocks = {row.ticket.number: row.clock for row in page.rows}
    assert clocks["N-NEXT"].target == "next_response" and clocks["N-NEXT"].due_at == minutes(2)
    assert clocks["N-ANSWERED"].target == "resolution"
    assert clocks["N-PAUSED"].state == "paused" and clocks["N-PAUSED"].due_at is None


def test_queue_clock_states():
    from shouhou.inbox.models import Ticket

    running = ticket_queue_clock(Ticket(first_response_due_at=minutes(10)))
    warning = ticket_queue_clock(Ticket(first_response_due_at=minutes(1.5)))
    breached = ticket_queue_clock(Ticket(first_response_due_at=minutes(-1)))
    answered = ticket_queue_clock(Ticket(first_response_due_at=minutes(5), first_responded_at=minutes(-1)))
    assert (running.state, running.remaining_seconds) == ("running", 600)
    assert (warning.state, warning.remaining_seconds) == ("warning", 90)
    assert (breached.state, breached.remaining_seconds) == ("breached", -60)
    assert (answered.state, answered.due_at) == ("none", None)


def test_queue_filters(shop, agent):
    other = UserFactory(username="other-agent")
    vip = CustomerFactory(shop=shop, tier=MembershipTier.VIP, phone="13900001234", phone_last4="1234")
    order = OrderFactory(shop=shop, order_no="DY20261106001")
    TicketFactory(shop=shop, number="MINE", assignee=agent, first_response_due_at=minutes(20))
    TicketFactory(shop=shop, number="OTHER", assignee=other, channel=Channel.WECHAT, first_response_due_at=minutes(3))
    TicketFactory(shop=shop, number="FREE", category=TicketCategory.LOGISTICS, priority=2,
                  first_response_due_at=minutes(-2), order=order)
    TicketFactory(shop=shop, number="VIP", conversation__customer=vip, team=Team.QUALITY, sla_breached=True,
                  status=TicketStatus.ESCALATED)
    TicketFactory(shop=shop, number="DONE", status=TicketStatus.RESOLVED)

    def q(**kw):
        return sorted(numbers(ticket_queue(shop=shop, user=agent, filters=QueueFilters.from_mapping(kw))))

    assert q(scope="mine") == ["MINE"]
    assert q(scope="unassigned") == ["FREE", "VIP"]
    assert q(scope="team", team="quality") == ["VIP"]
    assert q(status="resolved") == ["DONE"]
    assert q(status="all") == ["DONE", "FREE", "MINE", "OTHER", "VIP"]
    assert q(channel="wechat") == ["OTHER"]
    assert q(category="logistics") == ["FREE"]
    assert q(priority="2") == ["FREE"]
    assert q(breached="1") == ["FREE", "VIP"]
    assert q(due_within="5") == ["FREE", "OTHER"]
    assert q(vip="1") == ["VIP"]
    assert q(q="1234") == ["VIP"]
    assert q(q="13900001234") == ["VIP"]
    assert q(q="DY20261106001") == ["FREE"]
    assert q(q="mine") == ["MINE"]  # ticket number, case-insensitive


def test_queue_filter_errors_name_the_field():
    with pytest.raises(FilterError) as bad_priority:
        QueueFilters.from_mapping({"priority": "9"})
    with pytest.raises(FilterError) as bad_channel:
        QueueFilters.from_mapping({"channel": "fax"})
    with pytest.raises(FilterError) as bad_scope:
        QueueFilters.from_mapping({"scope": "everything"})
    assert bad_priority.value.field == "priority" and "优先级" in str(bad_priority.value)
    assert bad_channel.value.field == "channel" and "fax" in str(bad_channel.value)
    assert bad_scope.value.field == "scope"


def test_queue_never_shows_another_shop(shop, agent):
    TicketFactory(shop=shop, number="OURS")
    TicketFactory(shop=ShopFactory(), number="THEIRS")
    assert numbers(ticket_queue(shop=shop, user=agent)) == ["OURS"]
    assert queue_counts(shop=shop, user=agent)["open"] == 1


def test_queue_masks_phones_and_pages(shop):
    customer = CustomerFactory(shop=shop, phone="13812345678")
    for i in range(7):
        TicketFactory(shop=shop, conversation__customer=customer, first_response_due_at=minutes(i))
    page = ticket_queue(shop=shop, filters=QueueFilters(per_page=3, page=3))
    assert (page.total, page.pages, page.page, len(page.rows)) == (7, 3, 3, 1)
    assert page.rows[0].phone == "138****5678"
    assert ticket_queue(shop=shop, filters=QueueFilters(per_page=3), reveal=True).rows[0].phone == "13812345678"


def _queue_queries(shop, agent) -> int:
    with CaptureQueriesContext(connection) as ctx:
        page = ticket_queue(shop=shop, user=agent, filters=QueueFilters(per_page=50))
        for row in page.rows:  # everything a row shows
            _ = (row.ticket.customer and row.ticket.customer.name, row.ticket.assignee, row.ticket.order,
                 row.clock.state, row.last_message)
    return len(ctx.captured_queries)


def test_queue_query_count_does_not_grow_with_rows(shop, agent):
    for _ in range(3):
        t = TicketFactory(shop=shop, assignee=agent, first_response_due_at=minutes(5))
        MessageFactory(conversation=t.conversation, body="在吗")
    small = _queue_queries(shop, agent)
    for _ in range(30):
        t = TicketFactory(shop=shop, assignee=agent, order=OrderFactory(shop=shop), first_response_due_at=minutes(9))
        MessageFactory(conversation=t.conversation)
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=2)):  # past COUNTS_MIN_AGE
        assert small == _queue_queries(shop, agent) == 3  # the count, the page's ids, their rows


def test_badges_are_recounted_at_most_once_a_second_while_tickets_keep_changing(shop, agent):
    """A surge saves a ticket on every message: the shared badges are not recounted for each one."""
    at = dt.datetime(2026, 11, 20, 14, 0, tzinfo=dt.UTC)
    with time_machine.travel(at, tick=False):
        TicketFactory(shop=shop, first_response_due_at=at + dt.timedelta(minutes=5))
        assert queue_counts(shop=shop, user=agent, at=at)["open"] == 1
        TicketFactory(shop=shop)  # a change within the second: the counts of a moment ago still serve
        with CaptureQueriesContext(connection) as ctx:
            assert queue_counts(shop=shop, user=agent, at=at + dt.timedelta(milliseconds=500))["open"] == 1
        assert len(ctx.captured_queries) == 1  # only the agent's own "mine" count
        assert queue_counts(shop=shop, user=agent, at=at + dt.timedelta(seconds=1))["open"] == 2


def test_queue_row_shows_the_last_customer_or_agent_message_not_notes(shop):
    t = TicketFactory(shop=shop)
    MessageFactory(conversation=t.conversation, body="衣服起球了")
    MessageFactory(conversation=t.conversation, body="内部：老顾客", direction=Direction.NOTE)
    assert ticket_queue(shop=shop).rows[0].last_message == "衣服起球了"


def test_timeline_merges_messages_events_and_escalations_in_time_order(shop, agent):
    ticket = TicketFactory(shop=shop)
    with time_machine.travel(minutes(-30), tick=False):
        MessageFactory(conversation=ticket.conversation, body="收到的衣服有破洞")
    with time_machine.travel(minutes(-20), tick=False):
        TicketEventFactory(ticket=ticket, kind="assigned", to_value="agent", actor=agent)
        TicketEventFactory(ticket=ticket, kind="replied")  # shown as the message itself
    with time_machine.travel(minutes(-19), tick=False):
        MessageFactory(conversation=ticket.conversation, body="非常抱歉", direction=Direction.OUTBOUND, author=agent)
    with time_machine.travel(minutes(-10), tick=False):
        escalation = EscalationFactory(ticket=ticket, due_at=minutes(60), requested_by=agent)
    with time_machine.travel(minutes(-5), tick=False):
        EscalationUpdate.objects.create(shop=shop, escalation=escalation, note="仓库已找到发货视频", author=agent)
        MessageFactory(conversation=ticket.conversation, body="老顾客", direction=Direction.NOTE, author=agent)
    MessageFactory(conversation=MessageFactory(shop=shop).conversation)  # another conversation

    with CaptureQueriesContext(connection) as ctx:
        items = ticket_timeline(ticket=ticket)
    kinds = [(i.kind, getattr(i.obj, "body", getattr(i.obj, "kind", ""))) for i in items]
    assert kinds == [("message", "收到的衣服有破洞"), ("event", "assigned"), ("message", "非常抱歉"),
                     ("escalation", ""), ("message", "老顾客")]
    assert [u.note for u in items[3].updates] == ["仓库已找到发货视频"]
    assert len(ctx.captured_queries) == 4
    # the live refresh asks only for what is newer
    newest = items[2].obj.pk
    assert [i.obj.body for i in ticket_timeline(ticket=ticket, after_message_id=newest, after_event_id=10**9,
                                                include_escalations=False)] == ["老顾客"]


def test_customer_360_shows_history_masked_and_counts_queries(shop):
    from shouhou.cases.models import Case
    from shouhou.reviews.models import Review

    session = LiveSessionFactory(shop=shop, title="双11宠粉专场")
    customer = CustomerFactory(shop=shop, phone="13812345678", tier=MembershipTier.GOLD)
    line = OrderLineFactory(order__shop=shop, order__customer=customer, order__live_session=session,
                            product_name="羊毛大衣")
    Case.objects.create(shop=shop, number="SH001", order=line.order, order_line=line, customer=customer,
                        kind="return_refund")
    Review.objects.create(shop=shop, customer=customer, rating=2, text="有色差")
    current = TicketFactory(shop=shop, conversation__customer=customer)
    TicketFactory(shop=shop, conversation__customer=customer, number="EARLIER", status=TicketStatus.RESOLVED)
    TicketFactory(shop=ShopFactory(), number="ELSEWHERE")

    with CaptureQueriesContext(connection) as ctx:
        view = customer_360(shop=shop, customer=customer, exclude_ticket_id=current.pk)
        _ = [(o.live_session.title, [ln.product_name for ln in o.lines.all()], list(o.shipments.all()))
             for o in view.orders]
    assert view.phone == "138****5678" and view.phone_revealable
    assert view.is_vip and view.tier_label == "金卡"
    assert [o.live_session.title for o in view.orders] == ["双11宠粉专场"]
    assert [ln.product_name for ln in view.orders[0].lines.all()] == ["羊毛大衣"]
    assert [c.number for c in view.cases] == ["SH001"]
    assert [r.text for r in view.reviews] == ["有色差"]
    assert [t.number for t in view.tickets] == ["EARLIER"]
    assert view.ticket_count == 1  # counts what the list shows: not the ticket being worked on
    assert len(ctx.captured_queries) == 7
    assert customer_360(shop=shop, customer=customer, reveal=True).phone == "13812345678"
    assert customer_360(shop=ShopFactory(), customer=customer) is None


def test_team_load_per_agent(shop):
    on = AgentProfileFactory(shop=shop, user=UserFactory(username="kefu1"), capacity=4)
    off = AgentProfileFactory(shop=shop, user=UserFactory(username="kefu2"), capacity=6)
    ShiftFactory(agent=on, starts_at=minutes(-120), ends_at=minutes(360), label="早班")
    ShiftFactory(agent=off, starts_at=minutes(600), ends_at=minutes(900), label="夜班")
    TicketFactory(shop=shop, assignee=on.user, first_response_due_at=minutes(-1))  # breached
    TicketFactory(shop=shop, assignee=on.user, first_response_due_at=minutes(10))  # due soon
    TicketFactory(shop=shop, assignee=on.user, first_response_due_at=minutes(90))
    TicketFactory(shop=shop, assignee=on.user, status=TicketStatus.RESOLVED)
    for seconds in (60, 300, 120):
        TicketFactory(shop=shop, assignee=on.user, status=TicketStatus.RESOLVED, first_responded_at=minutes(-30),
                      first_response_business_seconds=seconds)
    TicketFactory(shop=shop, assignee=on.user, status=TicketStatus.RESOLVED,  # yesterday: not today's median
                  first_responded_at=minutes(-11 * 60), first_response_business_seconds=9999)

    with CaptureQueriesContext(connection) as ctx:
        loads = team_load(shop=shop)
    assert len(ctx.captured_queries) == 3
    first, second = loads
    assert (first.user.username, first.on_duty, first.shift_label) == ("kefu1", True, "早班")
    assert (first.open, first.capacity, first.breached, first.due_soon) == (3, 4, 1, 1)
    assert (first.first_response_median_seconds, first.answered_today) == (120, 3)
    assert (second.user.username, second.on_duty, second.open, second.first_response_median_seconds) == (
        "kefu2", False, 0, None)


def test_team_load_credits_the_first_response_to_whoever_gave_it_across_a_transfer(shop):
    """The team board's first-response median counts from the customer's message to the first person's reply and
    credits it to that person: before, it went to whoever held the ticket now, so the agent who answered and then
    transferred lost it and the receiver was given a response they never made."""
    from shouhou.accounts.choices import Role
    from shouhou.core.testing.factories import MembershipFactory
    from shouhou.inbox.services import message_receive, ticket_assign, ticket_reply

    giver, receiver = (AgentProfileFactory(shop=shop, user=UserFactory(username=name)) for name in ("kefu1", "kefu2"))
    for p in (giver, receiver):
        MembershipFactory(shop=shop, user=p.user, role=Role.AGENT)
    answered_then_moved = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="衣服破了",
                                          customer=CustomerFactory(shop=shop)).ticket
    moved_unanswered = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="发错货了",
                                       customer=CustomerFactory(shop=shop)).ticket
    ticket_assign(ticket=answered_then_moved, agent=giver.user, actor=giver.user)
    ticket_assign(ticket=moved_unanswered, agent=giver.user, actor=giver.user)
    with time_machine.travel(minutes(2), tick=False):
        ticket_reply(ticket=answered_then_moved, author=giver.user, body="您好，马上为您处理")
        ticket_assign(ticket=answered_then_moved, agent=receiver.user, actor=giver.user)
        ticket_assign(ticket=moved_unanswered, agent=receiver.user, actor=giver.user)
    with time_machine.travel(minutes(7), tick=False):
        ticket_reply(ticket=answered_then_moved, author=receiver.user, body="已为您补发")
        ticket_reply(ticket=moved_unanswered, author=receiver.user, body="抱歉，这就为您换货")
        loads = {a.user.username: a for a in team_load(shop=shop)}
    answered_then_moved.refresh_from_db()
    moved_unanswered.refresh_from_db()
    assert answered_then_moved.first_response_business_seconds < moved_unanswered.first_response_business_seconds
    assert (loads["kefu1"].answered_today, loads["kefu1"].first_response_median_seconds) == (
        1, answered_then_moved.first_response_business_seconds)
    assert (loads["kefu2"].answered_today, loads["kefu2"].first_response_median_seconds) == (
        1, moved_unanswered.first_response_business_seconds)


def test_search_finds_by_ticket_number_in_any_case_order_number_and_phone(shop):
    # given tickets reachable by their number, their order's number and their customer's phone
    by_number = TicketFactory(shop=shop, number="T261106AB2CD3")
    by_order = TicketFactory(shop=shop, order=OrderFactory(shop=shop, order_no="6912345678901234"))
    by_phone = TicketFactory(shop=shop, conversation__customer=CustomerFactory(shop=shop, phone="13900004321"))
    TicketFactory(shop=shop)  # matches nothing
    other = TicketFactory(shop=ShopFactory(), order=OrderFactory(order_no="6912345678901234"))

    def found(q: str) -> set[int]:
        return {row.ticket.pk for row in ticket_queue(shop=shop, filters=QueueFilters(q=q)).rows}

    # when searched, then each kind of match finds its ticket (and never another shop's)
    assert found("t261106ab2cd3") == found("T261106AB2CD3") == {by_number.pk}
    assert found("6912345678901234") == {by_order.pk} and other.pk not in found("6912345678901234")
    assert found("4321") == found("139-0000-4321") == {by_phone.pk}
    assert found("nothing") == set()


def test_a_filtered_queue_count_is_shared_until_a_ticket_changes(shop, agent):
    """Every refresh of a filtered view (VIP, breached …) counted all its matches again."""
    vip = CustomerFactory(shop=shop, tier=MembershipTier.VIP)
    at = dt.datetime(2026, 11, 20, 14, 0, tzinfo=dt.UTC)
    with time_machine.travel(at, tick=False):
        TicketFactory(shop=shop, conversation__customer=vip)
        filters = QueueFilters(vip=True)
        assert ticket_queue(shop=shop, user=agent, filters=filters, at=at).total == 1
        with CaptureQueriesContext(connection) as ctx:  # a second refresh: no count
            assert ticket_queue(shop=shop, user=agent, filters=filters, at=at).total == 1
        assert not any("COUNT(" in q["sql"].upper() for q in ctx.captured_queries)
        TicketFactory(shop=shop, conversation__customer=vip)  # a change: recounted (at most once a second)
        later = at + dt.timedelta(seconds=1)
        assert len(ticket_queue(shop=shop, user=agent, filters=filters, at=later).rows) == 2
        assert ticket_queue(shop=shop, user=agent, filters=filters, at=later).total == 2
