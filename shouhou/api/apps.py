from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "shouhou.api"
    verbose_name = "接口"
