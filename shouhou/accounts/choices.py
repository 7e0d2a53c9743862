from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    AGENT = "agent", _("客服")
    SUPERVISOR = "supervisor", _("主管")
    ADMIN = "admin", _("店铺管理员")
    ANALYST = "analyst", _("只读分析")
