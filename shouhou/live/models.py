"""Push events, stored so a client that reconnects gets exactly what it missed (docs/live.md)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shouhou.core.models import ShopScopedModel


class LiveStream(ShopScopedModel):
    """One numbered stream ("shop.<id>" for the desk, "conv.<id>" for a customer's chat): the last
    sequence number handed out. Its row lock orders the numbering of the stream's events (services.live_number)."""

    key = models.CharField(_("推送流"), max_length=64, unique=True)
    last_seq = models.BigIntegerField(_("最新序号"), default=0)

    class Meta:
        verbose_name = _("推送流")
        verbose_name_plural = _("推送流")

    def __str__(self) -> str:
        return f"{self.key}#{self.last_seq}"


class LiveEvent(ShopScopedModel):
    """One pushed event, written in the same transaction as the change it announces; numbered (seq) right
    after that transaction commits, in a short one of its own (services.live_number). Unnumbered events are
    never read by pages."""

    # created_at is indexed once, by live_event_created (the inherited db_index made a second, identical index that
    # every pushed event wrote)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    stream = models.CharField(_("推送流"), max_length=64)
    seq = models.BigIntegerField(_("序号"), null=True, blank=True)
    kind = models.CharField(_("类型"), max_length=32)
    data = models.JSONField(_("内容"), default=dict)

    class Meta:
        verbose_name = _("推送事件")
        verbose_name_plural = _("推送事件")
        constraints = [models.UniqueConstraint(fields=["stream", "seq"], name="uniq_live_event_stream_seq")]
        indexes = [models.Index(fields=["created_at"], name="live_event_created"),
                   models.Index(fields=["stream", "id"], name="live_event_unnumbered",
                                condition=models.Q(seq__isnull=True))]

    def __str__(self) -> str:
        return f"{self.stream}#{self.seq} {self.kind}"
