"""The stored next due (Ticket.next_due_at) kept by the clock functions equals the per-row clock computation
the queue used before, through every clock change; the queue's shared badge counts (docs/benchmarks.md)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from shouhou.core.testing.factories import ShopFactory
from shouhou.desk.tests.factories import TicketFactory
from shouhou.inbox import services
from shouhou.inbox.choices import Channel, TicketStatus
from shouhou.inbox.models import Ticket
from shouhou.inbox.selectors import NO_CLOCK, queue_counts, sla_due_expression

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 6, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def stored_and_computed(ticket) -> tuple:
    row = Ticket.objects.annotate(computed=sla_due_expression()).values("next_due_at", "computed").get(pk=ticket.pk)
    computed = None if row["computed"] == NO_CLOCK else row["computed"]
    return row["next_due_at"], computed


def test_next_due_follows_every_clock_change(shop, agent):
    def step(minutes: int):
        return time_machine.travel(T0 + dt.timedelta(minutes=minutes), tick=False)

    seen = []
    with step(0):
        ticket = services.message_receive(shop=shop, channel=Channel.WEB_CHAT, body="衣服起球了",
                                          contact_handle="buyer-1").ticket
    seen.append(stored_and_computed(ticket))
    with step(3):
        services.ticket_reply(ticket=ticket, author=agent, body="您好，请发一张照片")
    seen.append(stored_and_computed(ticket))
    with step(10):
        services.message_receive(shop=shop, channel=Channel.WEB_CHAT, body="照片在这", contact_handle="buyer-1")
    seen.append(stored_and_computed(ticket))
    with step(12):
        ticket = services.ticket_set_status(ticket=Ticket.objects.get(pk=ticket.pk), status=TicketStatus.PENDING_CUSTOMER,
                                            actor=agent)
    seen.append(stored_and_computed(ticket))
    with step(40):
        ticket = services.ticket_set_status(ticket=ticket, status=TicketStatus.OPEN, actor=agent)
    seen.append(stored_and_computed(ticket))
    with step(50):
        ticket = services.ticket_set_status(ticket=ticket, status=TicketStatus.RESOLVED, actor=agent)
    seen.append(stored_and_computed(ticket))
    with step(60):
        ticket = services.ticket_set_status(ticket=ticket, status=TicketStatus.OPEN, actor=agent)
    seen.append(stored_and_computed(ticket))

    assert all(stored == computed for stored, computed in seen), seen
    # and it did move: a first-response due, a paused (none), a running one after resuming
    assert seen[0][0] is not None and seen[3][0] is None and seen[4][0] is not None
    assert len({s for s, _ in seen}) >= 4


def test_badge_counts_are_shared_and_recomputed_after_a_ticket_changes():
    shop = ShopFactory(code="counts")
    with time_machine.travel(T0, tick=False):
        TicketFactory(shop=shop, first_response_due_at=T0 + dt.timedelta(minutes=5))   # due soon
        late = TicketFactory(shop=shop, first_response_due_at=T0 - dt.timedelta(minutes=1))  # breached
        first = queue_counts(shop=shop, at=T0)
        assert (first["open"], first["breached"], first["due_soon"], first["unassigned"]) == (2, 1, 1, 2)
        # a write that bypasses the models' save (a bulk update) is seen within COUNTS_TTL at the latest
        Ticket.objects.filter(pk=late.pk).update(status=TicketStatus.CLOSED)
        assert queue_counts(shop=shop, at=T0 + dt.timedelta(seconds=2))["open"] == 2
        assert queue_counts(shop=shop, at=T0 + dt.timedelta(seconds=6))["open"] == 1
        # a ticket saved through the models is counted at once
        TicketFactory(shop=shop)
        assert queue_counts(shop=shop, at=T0 + dt.timedelta(seconds=7))["open"] == 2


def test_migration_backfill_sets_next_due_and_reply_clocks(shop, agent):
    """inbox 0005's backfill on rows written before it: the next due from the clock fields, and buyer messages
    of conversations that reached a person answered by the first later human (not bot) reply."""
    import importlib

    from django.apps import apps

    from shouhou.desk.tests.factories import ConversationFactory, MessageFactory
    from shouhou.inbox.choices import Direction
    from shouhou.inbox.models import Message

    backfill = importlib.import_module("shouhou.inbox.migrations.0005_reply_clocks_next_due").backfill
    with time_machine.travel(T0, tick=False):
        running = TicketFactory(shop=shop, first_response_due_at=T0 + dt.timedelta(minutes=5),
                                resolution_due_at=T0 + dt.timedelta(hours=8), next_due_at=None)
        paused = TicketFactory(shop=shop, first_response_due_at=T0 + dt.timedelta(minutes=5), paused_at=T0,
                               next_due_at=T0)
        asked = MessageFactory(conversation=running.conversation, direction=Direction.INBOUND)
        bot_only = ConversationFactory(shop=shop)
        to_bot = MessageFactory(conversation=bot_only, direction=Direction.INBOUND)
    with time_machine.travel(T0 + dt.timedelta(seconds=30), tick=False):
        MessageFactory(conversation=running.conversation, direction=Direction.OUTBOUND, is_bot=True, body="机器人")
    with time_machine.travel(T0 + dt.timedelta(seconds=200), tick=False):
        MessageFactory(conversation=running.conversation, direction=Direction.OUTBOUND, author=agent, body="人工")
    Message.objects.update(awaits_human=False, human_reply_at=None, agent=None)

    backfill(apps, None)

    assert Ticket.objects.get(pk=running.pk).next_due_at == T0 + dt.timedelta(minutes=5)
    assert Ticket.objects.get(pk=paused.pk).next_due_at is None
    asked.refresh_from_db()
    to_bot.refresh_from_db()
    assert (asked.awaits_human, asked.human_reply_at, asked.agent_id) == (True, T0 + dt.timedelta(seconds=200),
                                                                         agent.pk)
    assert (to_bot.awaits_human, to_bot.human_reply_at) == (False, None)
