from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "shouhou.notifications"
    verbose_name = "主动关怀"

    def ready(self):
        from shouhou.notifications import checks  # noqa: F401 - registers the settings check
