"""Insight models: satisfaction surveys (one invitation per case/ticket, one answer per invitation),
improvement actions, and the rollup tables the dashboard reads at scale."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shouhou.core.models import ShopScopedModel, TimeStampedModel
from shouhou.insight.choices import ActionStatus, Dimension, FixType, MetricKey

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


class ImprovementAction(ShopScopedModel):
    """A finding traced to its source, the fix, its owner and due date, and the metric before/after the fix."""

    finding = models.TextField(_("发现的问题"))
    dimension = models.CharField(_("问题维度"), max_length=16, choices=Dimension.choices, default=Dimension.OTHER)
    dimension_key = models.CharField(_("维度取值"), max_length=64, blank=True,
                                     help_text=_("批次号、快递公司代码、原因代码、差评类型等"))
    product = models.ForeignKey("commerce.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("商品"))
    sku = models.ForeignKey("commerce.SKU", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                            verbose_name=_("SKU"))
    live_session = models.ForeignKey("commerce.LiveSession", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("直播场次"))
    host = models.ForeignKey("commerce.Host", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("主播"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="improvement_actions", verbose_name=_("负责人"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("创建人"))
    due_date = models.DateField(_("截止日期"), null=True, blank=True)
    fix_type = models.CharField(_("整改类型"), max_length=16, choices=FixType.choices, default=FixType.OTHER)
    fix_description = models.TextField(_("整改措施"), blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN,
                              db_index=True)
    metric = models.CharField(_("跟踪指标"), max_length=24, choices=MetricKey.choices, default=MetricKey.RETURN)
    metric_filters = models.JSONField(_("指标附加筛选"), default=dict, blank=True)
    baseline_start = models.DateField(_("基线开始"), null=True, blank=True)
    baseline_end = models.DateField(_("基线结束（不含）"), null=True, blank=True)
    baseline_value = models.DecimalField(_("整改前"), max_digits=14, decimal_places=4, null=True, blank=True)
    baseline_count = models.PositiveIntegerField(_("整改前样本数"), null=True, blank=True)
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    after_start = models.DateField(_("整改后开始"), null=True, blank=True)
    after_end = models.DateField(_("整改后结束（不含）"), null=True, blank=True)
    after_value = models.DecimalField(_("整改后"), max_digits=14, decimal_places=4, null=True, blank=True)
    after_count = models.PositiveIntegerField(_("整改后样本数"), null=True, blank=True)
    after_measured_at = models.DateTimeField(_("整改后计算时间"), null=True, blank=True)
    verified_at = models.DateTimeField(_("验证时间"), null=True, blank=True)
    announcement = models.TextField(_("对顾客的说明"), blank=True)
    announce = models.BooleanField(_("需要公告"), default=False)
    announced_at = models.DateTimeField(_("公告时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("改进行动")
        verbose_name_plural = _("改进行动")
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["shop", "status", "due_date"], name="improvement_shop_status_due")]

    def dimension_key_label(self) -> str:
        """The value the action is about, named as people know it (a carrier's name, a team, an agent),
        for the dimensions that have no row of their own on the action (sku, product, session, host do)."""
        if not self.dimension_key:
            return ""
        from shouhou.insight.selectors import labels_for

        key = int(self.dimension_key) if self.dimension == "agent" and self.dimension_key.isdigit() else self.dimension_key
        return str(labels_for(self.dimension, [key]).get(key, self.dimension_key))

    def __str__(self) -> str:
        return self.finding[:40]


class OrderLineDaily(ShopScopedModel):
    """Rollup: order lines per local day of `placed_at` and per line dimension (the denominator of the
    refund and return rates). Filled by `rollup_refresh`; ids are plain integers (a rollup, not a relation)."""

    day = models.DateField(_("日期"))
    live_session_id = models.IntegerField(null=True, blank=True)
    host_id = models.IntegerField(null=True, blank=True)
    product_id = models.IntegerField(null=True, blank=True)
    sku_id = models.IntegerField(null=True, blank=True)
    batch_no = models.CharField(max_length=64, blank=True)
    carrier = models.CharField(max_length=16, blank=True)
    lines = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("订单行日汇总")
        verbose_name_plural = _("订单行日汇总")
        indexes = [models.Index(fields=["shop", "day"], name="orderline_daily_shop_day")]


class RollupDay(ShopScopedModel):
    """Marks a shop's day as rolled up (its `OrderLineDaily` rows are complete as of `computed_at`)."""

    day = models.DateField(_("日期"))
    computed_at = models.DateTimeField(_("汇总时间"))

    class Meta:
        verbose_name = _("已汇总日期")
        verbose_name_plural = _("已汇总日期")
        constraints = [models.UniqueConstraint(fields=["shop", "day"], name="uniq_rollup_day")]
