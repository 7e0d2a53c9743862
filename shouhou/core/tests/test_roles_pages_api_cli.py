"""The same role rule through the API (a token of each role), the CLI (`--as` each role) and the pages
(they offer only what the role may do, and refuse the rest). The services' own table is
test_roles_every_write.py; cases are in cases/tests/test_roles.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from shouhou.accounts.actors import SYSTEM
from shouhou.core.testing.factories import CustomerFactory
from shouhou.core.testing.roles import (
    ADMINS,
    STAFF_ROLES,
    SUPERVISORS,
    WRITERS,
    token_with_role,
    user_with_role,
)
from shouhou.core.tests.test_roles_every_write import _footprint, _shipment, _task, _ticket

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 18, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def _clock():
    import time_machine

    with time_machine.travel(NOW, tick=False):
        yield


def _policy_source():
    from shouhou.policies.document import default_source

    return default_source()


# name: (roles that may, method, path(shop) -> str, body(shop) -> dict)
API_WRITES = {
    "notifications.template": (ADMINS, "put", lambda s: "/api/notifications/templates",
                               lambda s: {"trigger": "order_placed", "channel": "sms",
                                          "body": "【{{shop_name}}】订单{{order_no}}已收到：{{service_contact}}"}),
    "logistics.rules": (ADMINS, "put", lambda s: "/api/logistics/rules", lambda s: {"no_movement_hours": 36}),
    "policies.publish": (ADMINS, "post", lambda s: "/api/policies/versions", lambda s: {"source": _policy_source()}),
    "sla.calendar": (SUPERVISORS, "post", lambda s: "/api/sla/calendars",
                     lambda s: {"name": "夜班", "spec": {"weekly": {"mon": ["20:00-23:00"]}}}),
    "inbox.reply": (WRITERS, "post", lambda s: f"/api/inbox/tickets/{_ticket(s).pk}/reply",
                    lambda s: {"body": "您好，已为您查询"}),
    "reviews.reply": (WRITERS, "post", lambda s: f"/api/reviews/tasks/{_task(s).pk}/reply",
                      lambda s: {"text": "非常抱歉，我们已联系您处理"}),
    "insight.action": (WRITERS, "post", lambda s: "/api/insight/actions", lambda s: {"finding": "包装易破"}),
    "logistics.sweep": (WRITERS, "post", lambda s: "/api/logistics/exceptions/sweep", lambda s: {}),
    "accounts.token": (ADMINS, "post", lambda s: "/api/accounts/tokens", lambda s: {"name": "ERP", "scopes": ["cases"]}),
    "reviews.ingest": (WRITERS, "post", lambda s: "/api/reviews/",
                       lambda s: {"items": [{"text": "发货太慢了", "platform": "douyin", "external_id": "dy-9"}]}),
    "reviews.community": (WRITERS, "post", lambda s: "/api/reviews/community/messages",
                          lambda s: [{"text": "面膜用了过敏", "external_id": "g-1", "group_id": "grp-1",
                                      "group_name": "福利群"}]),
    "logistics.tracking": (WRITERS, "post", lambda s: "/api/logistics/tracking",
                           lambda s: {"carrier": "SF", "tracking_no": _shipment(s).tracking_no,
                                      "events": [{"time": "2026-11-18T08:00:00+08:00", "status": "in_transit",
                                                  "description": "顺丰速运 已收取快件"}]}),
}


@pytest.mark.parametrize("role", [r for r in STAFF_ROLES if r != "outsider"])
@pytest.mark.parametrize("name", list(API_WRITES))
def test_api_write_with_a_token_of_each_role(name, role, shop):
    allowed, method, path, body = API_WRITES[name]
    url, payload = path(shop), body(shop)
    header = token_with_role(shop, role)
    before = _footprint()
    r = getattr(Client(), method)(url, payload, content_type="application/json", HTTP_AUTHORIZATION=header)
    if role in allowed:
        assert r.status_code in (200, 201), r.content
    else:
        assert r.status_code == 403, r.content
        assert _footprint() == before


@pytest.mark.parametrize("role", [r for r in STAFF_ROLES if r != "outsider"])
def test_api_review_import_with_a_token_of_each_role(role, shop):
    """A review file is an import (`data.import`), checked in reviews_ingest as well as at the edge."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from shouhou.reviews.models import Review

    upload = SimpleUploadedFile("reviews.csv", "review,external_id\n发货太慢了,dy-77\n".encode())
    r = Client().post("/api/reviews/import?platform=douyin", {"file": upload},
                      HTTP_AUTHORIZATION=token_with_role(shop, role))
    if role in SUPERVISORS:
        assert r.status_code == 201, r.content
        assert Review.objects.filter(shop=shop, external_id="dy-77").exists()
    else:
        assert r.status_code == 403, r.content
        assert not Review.objects.exists()


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_cli_import_as_each_role(role, shop, tmp_path):
    from shouhou.commerce.models import ImportJob
    from shouhou.commerce.tests.exports import write_csv

    user = user_with_role(shop, role)
    args = ["import_orders", str(write_csv(tmp_path / "o.csv")), "--shop", shop.code, "--as", user.username]
    if role in SUPERVISORS:
        call_command(*args, stdout=__import__("io").StringIO())
        assert ImportJob.objects.get().created_by == user
    else:
        with pytest.raises(CommandError, match="当前角色无权执行：导入数据"):
            call_command(*args)
        assert not ImportJob.objects.exists()


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_cli_token_create_and_revoke_as_each_role(role, shop):
    from io import StringIO

    from shouhou.accounts.models import ApiToken
    from shouhou.accounts.services import token_issue

    user = user_with_role(shop, role)
    existing = token_issue(shop=shop, name="旧令牌", scopes=["cases"], actor=SYSTEM).token
    create = ["token", "create", "--shop", shop.code, "--name", "ERP", "--scopes", "cases", "--as", user.username]
    revoke = ["token", "revoke", existing.prefix, "--as", user.username]
    if role in ADMINS:
        call_command(*create, stdout=StringIO(), stderr=StringIO())
        call_command(*revoke, stdout=StringIO())
        assert ApiToken.objects.filter(name="ERP").exists()
        assert ApiToken.objects.get(pk=existing.pk).revoked_at is not None
    else:
        with pytest.raises(CommandError, match="当前角色无权执行"):
            call_command(*create, stdout=StringIO(), stderr=StringIO())
        with pytest.raises(CommandError, match="当前角色无权执行"):
            call_command(*revoke, stdout=StringIO())
        assert not ApiToken.objects.filter(name="ERP").exists()
        assert ApiToken.objects.get(pk=existing.pk).revoked_at is None


def test_cli_needs_a_named_user_or_system(shop, tmp_path):
    from shouhou.commerce.tests.exports import write_csv

    with pytest.raises(CommandError, match="--as|--system"):
        call_command("import_orders", str(write_csv(tmp_path / "o.csv")), "--shop", shop.code)
    with pytest.raises(CommandError, match="没有名为 'ghost' 的有效用户"):
        call_command("import_orders", str(write_csv(tmp_path / "o.csv")), "--shop", shop.code, "--as", "ghost")


@pytest.mark.parametrize("role", [r for r in STAFF_ROLES if r != "outsider"])
def test_review_pages_offer_only_what_the_role_may_do(role, shop):
    from shouhou.reviews.models import RecoveryEvent
    from shouhou.reviews.services import ReviewInput, reviews_ingest

    task = _task(shop)
    good = reviews_ingest(shop=shop, actor=SYSTEM, items=[ReviewInput(text="非常好，推荐购买", rating=5)]).created[0]
    client = Client()
    client.force_login(user_with_role(shop, role))
    page = client.get(f"/reviews/tasks/{task.pk}/").content.decode()
    assert ('data-testid="reply-form"' in page) == (role in WRITERS)
    assert ('data-testid="remedy-form"' in page) == (role in WRITERS)
    assert (f'data-testid="showcase-{good.pk}"' in client.get("/reviews/good/").content.decode()) == (role in WRITERS)
    before = RecoveryEvent.objects.count()
    r = client.post(f"/reviews/tasks/{task.pk}/reply/", {"text": "非常抱歉，我们已联系您处理"})
    if role in WRITERS:
        assert r.status_code == 302 and RecoveryEvent.objects.count() == before + 1
    else:
        assert r.status_code == 403 and RecoveryEvent.objects.count() == before


@pytest.mark.parametrize("role", [r for r in STAFF_ROLES if r != "outsider"])
def test_desk_ticket_page_offers_replies_only_to_writers(role, shop):
    from shouhou.inbox.models import Message

    ticket = _ticket(shop)
    client = Client()
    client.force_login(user_with_role(shop, role))
    page = client.get(f"/desk/t/{ticket.pk}/").content.decode()
    assert (f"/desk/t/{ticket.pk}/act/reply/" in page) == (role in WRITERS)
    before = Message.objects.count()
    r = client.post(f"/desk/t/{ticket.pk}/act/reply/", {"body": "您好"})
    assert (Message.objects.count() == before + 1) == (role in WRITERS)
    assert r.status_code == (302 if role in WRITERS else 403)


@pytest.mark.parametrize("role", [r for r in STAFF_ROLES if r != "outsider"])
def test_improvement_action_page_offers_edits_only_to_writers(role, shop):
    from shouhou.insight.services import improvement_create

    action = improvement_create(shop=shop, actor=SYSTEM, finding="尺码偏小", metric="return")
    client = Client()
    client.force_login(user_with_role(shop, role))
    page = client.get(f"/insight/actions/{action.pk}/")
    assert page.status_code == 200
    r = client.post(f"/insight/actions/{action.pk}/status/", {"status": "in_progress"})
    action.refresh_from_db()
    assert (action.status == "in_progress") == (role in WRITERS)
    assert r.status_code == (302 if role in WRITERS else 403)


def test_a_customer_without_membership_cannot_call_staff_writes(shop):
    from django.core.exceptions import PermissionDenied

    from shouhou.accounts.actors import CustomerActor
    from shouhou.inbox.services import ticket_reply

    with pytest.raises(PermissionDenied):
        ticket_reply(ticket=_ticket(shop), author=CustomerActor(), body="我是顾客")
    assert CustomerFactory  # the factory module is importable for the tables above
