from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "shouhou.inbox"
    verbose_name = "会话与工单"
