from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "shouhou.desk"
    verbose_name = "客服工作台"

    def ready(self) -> None:
        from shouhou.desk import live

        live.connect()  # case changes reach the desk's case panel live (docs/workbench.md)
