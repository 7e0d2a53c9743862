from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "shouhou.live"
    verbose_name = "实时推送"

    def ready(self) -> None:
        from shouhou.live import services

        services.connect()  # a logout or a changed account closes the open desks at once (docs/live.md)
