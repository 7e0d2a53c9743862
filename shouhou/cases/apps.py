from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "shouhou.cases"
    verbose_name = "售后单"
