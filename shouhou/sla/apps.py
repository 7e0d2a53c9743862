from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "shouhou.sla"
    verbose_name = "SLA时效"
