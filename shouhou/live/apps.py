from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveConfig(AppConfig):
    name = "shouhou.live"
    verbose_name = _("实时推送")

    def ready(self) -> None:
        from shouhou.live import services

        services.connect()  # a logout or a changed account closes the open desks at once (docs/live.md)
