from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "shouhou.live"
    verbose_name = "实时推送"
