"""Which targets apply: the shipped defaults per channel / category / tier, and the specificity rule."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from shouhou.commerce.choices import MembershipTier
from shouhou.inbox.choices import Channel, Priority, TicketCategory
from shouhou.sla.calendar import always_open
from shouhou.sla.defaults import DEFAULT_POLICIES, DESK_CALENDAR_NAME, FALLBACK_TARGETS
from shouhou.sla.models import BusinessCalendar, SlaPolicy
from shouhou.sla.policies import rank_policies, resolve_targets, shop_sla_config
from shouhou.sla.services import sla_defaults_install

C, T = Channel, TicketCategory
WALL = "7×24"
DESK = DESK_CALENDAR_NAME


def _minutes(targets, name):
    return targets.get(name).seconds // 60


@pytest.fixture
def installed(shop):
    sla_defaults_install(shop=shop)
    return shop_sla_config(shop)


# channel, category, tier → winning policy, first, next, resolution (minutes), calendar of the first target
DEFAULT_CASES = [
    (C.WEB_CHAT, T.USAGE, "", "在线咨询 5 分钟", 5, 5, 48 * 60, DESK),
    (C.SOCIAL_DM, T.LOGISTICS, "", "平台私信 5 分钟", 5, 5, 48 * 60, DESK),
    (C.PHONE, T.OTHER, "", "电话（即时接听）", 1, 10, 48 * 60, DESK),
    (C.WECHAT, T.USAGE, "", "微信 15 分钟", 15, 15, 48 * 60, DESK),
    (C.WECOM, T.USAGE, "", "企业微信 15 分钟", 15, 15, 48 * 60, DESK),
    (C.PRIVATE_GROUP, T.USAGE, "", "私域社群 15 分钟", 15, 15, 48 * 60, DESK),
    # a return request keeps the channel's answer time and adds its 48 h decision (wall clock)
    (C.WEB_CHAT, T.RETURN_REQUEST, "", "在线咨询 5 分钟", 5, 5, 48 * 60, DESK),
    # no channel promise (system tickets answer in 2 h too): 2 h answer on desk hours
    (C.SYSTEM, T.RETURN_REQUEST, "", "系统工单（物流异常等）", 120, 120, 48 * 60, DESK),
    # VIP: stricter answers, resolution within 24 h
    (C.WEB_CHAT, T.USAGE, MembershipTier.VIP, "VIP 在线咨询", 2, 3, 24 * 60, DESK),
    (C.WECHAT, T.USAGE, MembershipTier.VIP, "VIP 微信", 5, 5, 24 * 60, DESK),
    (C.EMAIL, T.USAGE, MembershipTier.VIP, "邮件", 120, 240, 24 * 60, DESK),
    # safety: around the clock, phone at once
    (C.WEB_CHAT, T.SAFETY, "", "安全问题（全天候）", 5, 10, 8 * 60, WALL),
    (C.PHONE, T.SAFETY, "", "安全问题·电话", 1, 5, 8 * 60, WALL),
    # gold is not VIP: the plain channel promise
    (C.WEB_CHAT, T.USAGE, MembershipTier.GOLD, "在线咨询 5 分钟", 5, 5, 48 * 60, DESK),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("channel", "category", "tier", "winner", "first", "nxt", "resolution", "calendar"),
                         DEFAULT_CASES)
def test_default_targets(installed, channel, category, tier, winner, first, nxt, resolution, calendar):
    policies, default_calendar = installed
    targets = resolve_targets(policies=policies, default_calendar=default_calendar, channel=channel,
                              category=category, priority=Priority.NORMAL, tier=tier)
    by_id = {p.pk: p for p in policies}
    assert by_id[targets.policy_id].name == winner
    assert (_minutes(targets, "first_response"), _minutes(targets, "next_response"),
            _minutes(targets, "resolution")) == (first, nxt, resolution)
    first_policy = by_id[targets.first_response.policy_id]
    assert (first_policy.calendar.name if first_policy.calendar else WALL) == calendar


@pytest.mark.django_db
def test_return_request_resolution_is_48_hours_on_the_wall_clock(installed):
    policies, default_calendar = installed
    targets = resolve_targets(policies=policies, default_calendar=default_calendar, channel=C.WEB_CHAT,
                              category=T.RETURN_REQUEST, priority=Priority.NORMAL, tier="")
    by_id = {p.pk: p for p in policies}
    assert by_id[targets.resolution.policy_id].name.startswith("退换货申请")
    assert targets.resolution.calendar == always_open()


@pytest.mark.django_db
def test_install_is_idempotent_and_keeps_edits(shop):
    sla_defaults_install(shop=shop)
    SlaPolicy.objects.filter(shop=shop, name="在线咨询 5 分钟").update(first_response_minutes=3)
    sla_defaults_install(shop=shop)
    assert SlaPolicy.objects.filter(shop=shop).count() == len(DEFAULT_POLICIES)
    assert BusinessCalendar.objects.filter(shop=shop).count() == 2
    assert BusinessCalendar.objects.get(shop=shop, is_default=True).name == DESK_CALENDAR_NAME
    assert SlaPolicy.objects.get(shop=shop, name="在线咨询 5 分钟").first_response_minutes == 3


@pytest.mark.django_db
def test_night_shift_install_opens_the_desk_after_midnight(shop):
    sla_defaults_install(shop=shop, night_shift=True)
    spec = BusinessCalendar.objects.get(shop=shop, name=DESK_CALENDAR_NAME).spec
    assert spec["weekly"]["mon"] == ["00:00-02:00", "09:00-24:00"]


def policy(pk, *, channel="", category="", priority=None, tier="", first=None, nxt=None, resolution=None,
           position=100, active=True):
    return SimpleNamespace(pk=pk, channel=channel, category=category, priority=priority, tier=tier,
                           first_response_minutes=first, next_response_minutes=nxt, resolution_minutes=resolution,
                           warn_before_minutes=pk, calendar=None, position=position, is_active=active)


def test_most_specific_wins_then_position_then_id():
    rows = [policy(1, first=60, nxt=60, resolution=600, position=1),
            policy(2, channel=C.WEB_CHAT, first=5, position=50),
            policy(3, channel=C.WEB_CHAT, category=T.QUALITY, first=3, position=90),
            policy(4, channel=C.WEB_CHAT, category=T.QUALITY, first=4, position=90),
            policy(5, channel=C.WEB_CHAT, category=T.QUALITY, priority=Priority.URGENT, first=1, position=99,
                   active=False),
            policy(6, channel=C.PHONE, first=1)]
    ranked = rank_policies(rows, channel=C.WEB_CHAT, category=T.QUALITY, priority=Priority.URGENT, tier="")
    assert [p.pk for p in ranked] == [3, 4, 2, 1]   # 5 inactive, 6 another channel
    t = resolve_targets(policies=rows, default_calendar=None, channel=C.WEB_CHAT, category=T.QUALITY,
                        priority=Priority.URGENT, tier="")
    assert (t.policy_id, t.warn_before_minutes) == (3, 3)
    assert (t.first_response.seconds, t.first_response.policy_id) == (180, 3)
    # blank targets come from the next matching policy that has one
    assert (t.next_response.seconds, t.next_response.policy_id) == (3600, 1)
    assert (t.resolution.seconds, t.resolution.policy_id) == (36000, 1)


def test_priority_and_tier_matchers():
    rows = [policy(1, priority=Priority.URGENT, first=2), policy(2, tier=MembershipTier.VIP, first=3),
            policy(3, first=30)]
    def first(priority, tier):
        return resolve_targets(policies=rows, default_calendar=None, channel=C.EMAIL, category=T.OTHER,
                               priority=priority, tier=tier).first_response.seconds // 60
    assert first(Priority.URGENT, "") == 2
    assert first(Priority.NORMAL, MembershipTier.VIP) == 3
    assert first(Priority.NORMAL, "") == 30


def test_no_policy_at_all_uses_the_fallback_on_the_default_calendar():
    row = SimpleNamespace(pk=987654, spec={"weekly": {"mon": ["09:00-18:00"]}}, updated_at="x")
    t = resolve_targets(policies=[], default_calendar=row, channel=C.EMAIL, category=T.OTHER, priority=None,
                        tier="")
    assert t.policy_id is None
    assert t.first_response.seconds == FALLBACK_TARGETS["first_response"] * 60
    assert t.first_response.calendar.weekly == {0: ((540, 1080),)}
