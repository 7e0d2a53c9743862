from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "shouhou.accounts"
    verbose_name = "账号与权限"
