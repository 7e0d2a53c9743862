from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "shouhou.portal"
    verbose_name = _("消费者自助")
