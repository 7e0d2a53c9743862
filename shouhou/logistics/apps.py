from django.apps import AppConfig


class LogisticsConfig(AppConfig):
    name = "shouhou.logistics"
    verbose_name = "物流"
