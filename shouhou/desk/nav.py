"""Top navigation: (label, url name, who may see it) per area. Each domain adds its own line.

"Who" is a permission action (accounts.permissions), a set of roles, or None for every member: a link
the user's role cannot open is not shown (the page itself still refuses, this only keeps the menu honest).
"""

from django.utils.translation import gettext_lazy as _

from shouhou.accounts.choices import Role
from shouhou.accounts.permissions import AUDIT_VIEW, IMPORT, SETTINGS_EDIT, TEAM_MANAGE

TEAM_BOARD_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN, Role.ANALYST})

NAV_ITEMS: list[tuple[str, str, str | frozenset | None]] = [
    (_("订单导入"), "commerce:import", IMPORT),
    (_("差评挽回"), "reviews:tasks", None),
    (_("审计日志"), "accounts:audit_log", AUDIT_VIEW),
    (_("售后单"), "cases:list", None),
    (_("数据洞察"), "insight:dashboard", None),
    (_("改进行动"), "insight:actions", None),
    (_("工作台"), "desk:im", None),
    (_("收件箱"), "desk:queue", None),
    (_("团队看板"), "desk:team", TEAM_BOARD_ROLES),
    (_("工作日历"), "sla:calendars", TEAM_MANAGE),
    (_("退货地址"), "commerce:return_addresses", SETTINGS_EDIT),
    (_("关怀消息模板"), "notifications:templates", None),  # every member reads them; policy.edit changes them
    (_("平台对接"), "platforms:connections", TEAM_MANAGE),
]
