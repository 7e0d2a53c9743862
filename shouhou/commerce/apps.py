from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommerceConfig(AppConfig):
    name = "shouhou.commerce"
    verbose_name = _("店铺与订单")
