from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "shouhou.desk"
    verbose_name = "客服工作台"
