from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "shouhou.notifications"
    verbose_name = _("主动关怀")  # the admin's group heading, in the reader's language

    def ready(self):
        from shouhou.notifications import checks  # noqa: F401 - registers the settings check
