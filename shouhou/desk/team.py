"""Team and SLA configuration writes used by the workbench API: agent profiles, shifts (the rota),
business calendars and SLA policies. Each validates its input and raises ConfigError naming the field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from shouhou.accounts.actors import require_role
from shouhou.accounts.permissions import TEAM_MANAGE
from shouhou.commerce.choices import Category, MembershipTier
from shouhou.inbox.choices import Channel, Priority, TicketCategory
from shouhou.inbox.models import AgentProfile, Shift
from shouhou.sla.calendar import CalendarError, calendar_from_spec
from shouhou.sla.models import BusinessCalendar, SlaPolicy

MAX_SHIFT = dt.timedelta(hours=24)
SPEC_KEYS = {"weekly", "holidays", "makeup_workdays", "makeup_weekday", "public_holidays", "holidays_removed",
             "makeup_workdays_removed"}


class ConfigError(ValueError):
    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.field = field


def _values_in(values: Sequence[str], allowed, *, field: str, label: str) -> list[str]:
    out = []
    for i, value in enumerate(values):
        if value not in allowed:
            raise ConfigError(f"{field}[{i}]: 未知的{label}「{value}」", field=f"{field}[{i}]")
        if value not in out:
            out.append(value)
    return out


@transaction.atomic
def agent_profile_create(*, shop, user, actor, skills: Sequence[str] = (), channels: Sequence[str] = (),
                         capacity: int = 8, accepting: bool = True) -> AgentProfile:
    """An agent's routing facts in this shop; the user must be a member of the shop."""
    from shouhou.accounts.models import Membership

    require_role(actor, shop, TEAM_MANAGE)
    if user is None or not Membership.objects.filter(shop=shop, user=user).exists():
        raise ConfigError("该用户不是本店铺的成员", field="username")
    if AgentProfile.objects.filter(shop=shop, user=user).exists():
        raise ConfigError(f"「{user.get_username()}」已有客服资料", field="username")
    if not 1 <= capacity <= 200:
        raise ConfigError("同时处理上限应为 1–200", field="capacity")
    return AgentProfile.objects.create(
        shop=shop, user=user, capacity=capacity, accepting=accepting,
        skills=_values_in(skills, Category.values, field="skills", label="商品类目"),
        channels=_values_in(channels, Channel.values, field="channels", label="渠道"))


@transaction.atomic
def shift_create(*, shop, agent: AgentProfile, starts_at: dt.datetime, ends_at: dt.datetime, actor,
                 label: str = "") -> Shift:
    """One on-duty interval; a night shift crosses midnight. At most 24 hours, no overlap for the agent."""
    require_role(actor, shop, TEAM_MANAGE)
    if agent.shop_id != shop.pk:
        raise ConfigError("客服不属于本店铺", field="agent_profile_id")
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ConfigError("时间须带时区，如 2026-11-11T22:00:00+08:00", field="starts_at")
    if ends_at <= starts_at:
        raise ConfigError("结束时间须晚于开始时间（夜班请把结束写成次日的时间）", field="ends_at")
    if ends_at - starts_at > MAX_SHIFT:
        raise ConfigError("一个班次最长 24 小时", field="ends_at")
    if Shift.objects.filter(shop=shop, agent=agent, starts_at__lt=ends_at, ends_at__gt=starts_at).exists():
        raise ConfigError("与该客服已有的班次重叠", field="starts_at")
    return Shift.objects.create(shop=shop, agent=agent, starts_at=starts_at, ends_at=ends_at, label=label[:30])


def calendar_spec_check(spec: Any) -> dict:
    """The spec's shape, then its content (sla.calendar); errors name the place, e.g. spec.weekly.sat[0]."""
    if not isinstance(spec, Mapping):
        raise ConfigError("spec: 应为对象", field="spec")
    unknown = sorted(set(spec) - SPEC_KEYS)
    if unknown:
        raise ConfigError(f"spec.{unknown[0]}: 未知的字段（可用 {', '.join(sorted(SPEC_KEYS))}）",
                          field=f"spec.{unknown[0]}")
    weekly = spec.get("weekly", {})
    if not isinstance(weekly, Mapping):
        raise ConfigError("spec.weekly: 应为对象，如 {\"mon\": [\"09:00-18:00\"]}", field="spec.weekly")
    for day, ranges in weekly.items():
        if not isinstance(ranges, list) or not all(isinstance(r, str) for r in ranges):
            raise ConfigError(f"spec.weekly.{day}: 应为时间段列表，如 [\"09:00-18:00\"]", field=f"spec.weekly.{day}")
    for key in ("holidays", "makeup_workdays", "holidays_removed", "makeup_workdays_removed"):
        if key in spec and not isinstance(spec[key], list):
            raise ConfigError(f"spec.{key}: 应为日期列表", field=f"spec.{key}")
    if "makeup_weekday" in spec and (not isinstance(spec["makeup_weekday"], int)
                                     or not 0 <= spec["makeup_weekday"] <= 6):
        raise ConfigError("spec.makeup_weekday: 应为 0（周一）到 6（周日）", field="spec.makeup_weekday")
    try:
        calendar_from_spec(spec)
    except CalendarError as exc:
        where = str(exc).split(":", 1)[0].strip()
        raise ConfigError(f"spec.{exc}", field=f"spec.{where}") from exc
    return dict(spec)


@transaction.atomic
def calendar_save(*, shop, name: str, spec: Any, actor, is_default: bool = False,
                  calendar: BusinessCalendar | None = None) -> BusinessCalendar:
    require_role(actor, shop, TEAM_MANAGE)
    name = (name or "").strip()
    if not name:
        raise ConfigError("请填写名称", field="name")
    spec = calendar_spec_check(spec)
    if calendar is None:
        calendar = BusinessCalendar(shop=shop)
    elif calendar.shop_id != shop.pk:
        raise ConfigError("日历不属于本店铺", field="business_calendar_id")
    calendar.name, calendar.spec, calendar.is_default = name[:100], spec, is_default
    calendar.save()
    if is_default:
        BusinessCalendar.objects.filter(shop=shop, is_default=True).exclude(pk=calendar.pk).update(is_default=False)
    return calendar


def _choice(value: str, allowed, *, field: str, label: str) -> str:
    if value and value not in allowed:
        raise ConfigError(f"未知的{label}「{value}」", field=field)
    return value


@transaction.atomic
def sla_policy_save(*, shop, name: str, channel: str = "", category: str = "", priority: int | None = None,
                    tier: str = "", first_response_minutes: int | None = None, next_response_minutes: int | None = None,
                    resolution_minutes: int | None = None, warn_before_minutes: int = 2, calendar_id: int | None = None,
                    is_active: bool = True, position: int = 100, policy: SlaPolicy | None = None,
                    actor) -> SlaPolicy:
    require_role(actor, shop, TEAM_MANAGE)
    name = (name or "").strip()
    if not name:
        raise ConfigError("请填写名称", field="name")
    _choice(channel, Channel.values, field="channel", label="渠道")
    _choice(category, TicketCategory.values, field="category", label="工单分类")
    _choice(tier, MembershipTier.values, field="tier", label="会员等级")
    if priority is not None and priority not in Priority.values:
        raise ConfigError("优先级应为 1（紧急）到 4（低）", field="priority")
    if first_response_minutes is None and next_response_minutes is None and resolution_minutes is None:
        raise ConfigError("至少填写一个时限（首次响应、再次响应或解决）", field="first_response_minutes")
    calendar = None
    if calendar_id is not None:
        calendar = BusinessCalendar.objects.filter(shop=shop, pk=calendar_id).first()
        if calendar is None:
            raise ConfigError("工作日历不存在", field="calendar_id")
    if policy is None:
        policy = SlaPolicy(shop=shop)
    elif policy.shop_id != shop.pk:
        raise ConfigError("策略不属于本店铺", field="sla_policy_id")
    for attr, value in {
        "name": name[:100], "channel": channel, "category": category, "priority": priority, "tier": tier,
        "first_response_minutes": first_response_minutes, "next_response_minutes": next_response_minutes,
        "resolution_minutes": resolution_minutes, "warn_before_minutes": warn_before_minutes, "calendar": calendar,
        "is_active": is_active, "position": position,
    }.items():
        setattr(policy, attr, value)
    policy.save()
    return policy
