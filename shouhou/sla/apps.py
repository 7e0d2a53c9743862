from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "shouhou.sla"
    verbose_name = _("SLA时效")
