from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "shouhou.portal"
    verbose_name = "消费者自助"
