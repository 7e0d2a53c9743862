from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from shouhou.core.models import MoneyField, ShopScopedModel
from shouhou.reviews.choices import (
    Aspect,
    ComplaintType,
    Outcome,
    Remedy,
    ReviewKind,
    ReviewSource,
    RewardKind,
    TaskEventKind,
    TaskStatus,
)
from shouhou.reviews.classifier.taxonomy import split_types


class Review(ShopScopedModel):
    """A product review, comment or group message, with its classification."""

    platform = models.CharField(_("来源平台"), max_length=20, blank=True)
    external_id = models.CharField(_("外部ID"), max_length=128, blank=True)
    kind = models.CharField(_("类型"), max_length=16, choices=ReviewKind.choices, default=ReviewKind.REVIEW)
    source = models.CharField(_("接入方式"), max_length=10, choices=ReviewSource.choices, default=ReviewSource.API)
    order_no = models.CharField(_("订单号（原文）"), max_length=64, blank=True)
    author_name = models.CharField(_("昵称"), max_length=100, blank=True)
    order = models.ForeignKey("commerce.Order", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="reviews", verbose_name=_("订单"))
    order_line = models.ForeignKey("commerce.OrderLine", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="reviews")
    customer = models.ForeignKey("commerce.Customer", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="reviews", verbose_name=_("顾客"))
    live_session = models.ForeignKey("commerce.LiveSession", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="reviews")
    group = models.ForeignKey("reviews.CommunityGroup", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="messages", verbose_name=_("社群"))
    rating = models.PositiveSmallIntegerField(_("评分"), null=True, blank=True)
    text = models.TextField(_("内容"), blank=True)
    posted_at = models.DateTimeField(_("评价时间"), null=True, blank=True, db_index=True)
    sentiment = models.SmallIntegerField(_("情感"), null=True, blank=True, help_text=_("1 正面, 0 负面"))
    sentiment_score = models.FloatField(_("正面概率"), null=True, blank=True)
    complaint_type = models.CharField(_("问题类型"), max_length=24, blank=True, db_index=True,
                                      choices=ComplaintType.choices)
    # Multi-label: the main type above plus up to three more, `|`-joined codes (as in data/labels/).
    complaint_others = models.CharField(_("其他问题类型"), max_length=80, blank=True, db_default="",
                                        help_text=_("主类型之外的问题类型，以 | 分隔"))
    aspect = models.CharField(_("涉及方面"), max_length=24, blank=True, choices=Aspect.choices)
    is_showcased = models.BooleanField(_("精选展示"), default=False)

    class Meta:
        verbose_name = _("评价")
        verbose_name_plural = _("评价")
        constraints = [
            models.UniqueConstraint(fields=["shop", "platform", "external_id"], condition=~Q(external_id=""),
                                    name="uniq_review_external"),
        ]
        indexes = [models.Index(fields=["shop", "sentiment", "posted_at"], name="review_shop_sent_posted")]

    def __str__(self) -> str:
        return self.text[:30]

    @property
    def mixed(self) -> bool:
        """Read positive, yet a complaint is named: praise with a clear complaint in it (classifier/whole.py). No
        recovery task, the positive-review rate counts it as positive, the Pareto of problems counts its type."""
        return self.sentiment == 1 and self.complaint_type not in ("", ComplaintType.NONE)

    @property
    def complaint_others_labels(self) -> str:
        """The other complaint types, by name (「物流、包装」)."""
        return "、".join(str(ComplaintType(c).label) for c in split_types(self.complaint_others)
                        if c in ComplaintType.values)


class RecoveryTask(ShopScopedModel):
    """Winning back the customer behind one negative review: reply, contact, remedy, outcome — on a clock."""

    number = models.CharField(_("任务号"), max_length=32)
    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="recovery", verbose_name=_("评价"))
    status = models.CharField(_("状态"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.OPEN,
                              db_index=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="recovery_tasks", verbose_name=_("负责人"))
    due_at = models.DateTimeField(_("截止时间"), db_index=True)
    breached = models.BooleanField(_("已超时"), default=False)
    is_misunderstanding = models.BooleanField(_("误会（需解释）"), default=False)
    suggested_reply = models.TextField(_("建议回复"), blank=True)
    public_reply = models.TextField(_("公开回复"), blank=True)
    public_replied_at = models.DateTimeField(_("公开回复时间"), null=True, blank=True)
    contacted_at = models.DateTimeField(_("私下联系时间"), null=True, blank=True)
    contact_note = models.CharField(_("联系记录"), max_length=500, blank=True)
    remedy = models.CharField(_("补救方案"), max_length=16, choices=Remedy.choices, blank=True)
    remedy_amount = MoneyField(_("补救金额"), null=True, blank=True)
    remedy_note = models.CharField(_("补救说明"), max_length=500, blank=True)
    outcome = models.CharField(_("结果"), max_length=16, choices=Outcome.choices, blank=True)
    new_rating = models.PositiveSmallIntegerField(_("更新后评分"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("差评挽回任务")
        verbose_name_plural = _("差评挽回任务")
        constraints = [models.UniqueConstraint(fields=["shop", "number"], name="uniq_recovery_number")]
        indexes = [models.Index(fields=["shop", "status", "due_at"], name="recovery_shop_status_due")]

    def __str__(self) -> str:
        return self.number


# The note the breach sweep writes on a task past its due time (stored as written, shown in the reader's language).
BREACHED_NOTE = gettext_noop("超过处理时限")


class RecoveryEvent(models.Model):
    task = models.ForeignKey(RecoveryTask, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事件"), max_length=16, choices=TaskEventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.task_id}:{self.kind}"

    def note_display(self) -> str:
        """The note as a person reads it. Some kinds store a code there (the complaint type when a task
        opens, the outcome when it closes, the remedy before its amount): those are shown by their label."""
        from shouhou.reviews.choices import Outcome, Remedy
        from shouhou.reviews.classifier.rules import ComplaintType

        if self.kind == TaskEventKind.BREACHED and self.note == BREACHED_NOTE:
            return gettext(BREACHED_NOTE)  # the system's own words, stored in Chinese
        codes = {TaskEventKind.OPENED: ComplaintType, TaskEventKind.CLOSED: Outcome, TaskEventKind.REMEDY: Remedy}
        choices = codes.get(self.kind)
        if choices is None or not self.note:
            return self.note
        code, _space, rest = self.note.partition(" ")
        if code not in choices.values:
            return self.note
        return " ".join(part for part in (str(choices(code).label), rest) if part)


class CommunityGroup(ShopScopedModel):
    """A private-domain group (WeChat/WeCom group) whose messages are watched."""

    name = models.CharField(_("群名称"), max_length=100)
    external_id = models.CharField(_("群ID"), max_length=128)
    admin = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              verbose_name=_("群管理员"))
    admin_contact = models.CharField(_("管理员联系方式"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("社群")
        verbose_name_plural = _("社群")
        constraints = [models.UniqueConstraint(fields=["shop", "external_id"], name="uniq_group_external")]

    def __str__(self) -> str:
        return self.name


class CommunityAlert(ShopScopedModel):
    group = models.ForeignKey(CommunityGroup, on_delete=models.CASCADE, related_name="alerts")
    message = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="alert")
    complaint_type = models.CharField(_("问题类型"), max_length=24, blank=True, choices=ComplaintType.choices)
    acknowledged_at = models.DateTimeField(_("已处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("社群预警")
        verbose_name_plural = _("社群预警")

    def __str__(self) -> str:
        return f"{self.group_id}:{self.message_id}"


class ReferralReward(ShopScopedModel):
    """A reward to the referrer when a referred friend buys (one per friend's order)."""

    referrer = models.ForeignKey("commerce.Customer", on_delete=models.CASCADE, related_name="referral_rewards",
                                 verbose_name=_("推荐人"))
    friend = models.ForeignKey("commerce.Customer", on_delete=models.CASCADE, related_name="referred_by_rewards",
                               verbose_name=_("被推荐好友"))
    order = models.ForeignKey("commerce.Order", on_delete=models.CASCADE, related_name="referral_rewards",
                              verbose_name=_("好友订单"))
    kind = models.CharField(_("奖励"), max_length=8, choices=RewardKind.choices)
    points = models.PositiveIntegerField(_("积分"), default=0)
    coupon_amount = MoneyField(_("优惠券面额"), null=True, blank=True)

    class Meta:
        verbose_name = _("推荐奖励")
        verbose_name_plural = _("推荐奖励")
        constraints = [models.UniqueConstraint(fields=["shop", "order"], name="uniq_referral_order")]

    def __str__(self) -> str:
        return f"{self.referrer_id}<-{self.friend_id}"
