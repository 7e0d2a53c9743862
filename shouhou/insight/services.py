"""Insight writes. Contract used by other apps:

    survey_invite(shop=..., customer=..., case=None, ticket=None) -> SurveyInvitation | None

Called when a case or ticket is resolved; sends at most one survey invitation per case/ticket.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shouhou.accounts.actors import acting_user, require_role
from shouhou.accounts.permissions import IMPROVEMENT_EDIT
from shouhou.core.clock import now

from .choices import ActionStatus
from .models import ImprovementAction, SurveyInvitation, SurveyResponse


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


# labels said in the reader's language (they stayed Chinese on the English survey page)
SCORE_FIELDS = {"attitude": gettext_lazy("服务态度"), "speed": gettext_lazy("处理速度"), "outcome": gettext_lazy("处理结果")}


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


# ---------------------------------------------------------------------------------- improvement loop

class ImprovementError(ValueError):
    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


# The improvement action's dimension -> the metric filter it narrows (FK dimensions use the FK).
_DIMENSION_FILTER = {"sku": "sku", "product": "product", "live_session": "live_session", "host": "host",
                     "batch": "batch", "carrier": "carrier", "reason": "reason", "complaint_type": "complaint_type",
                     "channel": "channel", "team": "team", "agent": "agent"}
_FK_DIMENSIONS = {"sku", "product", "live_session", "host"}
EDITABLE_FIELDS = ("finding", "dimension", "dimension_key", "product", "sku", "live_session", "host", "owner",
                   "due_date", "fix_type", "fix_description", "metric", "metric_filters", "baseline_start",
                   "baseline_end", "announcement", "announce")


def improvement_filters(action) -> dict:
    """The metric filters an action's before/after values are computed with."""
    from .metrics import FILTER_NAMES

    out = {k: v for k, v in (action.metric_filters or {}).items() if k in FILTER_NAMES and v not in (None, "")}
    name = _DIMENSION_FILTER.get(action.dimension)
    if name in _FK_DIMENSIONS:
        value = getattr(action, f"{name}_id")
        if value:
            out[name] = value
    elif name and action.dimension_key:
        out[name] = action.dimension_key
    return out


def improvement_measure_value(*, action, start: date, end: date) -> tuple[Decimal | None, int]:
    """(value, sample size) of the action's metric over local days [start, end) with the action's filters.
    Rates give the ratio (0–1), time metrics the median in business seconds (docs/metrics.md)."""
    from . import metrics
    from .selectors import day_start

    result = metrics.metric(action.metric, shop=action.shop, start=day_start(start), end=day_start(end),
                            filters=metrics.Filters.of(**improvement_filters(action)))
    if result is None:
        return None, 0
    return result.value, result.count


def _guard_announcement(text: str) -> None:
    """The announcement is written for customers: it passes the compliance guard (no 好评返现)."""
    from shouhou.reviews.guards import guard_refusal

    refusal = guard_refusal(text, field=_("对顾客的说明"))
    if refusal:
        raise ImprovementError(refusal, field="announcement")


def _validate(shop, values: dict) -> dict:
    from shouhou.commerce.models import SKU, Host, LiveSession, Product

    from .choices import Dimension, FixType, MetricKey
    from .metrics import FILTER_NAMES

    if "finding" in values:
        values["finding"] = (values["finding"] or "").strip()
        if not values["finding"]:
            raise ImprovementError(_("请填写发现的问题"), field="finding")
    if values.get("announcement"):
        _guard_announcement(values["announcement"])
    checks = {"dimension": Dimension, "fix_type": FixType, "metric": MetricKey}
    for name, choices in checks.items():
        if name in values and values[name] not in choices.values:
            raise ImprovementError(_("“%(field)s”的取值无效：%(value)s") % {"field": name, "value": values[name]},
                                   field=name)
    for name, model in {"product": Product, "sku": SKU, "live_session": LiveSession, "host": Host}.items():
        value = values.get(name)
        if value is not None and not isinstance(value, model):
            obj = model.objects.filter(shop=shop, pk=value).first() if str(value).isdigit() else None
            if obj is None:
                raise ImprovementError(_("本店没有这个%(field)s：%(value)s") % {"field": model._meta.verbose_name,
                                                                           "value": value}, field=name)
            values[name] = obj
        elif value is not None and value.shop_id != shop.pk:
            raise ImprovementError(_("本店没有这个%(field)s") % {"field": model._meta.verbose_name}, field=name)
    owner = values.get("owner")
    if owner is not None:
        from shouhou.accounts.models import Membership

        user_id = getattr(owner, "pk", owner)
        member = Membership.objects.filter(shop=shop, user_id=user_id).select_related("user").first()
        if member is None:
            raise ImprovementError(_("负责人必须是本店成员"), field="owner")
        values["owner"] = member.user
    filters = values.get("metric_filters")
    if filters is not None:
        if not isinstance(filters, dict) or any(k not in FILTER_NAMES for k in filters):
            raise ImprovementError(_("指标附加筛选只能使用：%(names)s") % {"names": "、".join(FILTER_NAMES)},
                                   field="metric_filters")
    start, end = values.get("baseline_start"), values.get("baseline_end")
    if start and end and end <= start:
        raise ImprovementError(_("基线结束日期必须晚于开始日期"), field="baseline_end")
    return values


def improvement_create(*, shop, actor, finding: str, **fields) -> ImprovementAction:
    """Record a finding and its planned fix; the baseline (before) value is computed at once over the
    baseline period (default: the 28 days before today)."""
    from shouhou.core.clock import localnow

    require_role(actor, shop, IMPROVEMENT_EDIT)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ImprovementError(_("未知字段：%(names)s") % {"names": "、".join(sorted(unknown))},
                               field=sorted(unknown)[0])
    values = _validate(shop, {"finding": finding, **fields})
    today = localnow().date()
    values.setdefault("baseline_end", today)
    values.setdefault("baseline_start", values["baseline_end"] - timedelta(days=28))
    if values["baseline_start"] is None or values["baseline_end"] is None:
        values["baseline_end"] = values["baseline_end"] or today
        values["baseline_start"] = values["baseline_start"] or values["baseline_end"] - timedelta(days=28)
    with transaction.atomic():
        action = ImprovementAction(shop=shop, created_by=acting_user(actor), **values)
        action.baseline_value, action.baseline_count = improvement_measure_value(
            action=action, start=action.baseline_start, end=action.baseline_end)
        action.full_clean(exclude=["owner", "created_by", "product", "sku", "live_session", "host"])
        action.save()
        _audit(action, actor, "improvement.create", {}, _snapshot(action))
    return action


def improvement_update(*, action: ImprovementAction, actor, **fields) -> ImprovementAction:
    """Change an action's fields; a changed metric, filter or baseline period recomputes the baseline."""
    require_role(actor, action.shop, IMPROVEMENT_EDIT)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ImprovementError(_("未知字段：%(names)s") % {"names": "、".join(sorted(unknown))},
                               field=sorted(unknown)[0])
    values = _validate(action.shop, dict(fields))
    before = _snapshot(action)
    for name, value in values.items():
        setattr(action, name, value)
    if action.baseline_start and action.baseline_end and action.baseline_end <= action.baseline_start:
        raise ImprovementError(_("基线结束日期必须晚于开始日期"), field="baseline_end")
    remeasure = {"metric", "metric_filters", "dimension", "dimension_key", "product", "sku", "live_session", "host",
                 "baseline_start", "baseline_end"} & set(values)
    with transaction.atomic():
        if remeasure and action.baseline_start and action.baseline_end:
            action.baseline_value, action.baseline_count = improvement_measure_value(
                action=action, start=action.baseline_start, end=action.baseline_end)
            if action.after_start and action.after_end:
                action.after_value, action.after_count, action.after_measured_at = None, None, None
        action.save()
        _audit(action, actor, "improvement.update", before, _snapshot(action))
    return action


_TRANSITIONS = {
    ActionStatus.OPEN: {ActionStatus.IN_PROGRESS, ActionStatus.DONE},
    ActionStatus.IN_PROGRESS: {ActionStatus.OPEN, ActionStatus.DONE},
    ActionStatus.DONE: {ActionStatus.IN_PROGRESS, ActionStatus.VERIFIED},
    ActionStatus.VERIFIED: set(),
}


def improvement_set_status(*, action: ImprovementAction, status: str, actor) -> ImprovementAction:
    """Move an action along open → in progress → done → verified. Done starts the after period (as long as
    the baseline period, from the done day); verified needs that period to be over and records the after
    value measured by the same metric and filters."""
    from shouhou.core.clock import localnow

    require_role(actor, action.shop, IMPROVEMENT_EDIT)
    if status not in ActionStatus.values:
        raise ImprovementError(_("未知的状态：%(s)s") % {"s": status}, field="status")
    if status == action.status:
        return action
    if status not in _TRANSITIONS[ActionStatus(action.status)]:
        raise ImprovementError(_("不能从“%(a)s”改为“%(b)s”") % {"a": action.get_status_display(),
                                                                "b": ActionStatus(status).label}, field="status")
    before = _snapshot(action)
    today = localnow().date()
    with transaction.atomic():
        if status == ActionStatus.DONE:
            length = (action.baseline_end - action.baseline_start) if action.baseline_start and action.baseline_end \
                else timedelta(days=28)
            action.done_on = today
            action.after_start, action.after_end = today, today + length
            action.after_value = action.after_count = action.after_measured_at = None
        if status == ActionStatus.VERIFIED:
            if action.after_end is None or action.after_end > today:
                raise ImprovementError(
                    _("整改后的观察期到 %(d)s 才结束，届时再验证") % {"d": action.after_end}, field="status")
            _measure_after(action)
        if status in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS):
            action.done_on = action.after_start = action.after_end = None
            action.after_value = action.after_count = action.after_measured_at = None
        action.status = status
        action.verified_at = now() if status == ActionStatus.VERIFIED else None
        action.save()
        _audit(action, actor, "improvement.status", before, _snapshot(action))
    return action


def _measure_after(action: ImprovementAction) -> None:
    action.after_value, action.after_count = improvement_measure_value(
        action=action, start=action.after_start, end=action.after_end)
    action.after_measured_at = now()


def improvement_measure_due(*, today: date | None = None) -> int:
    """The periodic job: fill the after value of done actions whose after period has ended (idempotent)."""
    from shouhou.core.clock import localnow

    today = today or localnow().date()
    count = 0
    for action in ImprovementAction.objects.filter(
        status__in=[ActionStatus.DONE, ActionStatus.VERIFIED], after_end__lte=today, after_measured_at__isnull=True
    ).select_related("shop"):
        _measure_after(action)
        action.save(update_fields=["after_value", "after_count", "after_measured_at", "updated_at"])
        count += 1
    return count


def improvement_announce(*, action: ImprovementAction, actor, text: str | None = None) -> ImprovementAction:
    """Record that the change was announced to customers (the note text, and when)."""
    require_role(actor, action.shop, IMPROVEMENT_EDIT)
    text = (action.announcement if text is None else text).strip()
    if not text:
        raise ImprovementError(_("请先填写对顾客的说明"), field="announcement")
    _guard_announcement(text)
    before = _snapshot(action)
    action.announcement, action.announce, action.announced_at = text, True, now()
    action.save(update_fields=["announcement", "announce", "announced_at", "updated_at"])
    _audit(action, actor, "improvement.announce", before, _snapshot(action))
    return action


def improvement_delete(*, action: ImprovementAction, actor) -> None:
    require_role(actor, action.shop, IMPROVEMENT_EDIT)
    _audit(action, actor, "improvement.delete", _snapshot(action), {})
    action.delete()


def _snapshot(action: ImprovementAction) -> dict:
    return {"status": action.status, "finding": action.finding, "owner": action.owner_id,
            "due_date": str(action.due_date or ""), "metric": action.metric,
            "baseline_value": str(action.baseline_value), "after_value": str(action.after_value)}


def _audit(action: ImprovementAction, actor, name: str, before: dict, after: dict) -> None:
    from shouhou.core.audit import audit_record

    audit_record(action=name, obj=action, actor=actor, shop=action.shop, before=before, after=after)
