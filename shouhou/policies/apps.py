from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "shouhou.policies"
    verbose_name = "售后政策"
