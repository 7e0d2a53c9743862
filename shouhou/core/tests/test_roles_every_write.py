"""Every staff write outside cases, as every role, through its service (issue 15: role checks belong in
the services, so pages, API and CLI all get them). Each row names the roles that may; the others get
PermissionDenied and nothing is written. `None` (no actor) is refused everywhere; SYSTEM passes.
Cases have their own table (cases/tests/test_roles.py); the pages, API and CLI of these writes are
covered in test_roles_pages_api_cli.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from shouhou.accounts.actors import SYSTEM
from shouhou.core.models import AuditEvent
from shouhou.core.testing.factories import CustomerFactory, UserFactory
from shouhou.core.testing.roles import ADMINS, STAFF_ROLES, SUPERVISORS, WRITERS, user_with_role

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 18, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))  # a Wednesday


@pytest.fixture(autouse=True)
def _clock():
    import time_machine

    with time_machine.travel(NOW, tick=False):
        yield


def _ticket(shop):
    from shouhou.inbox.choices import Channel
    from shouhou.inbox.services import message_receive
    from shouhou.sla.services import sla_defaults_install

    sla_defaults_install(shop=shop)
    received = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="衣服起球了怎么办",
                               customer=CustomerFactory(shop=shop))
    return received.ticket


def _escalation(shop):
    from shouhou.inbox.services import ticket_escalate

    return ticket_escalate(ticket=_ticket(shop), department="warehouse", request="查一下库存", actor=SYSTEM)


def _task(shop):
    from shouhou.reviews.models import RecoveryTask
    from shouhou.reviews.services import ReviewInput, reviews_ingest

    review = reviews_ingest(shop=shop, actor=SYSTEM, items=[ReviewInput(text="质量太差了，一洗就掉色，差评", rating=1)]).created[0]
    return RecoveryTask.objects.get(review=review)


def _good_review(shop):
    from shouhou.reviews.services import ReviewInput, reviews_ingest

    return reviews_ingest(shop=shop, actor=SYSTEM, items=[ReviewInput(text="非常好，推荐购买", rating=5)]).created[0]


def _referral(shop):
    from shouhou.core.testing.factories import OrderFactory

    referrer, friend = CustomerFactory(shop=shop), CustomerFactory(shop=shop)
    return {"referrer": referrer, "friend": friend, "order": OrderFactory(shop=shop, customer=friend)}


def _calendar(shop):
    from shouhou.sla.defaults import office_calendar_spec
    from shouhou.sla.models import BusinessCalendar

    return BusinessCalendar.objects.create(shop=shop, name="办公", spec=office_calendar_spec())


def _csv(tmp_path):
    from shouhou.commerce.tests.exports import write_csv

    return write_csv(tmp_path / "orders.csv")


def _improvement(shop):
    from shouhou.insight.services import improvement_create

    return improvement_create(shop=shop, actor=SYSTEM, finding="尺码偏小", metric="return")


def _member(shop):
    from shouhou.accounts.models import Membership

    return Membership.objects.create(shop=shop, user=UserFactory(username="newbie"), role="agent")


def _shipment(shop, tracking_no="SF7001"):
    from shouhou.commerce.choices import ShipmentStatus
    from shouhou.core.testing.factories import OrderFactory, ShipmentFactory

    order = OrderFactory(shop=shop, delivered_at=None, status="shipped")
    return ShipmentFactory(order=order, carrier="SF", tracking_no=tracking_no, status=ShipmentStatus.PENDING,
                           shipped_at=None, signed_at=None, last_event_at=None)


def _events():
    from shouhou.logistics.services import Event

    return [Event(occurred_at=NOW - dt.timedelta(hours=2), status="in_transit", description="顺丰速运 已收取快件")]


def _kuaidi100_param(shop):
    import json

    _shipment(shop)
    when = (NOW - dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    return json.dumps({"status": "polling", "message": "", "lastResult": {
        "message": "ok", "state": "0", "status": "200", "ischeck": "0", "com": "shunfeng", "nu": "SF7001",
        "data": [{"context": "快件已到达【上海转运中心】", "time": when, "ftime": when, "status": "在途",
                  "statusCode": "1002", "areaName": "上海市"}]}}, ensure_ascii=False)


def _review_items():
    from shouhou.reviews.services import ReviewInput

    return [ReviewInput(text="发货太慢了，等了一周", platform="douyin", external_id="dy-1", rating=2)]


def _token(shop):
    from shouhou.accounts.services import token_issue

    return token_issue(shop=shop, name="仓库", scopes=["cases"], actor=SYSTEM).token


# name: (roles that may, build(shop, tmp_path) -> object, call(object, shop, actor))
WRITES = {
    "inbox.reply": (WRITERS, lambda s, t: _ticket(s),
                    lambda o, s, a: __import__("shouhou.inbox.services", fromlist=["x"]).ticket_reply(
                        ticket=o, author=a, body="您好，已为您查询")),
    "inbox.note": (WRITERS, lambda s, t: _ticket(s),
                   lambda o, s, a: __import__("shouhou.inbox.services", fromlist=["x"]).ticket_note(
                       ticket=o, author=a, body="内部备注")),
    "inbox.assign": (WRITERS, lambda s, t: (_ticket(s), _member(s).user),
                     lambda o, s, a: __import__("shouhou.inbox.services", fromlist=["x"]).ticket_assign(
                         ticket=o[0], agent=o[1], actor=a)),
    "inbox.status": (WRITERS, lambda s, t: _ticket(s),
                     lambda o, s, a: __import__("shouhou.inbox.services", fromlist=["x"]).ticket_set_status(
                         ticket=o, status="pending_customer", actor=a)),
    "inbox.priority": (WRITERS, lambda s, t: _ticket(s),
                       lambda o, s, a: __import__("shouhou.inbox.services", fromlist=["x"]).ticket_set_priority(
                           ticket=o, priority=1 if o.priority != 1 else 4, actor=a)),
    "inbox.escalate": (WRITERS, lambda s, t: _ticket(s),
                       lambda o, s, a: __import__("shouhou.inbox.services", fromlist=["x"]).ticket_escalate(
                           ticket=o, department="quality", request="请质检", actor=a)),
    "inbox.escalation_update": (WRITERS, lambda s, t: _escalation(s),
                                lambda o, s, a: __import__("shouhou.inbox.services", fromlist=["x"])
                                .escalation_update_add(escalation=o, author=a, note="已在查")),
    "inbox.escalation_close": (WRITERS, lambda s, t: _escalation(s),
                               lambda o, s, a: __import__("shouhou.inbox.services", fromlist=["x"])
                               .escalation_close(escalation=o, actor=a)),
    "inbox.phone_call": (WRITERS, lambda s, t: CustomerFactory(shop=s),
                         lambda o, s, a: __import__("shouhou.inbox.channels.phone", fromlist=["x"]).phone_call_log(
                             shop=s, agent=a, summary="问发货时间", customer=o, duration_seconds=30)),
    "reviews.reply_public": (WRITERS, lambda s, t: _task(s),
                             lambda o, s, a: __import__("shouhou.reviews.services", fromlist=["x"])
                             .recovery_reply_public(task=o, text="非常抱歉，我们已联系您处理", actor=a)),
    "reviews.contact": (WRITERS, lambda s, t: _task(s),
                        lambda o, s, a: __import__("shouhou.reviews.services", fromlist=["x"]).recovery_contact(
                            task=o, note="电话联系了顾客", actor=a)),
    "reviews.remedy": (WRITERS, lambda s, t: _task(s),
                       lambda o, s, a: __import__("shouhou.reviews.services", fromlist=["x"]).recovery_set_remedy(
                           task=o, remedy="explanation", actor=a)),
    "reviews.close": (WRITERS, lambda s, t: _task(s),
                      lambda o, s, a: __import__("shouhou.reviews.services", fromlist=["x"]).recovery_close(
                          task=o, outcome="no_answer", actor=a)),
    "reviews.assign": (WRITERS, lambda s, t: _task(s),
                       lambda o, s, a: __import__("shouhou.reviews.services", fromlist=["x"]).recovery_assign(
                           task=o, assignee=None, actor=a)),
    "reviews.showcase": (WRITERS, lambda s, t: _good_review(s),
                         lambda o, s, a: __import__("shouhou.reviews.services", fromlist=["x"]).review_showcase_set(
                             review=o, showcased=True, actor=a)),
    "reviews.referral": (WRITERS, lambda s, t: _referral(s),
                         lambda o, s, a: __import__("shouhou.reviews.services", fromlist=["x"])
                         .referral_reward_record(shop=s, kind="points", points=5, actor=a, **o)),
    "sla.defaults": (SUPERVISORS, lambda s, t: None,
                     lambda o, s, a: __import__("shouhou.sla.services", fromlist=["x"]).sla_defaults_apply(
                         shop=s, actor=a)),
    "notifications.template": (ADMINS, lambda s, t: None,
                               lambda o, s, a: __import__("shouhou.notifications.services", fromlist=["x"])
                               .template_save(shop=s, trigger="order_placed", channel="sms", actor=a,
                                              body="【{{shop_name}}】订单{{order_no}}已收到：{{service_contact}}")),
    "policies.publish": (ADMINS, lambda s, t: None,
                         lambda o, s, a: __import__("shouhou.policies.services", fromlist=["x"]).policy_publish(
                             shop=s, actor=a, source=__import__("shouhou.policies.document", fromlist=["x"])
                             .default_source())),
    "logistics.rules": (ADMINS, lambda s, t: None,
                        lambda o, s, a: __import__("shouhou.logistics.services", fromlist=["x"]).rules_save(
                            shop=s, values={"no_movement_hours": 36}, actor=a)),
    "sla.calendar_day": (SUPERVISORS, lambda s, t: _calendar(s),
                         lambda o, s, a: __import__("shouhou.sla.services", fromlist=["x"]).calendar_day_set(
                             calendar=o, actor=a, day=dt.date(2027, 2, 20), kind="makeup_workday", on=True)),
    "sla.public_holidays": (SUPERVISORS, lambda s, t: _calendar(s),
                            lambda o, s, a: __import__("shouhou.sla.services", fromlist=["x"])
                            .calendar_follow_public_holidays(calendar=o, actor=a)),
    "team.agent_profile": (SUPERVISORS, lambda s, t: _member(s).user,
                           lambda o, s, a: __import__("shouhou.desk.team", fromlist=["x"]).agent_profile_create(
                               shop=s, user=o, actor=a)),
    "team.shift": (SUPERVISORS,
                   lambda s, t: __import__("shouhou.desk.team", fromlist=["x"]).agent_profile_create(
                       shop=s, user=_member(s).user, actor=SYSTEM),
                   lambda o, s, a: __import__("shouhou.desk.team", fromlist=["x"]).shift_create(
                       shop=s, agent=o, starts_at=NOW, ends_at=NOW + dt.timedelta(hours=8), actor=a)),
    "team.calendar": (SUPERVISORS, lambda s, t: None,
                      lambda o, s, a: __import__("shouhou.desk.team", fromlist=["x"]).calendar_save(
                          shop=s, name="夜班", spec={"weekly": {"mon": ["20:00-23:00"]}}, actor=a)),
    "team.sla_policy": (SUPERVISORS, lambda s, t: None,
                        lambda o, s, a: __import__("shouhou.desk.team", fromlist=["x"]).sla_policy_save(
                            shop=s, name="加急", first_response_minutes=5, actor=a)),
    "insight.action_create": (WRITERS, lambda s, t: None,
                              lambda o, s, a: __import__("shouhou.insight.services", fromlist=["x"])
                              .improvement_create(shop=s, actor=a, finding="包装易破", metric="return")),
    "insight.action_update": (WRITERS, lambda s, t: _improvement(s),
                              lambda o, s, a: __import__("shouhou.insight.services", fromlist=["x"])
                              .improvement_update(action=o, actor=a, finding="尺码偏小一码")),
    "insight.action_status": (WRITERS, lambda s, t: _improvement(s),
                              lambda o, s, a: __import__("shouhou.insight.services", fromlist=["x"])
                              .improvement_set_status(action=o, status="in_progress", actor=a)),
    "insight.action_announce": (WRITERS, lambda s, t: _improvement(s),
                                lambda o, s, a: __import__("shouhou.insight.services", fromlist=["x"])
                                .improvement_announce(action=o, actor=a, text="新批次已加大尺码")),
    "insight.action_delete": (WRITERS, lambda s, t: _improvement(s),
                              lambda o, s, a: __import__("shouhou.insight.services", fromlist=["x"])
                              .improvement_delete(action=o, actor=a)),
    "commerce.import_file": (SUPERVISORS, lambda s, t: _csv(t),
                             lambda o, s, a: __import__("shouhou.commerce.services", fromlist=["x"]).orders_import(
                                 shop=s, path=o, actor=a)),
    "commerce.import_upload": (SUPERVISORS, lambda s, t: _csv(t),
                               lambda o, s, a: __import__("shouhou.commerce.services", fromlist=["x"])
                               .import_job_submit(shop=s, actor=a,
                                                  upload=SimpleUploadedFile("orders.csv", o.read_bytes()))),
    "accounts.token_issue": (ADMINS, lambda s, t: None,
                             lambda o, s, a: __import__("shouhou.accounts.services", fromlist=["x"]).token_issue(
                                 shop=s, name="ERP", scopes=["cases"], actor=a)),
    "accounts.token_revoke": (ADMINS, lambda s, t: _token(s),
                              lambda o, s, a: __import__("shouhou.accounts.services", fromlist=["x"]).token_revoke(
                                  token=o, actor=a)),
    "accounts.membership_set": (ADMINS, lambda s, t: _member(s),
                                lambda o, s, a: __import__("shouhou.accounts.services", fromlist=["x"])
                                .membership_set(user=o.user, shop=s, role="supervisor", actor=a)),
    "accounts.membership_remove": (ADMINS, lambda s, t: _member(s),
                                   lambda o, s, a: __import__("shouhou.accounts.services", fromlist=["x"])
                                   .membership_remove(membership=o, actor=a)),
    "accounts.retention": (ADMINS, lambda s, t: None,
                           lambda o, s, a: __import__("shouhou.accounts.services", fromlist=["x"])
                           .shop_retention_set(shop=s, days=200, actor=a)),
    # Data intake: reviews handed in (API, community messages, a file) and tracking pushes. Webhooks run
    # them as SystemActor(their channel); the API as its principal, whose role the service checks.
    "reviews.ingest_api": (WRITERS, lambda s, t: _review_items(),
                           lambda o, s, a: __import__("shouhou.reviews.services", fromlist=["x"]).reviews_ingest(
                               shop=s, items=o, actor=a, source="api")),
    "reviews.ingest_import": (SUPERVISORS, lambda s, t: _review_items(),
                              lambda o, s, a: __import__("shouhou.reviews.services", fromlist=["x"]).reviews_ingest(
                                  shop=s, items=o, actor=a, source="import")),
    "reviews.review_create": (WRITERS, lambda s, t: None,
                              lambda o, s, a: __import__("shouhou.reviews.services", fromlist=["x"]).review_create(
                                  shop=s, text="质量太差了", actor=a, platform="douyin", external_id="dy-2")),
    "logistics.tracking_push": (WRITERS, lambda s, t: _shipment(s),
                                lambda o, s, a: __import__("shouhou.logistics.services", fromlist=["x"])
                                .tracking_ingest(shop=s, carrier="SF", tracking_no=o.tracking_no, events=_events(),
                                                 source="api", actor=a)),
    "logistics.tracking_batch": (WRITERS, lambda s, t: _shipment(s),
                                 lambda o, s, a: __import__("shouhou.logistics.services", fromlist=["x"])
                                 .tracking_ingest_many(shop=s, pushes=[("SF", o.tracking_no, _events())],
                                                       source="batch", actor=a)),
    "logistics.kuaidi100_push": (WRITERS, lambda s, t: _kuaidi100_param(s),
                                 lambda o, s, a: __import__("shouhou.logistics.subscriptions", fromlist=["x"])
                                 .kuaidi100_push_receive(shop=s, param=o, actor=a)),
}


def _footprint() -> tuple:
    """Rows in every table the writes touch: a refused write leaves them all as they were."""
    from django.apps import apps

    counts = []
    for label in ("inbox.Message", "inbox.TicketEvent", "inbox.Escalation", "inbox.EscalationUpdate", "inbox.Ticket",
                  "reviews.RecoveryEvent", "notifications.MessageTemplate", "policies.PolicyVersion",
                  "logistics.ExceptionRuleSet", "inbox.AgentProfile", "inbox.Shift", "sla.BusinessCalendar",
                  "sla.SlaPolicy", "insight.ImprovementAction", "commerce.ImportJob", "accounts.ApiToken",
                  "accounts.Membership", "reviews.ReferralReward", "reviews.Review", "logistics.TrackingEvent",
                  "logistics.KeptTrackingPush", "logistics.LogisticsException"):
        counts.append(apps.get_model(label).objects.count())
    return (*counts, AuditEvent.objects.count())


@pytest.mark.parametrize("role", STAFF_ROLES)
@pytest.mark.parametrize("name", list(WRITES))
def test_every_write_as_every_role(name, role, shop, tmp_path):
    allowed, build, call = WRITES[name]
    obj = build(shop, tmp_path)
    actor = user_with_role(shop, role)
    before = _footprint()
    if role in allowed:
        call(obj, shop, actor)
    else:
        with pytest.raises(PermissionDenied, match="当前角色无权执行"):
            call(obj, shop, actor)
        assert _footprint() == before


@pytest.mark.parametrize("name", list(WRITES))
def test_no_actor_is_refused_and_system_passes(name, shop, tmp_path):
    allowed, build, call = WRITES[name]
    obj = build(shop, tmp_path)
    before = _footprint()
    with pytest.raises(PermissionDenied, match="未指明操作人"):
        call(obj, shop, None)
    assert _footprint() == before
    call(obj, shop, SYSTEM)


def test_a_money_remedy_over_the_agents_limit_still_needs_a_supervisor(shop):
    from shouhou.reviews.services import ReviewRefused, recovery_set_remedy

    task = _task(shop)
    with pytest.raises(ReviewRefused, match="超过您的审批额度"):
        recovery_set_remedy(task=task, remedy="refund", amount=Decimal("500"), actor=user_with_role(shop, "agent"),
                            override_misunderstanding=True)
