"""Top navigation: (label, url name) per area. Each domain adds its own line."""

from django.utils.translation import gettext_lazy as _

NAV_ITEMS: list[tuple[str, str]] = [
    (_("订单导入"), "commerce:import"),
    (_("差评挽回"), "reviews:tasks"),
    (_("审计日志"), "accounts:audit_log"),
    (_("售后单"), "cases:list"),
    (_("数据洞察"), "insight:dashboard"),
    (_("改进行动"), "insight:actions"),
    (_("收件箱"), "desk:queue"),
    (_("团队看板"), "desk:team"),
]
