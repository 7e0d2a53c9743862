"""The inbox demo: after `shouhou demo` the workbench queue has work in every state for the demo login."""

from __future__ import annotations

import random

import pytest

from shouhou.commerce.choices import VIP_TIERS
from shouhou.commerce.demo import demo_build
from shouhou.commerce.models import Customer
from shouhou.inbox import demo as inbox_demo
from shouhou.inbox.choices import Channel, TicketEventKind, TicketStatus
from shouhou.inbox.models import AgentProfile, Conversation, Escalation, Shift, Ticket, TicketEvent
from shouhou.sla import demo as sla_demo
from shouhou.sla.tests.helpers import at, frozen

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_clock")]


@pytest.fixture
def demo_shop():
    with frozen("2026-12-01 15:00"):
        shop = demo_build(seed=42, orders=800, customers=300, other_apps=False).shop
        sla_demo.seed(shop=shop, rng=random.Random(1))
        inbox_demo.seed(shop=shop, rng=random.Random(1))
    return shop


def test_demo_seeds_tickets_in_every_state_and_channel(demo_shop):
    tickets = Ticket.objects.filter(shop=demo_shop)
    statuses = set(tickets.values_list("status", flat=True))
    assert statuses == {TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING_CUSTOMER, TicketStatus.RESOLVED,
                        TicketStatus.CLOSED, TicketStatus.ESCALATED}
    assert 120 <= tickets.count() <= 150
    assert {Channel.WEB_CHAT, Channel.WECHAT, Channel.PHONE, Channel.SOCIAL_COMMENT, Channel.SOCIAL_DM,
            Channel.EMAIL, Channel.REVIEW} <= set(tickets.values_list("channel", flat=True))
    waiting = tickets.filter(status=TicketStatus.NEW)
    assert waiting.filter(sla_breached=True).exists()
    assert waiting.filter(sla_breached=False, first_response_due_at__gt=at("2026-12-01 15:00")).count() >= 10
    assert Escalation.objects.filter(shop=demo_shop).count() == tickets.filter(status=TicketStatus.ESCALATED).count()
    assert TicketEvent.objects.filter(shop=demo_shop, kind=TicketEventKind.BOT_HANDOFF).count() >= 1
    assert Conversation.objects.filter(shop=demo_shop, bot_active=True, tickets__isnull=True).exists()


def test_demo_agents_shifts_and_vip_agent(demo_shop):
    profiles = AgentProfile.objects.filter(shop=demo_shop, accepting=True)
    assert profiles.count() == 4
    vip_agent = profiles.get(user__username="kefu4").user
    vips = Customer.objects.filter(shop=demo_shop, tier__in=VIP_TIERS)
    assert vips.exists() and not vips.exclude(dedicated_agent=vip_agent).exists()
    night = Shift.objects.filter(shop=demo_shop, label="夜班", starts_at=at("2026-12-01 20:00"))
    assert night.get().ends_at == at("2026-12-02 02:00")


def test_demo_login_sees_the_queue(demo_shop, client):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="demo"))
    with frozen("2026-12-01 15:00"):
        html = client.get("/desk/queue/").content.decode()
    first = Ticket.objects.filter(shop=demo_shop, status=TicketStatus.NEW).order_by("priority", "pk").first()
    assert 'data-testid="ticket-link"' in html
    assert first is not None


def test_demo_buyer_chat_messages_carry_reply_clocks_so_the_rates_have_figures(demo_shop):
    """The reply rates (desk, team board, insight, the weekly report) read the per-message clocks that
    message_receive and the replies keep; the demo wrote its messages without them and every rate read 「—」."""
    from datetime import timedelta

    from django.db.models import F

    from shouhou.inbox.choices import Direction
    from shouhou.inbox.models import Message
    from shouhou.sla.selectors import reply_rates

    counted = Message.objects.filter(shop=demo_shop, awaits_human=True)
    assert counted.exists() and not counted.exclude(direction=Direction.INBOUND).exists()
    answered = counted.filter(human_reply_at__isnull=False)
    assert answered.exists() and not answered.filter(agent__isnull=True).exists()
    # each is answered by a person's reply at or after it, never by the bot
    for m in answered[:50]:
        reply = Message.objects.get(conversation_id=m.conversation_id, direction=Direction.OUTBOUND,
                                    created_at=m.human_reply_at, author_id=m.agent_id)
        assert not reply.is_bot and reply.created_at >= m.created_at
    # the bot's prelude before a hand-off awaits no one
    handed = Conversation.objects.filter(shop=demo_shop, handed_over_at__isnull=False, tickets__isnull=False)
    assert handed.exists()
    assert not counted.filter(conversation__in=handed, created_at__lt=F("conversation__handed_over_at")).exists()
    with frozen("2026-12-01 15:00"):
        end = at("2026-12-01 15:00")
        (row,) = reply_rates(shop=demo_shop, start=end - timedelta(days=7), end=end)
    assert row.messages > 0 and row.rates and row.rates[0].counted > 0 and row.rates[0].ratio is not None
