from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from shouhou.core.crypto import EncryptedTextField
from shouhou.core.models import ShopScopedModel
from shouhou.inbox.choices import (
    Channel,
    Direction,
    EscalationStatus,
    Priority,
    ScriptScenario,
    Team,
    TicketCategory,
    TicketEventKind,
    TicketStatus,
)


class Conversation(ShopScopedModel):
    customer = models.ForeignKey("commerce.Customer", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="conversations", verbose_name=_("顾客"))
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    external_id = models.CharField(_("外部会话ID"), max_length=128, blank=True)
    subject = models.CharField(_("主题"), max_length=200, blank=True)
    orders = models.ManyToManyField("commerce.Order", blank=True, verbose_name=_("关联订单"))
    cases = models.ManyToManyField("cases.Case", blank=True, verbose_name=_("关联售后单"))
    last_message_at = models.DateTimeField(_("最近消息"), null=True, blank=True, db_index=True)
    bot_active = models.BooleanField(_("机器人接待中"), default=False)
    bot_failures = models.PositiveSmallIntegerField(_("机器人未答"), default=0)
    handed_over_at = models.DateTimeField(_("转人工时间"), null=True, blank=True)
    # Who the customer is on the channel (WeChat openid, email address, phone, platform user id).
    contact_handle = models.CharField(_("渠道联系人"), max_length=200, blank=True, db_index=True)
    channel_account = models.ForeignKey("inbox.ChannelAccount", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="conversations", verbose_name=_("渠道账号"))

    class Meta:
        verbose_name = _("会话")
        verbose_name_plural = _("会话")

    def __str__(self) -> str:
        return self.subject or f"会话 #{self.pk}"


def is_file_label(body: str) -> bool:
    """A message text that only labels its file (「[图片]」, 「[文件] 发票.pdf」): a file sent without words."""
    text = (body or "").strip()
    return text == "[图片]" or (text.startswith("[文件] ") and "\n" not in text)


class Message(ShopScopedModel):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(_("方向"), max_length=10, choices=Direction.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    is_bot = models.BooleanField(_("机器人"), default=False)
    body = models.TextField(_("内容"))
    external_id = models.CharField(_("外部消息ID"), max_length=128, blank=True)
    attachment = models.FileField(_("附件"), upload_to="inbox/", blank=True)
    # The name the sender gave the file (发票.pdf), cleaned by core.uploads.file_label and with the extension of
    # what its bytes are: a label to show and the download's name, never a path ("" when none was given).
    attachment_name = models.CharField(_("附件原名"), max_length=200, blank=True, default="", db_default="")
    # Outbound delivery through the channel adapter: "" (not sent out, e.g. web chat or a note), sent, failed.
    delivery_status = models.CharField(_("发送状态"), max_length=16, blank=True)
    delivery_error = models.CharField(_("发送错误"), max_length=300, blank=True)
    # Failed sends that may succeed later (platform busy, network, mail server) are tried again with back-off
    # by the inbox.delivery_retry task; None when sent, not retryable, or out of attempts.
    delivery_attempts = models.PositiveSmallIntegerField(_("发送次数"), default=0)
    delivery_retry_at = models.DateTimeField(_("下次重试时间"), null=True, blank=True)
    script = models.ForeignKey("inbox.Script", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("所用话术"))
    # Per-message reply clocks (docs/metrics.md, 回复率): a buyer message that a person must answer (it reached
    # the human desk, not the bot), when a person first answered it (bot replies do not count), and the agent
    # it is counted for (the ticket's assignee when it arrived; the person who answered, once answered).
    awaits_human = models.BooleanField(_("待人工回复"), default=False, db_default=False)
    human_reply_at = models.DateTimeField(_("人工首次回复时间"), null=True, blank=True)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("计入客服"))
    # withdrawn on the channel (微信客服 user_recall_msg / servicer_recall_msg): kept for the record, marked on the
    # desk as the customer no longer sees it
    recalled_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "external_id"], condition=~Q(external_id=""),
                                    name="uniq_message_external_id"),
        ]
        # The retry sweep reads only the few messages waiting for a retry.
        indexes = [models.Index(fields=["delivery_retry_at"], condition=Q(delivery_retry_at__isnull=False),
                                name="message_delivery_retry"),
                   # reply-rate selectors read buyer messages of a shop by time; the forecast only the waiting ones
                   models.Index(fields=["shop", "created_at"], condition=Q(awaits_human=True),
                                name="message_reply_rate"),
                   models.Index(fields=["shop", "created_at"],
                                condition=Q(awaits_human=True, human_reply_at__isnull=True),
                                name="message_awaiting_human")]

    def __str__(self) -> str:
        return self.body[:30]

    @property
    def body_shown(self) -> str:
        """The text shown beside the message's file: nothing when it is only the file's label (「[图片]」, 「[文件] 发票.pdf」,
        inbox.channels.webchat.attachment_label) — the picture or the file's link says it, in any language."""
        return "" if self.attachment and is_file_label(self.body) else self.body


WEB_CHAT_SUBJECT = re.compile(r"在线咨询：订单 (\S+)")  # inbox.channels.webchat's subject of a chat about an order


class Ticket(ShopScopedModel):
    """工单: a unit of work with an SLA. Time fields feed the insight metrics (docs/metrics.md)."""

    # Every ticket change that moves a clock rewrites every index of the row (no HOT update): no index here that
    # another one covers. The shop is the leading column of uniq_ticket_shop_number and ticket_queue; the SLA
    # sweep reads the partial ticket_sla_* indexes, not plain ones on the due times; status has no LIKE twin.
    shop = models.ForeignKey("commerce.Shop", on_delete=models.CASCADE, verbose_name=_("店铺"), db_index=False)
    number = models.CharField(_("工单号"), max_length=32)
    conversation = models.ForeignKey(Conversation, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="tickets")
    customer = models.ForeignKey("commerce.Customer", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="tickets", verbose_name=_("顾客"))
    order = models.ForeignKey("commerce.Order", null=True, blank=True, on_delete=models.SET_NULL,
                              verbose_name=_("订单"))
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets",
                             verbose_name=_("售后单"))
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    category = models.CharField(_("分类"), max_length=20, choices=TicketCategory.choices,
                                default=TicketCategory.OTHER)
    priority = models.PositiveSmallIntegerField(_("优先级"), choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("状态"), max_length=20, choices=TicketStatus.choices, default=TicketStatus.NEW)
    team = models.CharField(_("团队"), max_length=16, choices=Team.choices, default=Team.SERVICE)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="assigned_tickets", verbose_name=_("处理人"))
    subject = models.CharField(_("主题"), max_length=200, blank=True)
    first_response_due_at = models.DateTimeField(_("首响截止"), null=True, blank=True)
    next_response_due_at = models.DateTimeField(_("再响截止"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("解决截止"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("首次响应时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True, db_index=True)
    first_response_business_seconds = models.PositiveIntegerField(_("首响工作秒数"), null=True, blank=True)
    resolution_business_seconds = models.PositiveIntegerField(_("解决工作秒数"), null=True, blank=True)
    sla_breached = models.BooleanField(_("已超时"), default=False)
    paused_at = models.DateTimeField(_("暂停起点"), null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(_("暂停累计秒"), default=0)
    sla_policy = models.ForeignKey("sla.SlaPolicy", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="tickets", verbose_name=_("SLA 策略"))
    # Start of the next-response clock: the oldest customer message not yet answered (None when answered).
    waiting_since = models.DateTimeField(_("待回复起点"), null=True, blank=True)
    sla_warned_at = models.DateTimeField(_("超时预警时间"), null=True, blank=True)
    sla_breached_at = models.DateTimeField(_("超时时间"), null=True, blank=True)
    escalated_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="escalated_tickets", verbose_name=_("超时升级至"))
    last_customer_message_at = models.DateTimeField(_("顾客最近来信"), null=True, blank=True)
    last_agent_reply_at = models.DateTimeField(_("客服最近回复"), null=True, blank=True)
    # The earliest running clock (sla.clocks.running_dues; None while paused or when none runs), kept by the
    # clock functions so the queue orders and filters on an index instead of computing it per row.
    next_due_at = models.DateTimeField(_("最近截止"), null=True, blank=True)
    # The after-sales complaint type (reviews taxonomy) triage read when it opened the ticket ("" when it read
    # none), so the desk's script suggestions need no new reading; NULL when triage did not run (a category
    # given by the system) or the ticket is older than this field: then it is read from the messages.
    complaint_type = models.CharField(_("问题类型"), max_length=20, null=True, blank=True)

    class Meta:
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        constraints = [models.UniqueConstraint(fields=["shop", "number"], name="uniq_ticket_shop_number")]
        indexes = [
            models.Index(fields=["shop", "status", "priority"], name="ticket_queue"),
            # open tickets of every shop (the age sweep, sla.services._sweep_age)
            models.Index(fields=["status"], name="ticket_status"),
            # The SLA sweep (sla.services.sla_sweep) each minute: running, not yet breached clocks by due time
            # (partial, so the tens of thousands of breached or paused tickets are not in them), and the
            # rows a sweep just claimed. bench/sla_sweep.py at 100,000 open tickets: docs/benchmarks/sla_sweep.md.
            models.Index(fields=["first_response_due_at"], name="ticket_sla_first_due",
                         condition=Q(sla_breached=False, paused_at__isnull=True, first_responded_at__isnull=True)),
            models.Index(fields=["next_response_due_at"], name="ticket_sla_next_due",
                         condition=Q(sla_breached=False, paused_at__isnull=True)),
            models.Index(fields=["resolution_due_at"], name="ticket_sla_resolution_due",
                         condition=Q(sla_breached=False, paused_at__isnull=True, resolved_at__isnull=True)),
            models.Index(fields=["sla_breached_at"], name="ticket_sla_breached_at"),
            # The agent queue: open tickets by priority, earliest running clock, age (inbox.selectors.ticket_queue).
            models.Index(fields=["shop", "priority", "next_due_at", "created_at", "id"], name="ticket_queue_due",
                         condition=Q(status__in=["escalated", "new", "open", "pending_customer"])),
            models.Index(fields=["shop", "next_due_at"], name="ticket_open_next_due",
                         condition=Q(status__in=["escalated", "new", "open", "pending_customer"])),
            # the queue's "mine" badge: an index-only count of the agent's open tickets
            models.Index(fields=["assignee", "shop"], name="ticket_open_assignee",
                         condition=Q(status__in=["escalated", "new", "open", "pending_customer"])),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def subject_label(self) -> str:
        """The subject in the reader's language where the system wrote it (a web chat about an order:
        「在线咨询：订单 …」), else as written (the customer's own first words)."""
        m = WEB_CHAT_SUBJECT.fullmatch(self.subject or "")
        return gettext("在线咨询：订单 %(order)s") % {"order": m.group(1)} if m else self.subject


# What the system itself writes on a ticket's timeline, stored as a code (TicketEvent.data["said"]) beside the Chinese
# note: each reader sees it in their language (before 2026-12-07 an English desk read 「客服回复」「回复时接手」).
SYSTEM_NOTES = {
    "customer_wrote": _("顾客来信，重新打开"),
    "agent_replied": _("客服回复"),
    "taken_on_reply": _("回复时接手"),
}


class TicketEvent(ShopScopedModel):
    """One row per ticket change (who, when, from, to, why): the ticket's audit trail and timeline."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events", verbose_name=_("工单"))
    kind = models.CharField(_("类型"), max_length=24, choices=TicketEventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("操作人"))
    from_value = models.CharField(_("变更前"), max_length=100, blank=True)
    to_value = models.CharField(_("变更后"), max_length=100, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    visible_to_customer = models.BooleanField(_("顾客可见"), default=False)
    # What the system wrote in `note`, as codes, so each reader sees it in their language (the note is stored in
    # Chinese for exports and older readers): {"lead": free text, "reasons": triage records (inbox.triage.describe)}
    data = models.JSONField(_("结构化说明"), default=dict, blank=True)

    class Meta:
        verbose_name = _("工单记录")
        verbose_name_plural = _("工单记录")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"

    def _value_label(self, value: str, *, before: bool) -> str:
        """A stored code (status, category, department…) as the reader's label; other values unchanged."""
        if not value:
            return value
        if self.kind == TicketEventKind.PRIORITY:  # stored as the Chinese label (the msgid) when written
            return gettext(value)
        choices = {TicketEventKind.STATUS: TicketStatus, TicketEventKind.CREATED: TicketCategory,
                   TicketEventKind.CATEGORY: TicketCategory, TicketEventKind.ESCALATED: Team,
                   TicketEventKind.ESCALATION_UPDATE: Team if before else EscalationStatus}.get(self.kind)
        try:
            return str(choices(value).label) if choices else value
        except ValueError:
            return value

    @property
    def from_label(self) -> str:
        return self._value_label(self.from_value, before=True)

    @property
    def to_label(self) -> str:
        return self._value_label(self.to_value, before=False)

    @property
    def note_label(self) -> str:
        """The note in the reader's language where the system wrote it (triage's reasons, a bot hand-off's reason),
        else as written (a person's note)."""
        data = self.data or {}
        if data.get("said") in SYSTEM_NOTES:
            return str(SYSTEM_NOTES[data["said"]])
        if isinstance(data.get("qc"), dict):
            return self._quality_hints(data["qc"])
        handoff, reasons = data.get("handoff"), data.get("reasons")
        if not isinstance(reasons, list) and not isinstance(handoff, dict):
            return self.note
        from shouhou.inbox.bot import handoff_text
        from shouhou.inbox.triage import describe

        said = handoff_text(handoff) if isinstance(handoff, dict) else ""
        if not isinstance(reasons, list):
            return said
        sep = pgettext("标签与内容之间", "：")
        lead = f"{gettext('机器人转人工')}{sep}{said}" if said else str(data.get("lead") or "")
        return gettext("；").join(x for x in [lead, *describe(reasons)] if x)[:500]


    def _quality_hints(self, qc: dict) -> str:
        """The quality-check hints of a reply (inbox.services.ticket_reply) in the reader's language: the reply
        inspected again against the limit it was checked with; the note as stored if the reply is gone."""
        from decimal import Decimal, InvalidOperation

        from shouhou.reviews.guards import inspect_reply

        body = Message.objects.filter(pk=qc.get("message") or 0, shop_id=self.shop_id).values_list(
            "body", flat=True).first()
        try:
            limit = Decimal(qc["limit"]) if qc.get("limit") is not None else None
        except (InvalidOperation, TypeError, ValueError):
            limit = None
        flags = inspect_reply(body, limit=limit) if body else []
        if not flags:
            return self.note
        return gettext("质检提示：") + gettext("；").join(
            gettext("%(reason)s（%(match)s）") % {"reason": f.reason, "match": f.match} for f in flags)


class AgentProfile(ShopScopedModel):
    """An agent's routing facts in one shop: skills (product categories), channels, capacity."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profiles",
                             verbose_name=_("客服"))
    skills = models.JSONField(_("技能（商品类目）"), default=list, blank=True)
    channels = models.JSONField(_("接待渠道"), default=list, blank=True, help_text=_("空表示全部渠道"))
    capacity = models.PositiveSmallIntegerField(_("同时处理上限"), default=8)
    accepting = models.BooleanField(_("接单中"), default=True)

    class Meta:
        verbose_name = _("客服资料")
        verbose_name_plural = _("客服资料")
        constraints = [models.UniqueConstraint(fields=["shop", "user"], name="uniq_agent_profile_shop_user")]

    def __str__(self) -> str:
        return str(self.user)


class Shift(ShopScopedModel):
    """One on-duty interval of the rota; a night shift simply crosses midnight."""

    agent = models.ForeignKey(AgentProfile, on_delete=models.CASCADE, related_name="shifts", verbose_name=_("客服"))
    starts_at = models.DateTimeField(_("开始"))
    ends_at = models.DateTimeField(_("结束"))
    label = models.CharField(_("班次"), max_length=30, blank=True, help_text=_("如 早班、晚班、夜班"))

    class Meta:
        verbose_name = _("排班")
        verbose_name_plural = _("排班")
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["shop", "starts_at", "ends_at"], name="shift_on_duty")]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start")]

    def __str__(self) -> str:
        return f"{self.agent} {self.starts_at:%m-%d %H:%M}"


class Escalation(ShopScopedModel):
    """A ticket handed to another department (warehouse, quality, logistics, production, R&D)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="escalations", verbose_name=_("工单"))
    department = models.CharField(_("部门"), max_length=16, choices=Team.choices)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="owned_escalations", verbose_name=_("负责人"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("发起人"))
    request = models.TextField(_("需求说明"))
    due_at = models.DateTimeField(_("截止时间"), db_index=True)
    status = models.CharField(_("状态"), max_length=16, choices=EscalationStatus.choices,
                              default=EscalationStatus.OPEN)
    resolved_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    overdue_notified_at = models.DateTimeField(_("逾期提醒时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("部门升级")
        verbose_name_plural = _("部门升级")
        ordering = ["due_at"]

    def __str__(self) -> str:
        return f"{self.get_department_display()} · {self.ticket}"


class EscalationUpdate(ShopScopedModel):
    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    note = models.TextField(_("进展"))
    visible_to_customer = models.BooleanField(_("顾客可见"), default=True)

    class Meta:
        verbose_name = _("升级进展")
        verbose_name_plural = _("升级进展")
        ordering = ["created_at", "id"]


class Script(ShopScopedModel):
    """话术: a reply template with {variables}, grouped by scenario, suggested by ticket category."""

    scenario = models.CharField(_("场景"), max_length=24, choices=ScriptScenario.choices)
    categories = models.JSONField(_("适用工单分类"), default=list, blank=True)
    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("内容"))
    is_active = models.BooleanField(_("启用"), default=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    usage_count = models.PositiveIntegerField(_("使用次数"), default=0)

    class Meta:
        verbose_name = _("话术")
        verbose_name_plural = _("话术")
        ordering = ["scenario", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["shop", "scenario", "title"], name="uniq_script_title")]

    def __str__(self) -> str:
        return self.title


class ChannelAccount(ShopScopedModel):
    """A connected channel (WeChat official account, WeCom app, mailbox...) and its webhook secrets (encrypted at
    rest; the admin never shows them back)."""

    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    name = models.CharField(_("名称"), max_length=100)
    # Public id in the webhook URL: /inbox/hooks/<channel>/<key>/
    key = models.SlugField(_("接入标识"), max_length=40, unique=True)
    app_id = models.CharField(_("AppID/CorpID"), max_length=100, blank=True)
    # Encrypted at rest (core/crypto.py): read and written as plain text here, stored sealed in the database
    token = EncryptedTextField(_("Token"), max_length=100, blank=True)  # max_length: what a form accepts
    aes_key = EncryptedTextField(_("EncodingAESKey"), max_length=64, blank=True)
    secret = EncryptedTextField(_("密钥"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("渠道账号")
        verbose_name_plural = _("渠道账号")

    def __str__(self) -> str:
        return self.name


class KfCursor(ShopScopedModel):
    """微信客服: where reading kf/sync_msg stopped, per channel account and customer-service account
    (open_kfid). Moved in the same transaction as the messages of the page it read, so a restart reads
    on from here: a crash re-reads a page (stored messages are found by their msgid), never skips one."""

    account = models.ForeignKey(ChannelAccount, on_delete=models.CASCADE, related_name="kf_cursors",
                                verbose_name=_("渠道账号"))
    open_kfid = models.CharField(_("客服账号ID"), max_length=64)
    cursor = models.CharField(_("读取位置"), max_length=128, blank=True)
    fetched_at = models.DateTimeField(_("最近读取"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("微信客服读取位置")
        verbose_name_plural = _("微信客服读取位置")
        constraints = [models.UniqueConstraint(fields=["account", "open_kfid"], name="uniq_kf_cursor")]

    def __str__(self) -> str:
        return f"{self.account} {self.open_kfid}"
