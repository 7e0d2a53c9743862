"""Insight writes. Contract used by other apps:

    survey_invite(shop=..., customer=..., case=None, ticket=None) -> SurveyInvitation | None

Called when a case or ticket is resolved; sends at most one survey invitation per case/ticket.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from shouhou.core.clock import now

from .models import SurveyInvitation, SurveyResponse


class SurveyError(ValueError):
    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


def survey_link(invitation: SurveyInvitation) -> str:
    base = settings.SHOUHOU["PUBLIC_BASE_URL"].rstrip("/")
    return base + reverse("insight:survey", args=[invitation.token])


def survey_invite(*, shop, customer, case=None, ticket=None) -> SurveyInvitation | None:
    """Create (once) the invitation for a case or ticket and enqueue its message after commit."""
    if customer is None:
        return None
    lookup = {"case": case} if case is not None else {"ticket": ticket} if ticket is not None else None
    if lookup is not None:
        existing = SurveyInvitation.objects.filter(shop=shop, **lookup).first()
        if existing:
            return existing
    try:
        with transaction.atomic():
            invitation = SurveyInvitation.objects.create(
                shop=shop, customer=customer, case=case, ticket=ticket, token=secrets.token_urlsafe(24), sent_at=now()
            )
    except IntegrityError:
        return SurveyInvitation.objects.filter(shop=shop, **(lookup or {})).first()

    def _send() -> None:
        from shouhou.notifications.services import notification_enqueue

        link = survey_link(invitation)
        notification_enqueue(
            shop=shop,
            customer=customer,
            trigger="survey_invitation",
            context={"survey_url": link},
            idempotency_key=f"survey:{invitation.pk}",
        )

    transaction.on_commit(_send)
    return invitation


SCORE_FIELDS = {"attitude": "服务态度", "speed": "处理速度", "outcome": "处理结果"}


def survey_submit(*, invitation: SurveyInvitation, attitude, speed, outcome, comment: str = "") -> SurveyResponse:
    """Record the one answer of an invitation. Raises SurveyError naming the field."""
    scores = {}
    for field, label in SCORE_FIELDS.items():
        raw = {"attitude": attitude, "speed": speed, "outcome": outcome}[field]
        try:
            value = int(str(raw).strip())
        except (TypeError, ValueError):
            raise SurveyError(_("请为“%(label)s”选择 1–5 分") % {"label": label}, field=field) from None
        if not 1 <= value <= 5:
            raise SurveyError(_("“%(label)s”的分数必须在 1–5 之间") % {"label": label}, field=field)
        scores[field] = value
    comment = (comment or "").strip()
    if len(comment) > 1000:
        raise SurveyError(_("留言最多 1000 字"), field="comment")
    if SurveyResponse.objects.filter(invitation=invitation).exists():
        raise SurveyError(_("您已评价过，感谢您的反馈！"), field="invitation")
    try:
        with transaction.atomic():
            return SurveyResponse.objects.create(invitation=invitation, comment=comment, **scores)
    except IntegrityError:
        raise SurveyError(_("您已评价过，感谢您的反馈！"), field="invitation") from None


# ------------------------------------------------------------------------------------------- rollups

def rollup_refresh(*, shop, days: list[date]) -> int:
    """Recompute `OrderLineDaily` for the given local days of one shop (delete + one INSERT … SELECT
    grouped in the database) and mark them rolled up. Idempotent; returns the number of rollup rows."""
    from django.db import connection
    from django.db.models import Count, DateField, F
    from django.db.models.functions import Trunc

    from shouhou.commerce.models import OrderLine
    from shouhou.core.clock import local_tz

    from .metrics import _carrier, _runs
    from .models import OrderLineDaily, RollupDay

    days = sorted(set(days))
    if not days:
        return 0
    tz = local_tz()
    stamp = now()
    written = 0
    with transaction.atomic():
        for first, after in _runs(days):
            start = datetime.combine(first, time.min, tzinfo=tz)
            end = datetime.combine(after, time.min, tzinfo=tz)
            OrderLineDaily.objects.filter(shop=shop, day__gte=first, day__lt=after).delete()
            grouped = (
                OrderLine.objects.filter(shop=shop, order__placed_at__gte=start, order__placed_at__lt=end)
                .annotate(
                    r_day=Trunc("order__placed_at", "day", output_field=DateField(), tzinfo=tz),
                    r_session=F("order__live_session"), r_host=F("order__live_session__host"),
                    r_product=F("product"), r_sku=F("sku"), r_batch=F("batch_no"), r_carrier=_carrier("order"),
                )
                .values("r_day", "r_session", "r_host", "r_product", "r_sku", "r_batch", "r_carrier")
                .order_by()
                .annotate(r_lines=Count("pk"))
            )
            sql, params = grouped.query.sql_with_params()
            table = OrderLineDaily._meta.db_table
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {table} (shop_id, created_at, updated_at, day, live_session_id, host_id, "  # noqa: S608
                    f"product_id, sku_id, batch_no, carrier, lines) "
                    f"SELECT %s, %s, %s, q.r_day, q.r_session, q.r_host, q.r_product, q.r_sku, "
                    f"COALESCE(q.r_batch, ''), COALESCE(q.r_carrier, ''), q.r_lines FROM ({sql}) q",
                    [shop.pk, stamp, stamp, *params],
                )
                written += cursor.rowcount
        RollupDay.objects.filter(shop=shop, day__in=days).delete()
        RollupDay.objects.bulk_create([RollupDay(shop=shop, day=d, computed_at=stamp) for d in days])
    return written


def rollup_refresh_recent(*, days_back: int = 3) -> int:
    """The periodic job: re-roll the last `days_back` whole local days of every shop (late imports and
    corrections land within a few days). Today is never rolled up: it is read live."""
    from shouhou.commerce.models import Shop
    from shouhou.core.clock import localnow

    today = localnow().date()
    days = [today - timedelta(days=i) for i in range(1, days_back + 1)]
    return sum(rollup_refresh(shop=shop, days=days) for shop in Shop.objects.order_by("pk"))
