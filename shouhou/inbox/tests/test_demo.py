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
