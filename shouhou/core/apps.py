from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "shouhou.core"
    verbose_name = "基础"
