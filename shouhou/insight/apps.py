from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "shouhou.insight"
    verbose_name = "洞察与改进"
