"""Routing: skills, channels, shifts (incl. a night shift across midnight), capacity, VIP, the queue job."""

from __future__ import annotations

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.commerce.choices import Category, MembershipTier
from shouhou.core.testing.factories import (
    CustomerFactory,
    MembershipFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    UserFactory,
)
from shouhou.inbox.choices import Channel, TicketEventKind, TicketStatus
from shouhou.inbox.models import Ticket, TicketEvent
from shouhou.inbox.routing import agents_on_duty, ticket_route, tickets_route_waiting
from shouhou.inbox.services import message_receive, ticket_set_status
from shouhou.sla.services import sla_defaults_install
from shouhou.sla.tests.helpers import agent_profile, at, frozen

pytestmark = pytest.mark.django_db
DAY = (("2026-11-23 09:00", "2026-11-23 18:00"),)
NIGHT = (("2026-11-23 22:00", "2026-11-24 06:00"),)


def member(shop, username, role=Role.AGENT):
    return MembershipFactory(shop=shop, role=role, user=UserFactory(username=username)).user


def order_of(shop, customer, *categories):
    order = OrderFactory(shop=shop, customer=customer)
    for c in categories:
        OrderLineFactory(order=order, shop=shop, product=ProductFactory(shop=shop, category=c))
    return order


def ask(shop, customer, body="在吗", channel=Channel.WEB_CHAT, order=None):
    return message_receive(shop=shop, channel=channel, body=body, customer=customer, order=order).ticket


def give_load(shop, user, n):
    for i in range(n):
        Ticket.objects.create(shop=shop, number=f"LOAD-{user.pk}-{i}", channel=Channel.WEB_CHAT, assignee=user,
                              status=TicketStatus.OPEN)


@pytest.fixture
def rshop(shop):
    sla_defaults_install(shop=shop)
    return shop


@pytest.fixture
def customer(rshop):
    return CustomerFactory(shop=rshop)


def test_skill_decides_between_on_duty_agents(rshop, customer):
    clothes = member(rshop, "clothes")
    beauty = member(rshop, "beauty")
    agent_profile(rshop, clothes, skills=[Category.CLOTHING], shifts=DAY)
    agent_profile(rshop, beauty, skills=[Category.COSMETICS], shifts=DAY)
    with frozen("2026-11-23 10:00"):
        t = ask(rshop, customer, "面膜怎么用", order=order_of(rshop, customer, Category.COSMETICS))
    assert t.assignee == beauty
    e = TicketEvent.objects.get(ticket=t, kind=TicketEventKind.ASSIGNED)
    assert (e.to_value, e.note, e.actor) == ("beauty", "自动分配", None)


def test_an_agent_covering_all_categories_beats_one_covering_some(rshop, customer):
    partial = member(rshop, "partial")
    full = member(rshop, "full")
    agent_profile(rshop, partial, skills=[Category.CLOTHING], shifts=DAY)
    agent_profile(rshop, full, skills=[Category.CLOTHING, Category.SHOES_BAGS], shifts=DAY)
    give_load(rshop, full, 3)
    with frozen("2026-11-23 10:00"):
        t = ask(rshop, customer, order=order_of(rshop, customer, Category.CLOTHING, Category.SHOES_BAGS))
    assert t.assignee == full


def test_partial_skill_is_used_when_nobody_covers_everything(rshop, customer):
    clothes = member(rshop, "clothes")
    phones = member(rshop, "phones")
    agent_profile(rshop, clothes, skills=[Category.CLOTHING], shifts=DAY)
    agent_profile(rshop, phones, skills=[Category.MOBILE_PHONE], shifts=DAY)
    give_load(rshop, clothes, 1)
    with frozen("2026-11-23 10:00"):
        t = ask(rshop, customer, order=order_of(rshop, customer, Category.CLOTHING, Category.FOOD))
    assert t.assignee == clothes


def test_no_skilled_agent_leaves_the_ticket_in_the_queue(rshop, customer):
    agent_profile(rshop, member(rshop, "phones"), skills=[Category.MOBILE_PHONE], shifts=DAY)
    with frozen("2026-11-23 10:00"):
        t = ask(rshop, customer, order=order_of(rshop, customer, Category.JEWELRY))
    assert t.assignee is None and t.status == TicketStatus.NEW


def test_generalist_and_tickets_without_order(rshop, customer):
    generalist = member(rshop, "generalist")
    agent_profile(rshop, generalist, skills=[], shifts=DAY)
    with frozen("2026-11-23 10:00"):
        with_order = ask(rshop, customer, order=order_of(rshop, customer, Category.TOYS))
        other = ask(rshop, CustomerFactory(shop=rshop), "你好")
    assert with_order.assignee == generalist and other.assignee == generalist


def test_least_loaded_wins(rshop, customer):
    busy, calm = member(rshop, "busy"), member(rshop, "calm")
    agent_profile(rshop, busy, shifts=DAY)
    agent_profile(rshop, calm, shifts=DAY)
    give_load(rshop, busy, 2)
    give_load(rshop, calm, 1)
    with frozen("2026-11-23 10:00"):
        t = ask(rshop, customer)
    assert t.assignee == calm


def test_resolved_and_closed_tickets_do_not_count_as_load(rshop, customer):
    a, b = member(rshop, "a"), member(rshop, "b")
    agent_profile(rshop, a, shifts=DAY)
    agent_profile(rshop, b, shifts=DAY)
    give_load(rshop, b, 1)
    Ticket.objects.create(shop=rshop, number="DONE-1", channel=Channel.WEB_CHAT, assignee=a,
                          status=TicketStatus.RESOLVED)
    Ticket.objects.create(shop=rshop, number="DONE-2", channel=Channel.WEB_CHAT, assignee=a,
                          status=TicketStatus.CLOSED)
    with frozen("2026-11-23 10:00"):
        assert ask(rshop, customer).assignee == a


def test_ties_go_to_the_agent_idle_longest_then_lowest_id(rshop):
    first, second, third = member(rshop, "first"), member(rshop, "second"), member(rshop, "third")
    for u in (first, second, third):
        agent_profile(rshop, u, capacity=5, shifts=DAY)
    with frozen("2026-11-23 10:00") as clock:
        # nobody assigned yet: lowest user id
        t1 = ask(rshop, CustomerFactory(shop=rshop))
        ticket_set_status(actor=SYSTEM, ticket=t1, status=TicketStatus.RESOLVED)
        clock.move_to(at("2026-11-23 10:01"))
        # first has a past assignment, the other two never had one: never-assigned first, lowest id
        t2 = ask(rshop, CustomerFactory(shop=rshop))
        ticket_set_status(actor=SYSTEM, ticket=t2, status=TicketStatus.RESOLVED)
        clock.move_to(at("2026-11-23 10:02"))
        t3 = ask(rshop, CustomerFactory(shop=rshop))
        ticket_set_status(actor=SYSTEM, ticket=t3, status=TicketStatus.RESOLVED)
        clock.move_to(at("2026-11-23 10:03"))
        # all equally loaded (0 open); first was assigned longest ago
        t4 = ask(rshop, CustomerFactory(shop=rshop))
    assert [t.assignee.username for t in (t1, t2, t3, t4)] == ["first", "second", "third", "first"]


def test_channel_restriction(rshop, customer):
    phone_only, chat = member(rshop, "phone_only"), member(rshop, "chat")
    agent_profile(rshop, phone_only, channels=[Channel.PHONE], shifts=DAY)
    agent_profile(rshop, chat, channels=[Channel.WEB_CHAT, Channel.WECHAT], shifts=DAY)
    give_load(rshop, chat, 5)
    with frozen("2026-11-23 10:00"):
        assert ask(rshop, customer).assignee == chat
        assert ask(rshop, CustomerFactory(shop=rshop), channel=Channel.PHONE).assignee == phone_only
        assert ask(rshop, CustomerFactory(shop=rshop), channel=Channel.EMAIL).assignee is None


@pytest.mark.parametrize(("moment", "on_duty"), [
    ("2026-11-23 08:59:59", []),
    ("2026-11-23 09:00", ["day"]),          # starts_at is on duty
    ("2026-11-23 17:59:59", ["day"]),
    ("2026-11-23 18:00", []),               # ends_at is not
    ("2026-11-23 22:00", ["night"]),
    ("2026-11-23 23:59", ["night"]),
    ("2026-11-24 00:00", ["night"]),        # across midnight
    ("2026-11-24 03:30", ["night"]),
    ("2026-11-24 06:00", []),
])
def test_on_duty_by_shift_including_the_night_shift(rshop, moment, on_duty):
    agent_profile(rshop, member(rshop, "day"), shifts=DAY)
    agent_profile(rshop, member(rshop, "night"), shifts=NIGHT)
    agent_profile(rshop, member(rshop, "paused"), accepting=False, shifts=DAY + NIGHT)
    assert [p.user.username for p in agents_on_duty(shop=rshop, at=at(moment))] == on_duty


def test_night_shift_agent_takes_a_message_after_midnight(rshop, customer):
    night = member(rshop, "night")
    agent_profile(rshop, night, shifts=NIGHT)
    agent_profile(rshop, member(rshop, "day"), shifts=DAY)
    with frozen("2026-11-24 01:30"):
        assert ask(rshop, customer, "快递到哪了").assignee == night


def test_capacity_is_respected(rshop, customer):
    full, spare = member(rshop, "full"), member(rshop, "spare")
    agent_profile(rshop, full, capacity=2, skills=[Category.CLOTHING], shifts=DAY)
    agent_profile(rshop, spare, capacity=3, skills=[Category.COSMETICS], shifts=DAY)
    give_load(rshop, full, 2)
    give_load(rshop, spare, 3)
    with frozen("2026-11-23 10:00"):
        t = ask(rshop, customer, order=order_of(rshop, customer, Category.CLOTHING))
    assert t.assignee is None


def test_other_shops_agents_and_load_are_ignored(rshop, other_shop, customer):
    mine = member(rshop, "mine")
    agent_profile(rshop, mine, capacity=1, shifts=DAY)
    stranger = member(other_shop, "stranger")
    agent_profile(other_shop, stranger, shifts=DAY)
    give_load(other_shop, mine, 3)  # load in another shop does not count here
    with frozen("2026-11-23 10:00"):
        assert ask(rshop, customer).assignee == mine


@pytest.fixture
def vip_setup(rshop):
    dedicated, other = member(rshop, "dedicated"), member(rshop, "other")
    vip = CustomerFactory(shop=rshop, tier=MembershipTier.VIP, dedicated_agent=dedicated)
    return dedicated, other, vip


def test_vip_goes_to_the_dedicated_agent_when_on_duty(rshop, vip_setup):
    dedicated, other, vip = vip_setup
    agent_profile(rshop, dedicated, capacity=4, shifts=DAY)
    agent_profile(rshop, other, shifts=DAY)
    give_load(rshop, dedicated, 3)  # busier, but still under capacity
    with frozen("2026-11-23 10:00"):
        t = ask(rshop, vip, "耳机没声音")
    assert t.assignee == dedicated
    assert t.priority == 2


def test_vip_falls_back_to_normal_routing_when_dedicated_is_off_duty_or_full(rshop, vip_setup):
    dedicated, other, vip = vip_setup
    agent_profile(rshop, dedicated, capacity=2, shifts=(("2026-11-23 13:00", "2026-11-23 22:00"),))
    agent_profile(rshop, other, shifts=DAY)
    with frozen("2026-11-23 10:00") as clock:
        off_duty = ask(rshop, vip, "在吗")
        clock.move_to(at("2026-11-23 14:00"))
        give_load(rshop, dedicated, 2)
        full = ask(rshop, CustomerFactory(shop=rshop, tier=MembershipTier.VIP, dedicated_agent=dedicated), "在吗")
    assert off_duty.assignee == other and full.assignee == other


def test_regular_customer_with_a_dedicated_agent_is_routed_normally(rshop, vip_setup):
    dedicated, other, _vip = vip_setup
    agent_profile(rshop, dedicated, shifts=DAY)
    agent_profile(rshop, other, shifts=DAY)
    give_load(rshop, dedicated, 1)
    regular = CustomerFactory(shop=rshop, tier=MembershipTier.SILVER, dedicated_agent=dedicated)
    with frozen("2026-11-23 10:00"):
        assert ask(rshop, regular).assignee == other


def test_queued_tickets_are_routed_when_an_agent_comes_on_duty(rshop):
    early = member(rshop, "early")
    agent_profile(rshop, early, capacity=2, shifts=(("2026-11-23 09:00", "2026-11-23 18:00"),))
    with frozen("2026-11-23 08:00") as clock:
        normal = ask(rshop, CustomerFactory(shop=rshop), "在吗")
        clock.move_to(at("2026-11-23 08:10"))
        urgent = ask(rshop, CustomerFactory(shop=rshop), "充电器冒烟了")
        clock.move_to(at("2026-11-23 08:20"))
        later = ask(rshop, CustomerFactory(shop=rshop), "你好")
        assert tickets_route_waiting(at=at("2026-11-23 08:30")) == 0   # nobody on duty yet
        clock.move_to(at("2026-11-23 09:00"))
        assert tickets_route_waiting(at=at("2026-11-23 09:00")) == 2   # capacity 2: urgent first, then oldest
    assigned = dict(Ticket.objects.filter(pk__in=[normal.pk, urgent.pk, later.pk]).values_list("pk", "assignee_id"))
    assert assigned == {urgent.pk: early.pk, normal.pk: early.pk, later.pk: None}
    assert TicketEvent.objects.filter(ticket=urgent, kind=TicketEventKind.ASSIGNED, to_value="early").count() == 1


def test_ticket_route_leaves_an_assigned_ticket_alone(rshop, customer):
    a, b = member(rshop, "a"), member(rshop, "b")
    agent_profile(rshop, a, shifts=DAY)
    agent_profile(rshop, b, shifts=DAY)
    with frozen("2026-11-23 10:00"):
        t = ask(rshop, customer)
        assert ticket_route(ticket=t) == a
    assert TicketEvent.objects.filter(ticket=t, kind=TicketEventKind.ASSIGNED).count() == 1
