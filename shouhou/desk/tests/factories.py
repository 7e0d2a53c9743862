"""Factories for inbox rows used by the workbench, selector and API tests."""

from __future__ import annotations

import factory

from shouhou.core.testing.factories import CustomerFactory, ShopFactory
from shouhou.inbox.choices import Channel, Direction, EscalationStatus, ScriptScenario, Team, TicketCategory
from shouhou.inbox.models import (
    AgentProfile,
    Conversation,
    Escalation,
    Message,
    Script,
    Shift,
    Ticket,
    TicketEvent,
)
from shouhou.sla.clocks import next_due


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    shop = factory.SubFactory(ShopFactory)
    customer = factory.SubFactory(CustomerFactory, shop=factory.SelfAttribute("..shop"))
    channel = Channel.WEB_CHAT
    subject = factory.Sequence(lambda n: f"会话{n}")


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    shop = factory.SelfAttribute("conversation.shop")
    direction = Direction.INBOUND
    body = factory.Sequence(lambda n: f"顾客消息{n}")


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    shop = factory.SubFactory(ShopFactory)
    number = factory.Sequence(lambda n: f"T{n:08d}")
    conversation = factory.SubFactory(ConversationFactory, shop=factory.SelfAttribute("..shop"))
    customer = factory.SelfAttribute("conversation.customer")
    channel = factory.SelfAttribute("conversation.channel")
    category = TicketCategory.QUALITY
    subject = factory.Sequence(lambda n: f"工单{n}")
    team = Team.SERVICE

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Tickets built from raw clock fields get the stored next due the clock functions would keep.
        explicit = "next_due_at" in kwargs
        ticket = model_class(*args, **kwargs)
        if not explicit:
            ticket.next_due_at = next_due(ticket)
        ticket.save()
        return ticket


class TicketEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketEvent

    ticket = factory.SubFactory(TicketFactory)
    shop = factory.SelfAttribute("ticket.shop")
    kind = "status"


class AgentProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgentProfile

    shop = factory.SubFactory(ShopFactory)
    user = factory.SubFactory("shouhou.core.testing.factories.UserFactory")
    capacity = 8


class ShiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shift

    agent = factory.SubFactory(AgentProfileFactory)
    shop = factory.SelfAttribute("agent.shop")
    label = "早班"


class EscalationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Escalation

    ticket = factory.SubFactory(TicketFactory)
    shop = factory.SelfAttribute("ticket.shop")
    department = Team.WAREHOUSE
    request = "请仓库核对发货记录"
    status = EscalationStatus.OPEN


class ScriptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Script

    shop = factory.SubFactory(ShopFactory)
    scenario = ScriptScenario.QUALITY_PROBLEM
    categories = factory.LazyFunction(lambda: [TicketCategory.QUALITY])
    title = factory.Sequence(lambda n: f"质量问题话术{n}")
    body = "亲，非常抱歉给您带来不便，我们马上为您处理。"
