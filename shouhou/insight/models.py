"""Insight models: satisfaction surveys (one invitation per case/ticket, one answer per invitation)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shouhou.core.models import ShopScopedModel, TimeStampedModel

SCORE_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


class SurveyInvitation(ShopScopedModel):
    customer = models.ForeignKey("commerce.Customer", on_delete=models.CASCADE, related_name="survey_invitations")
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ticket = models.ForeignKey("inbox.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    token = models.CharField(_("链接令牌"), max_length=64, unique=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("满意度邀请")
        verbose_name_plural = _("满意度邀请")
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(case__isnull=False), name="survey_one_per_case"),
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(ticket__isnull=False), name="survey_one_per_ticket"
            ),
        ]


class SurveyResponse(TimeStampedModel):
    invitation = models.OneToOneField(SurveyInvitation, on_delete=models.CASCADE, related_name="response")
    attitude = models.PositiveSmallIntegerField(_("服务态度"), validators=SCORE_VALIDATORS)
    speed = models.PositiveSmallIntegerField(_("处理速度"), validators=SCORE_VALIDATORS)
    outcome = models.PositiveSmallIntegerField(_("处理结果"), validators=SCORE_VALIDATORS)
    comment = models.TextField(_("留言"), blank=True)

    class Meta:
        verbose_name = _("满意度评价")
        verbose_name_plural = _("满意度评价")
        constraints = [
            models.CheckConstraint(
                condition=Q(attitude__gte=1, attitude__lte=5, speed__gte=1, speed__lte=5, outcome__gte=1, outcome__lte=5),
                name="survey_scores_1_5",
            )
        ]
