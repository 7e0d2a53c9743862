"""Who takes a ticket.

An agent can take a ticket when they are on duty (a Shift with starts_at <= at < ends_at — a night
shift is one row crossing midnight), accepting, under capacity (open tickets assigned in this shop <
capacity), serve the ticket's channel (channels [] = all) and have the skill: every product category
of the ticket's order lines that is not "other" is in their skills (skills [] = generalist, every
category). When nobody covers all the categories, anyone covering at least one is taken.
Among those, the least loaded wins; ties go to the one idle longest (oldest last assignment, never
assigned first), then the lowest user id — deterministic.
VIP customers (gold / VIP tier) go to their dedicated agent (Customer.dedicated_agent) when that agent
is on duty, accepting and under capacity; otherwise normal routing. Nobody available → the ticket stays
unassigned in the queue, and `tickets_route_waiting` (periodic) assigns it when someone comes on duty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Count, DateTimeField, Exists, Max, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from shouhou.commerce.choices import VIP_TIERS, Category
from shouhou.commerce.models import OrderLine
from shouhou.core.clock import now
from shouhou.inbox.choices import OPEN_TICKET_STATUSES, Direction, TicketEventKind
from shouhou.inbox.models import AgentProfile, Message, Shift, Ticket, TicketEvent


def agents_on_duty(*, shop, at: datetime | None = None) -> QuerySet[AgentProfile]:
    """Accepting agents of the shop with a shift covering `at`."""
    at = at or now()
    on_shift = Shift.objects.filter(agent=OuterRef("pk"), starts_at__lte=at, ends_at__gt=at)
    return (AgentProfile.objects.filter(shop=shop, accepting=True, user__is_active=True)
            .filter(Exists(on_shift)).select_related("user").order_by("user_id"))


@dataclass
class Candidate:
    profile: AgentProfile
    load: int
    last_assigned_at: datetime | None
    skills: frozenset[str] = field(default_factory=frozenset)
    channels: frozenset[str] = field(default_factory=frozenset)

    @property
    def free(self) -> bool:
        return self.load < self.profile.capacity

    def serves(self, channel: str) -> bool:
        return not self.channels or channel in self.channels

    def sort_key(self) -> tuple:
        idle = self.last_assigned_at.timestamp() if self.last_assigned_at else float("-inf")
        return (self.load, idle, self.profile.user_id)


def candidates(*, shop, at: datetime) -> list[Candidate]:
    """On-duty agents with their open load and last assignment: one query."""
    load = (Ticket.objects.filter(shop=shop, assignee=OuterRef("user_id"), status__in=OPEN_TICKET_STATUSES)
            .order_by().values("assignee").annotate(n=Count("pk")).values("n"))
    last = (TicketEvent.objects.filter(shop=shop, kind=TicketEventKind.ASSIGNED, to_value=OuterRef("user__username"))
            .order_by().values("to_value").annotate(m=Max("created_at")).values("m"))
    rows = agents_on_duty(shop=shop, at=at).annotate(
        load=Coalesce(Subquery(load), Value(0)),
        last_assigned=Subquery(last, output_field=DateTimeField()),
    )
    return [Candidate(profile=p, load=p.load, last_assigned_at=p.last_assigned,
                      skills=frozenset(p.skills or ()), channels=frozenset(p.channels or ())) for p in rows]


def needed_skills(categories) -> frozenset[str]:
    return frozenset(c for c in categories if c and c != Category.OTHER)


def choose(pool: list[Candidate], *, channel: str, skills: frozenset[str], dedicated_user_id: int | None = None,
           vip: bool = False) -> Candidate | None:
    """Pure choice among candidates (see the module docstring)."""
    if vip and dedicated_user_id is not None:
        for c in pool:
            if c.profile.user_id == dedicated_user_id and c.free:
                return c
    able = [c for c in pool if c.free and c.serves(channel)]
    if skills:
        full = [c for c in able if not c.skills or skills <= c.skills]
        able = full or [c for c in able if c.skills & skills]
    return min(able, key=Candidate.sort_key) if able else None


def _ticket_skills(ticket) -> frozenset[str]:
    if not ticket.order_id:
        return frozenset()
    return needed_skills(OrderLine.objects.filter(order_id=ticket.order_id).values_list("category", flat=True))


def _is_vip(ticket) -> tuple[bool, int | None]:
    customer = ticket.customer if ticket.customer_id else None
    if customer is None:
        return False, None
    return customer.tier in VIP_TIERS, customer.dedicated_agent_id


def ticket_route(*, ticket, at: datetime | None = None, actor=None) -> object | None:
    """Assign the ticket to the best on-duty agent (see module docstring). Returns the user or None.
    An already assigned ticket is left alone."""
    from shouhou.accounts.actors import SYSTEM
    from shouhou.inbox.services import ticket_assign

    if ticket.assignee_id is not None or ticket.status not in OPEN_TICKET_STATUSES:
        return ticket.assignee
    at = at or now()
    vip, dedicated = _is_vip(ticket)
    chosen = choose(candidates(shop=ticket.shop, at=at), channel=ticket.channel, skills=_ticket_skills(ticket),
                    dedicated_user_id=dedicated, vip=vip)
    if chosen is None:
        return None
    ticket_assign(ticket=ticket, agent=chosen.profile.user, actor=actor or SYSTEM, note="自动分配")  # routing is the system
    return chosen.profile.user


def tickets_route_waiting(*, shop=None, at: datetime | None = None, limit: int = 2000) -> int:
    """Periodic: assign unassigned open tickets (most urgent, then oldest, first) to on-duty agents.
    Loads agents once per shop and the waiting tickets' order categories in one query; stops for a shop
    as soon as nobody has room."""
    from shouhou.commerce.models import Shop

    at = at or now()
    shops = [shop] if shop is not None else list(
        Shop.objects.filter(Exists(Ticket.objects.filter(shop=OuterRef("pk"), assignee__isnull=True,
                                                         status__in=OPEN_TICKET_STATUSES))))
    assigned = 0
    for s in shops:
        pool = candidates(shop=s, at=at)
        if not any(c.free for c in pool):
            continue
        waiting = list(Ticket.objects.filter(shop=s, assignee__isnull=True, status__in=OPEN_TICKET_STATUSES)
                       .select_related("customer").order_by("priority", "created_at", "pk")[:limit])
        cats: dict[int, set[str]] = {}
        for order_id, cat in OrderLine.objects.filter(
                order_id__in={t.order_id for t in waiting if t.order_id}).values_list("order_id", "category"):
            cats.setdefault(order_id, set()).add(cat)
        for t in waiting:
            if not any(c.free for c in pool):
                break
            vip, dedicated = _is_vip(t)
            chosen = choose(pool, channel=t.channel, skills=needed_skills(cats.get(t.order_id, ())),
                            dedicated_user_id=dedicated, vip=vip)
            if chosen is None:
                continue
            with transaction.atomic():
                updated = Ticket.objects.filter(pk=t.pk, assignee__isnull=True).update(
                    assignee=chosen.profile.user, updated_at=at)
                if updated and t.conversation_id is not None:  # waiting buyer messages count for the agent
                    Message.objects.filter(conversation_id=t.conversation_id, direction=Direction.INBOUND,
                                           awaits_human=True, human_reply_at__isnull=True).update(
                        agent=chosen.profile.user)
                if updated:
                    TicketEvent.objects.create(shop=s, ticket=t, kind=TicketEventKind.ASSIGNED,
                                               to_value=chosen.profile.user.username, note="上班后自动分配")
            if updated:
                chosen.load += 1
                chosen.last_assigned_at = at
                assigned += 1
    return assigned
