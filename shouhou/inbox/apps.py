from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "shouhou.inbox"
    verbose_name = "会话与工单"

    def ready(self) -> None:
        from shouhou.inbox import live

        live.connect()  # push every stored message and ticket change to the open pages (docs/live.md)
