from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "shouhou.commerce"
    verbose_name = "店铺与订单"
