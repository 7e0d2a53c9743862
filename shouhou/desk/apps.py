from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    name = "shouhou.desk"
    verbose_name = _("客服工作台")

    def ready(self) -> None:
        from shouhou.desk import live

        live.connect()  # case changes reach the desk's case panel live (docs/workbench.md)
