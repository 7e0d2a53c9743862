from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightConfig(AppConfig):
    name = "shouhou.insight"
    verbose_name = _("洞察与改进")
