"""Default SLA data: calendars, China public holidays, targets per channel / category / tier, and the
departments' own targets. Pure data; `sla.services.sla_defaults_install` writes it for a shop.

Shop practice behind the numbers (docs/sla.md): online chat answered within 5 minutes, phone at once
(1 minute), private-domain messages (WeChat, WeCom, groups) within 15 minutes, return requests answered
within 2 hours and decided within 48 hours (the platforms' own deadline, wall clock), VIP tighter.
"""

from __future__ import annotations

from dataclasses import dataclass

from shouhou.commerce.choices import MembershipTier
from shouhou.inbox.choices import Channel, Team, TicketCategory

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# China's public holidays and make-up workdays (调休) come from the maintained `holidays` package
# (sla.holidays): a calendar spec with "public_holidays": "CN" follows them for every year the package
# covers, and a shop corrects a year on the calendar page (/sla/calendars/<id>/<year>/).
PUBLIC_HOLIDAYS = "CN"


DESK_CALENDAR_NAME = "客服在线时间"
OFFICE_CALENDAR_NAME = "职能部门工作日"


def desk_calendar_spec(*, night_shift: bool = False) -> dict:
    """The front desk: every day 09:00–24:00 (live-stream shops sell on weekends and holidays).
    With the night shift the desk also covers 00:00–02:00, after the evening live sessions."""
    hours = ["00:00-02:00", "09:00-24:00"] if night_shift else ["09:00-24:00"]
    return {"weekly": {d: list(hours) for d in DAYS}, "holidays": [], "makeup_workdays": []}


def office_calendar_spec() -> dict:
    """Warehouse, quality, production, R&D: Monday–Friday 09:00–18:00, closed on public holidays,
    working the make-up weekend days."""
    return {"weekly": {d: ["09:00-18:00"] for d in DAYS[:5]}, "public_holidays": PUBLIC_HOLIDAYS, "holidays": [],
            "makeup_workdays": []}


@dataclass(frozen=True)
class PolicyDefault:
    name: str
    first: int | None
    next: int | None
    resolution: int | None
    channel: str = ""
    category: str = ""
    priority: int | None = None
    tier: str = ""
    warn: int = 2
    calendar: str | None = DESK_CALENDAR_NAME  # None: 7×24 (wall clock)
    position: int = 100


_H = 60
# Channel promises set the response targets; a blank target is taken from the next matching policy
# (see sla.policies.resolve_targets), so "return request" adds its 2 h / 48 h without loosening chat's 5 min.
DEFAULT_POLICIES: tuple[PolicyDefault, ...] = (
    PolicyDefault("安全问题（全天候）", 5, 10, 8 * _H, category=TicketCategory.SAFETY, warn=2, calendar=None,
                  position=10),
    PolicyDefault("安全问题·电话", 1, 5, None, category=TicketCategory.SAFETY, channel=Channel.PHONE, warn=0,
                  calendar=None, position=10),
    PolicyDefault("VIP 在线咨询", 2, 3, None, channel=Channel.WEB_CHAT, tier=MembershipTier.VIP, warn=1, position=20),
    PolicyDefault("VIP 平台私信", 2, 3, None, channel=Channel.SOCIAL_DM, tier=MembershipTier.VIP, warn=1, position=20),
    PolicyDefault("VIP 微信", 5, 5, None, channel=Channel.WECHAT, tier=MembershipTier.VIP, position=20),
    PolicyDefault("VIP 企业微信", 5, 5, None, channel=Channel.WECOM, tier=MembershipTier.VIP, position=20),
    PolicyDefault("VIP 私域社群", 5, 5, None, channel=Channel.PRIVATE_GROUP, tier=MembershipTier.VIP, position=20),
    PolicyDefault("电话（即时接听）", 1, 10, None, channel=Channel.PHONE, warn=0, position=30),
    PolicyDefault("在线咨询 5 分钟", 5, 5, None, channel=Channel.WEB_CHAT, warn=2, position=30),
    PolicyDefault("平台私信 5 分钟", 5, 5, None, channel=Channel.SOCIAL_DM, warn=2, position=30),
    PolicyDefault("微信 15 分钟", 15, 15, None, channel=Channel.WECHAT, warn=5, position=30),
    PolicyDefault("企业微信 15 分钟", 15, 15, None, channel=Channel.WECOM, warn=5, position=30),
    PolicyDefault("私域社群 15 分钟", 15, 15, None, channel=Channel.PRIVATE_GROUP, warn=5, position=30),
    PolicyDefault("社交评论", 60, 60, None, channel=Channel.SOCIAL_COMMENT, warn=10, position=30),
    PolicyDefault("邮件", 2 * _H, 4 * _H, None, channel=Channel.EMAIL, warn=15, position=30),
    PolicyDefault("评价回复", 12 * _H, 12 * _H, None, channel=Channel.REVIEW, warn=60, position=30),
    PolicyDefault("系统工单（物流异常等）", 2 * _H, 2 * _H, None, channel=Channel.SYSTEM, warn=15, position=30),
    PolicyDefault("退换货申请 2 小时答复 / 48 小时处理", 2 * _H, None, 48 * _H, category=TicketCategory.RETURN_REQUEST,
                  warn=15, calendar=None, position=40),
    PolicyDefault("VIP 会员 24 小时解决", None, None, 24 * _H, tier=MembershipTier.VIP, warn=5, position=50),
    PolicyDefault("默认", 60, 60, 48 * _H, warn=10, position=100),
)

MAX_TARGET_MINUTES = 366 * 24 * 60  # the longest target a policy may set (a year); longer is a typo

# Targets when a shop has no matching policy at all (e.g. before sla_defaults_install ran): minutes.
FALLBACK_TARGETS = {"first_response": 60, "next_response": 60, "resolution": 48 * _H}
FALLBACK_WARN_MINUTES = 2

# Escalations to departments: default due time in business minutes on the office calendar.
# A shop may override per department with shop.settings["escalation_minutes"] = {"warehouse": 120, ...}.
DEPARTMENT_TARGET_MINUTES: dict[str, int] = {
    Team.SERVICE: 2 * _H,
    Team.WAREHOUSE: 4 * _H,
    Team.LOGISTICS: 4 * _H,
    Team.QUALITY: 9 * _H,        # one office day
    Team.PRODUCTION: 18 * _H,    # two office days
    Team.RND: 45 * _H,           # one office week
}
