"""Reads for reviews: task lists with filters, showcase, QA report over outbound messages."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Case, IntegerField, QuerySet, Value, When

from shouhou.accounts.models import Membership
from shouhou.core.pii import mask_name, scrub_phones
from shouhou.inbox.choices import Direction
from shouhou.inbox.models import Message
from shouhou.reviews.choices import TaskStatus
from shouhou.reviews.classifier.whole import UNREAD
from shouhou.reviews.guards import Flag, FlagCategory, inspect_reply
from shouhou.reviews.models import CommunityAlert, RecoveryTask, Review


def recovery_task_list(*, shop, status: str = "", complaint_type: str = "", breached: bool | None = None,
                       assignee_id: int | None = None, q: str = "") -> QuerySet[RecoveryTask]:
    qs = (RecoveryTask.objects.filter(shop=shop)
          .select_related("review", "review__order", "review__customer", "review__live_session", "assignee"))
    if status:
        qs = qs.filter(status=status)
    if complaint_type:
        qs = qs.filter(review__complaint_type=complaint_type)
    if breached is not None:
        qs = qs.filter(breached=breached)
    if assignee_id:
        qs = qs.filter(assignee_id=assignee_id)
    if q:
        qs = (qs.filter(review__text__icontains=q) | qs.filter(number__iexact=q) | qs.filter(review__order_no=q)
              | qs.filter(review__external_id=q))
    # Work first: open tasks, then those in progress (each by due time), closed ones last.
    stage = Case(When(status=TaskStatus.OPEN, then=Value(0)), When(status=TaskStatus.IN_PROGRESS, then=Value(1)),
                 default=Value(2), output_field=IntegerField())
    return qs.order_by(stage, "due_at", "pk")


def recovery_task_get(*, shop, pk: int) -> RecoveryTask:
    return RecoveryTask.objects.select_related("review", "review__order", "review__customer", "review__order_line",
                                               "review__live_session", "assignee").get(shop=shop, pk=pk)


def review_list(*, shop, sentiment: int | None = None, complaint_type: str = "", kind: str = "",
                praise_only: bool = False) -> QuerySet[Review]:
    """`praise_only`: without the mixed reviews (positive, yet a complaint type named: Review.mixed) and the texts
    the classifier could not read (a platform's 「系统默认好评」, no Chinese: scored exactly UNREAD's 0.5), which the
    good-review page does not offer for the public showcase."""
    qs = Review.objects.filter(shop=shop)
    if praise_only:
        qs = qs.filter(complaint_type__in=["", "none"]).exclude(sentiment_score=UNREAD.sentiment_score)
    if sentiment is not None:
        qs = qs.filter(sentiment=sentiment)
    if complaint_type:
        qs = qs.filter(complaint_type=complaint_type)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-posted_at", "-pk")


def showcase_list(*, shop, limit: int = 50) -> QuerySet[Review]:
    """The public showcase: chosen reviews still read as praise (a review reclassified as mixed drops out)."""
    return (Review.objects.filter(shop=shop, is_showcased=True, sentiment=1, complaint_type__in=["", "none"])
            .order_by("-posted_at", "-pk")[:limit])


def showcase_text(text: str) -> str:
    """A showcased text as anyone may read it: mobile numbers masked (a buyer writing 「加我微信电话138…」 put their
    number on a page the whole internet reads; PIPL, and docs/security.md: no full phone in any answer)."""
    return scrub_phones(text)


@dataclass(frozen=True)
class ShowcaseReview:
    """A review as the public showcase page shows it: the author's name masked, phone numbers in the text masked."""

    text: str
    author_name: str
    rating: int | None
    posted_at: datetime | None


def showcase_public(*, shop, limit: int = 50) -> list[ShowcaseReview]:
    return [ShowcaseReview(text=showcase_text(r.text), author_name=mask_name(r.author_name), rating=r.rating,
                           posted_at=r.posted_at)
            for r in showcase_list(shop=shop, limit=limit)]


def community_alert_list(*, shop, open_only: bool = True) -> QuerySet[CommunityAlert]:
    qs = CommunityAlert.objects.filter(shop=shop).select_related("group", "message")
    if open_only:
        qs = qs.filter(acknowledged_at__isnull=True)
    return qs.order_by("-created_at", "-pk")


def task_counts(*, shop) -> dict[str, int]:
    qs = RecoveryTask.objects.filter(shop=shop)
    return {
        "open": qs.exclude(status=TaskStatus.CLOSED).count(),
        "breached": qs.exclude(status=TaskStatus.CLOSED).filter(breached=True).count(),
        "closed": qs.filter(status=TaskStatus.CLOSED).count(),
    }


@dataclass
class AgentQa:
    agent_id: int
    username: str
    messages: int = 0
    flagged_messages: int = 0
    by_category: dict[str, int] = field(default_factory=dict)
    samples: list[tuple[int, str, list[Flag]]] = field(default_factory=list)

    @property
    def flag_rate(self) -> float:
        return self.flagged_messages / self.messages if self.messages else 0.0


def qa_report(*, shop, since: datetime | None = None, until: datetime | None = None,
              samples_per_agent: int = 5) -> list[AgentQa]:
    """Flags per agent over stored outbound messages (inbox Message, direction outbound, with an author).

    One query for the messages (streamed), one for the approval limits; inspection runs in Python."""
    qs = Message.objects.filter(shop=shop, direction=Direction.OUTBOUND, author__isnull=False, is_bot=False)
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lt=until)
    limits: dict[int, Decimal] = dict(Membership.objects.filter(shop=shop).values_list("user_id", "approval_limit"))
    agents: dict[int, AgentQa] = {}
    counts: dict[int, Counter] = defaultdict(Counter)
    for pk, author_id, username, body in qs.order_by("pk").values_list("pk", "author_id", "author__username",
                                                                          "body").iterator(chunk_size=2000):
        row = agents.get(author_id)
        if row is None:
            row = agents[author_id] = AgentQa(agent_id=author_id, username=username)
        row.messages += 1
        flags = inspect_reply(body, limit=limits.get(author_id))
        if flags:
            row.flagged_messages += 1
            for f in flags:
                counts[author_id][f.category] += 1
            if len(row.samples) < samples_per_agent:
                row.samples.append((pk, body[:200], flags))
    for author_id, row in agents.items():
        row.by_category = {c: counts[author_id].get(c, 0) for c in FlagCategory.values}
    return sorted(agents.values(), key=lambda r: (-r.flagged_messages, r.username))
