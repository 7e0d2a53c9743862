"""Inbox reads for the agent workbench and the API: the queue, a ticket's timeline, the customer at a
glance and the team's load. Every function takes the shop and filters on it; the number of queries
does not grow with the number of rows (select_related / prefetch / annotations)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least
from django.utils.translation import gettext_lazy as _

from shouhou.commerce.choices import VIP_TIERS
from shouhou.core.clock import local_tz, now
from shouhou.core.pii import phone_for
from shouhou.inbox.choices import (
    OPEN_TICKET_STATUSES,
    Channel,
    Direction,
    EscalationStatus,
    Team,
    TicketCategory,
    TicketEventKind,
    TicketStatus,
)
from shouhou.inbox.models import (
    AgentProfile,
    Conversation,
    Escalation,
    EscalationUpdate,
    Message,
    Script,
    Shift,
    Ticket,
    TicketEvent,
)
from shouhou.sla.defaults import FALLBACK_WARN_MINUTES
from shouhou.sla.selectors import ticket_clock

# A date far in the future stands for "no clock running" so that one LEAST() works on every database
# (SQLite's MIN() and PostgreSQL's LEAST() disagree about NULL).
NO_CLOCK = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
DUE_SOON_MINUTES = 15
PER_PAGE = 50
MAX_PER_PAGE = 200
SEARCH_LIMIT = 1000  # tickets a queue search returns at most
OPEN_STATUSES = sorted(OPEN_TICKET_STATUSES)
ACTIVE_ESCALATIONS = (EscalationStatus.OPEN, EscalationStatus.IN_PROGRESS)

SCOPES = {
    "all": _("全部"),
    "mine": _("我的"),
    "unassigned": _("未分配"),
    "team": _("团队"),
}
TARGET_LABELS = {
    "first_response": _("首次响应"),
    "next_response": _("再次响应"),
    "resolution": _("解决"),
}


class FilterError(ValueError):
    """A queue filter that cannot be read; `field` names it."""

    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.field = field


# --- the SLA clock in SQL -----------------------------------------------------------------------

def _running(condition: Q, column: str) -> Case:
    return Case(When(condition, then=F(column)), default=Value(NO_CLOCK), output_field=DateTimeField())


def sla_due_expression() -> Least:
    """The earliest running clock of a ticket computed per row (first response, next response, resolution),
    or NO_CLOCK when none runs or the ticket is paused. The queue reads the stored `Ticket.next_due_at`
    instead (kept by sla.clocks); this stays to check the stored value against (tests, migrations)."""
    paused = Q(paused_at__isnull=False)
    first = _running(~paused & Q(first_responded_at__isnull=True, first_response_due_at__isnull=False),
                     "first_response_due_at")
    nxt = _running(~paused & Q(waiting_since__isnull=False, next_response_due_at__isnull=False),
                   "next_response_due_at")
    resolution = _running(~paused & Q(resolved_at__isnull=True, resolution_due_at__isnull=False),
                          "resolution_due_at")
    return Least(first, nxt, resolution, output_field=DateTimeField())


def with_sla_due(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """`sla_due_at`: the stored earliest running clock (None when none runs or paused)."""
    return qs.annotate(sla_due_at=F("next_due_at"))


def _overdue(at: dt.datetime) -> Q:
    return Q(sla_breached=True) | Q(next_due_at__lt=at)


@dataclass(frozen=True)
class QueueClock:
    """What the countdown shows. `due_at` None: no clock runs (answered and resolved, or none set)."""

    target: str
    due_at: dt.datetime | None
    paused: bool
    breached: bool
    warning: bool
    remaining_seconds: int | None
    warn_seconds: int

    @property
    def label(self) -> str:
        return str(TARGET_LABELS.get(self.target, ""))

    @property
    def state(self) -> str:
        """paused | breached | warning | running | none: the CSS class of the countdown."""
        if self.paused:
            return "paused"
        if self.due_at is None:
            return "none"
        if self.breached:
            return "breached"
        return "warning" if self.warning else "running"


def ticket_queue_clock(ticket: Ticket, *, at: dt.datetime | None = None) -> QueueClock:
    """The countdown of one ticket: sla.selectors.ticket_clock plus the warning window of its policy.
    No query when `sla_policy` is selected with the ticket. While paused the due time is hidden (the
    countdown stands still at `remaining_seconds`)."""
    at = at or now()
    warn = (ticket.sla_policy.warn_before_minutes if ticket.sla_policy_id and ticket.sla_policy
            else FALLBACK_WARN_MINUTES) * 60
    clock = ticket_clock(ticket=ticket, at=at)
    if clock is None:
        return QueueClock(target="", due_at=None, paused=False, breached=bool(ticket.sla_breached), warning=False,
                          remaining_seconds=None, warn_seconds=warn)
    if clock.paused:
        return QueueClock(target=clock.target, due_at=None, paused=True, breached=clock.breached, warning=False,
                          remaining_seconds=clock.remaining_seconds, warn_seconds=warn)
    return QueueClock(target=clock.target, due_at=clock.due_at, paused=False, breached=clock.remaining_seconds < 0,
                      warning=0 <= clock.remaining_seconds <= warn, remaining_seconds=clock.remaining_seconds,
                      warn_seconds=warn)


# --- the queue ----------------------------------------------------------------------------------

def _choice(value: str, choices, *, field: str, label: str) -> str:
    if value and value not in choices:
        raise FilterError(f"{label}「{value}」不存在", field=field)
    return value


@dataclass(frozen=True)
class QueueFilters:
    scope: str = "all"  # all | mine | unassigned | team
    team: str = ""
    status: str = ""  # "" open tickets, "all" every status, or one TicketStatus
    channel: str = ""
    category: str = ""
    priority: int | None = None
    breached: bool = False
    due_within: int | None = None  # minutes: running clocks due within N minutes (breached included)
    vip: bool = False
    q: str = ""  # ticket number, order number, customer phone (last 4 digits or full)
    page: int = 1
    per_page: int = PER_PAGE

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> QueueFilters:
        """Read filters from a query string; a bad value raises FilterError naming the field."""

        def text(name: str) -> str:
            return str(data.get(name) or "").strip()

        def number(name: str, label: str, *, low: int, high: int) -> int | None:
            raw = text(name)
            if not raw:
                return None
            if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:  # 「²」: isdigit() but not int()
                raise FilterError(f"{label}应为 {low}–{high} 的整数，收到「{raw}」", field=name)
            return int(raw)

        def flag(name: str) -> bool:
            return text(name).lower() in {"1", "true", "on", "yes"}

        scope = text("scope") or "all"
        if scope not in SCOPES:
            raise FilterError(f"范围「{scope}」不存在（可选 {'、'.join(SCOPES)}）", field="scope")
        status = text("status")
        if status not in {"", "all"}:
            _choice(status, TicketStatus.values, field="status", label="状态")
        return cls(
            scope=scope,
            team=_choice(text("team"), Team.values, field="team", label="团队"),
            status=status,
            channel=_choice(text("channel"), Channel.values, field="channel", label="渠道"),
            category=_choice(text("category"), TicketCategory.values, field="category", label="分类"),
            priority=number("priority", "优先级", low=1, high=4),
            breached=flag("breached"),
            due_within=number("due_within", "即将超时（分钟）", low=0, high=7 * 24 * 60),
            vip=flag("vip"),
            q=text("q")[:64],
            page=number("page", "页码", low=1, high=1_000_000) or 1,
            per_page=number("per_page", "每页条数", low=1, high=MAX_PER_PAGE) or PER_PAGE,
        )

    def as_query(self) -> dict[str, str]:
        """The non-default filters as query parameters (for links and the live refresh)."""
        out = {}
        for name in ("scope", "team", "status", "channel", "category", "q"):
            value = getattr(self, name)
            if value and not (name == "scope" and value == "all"):
                out[name] = value
        for name in ("priority", "due_within"):
            if getattr(self, name) is not None:
                out[name] = str(getattr(self, name))
        for name in ("breached", "vip"):
            if getattr(self, name):
                out[name] = "1"
        return out


@dataclass
class QueueRow:
    ticket: Ticket
    clock: QueueClock
    phone: str
    last_message: str
    is_vip: bool
    # Labels in the reader's language, looked up once per page (get_FOO_display rebuilds the choices each call,
    # the slowest part of rendering 50 rows).
    priority_label: str = ""
    channel_label: str = ""
    category_label: str = ""
    status_label: str = ""


def _choice_labels() -> dict[str, dict]:
    from shouhou.inbox.choices import Priority

    return {name: {value: str(label) for value, label in choices.choices}
            for name, choices in (("priority", Priority), ("channel", Channel), ("category", TicketCategory),
                                  ("status", TicketStatus))}


@dataclass
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    pages: int
    per_page: int
    filters: QueueFilters
    at: dt.datetime

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def ticket_queue_qs(*, shop, user=None, filters: QueueFilters | None = None,
                    at: dt.datetime | None = None) -> QuerySet[Ticket]:
    """The filtered, ordered queue (not yet paginated): priority first (1 urgent), then the earliest
    running SLA clock, then age. Paused tickets and tickets without a running clock come last."""
    filters = filters or QueueFilters()
    at = at or now()
    qs = Ticket.objects.filter(shop=shop)
    if filters.status == "":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif filters.status != "all":
        qs = qs.filter(status=filters.status)
    if filters.scope == "mine":
        qs = qs.filter(assignee=user) if user is not None and user.is_authenticated else qs.none()
    elif filters.scope == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    elif filters.scope == "team":
        qs = qs.filter(team=filters.team or Team.SERVICE)
    if filters.team and filters.scope != "team":
        qs = qs.filter(team=filters.team)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.priority is not None:
        qs = qs.filter(priority=filters.priority)
    if filters.vip:
        qs = qs.filter(customer__tier__in=sorted(VIP_TIERS))
    if filters.breached:
        qs = qs.filter(_overdue(at))
    if filters.due_within is not None:
        qs = qs.filter(next_due_at__lte=at + dt.timedelta(minutes=filters.due_within))
    if filters.q:
        q = filters.q
        # Ticket numbers are issued in upper case (core.numbers), so a case-insensitive match is a match of the
        # text as typed or upper-cased: the unique (shop, number) index, where `iexact` read every ticket.
        matches = [Q(number__in=sorted({q, q.upper(), q.lower()})), Q(order__shop=shop, order__order_no=q)]
        digits = q.replace(" ", "").replace("-", "")
        if digits.isascii() and digits.isdigit() and len(digits) == 4:
            matches.append(Q(customer__phone_last4=digits))
        elif digits.isascii() and digits.isdigit() and len(digits) >= 7:
            matches.append(Q(customer__shop=shop, customer__phone=digits))
        # A search finds a handful of tickets: find them first, then order those. Each kind of match is its own
        # indexed lookup, united in one query: ORed together across the joined tables they could only be
        # answered by joining every open ticket (330 ms at 100,000); left to one ordered query, PostgreSQL
        # walks the whole queue index hoping to meet 50 matches early.
        parts = [qs.filter(m).values_list("pk", flat=True) for m in matches]
        found = list(parts[0].union(*parts[1:])[:SEARCH_LIMIT])
        qs = qs.filter(pk__in=found)
    # the stored next due and the partial index ticket_queue_due: no per-row clock computation
    return qs.order_by("priority", F("next_due_at").asc(nulls_last=True), "created_at", "id")


def _last_message_subquery(column: str = "body") -> Subquery:
    """The customer's last message (not the bot's greeting or an agent's reply): what the agent must answer."""
    latest = (Message.objects.filter(conversation_id=OuterRef("conversation_id"), direction=Direction.INBOUND)
              .order_by("-created_at", "-id").values(column)[:1])
    return Subquery(latest)


@dataclass
class ConversationRow:
    ticket: Ticket
    last_message: str
    last_message_at: dt.datetime | None
    clock: Any
    waiting: bool
    beyond: bool = False  # past the list's cut, shown because it is open or was just alerted (`keep`)
    last_message_id: int | None = None  # the customer's last message: the desk alerts a newer one while it polls
    # the `assigned` event that gave the ticket to the reader, when someone else (or the routing) gave it: the desk
    # alerts a newer one while it polls, under the push's key (docs/workbench.md, alerts without the push)
    transfer_event_id: int | None = None
    transfer_by: str = ""


DESK_SCOPES = ("mine", "all")
DESK_LIST_LIMIT = 60
DESK_KEEP_LIMIT = 20  # conversations `keep` may bring in beyond the cut (the open one, the latest alerted)


@dataclass
class DeskList:
    """The desk's conversation list: the first `limit` conversations in order, then those of `keep` that are past
    the cut (`ConversationRow.beyond`); `total` counts every conversation of the scope, shown or not."""

    rows: list[ConversationRow]
    total: int
    limit: int

    @property
    def cut(self) -> bool:
        return self.total > self.limit

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def _last_assigned_subquery(column: str) -> Subquery:
    """The ticket's latest `assigned` event: the one that gave the ticket to its assignee."""
    latest = (TicketEvent.objects.filter(ticket_id=OuterRef("pk"), kind=TicketEventKind.ASSIGNED)
              .order_by("-pk").values(column)[:1])
    return Subquery(latest)


def _desk_row(t: Ticket, *, at: dt.datetime, beyond: bool = False, user_id: int | None = None) -> ConversationRow:
    given = (user_id is not None and t.assignee_id == user_id and t.assigned_event_id is not None
             and t.assigned_actor_id != user_id)  # given to the reader by someone else, not taken by them
    return ConversationRow(ticket=t, last_message=(t.last_in or t.subject or "")[:80], last_message_at=t.last_in_at,
                           clock=ticket_queue_clock(t, at=at), waiting=t.waiting_since is not None, beyond=beyond,
                           last_message_id=t.last_in_id,
                           transfer_event_id=t.assigned_event_id if given else None,
                           transfer_by=(t.assigned_actor_name or "") if given else "")


def _ids(values, *, limit: int) -> list[int]:
    out: list[int] = []
    for v in values:
        text = str(v)
        if text.isascii() and text.isdigit() and len(text) <= 18 and int(text) not in out:  # not 「²」
            out.append(int(v))
    return out[:limit]


def desk_conversations(*, shop, user, scope: str = "mine", at: dt.datetime | None = None,
                       limit: int = DESK_LIST_LIMIT, keep=(), keep_conversations=()) -> DeskList:
    """The one-screen desk's conversation list: open tickets (mine and unassigned, or all), those waiting
    for an answer first, longest wait first; then the most recent customer message first. At most `limit`
    rows, plus those past the cut that the desk must show: every ticket assigned to `user` (their own
    conversations are never cut off), tickets `keep` (the open conversation) and the
    tickets of conversations `keep_conversations` (the ones just alerted: the push of a new chat's first message
    names its conversation, not yet a ticket), at most DESK_KEEP_LIMIT each, appended in the list's order and
    only if they belong to the list (this shop, open, the scope). At most three queries whatever the number of
    rows: the rows, the count (only when the list is cut), the kept rows past the cut (only when asked for)."""
    at = at or now()
    base = Ticket.objects.filter(shop=shop, status__in=OPEN_STATUSES)
    if scope != "all":
        base = base.filter(Q(assignee=user) | Q(assignee__isnull=True))
    order = (F("waiting_since").asc(nulls_last=True), F("last_customer_message_at").desc(nulls_last=True), "-pk")

    def rows_of(qs):
        return (qs.select_related("customer", "assignee", "sla_policy")
                .annotate(last_in=_last_message_subquery(), last_in_at=_last_message_subquery("created_at"),
                          last_in_id=_last_message_subquery("id"),
                          assigned_event_id=_last_assigned_subquery("id"),
                          assigned_actor_id=_last_assigned_subquery("actor_id"),
                          assigned_actor_name=_last_assigned_subquery("actor__username"))
                .order_by(*order))

    rows = [_desk_row(t, at=at, user_id=user.pk) for t in rows_of(base)[:limit]]
    total = base.count() if len(rows) >= limit else len(rows)
    shown = {r.ticket.pk for r in rows}
    tickets = [pk for pk in _ids(keep, limit=DESK_KEEP_LIMIT) if pk not in shown]
    conversations = {r.ticket.conversation_id for r in rows}
    conversations = [pk for pk in _ids(keep_conversations, limit=DESK_KEEP_LIMIT) if pk not in conversations]
    if total > len(rows):
        # past the cut: the reader's own conversations, all of them (a conversation transferred to the agent must
        # not leave their list at a reload or on the polling fallback, which ask for nothing by id: before
        # 2026-12-07 it was there only while the push had just alerted it), and those asked for by id
        extra = base.filter(Q(assignee=user) | Q(pk__in=tickets) | Q(conversation_id__in=conversations))
        rows += [_desk_row(t, at=at, beyond=True, user_id=user.pk) for t in rows_of(extra.exclude(pk__in=shown))]
    return DeskList(rows=rows, total=total, limit=limit)


def ticket_queue(*, shop, user=None, filters: QueueFilters | None = None, reveal: bool = False,
                 at: dt.datetime | None = None) -> QueuePage:
    """One page of the agent's queue: 3 queries (count, the page's ids, their rows), whatever the page size.
    The ids come from the queue index alone; joins and the last-message preview run for those 50 rows only
    (not for every row an OFFSET skips on a deep page)."""
    filters = filters or QueueFilters()
    at = at or now()
    ordered = ticket_queue_qs(shop=shop, user=user, filters=filters, at=at)
    paginator = Paginator(ordered.values_list("pk", flat=True), filters.per_page)
    if filters == QueueFilters(page=filters.page, per_page=filters.per_page):  # every open ticket: the shared badge
        paginator.count = _shop_counts(shop, at)["open"]
    elif not filters.q:  # a search counts its few matches itself
        paginator.count = _filtered_count(shop, user, filters, at, paginator.object_list)
    number = min(filters.page, max(1, paginator.num_pages))
    ids = list(paginator.page(number).object_list)
    by_id = {t.pk: t for t in Ticket.objects.filter(pk__in=ids).select_related("customer", "assignee", "order",
                                                                                 "sla_policy")
             .annotate(last_message=_last_message_subquery())} if ids else {}
    tickets = [by_id[pk] for pk in ids if pk in by_id]
    labels = _choice_labels()
    rows = [QueueRow(ticket=t, clock=ticket_queue_clock(t, at=at),
                     phone=phone_for(t.customer.phone, reveal=reveal) if t.customer_id else "",
                     last_message=(t.last_message or "")[:80],
                     is_vip=bool(t.customer_id and t.customer.tier in VIP_TIERS),
                     priority_label=labels["priority"].get(t.priority, str(t.priority)),
                     channel_label=labels["channel"].get(t.channel, t.channel),
                     category_label=labels["category"].get(t.category, t.category),
                     status_label=labels["status"].get(t.status, t.status)) for t in tickets]
    return QueuePage(rows=rows, total=paginator.count, page=number, pages=paginator.num_pages,
                     per_page=filters.per_page, filters=filters, at=at)


# The shop-wide badges are shared by every agent's queue refresh: computed once per shop and kept COUNTS_TTL
# seconds, or until a ticket of the shop changes (inbox.apps bumps the shop's version on every ticket save), so
# 30 agents refreshing on every event do not each re-aggregate every open ticket.
COUNTS_TTL = dt.timedelta(seconds=5)
# During a surge every inbound message saves its ticket; the badges are recounted at most once a second
# per shop and process, whatever the event rate (a version bump younger than that reuses the counts).
COUNTS_MIN_AGE = dt.timedelta(seconds=1)


def _counts_version_key(shop_id: int) -> str:
    return f"inbox:queue-counts-version:{shop_id}"


def queue_counts_invalidate(shop_id: int) -> None:
    """A ticket of the shop changed: the next badge read recomputes."""
    from django.core.cache import cache

    key = _counts_version_key(shop_id)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, None)


def _shop_counts(shop, at: dt.datetime) -> dict[str, int]:
    from django.core.cache import cache

    version = cache.get(_counts_version_key(shop.pk), 0)
    key = f"inbox:queue-counts:{shop.pk}"
    cached = cache.get(key)
    if cached is not None:
        age = abs(at - cached["at"])
        if age < COUNTS_MIN_AGE or (cached["version"] == version and age <= COUNTS_TTL):
            return cached["counts"]
    counts = Ticket.objects.filter(shop=shop, status__in=OPEN_STATUSES).aggregate(
        open=Count("id"),
        unassigned=Count("id", filter=Q(assignee__isnull=True)),
        breached=Count("id", filter=_overdue(at)),
        due_soon=Count("id", filter=Q(next_due_at__gte=at,
                                      next_due_at__lte=at + dt.timedelta(minutes=DUE_SOON_MINUTES))),
    )
    cache.set(key, {"at": at, "version": version, "counts": counts}, int(COUNTS_TTL.total_seconds()) + 1)
    return counts


def _filtered_count(shop, user, filters: QueueFilters, at: dt.datetime, qs) -> int:
    """The number of tickets a filtered queue holds, shared like the badges (same freshness rules: recounted
    after a ticket of the shop changes, at most once a second, and every COUNTS_TTL): every refresh of a filtered
    view re-counted all its matches (the VIP filter's count joins 15,000 customers, 210 ms at 100,000 tickets)."""
    import hashlib
    from urllib.parse import urlencode

    from django.core.cache import cache

    query = {k: v for k, v in filters.as_query().items() if k not in ("page", "per_page")}
    if filters.scope == "mine":
        query["user"] = str(getattr(user, "pk", "") or "")
    digest = hashlib.sha256(urlencode(sorted(query.items())).encode()).hexdigest()[:32]
    key = f"inbox:queue-count:{shop.pk}:{digest}"
    version = cache.get(_counts_version_key(shop.pk), 0)
    cached = cache.get(key)
    if cached is not None:
        age = abs(at - cached["at"])
        if age < COUNTS_MIN_AGE or (cached["version"] == version and age <= COUNTS_TTL):
            return cached["count"]
    count = qs.count()
    cache.set(key, {"at": at, "version": version, "count": count}, int(COUNTS_TTL.total_seconds()) + 1)
    return count


def queue_counts(*, shop, user=None, at: dt.datetime | None = None) -> dict[str, int]:
    """Badges above the queue: open, mine, unassigned, breached, due soon. The shop-wide ones from a short
    shared cache (see COUNTS_TTL); `mine` is the user's own count (the assignee index)."""
    at = at or now()
    counts = dict(_shop_counts(shop, at))
    counts["mine"] = (Ticket.objects.filter(shop=shop, status__in=OPEN_STATUSES, assignee=user).count()
                      if user is not None and user.is_authenticated else 0)
    return counts


# --- one ticket ---------------------------------------------------------------------------------

def ticket_get(*, shop, ticket_id: int) -> Ticket | None:
    """The ticket of this shop with what its page shows, or None (another shop's id is not found)."""
    return (Ticket.objects.select_related("customer", "customer__dedicated_agent", "assignee", "order",
                                          "order__live_session", "case", "conversation", "sla_policy",
                                          "escalated_to")
            .filter(shop=shop, pk=ticket_id).first())


@dataclass
class TimelineItem:
    kind: str  # message | event | escalation
    at: dt.datetime
    key: str  # stable id for the live refresh: m<id>, e<id>, x<id>
    obj: Any
    updates: list[EscalationUpdate] = field(default_factory=list)

    @property
    def direction(self) -> str:
        return self.obj.direction if self.kind == "message" else ""


# Events already visible as messages are not repeated in the timeline (a note event by a person is
# the note message itself; a note event by the system, e.g. a reply-quality hint, is shown).
_EVENTS_SHOWN_AS_MESSAGES = Q(kind__in=[TicketEventKind.MESSAGE_IN, TicketEventKind.REPLIED]) | Q(
    kind=TicketEventKind.NOTE, actor__isnull=False)


def ticket_messages_of(*, shop_id: int, conversation_id: int | None, after_id: int = 0) -> QuerySet[Message]:
    """The messages of a conversation (notes included), oldest first."""
    if conversation_id is None:
        return Message.objects.none()
    return (Message.objects.filter(shop_id=shop_id, conversation_id=conversation_id, pk__gt=after_id)
            .select_related("author", "script").order_by("created_at", "id"))


def ticket_messages(*, ticket: Ticket, after_id: int = 0) -> QuerySet[Message]:
    """The messages of the ticket's conversation (notes included), oldest first."""
    return ticket_messages_of(shop_id=ticket.shop_id, conversation_id=ticket.conversation_id, after_id=after_id)


def ticket_deliveries(*, ticket: Ticket, limit: int = 30) -> list[Message]:
    """The latest outbound messages that went through a channel (sent or failed), and the latest messages
    withdrawn on the channel, for the workbench to refresh their badges (a retry pending, a recall)."""
    if ticket.conversation_id is None:
        return []
    mine = Message.objects.filter(shop_id=ticket.shop_id, conversation_id=ticket.conversation_id)
    sent = mine.filter(direction=Direction.OUTBOUND).exclude(delivery_status="").order_by("-pk")[:limit]
    recalled = mine.filter(recalled_at__isnull=False).order_by("-pk")[:limit]
    return sorted({m.pk: m for m in [*sent, *recalled]}.values(), key=lambda m: -m.pk)[:limit]


def _in_time_order(item: TimelineItem):
    """Time first; at one instant, by kind then id as a number (the key's text put m10 before m2)."""
    return item.at, item.key[0], item.obj.pk


def ticket_timeline(*, ticket: Ticket, after_message_id: int = 0, after_event_id: int = 0,
                    include_escalations: bool = True) -> list[TimelineItem]:
    """Messages, internal notes, ticket events and escalations (with their updates) in time order.
    With `after_*` ids only what is newer (the live refresh). Three or four queries in all."""
    items = [TimelineItem("message", m.created_at, f"m{m.pk}", m)
             for m in ticket_messages(ticket=ticket, after_id=after_message_id)]
    events = (TicketEvent.objects.filter(shop_id=ticket.shop_id, ticket=ticket, pk__gt=after_event_id)
              .exclude(_EVENTS_SHOWN_AS_MESSAGES).select_related("actor").order_by("created_at", "id"))
    items += [TimelineItem("event", e.created_at, f"e{e.pk}", e) for e in events]
    if include_escalations:
        escalations = (Escalation.objects.filter(shop_id=ticket.shop_id, ticket=ticket)
                       .select_related("owner", "requested_by")
                       .prefetch_related(Prefetch("updates", queryset=EscalationUpdate.objects.select_related("author"))))
        items += [TimelineItem("escalation", x.created_at, f"x{x.pk}", x, updates=list(x.updates.all()))
                  for x in escalations]
    items.sort(key=_in_time_order)
    return items


TIMELINE_PAGE = 200  # messages a conversation page shows at first, and per 「查看更早的消息」 (the desk, the API)


@dataclass
class MessagePage:
    """A page of a conversation's messages, oldest first, and the time span it stands for."""
    messages: list[Message]
    earlier: int | None  # the oldest message shown, when there are older ones: the cursor of the next page back
    lower: dt.datetime | None  # the span's start (None: from the beginning)
    upper: dt.datetime | None  # the span's end, exclusive (None: up to now)

    @property
    def span(self) -> Q:
        """Rows of the same span (created_at): events and escalations go with the page that spans them."""
        q = Q()
        if self.lower is not None:
            q &= Q(created_at__gte=self.lower)
        if self.upper is not None:
            q &= Q(created_at__lt=self.upper)
        return q


def conversation_message_page(*, shop_id: int, conversation_id: int | None, before_message_id: int | None = None,
                              limit: int = TIMELINE_PAGE) -> MessagePage | None:
    """The newest `limit` messages of the conversation (notes included), or the `limit` before message
    `before_message_id` (the cursor a page gave: its oldest message), oldest first; None when that message is not
    one of this conversation's. Pages go by id; their spans (for events) by time, so that each instant belongs to
    exactly one page even when a message's time is earlier than an older id's (a late pull keeps the buyer's send
    time): a page's span ends where the next page's begins — the earliest time of any message from the cursor on —
    and begins at the earliest time of its own messages or of any later one. Two or three queries."""
    if conversation_id is None:  # a ticket without a conversation has no messages, and no message is its cursor
        return None if before_message_id is not None else MessagePage(messages=[], earlier=None, lower=None, upper=None)
    messages = ticket_messages_of(shop_id=shop_id, conversation_id=conversation_id)
    upper = None
    if before_message_id is not None:
        later = messages.filter(pk__gte=before_message_id).order_by().aggregate(
            upper=Min("created_at"), found=Count("pk", filter=Q(pk=before_message_id)))
        if not later["found"]:
            return None
        messages, upper = messages.filter(pk__lt=before_message_id), later["upper"]
    rows = list(messages.order_by("-id")[:limit + 1])
    more = len(rows) > limit
    rows = rows[:limit][::-1]
    rows.sort(key=lambda m: (m.created_at, m.pk))
    lower = None
    if more:
        lower = min(m.created_at for m in rows)
        if upper is not None:
            lower = min(lower, upper)
    return MessagePage(messages=rows, earlier=min(m.pk for m in rows) if more else None, lower=lower, upper=upper)


@dataclass
class TimelinePage:
    items: list[TimelineItem]
    earlier: int | None  # the oldest message shown, when there are older ones: the cursor of the next page back


def ticket_timeline_page(*, ticket: Ticket, before_message_id: int | None = None,
                         limit: int = TIMELINE_PAGE) -> TimelinePage:
    """The newest `limit` messages of the conversation (before `before_message_id`, a message id the page has: the
    「查看更早的消息」 cursor) with the events and escalations of the same span, oldest first. A long conversation's
    page showed every message, and the customer's chat the oldest 200 only; now both open on the newest. Events
    go with the page whose span holds them: each is on exactly one page (conversation_message_page)."""
    page = conversation_message_page(shop_id=ticket.shop_id, conversation_id=ticket.conversation_id,
                                     before_message_id=before_message_id, limit=limit)
    if page is None:
        return TimelinePage(items=[], earlier=None)
    span = page.span
    items = [TimelineItem("message", m.created_at, f"m{m.pk}", m) for m in page.messages]
    events = (TicketEvent.objects.filter(span, shop_id=ticket.shop_id, ticket=ticket)
              .exclude(_EVENTS_SHOWN_AS_MESSAGES).select_related("actor").order_by("created_at", "id"))
    items += [TimelineItem("event", e.created_at, f"e{e.pk}", e) for e in events]
    escalations = (Escalation.objects.filter(span, shop_id=ticket.shop_id, ticket=ticket)
                   .select_related("owner", "requested_by")
                   .prefetch_related(Prefetch("updates", queryset=EscalationUpdate.objects.select_related("author"))))
    items += [TimelineItem("escalation", x.created_at, f"x{x.pk}", x, updates=list(x.updates.all()))
              for x in escalations]
    items.sort(key=_in_time_order)
    return TimelinePage(items=items, earlier=page.earlier)


def ticket_escalations(*, ticket: Ticket) -> list[Escalation]:
    return list(Escalation.objects.filter(shop_id=ticket.shop_id, ticket=ticket)
                .select_related("owner", "requested_by")
                .prefetch_related(Prefetch("updates", queryset=EscalationUpdate.objects.select_related("author"))))


# What the customer is told about a hand-over to a department (and its outcome); replies reach the
# customer as messages, so only these event kinds are shown as progress.
CUSTOMER_PROGRESS_KINDS = (TicketEventKind.ESCALATED, TicketEventKind.ESCALATION_UPDATE)


def conversation_progress(*, conversation, limit: int = 20) -> list[dict[str, Any]]:
    """Department progress on this conversation's tickets that the customer may see, oldest first."""
    rows = (TicketEvent.objects.filter(shop_id=conversation.shop_id, ticket__conversation=conversation,
                                       visible_to_customer=True, kind__in=CUSTOMER_PROGRESS_KINDS)
            .order_by("-created_at", "-id").values("pk", "note", "created_at")[:limit])
    return [{"id": r["pk"], "note": r["note"], "at": f"{r['created_at'].astimezone(local_tz()):%m-%d %H:%M}"}
            for r in reversed(list(rows)) if r["note"]]


def message_with_file(*, shop, message_id: int) -> Message | None:
    """A message of this shop that carries a file (the desk's file link), or None."""
    return Message.objects.filter(shop=shop, pk=message_id).exclude(attachment="").first()


def ticket_last_ids(*, ticket: Ticket) -> dict[str, int]:
    """The newest message and event ids the reader can see (not yet a cursor: see ticket_cursors)."""
    last_message = (Message.objects.filter(shop_id=ticket.shop_id, conversation_id=ticket.conversation_id)
                    .order_by("-id").values_list("id", flat=True).first()) if ticket.conversation_id else None
    last_event = (TicketEvent.objects.filter(shop_id=ticket.shop_id, ticket=ticket)
                  .order_by("-id").values_list("id", flat=True).first())
    return {"message": last_message or 0, "event": last_event or 0}


# --- cursors of the live refresh that skip nothing ------------------------------------------------------------
# On PostgreSQL a row's id is taken at INSERT and transactions commit in any order: a read that sees id 102 may
# not yet see 101, which commits a moment later. A cursor "everything up to the newest id I saw" then skips 101
# for good. A cursor here is a settled id (every row at or below it that will ever exist is visible) and, while
# a newer id seen is not yet settled, that id and the database time it was seen at. The read returns what is
# above the settled id (the page de-duplicates by data-key). Id `seen`, read at time T, is settled once no
# transaction that had written by T is still open: an id at or below `seen` was taken before T by a transaction
# that had written by T; an id taken later is above `seen` (docs/live.md, "Cursors of the timeline read").
# SQLite writes one transaction at a time and takes ids inside it: the newest id seen is settled at once.

@dataclass(frozen=True)
class Cursor:
    settled: int = 0
    seen: int = 0
    at_ms: int = 0  # database clock, epoch milliseconds; 0: nothing waits to settle (seen == settled)

    @classmethod
    def parse(cls, value) -> Cursor:
        """`"<settled>"` or `"<settled>.<seen>.<at_ms>"`; anything else is 0 (read everything)."""
        parts = str(value or "").split(".")
        if not all(p.isascii() and p.isdigit() and len(p) <= 18 for p in parts) or len(parts) not in (1, 3):
            return cls()
        numbers = [int(p) for p in parts]
        if len(numbers) == 1 or numbers[1] <= numbers[0] or not numbers[2]:
            return cls(settled=numbers[0], seen=numbers[0])
        return cls(*numbers)

    def token(self) -> str:
        return str(self.settled) if not self.at_ms else f"{self.settled}.{self.seen}.{self.at_ms}"

    def advance(self, *, newest: int, horizon: CommitHorizon) -> Cursor:
        """The cursor after a read that saw ids up to `newest`."""
        settled, seen, at_ms = self.settled, max(self.seen, self.settled), self.at_ms
        if at_ms and horizon.settles(at_ms):
            settled, at_ms = seen, 0
        newest = max(newest, seen, settled)
        if at_ms:  # still waiting for `seen` to settle: newer rows are read again meanwhile (above `settled`)
            return Cursor(settled, seen, at_ms)
        if horizon.settles(horizon.now_ms):
            return Cursor(newest, newest, 0)
        return Cursor(settled, newest, horizon.now_ms) if newest > settled else Cursor(settled, settled, 0)


@dataclass(frozen=True)
class CommitHorizon:
    """The database's clock and the start of its oldest transaction that has written and is still open (None:
    none, or a database that writes one transaction at a time)."""
    now_ms: int
    oldest_writer_ms: int | None

    def settles(self, at_ms: int) -> bool:
        """Has every transaction that had written by `at_ms` ended?"""
        return self.oldest_writer_ms is None or self.oldest_writer_ms > at_ms


def commit_horizon() -> CommitHorizon:
    """Read after the rows (an id seen was taken before this clock). One query on PostgreSQL: the sessions of
    this database holding a transaction id (they have written); the reading session itself holds none or is
    left out. On SQLite no writer is ever open beside a reader's view of the rows: None."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return CommitHorizon(now_ms=int(now().timestamp() * 1000), oldest_writer_ms=None)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint,"
            " (extract(epoch FROM min(xact_start)) * 1000)::bigint FROM pg_stat_activity"
            " WHERE datname = current_database() AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()")
        now_ms, oldest = cur.fetchone()
    # a writer that started in the same millisecond as the read is counted as open: floor, never round up
    return CommitHorizon(now_ms=int(now_ms), oldest_writer_ms=None if oldest is None else int(oldest))


@dataclass
class TimelineRefresh:
    items: list[TimelineItem]
    message: Cursor
    event: Cursor


def ticket_cursors(*, ticket: Ticket) -> dict[str, str]:
    """The cursors a page starts from ({"message", "event"} tokens): read before the page's timeline."""
    last = ticket_last_ids(ticket=ticket)
    horizon = commit_horizon()
    return {k: Cursor().advance(newest=last[k], horizon=horizon).token() for k in ("message", "event")}


def ticket_refresh(*, ticket: Ticket, after_message: Cursor, after_event: Cursor) -> TimelineRefresh:
    """The live refresh of a ticket's timeline: the items above the cursors' settled ids (some may be on the page
    already: it keeps one per data-key) and the cursors for the next read (docs/live.md)."""
    # The newest ids are read *before* the items: a row committed between the two reads is in the items.
    last = ticket_last_ids(ticket=ticket)
    items = ticket_timeline(ticket=ticket, after_message_id=after_message.settled,
                            after_event_id=after_event.settled, include_escalations=False)
    shown_m = max((i.obj.pk for i in items if i.kind == "message"), default=0)
    shown_e = max((i.obj.pk for i in items if i.kind == "event"), default=0)
    horizon = commit_horizon()  # after the reads: every id they saw was taken before its clock
    return TimelineRefresh(items=items,
                           message=after_message.advance(newest=max(last["message"], shown_m), horizon=horizon),
                           event=after_event.advance(newest=max(last["event"], shown_e), horizon=horizon))


# --- the customer at a glance -------------------------------------------------------------------

@dataclass
class Customer360:
    customer: Any
    phone: str
    phone_revealable: bool
    tier: str
    tier_label: str
    is_vip: bool
    dedicated_agent: Any
    orders: list
    cases: list
    reviews: list
    tickets: list
    order_count: int
    ticket_count: int
    case_count: int


def customer_360(*, shop, customer, reveal: bool = False, exclude_ticket_id: int | None = None,
                 limit: int = 10) -> Customer360 | None:
    """Orders (with lines, shipments and the live session that sold them), earlier cases, reviews,
    earlier tickets and the tier; the phone masked unless `reveal` (the role may reveal PII).
    A constant number of queries whatever the customer's history."""
    from shouhou.cases.models import Case as AfterSalesCase
    from shouhou.commerce.models import Order, OrderLine
    from shouhou.reviews.models import Review

    if customer is None or customer.shop_id != shop.pk:
        return None
    orders = (Order.objects.filter(shop=shop, customer=customer).select_related("live_session", "live_session__host")
              .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("pk")), "shipments")
              .order_by("-placed_at", "-id"))
    cases = (AfterSalesCase.objects.filter(shop=shop, customer=customer).select_related("order", "order_line")
             .order_by("-created_at", "-id"))
    reviews = Review.objects.filter(shop=shop, customer=customer).order_by("-posted_at", "-id")
    tickets = Ticket.objects.filter(shop=shop, customer=customer).order_by("-created_at", "-id")
    if exclude_ticket_id:
        tickets = tickets.exclude(pk=exclude_ticket_id)
    order_list = list(orders[:limit])
    case_list = list(cases[:limit])
    return Customer360(
        customer=customer,
        phone=phone_for(customer.phone, reveal=reveal),
        phone_revealable=not reveal and bool(customer.phone),
        tier=customer.tier,
        tier_label=customer.get_tier_display(),
        is_vip=customer.tier in VIP_TIERS,
        dedicated_agent=customer.dedicated_agent if customer.dedicated_agent_id else None,
        orders=order_list,
        cases=case_list,
        reviews=list(reviews[:limit]),
        tickets=list(tickets.select_related("assignee")[:limit]),
        order_count=len(order_list) if len(order_list) < limit else orders.count(),
        ticket_count=tickets.count(),  # the same tickets as the list: the open one is not "past"
        case_count=len(case_list) if len(case_list) < limit else cases.count(),
    )


# --- the team -----------------------------------------------------------------------------------

@dataclass
class AgentLoad:
    profile: AgentProfile
    user: Any
    on_duty: bool
    shift_label: str
    accepting: bool
    open: int
    capacity: int
    breached: int
    due_soon: int
    first_response_median_seconds: int | None
    answered_today: int

    @property
    def load_percent(self) -> int:
        """For the load bar: 0–100 (a bar has no room past full; `over_capacity` says so instead)."""
        return min(100, round(100 * self.open / self.capacity)) if self.capacity else 0

    @property
    def at_capacity(self) -> bool:
        """Full: routing gives them nothing more (routing's own test: load < capacity is free)."""
        return self.on_duty and self.open >= self.capacity > 0

    @property
    def over_capacity(self) -> bool:
        """More than their limit while working. Off shift, open tickets are not a load but a handover."""
        return self.on_duty and self.open > self.capacity > 0

    @property
    def handover(self) -> int:
        """Open tickets of an agent who is off shift: they wait for nobody unless someone takes them over."""
        return 0 if self.on_duty else self.open


def _local_day_start(at: dt.datetime) -> dt.datetime:
    local = at.astimezone(local_tz())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def first_responder(ticket: str = "") -> Coalesce:
    """Who gave a ticket's first response, as an expression on the ticket (`ticket`: the path to it, e.g.
    "invitation__ticket__"): the person of its first 已回复 (the reply that set `first_responded_at`), not whoever
    holds the ticket now — an agent who answered and then transferred keeps it, and the receiver of a conversation
    transferred before anyone answered gets it when they answer. A first reply with no shouhou user (an API token,
    a servicer answering in the WeCom client) or no reply event at all: the ticket's assignee. The one definition
    of the team board and insight's per-agent first response (docs/metrics.md)."""
    first_reply = (TicketEvent.objects.filter(ticket_id=OuterRef(ticket + "pk"), kind=TicketEventKind.REPLIED)
                   .order_by("created_at", "id").values("actor_id")[:1])
    return Coalesce(Subquery(first_reply), F(ticket + "assignee_id"), output_field=IntegerField())


def team_load(*, shop, at: dt.datetime | None = None) -> list[AgentLoad]:
    """Per agent of the shop: on duty now (a shift covers `at`), open tickets, capacity, breached,
    due soon, and today's first-response median (business seconds). Four queries."""
    at = at or now()
    current_shift = Shift.objects.filter(shop=shop, agent=OuterRef("pk"), starts_at__lte=at, ends_at__gt=at)
    profiles = list(AgentProfile.objects.filter(shop=shop).select_related("user")
                    .annotate(on_duty=Exists(current_shift),
                              shift_label=Subquery(current_shift.order_by("starts_at").values("label")[:1]))
                    .order_by("user__username"))
    user_ids = [p.user_id for p in profiles]
    soon = at + dt.timedelta(minutes=DUE_SOON_MINUTES)
    loads = {row["assignee_id"]: row for row in
             Ticket.objects.filter(shop=shop, status__in=OPEN_STATUSES, assignee_id__in=user_ids)
        .values("assignee_id").order_by()
        .annotate(open=Count("id"),
                  breached=Count("id", filter=_overdue(at)),
                  due_soon=Count("id", filter=Q(next_due_at__gte=at, next_due_at__lte=soon)))}
    # The first response is credited to the person who gave it (first_responder), not to whoever holds the ticket
    # now (docs/workbench.md, team page; insight's per-agent first response uses the same expression).
    answered: dict[int, list[int]] = {}
    for responder_id, seconds in (Ticket.objects.filter(shop=shop, first_responded_at__gte=_local_day_start(at),
                                                        first_responded_at__lte=at,
                                                        first_response_business_seconds__isnull=False)
                                  .annotate(responder=first_responder())
                                  .filter(responder__in=user_ids)
                                  .values_list("responder", "first_response_business_seconds")):
        answered.setdefault(responder_id, []).append(seconds)
    out = []
    for p in profiles:
        row = loads.get(p.user_id, {})
        times = answered.get(p.user_id, [])
        out.append(AgentLoad(
            profile=p, user=p.user, on_duty=bool(p.on_duty), shift_label=p.shift_label or "",
            accepting=p.accepting, open=row.get("open", 0), capacity=p.capacity,
            breached=row.get("breached", 0), due_soon=row.get("due_soon", 0),
            first_response_median_seconds=int(statistics.median(times)) if times else None,
            answered_today=len(times),
        ))
    out.sort(key=lambda a: (not a.on_duty, a.user.get_username()))
    return out


def escalation_list(*, shop, active_only: bool = True, overdue_only: bool = False,
                    at: dt.datetime | None = None) -> QuerySet[Escalation]:
    """Department escalations of the shop, soonest due first."""
    qs = Escalation.objects.filter(shop=shop).select_related("ticket", "ticket__customer", "owner", "requested_by")
    if active_only:
        qs = qs.filter(status__in=ACTIVE_ESCALATIONS)
    if overdue_only:
        qs = qs.filter(due_at__lt=at or now())
    return qs.order_by("due_at", "id")


def script_list(*, shop, active_only: bool = True) -> QuerySet[Script]:
    qs = Script.objects.filter(shop=shop)
    return qs.filter(is_active=True) if active_only else qs


def conversation_list(*, shop, channel: str = "", customer_id: int | None = None) -> QuerySet[Conversation]:
    qs = Conversation.objects.filter(shop=shop).select_related("customer")
    if channel:
        qs = qs.filter(channel=channel)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    return qs.order_by(F("last_message_at").desc(nulls_last=True), "-id")



# --- reply-rate clocks on the desk (docs/metrics.md, 回复率) ---------------------------------------

NUDGE_SECONDS = 60


@dataclass
class ReplyBoard:
    """Today's per-message reply rates (the shop's platform rule) for the team and per agent, and the buyer
    messages about to cross the first target: the nudge."""

    rule: Any
    team: Any                       # sla.selectors.ReplyRateRow for the whole shop
    agents: list[tuple[Any, Any]]   # (user, ReplyRateRow) for agents with counted messages today
    mine: Any | None                # the viewing agent's row, None when they have none today
    forecast: list[Any]             # sla.selectors.WaitingMessage with .ticket_id set
    nudge_seconds: int
    at: dt.datetime
    # the buyer messages no agent held (an unassigned ticket), as insight's 「未分配」 row; None when there are none:
    # with it the board's rows add up to the team figure
    unassigned: Any | None = None

    @property
    def clock_minutes(self) -> int:
        return self.rule.clock_seconds // 60


def _today_reply_rates(shop, *, start: dt.datetime, at: dt.datetime, compute):
    """Today's per-agent rates are shared by every desk of the shop for COUNTS_TTL (one aggregate over the
    day's buyer messages instead of one per agent refresh); the nudge list is always read fresh."""
    from django.core.cache import cache

    key = f"inbox:reply-rates:{shop.pk}:{start.date().isoformat()}"
    cached = cache.get(key)
    if cached is not None and abs(at - cached["at"]) <= COUNTS_TTL:
        return cached["rows"]
    rows = compute()
    cache.set(key, {"at": at, "rows": rows}, int(COUNTS_TTL.total_seconds()) + 1)
    return rows


def reply_board(*, shop, user=None, at: dt.datetime | None = None, nudge_seconds: int = NUDGE_SECONDS,
                only_mine: bool = False) -> ReplyBoard:
    """Three queries: rates per agent today (the team row is their sum), the forecast, and the tickets and
    users it names."""
    from django.contrib.auth import get_user_model

    from shouhou.sla.reply_rules import reply_rule_for
    from shouhou.sla.selectors import ReplyRateRow, TargetRate, reply_clock_forecast, reply_rates

    at = at or now()
    rule = reply_rule_for(shop.platform)
    start = _local_day_start(at)
    rows = _today_reply_rates(shop, start=start, at=at, compute=lambda: reply_rates(
        shop=shop, start=start, end=at + dt.timedelta(seconds=1), at=at, by=("agent",)))
    team = ReplyRateRow(agent_id=None, day=start.date(), messages=sum(r.messages for r in rows),
                        waiting=sum(r.waiting for r in rows), rates=tuple(
                            TargetRate(seconds=s, answered=sum(r.rate(s).answered for r in rows),
                                       counted=sum(r.rate(s).counted for r in rows), pass_line=rule.pass_line.get(s))
                            for s in rule.targets))
    me = user.pk if user is not None and user.is_authenticated else None
    forecast = reply_clock_forecast(shop=shop, within_seconds=nudge_seconds, at=at,
                                    agent_id=me if only_mine else None)
    conv_ids = {w.conversation_id for w in forecast}
    tickets = dict(Ticket.objects.filter(shop=shop, conversation_id__in=conv_ids, status__in=OPEN_STATUSES)
                   .order_by("conversation_id", "created_at").values_list("conversation_id", "pk"))  # newest wins if conv_ids else {}
    users = {u.pk: u for u in get_user_model().objects.filter(
        pk__in={r.agent_id for r in rows if r.agent_id} | {w.agent_id for w in forecast if w.agent_id})}
    for w in forecast:
        w.ticket_id = tickets.get(w.conversation_id)
        w.agent = users.get(w.agent_id)
    agents = sorted(((users[r.agent_id], r) for r in rows if r.agent_id in users),
                    key=lambda pair: pair[0].get_username())
    return ReplyBoard(rule=rule, team=team, agents=agents, mine=next((r for r in rows if r.agent_id == me), None),
                      forecast=forecast, nudge_seconds=nudge_seconds, at=at,
                      unassigned=next((r for r in rows if r.agent_id is None and r.messages), None))


def reply_next(*, shop, at: dt.datetime) -> dt.datetime | None:
    """When a reply board must be read again though nothing is pushed (a message entering the nudge window or
    crossing its line): the desk pages refresh then (desk.js, data-next)."""
    from shouhou.sla.selectors import reply_next_moment

    return reply_next_moment(shop=shop, nudge_seconds=NUDGE_SECONDS, at=at)


@dataclass(frozen=True)
class ConversationReplyClock:
    """The reply clock of one conversation in the list: its oldest buyer message still waiting for a person that
    the platform counts (sent in its counted hours: 飞鸽 08:00–23:00), else — none of them counted — its oldest."""

    waiting_since: dt.datetime
    waiting_messages: int
    crosses_at: dt.datetime  # when that message misses the platform's first target (飞鸽: 3 minutes)
    counted: bool = True     # False: every waiting message was sent outside the counted hours

    def seconds_left(self, at: dt.datetime) -> int:
        return int((self.crosses_at - at).total_seconds())


def conversation_reply_clocks(*, shop, conversation_ids) -> dict[int, ConversationReplyClock]:
    """For a page of conversations (the desk's list), their per-message reply clocks: one grouped query over
    the waiting buyer messages (partial index message_awaiting_human). Conversations with nothing waiting are
    left out. A message sent outside the platform's counted hours does not count (docs/metrics.md): a night
    message still waiting when a counted one comes in does not hide the counted one's countdown (before
    2026-12-06 the list showed 「不计入回复率」 for the whole conversation while the 08:02 message ran late)."""
    from django.db.models import Min
    from django.db.models.functions import ExtractHour

    from shouhou.core.clock import local_tz
    from shouhou.sla.reply_rules import reply_rule_for

    ids = list(conversation_ids)
    if not ids:
        return {}
    rule = reply_rule_for(shop.platform)
    clock = dt.timedelta(seconds=rule.clock_seconds)
    qs = Message.objects.filter(shop=shop, conversation_id__in=ids, awaits_human=True, human_reply_at__isnull=True)
    aggregates = {"first": Min("created_at"), "n": Count("id")}
    if rule.counted_hours is not None:
        start, end = rule.counted_hours
        qs = qs.annotate(local_hour=ExtractHour("created_at", tzinfo=local_tz()))
        aggregates["first_counted"] = Min("created_at", filter=Q(local_hour__gte=start, local_hour__lt=end))
    rows = qs.values("conversation_id").order_by().annotate(**aggregates)
    out = {}
    for r in rows:
        counted = r["first_counted"] if rule.counted_hours is not None else r["first"]
        since = counted or r["first"]
        out[r["conversation_id"]] = ConversationReplyClock(waiting_since=since, waiting_messages=r["n"],
                                                           crosses_at=since + clock, counted=counted is not None)
    return out
