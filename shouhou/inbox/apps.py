from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "shouhou.inbox"
    verbose_name = _("会话与工单")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from shouhou.inbox.models import Ticket

        # The queue's shared badge counts (inbox.selectors.queue_counts) are recomputed after any ticket change.
        def ticket_changed(sender, instance, **kwargs) -> None:
            from shouhou.inbox.selectors import queue_counts_invalidate

            queue_counts_invalidate(instance.shop_id)

        post_save.connect(ticket_changed, sender=Ticket, weak=False, dispatch_uid="inbox.queue_counts")
        post_delete.connect(ticket_changed, sender=Ticket, weak=False, dispatch_uid="inbox.queue_counts.delete")

        from shouhou.inbox import live

        live.connect()  # push every stored message and ticket change to the open pages (docs/live.md)
