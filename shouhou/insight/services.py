"""Insight writes. Contract used by other apps:

    survey_invite(shop=..., customer=..., case=None, ticket=None) -> SurveyInvitation | None

Called when a case or ticket is resolved; sends at most one survey invitation per case/ticket.
"""

from __future__ import annotations

import secrets

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
