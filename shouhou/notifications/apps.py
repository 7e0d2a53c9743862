from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "shouhou.notifications"
    verbose_name = "主动关怀"
