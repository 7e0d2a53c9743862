"""Customer links (case follow, web chat) expire, can be revoked by staff, and a dead link shows the
customer a plain page saying what to do; a link signed with the key once printed in the source is
refused (it could cancel any customer's case; issue 15)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.core import signing
from django.core.cache import cache

from shouhou.accounts.choices import Role
from shouhou.cases.choices import CaseStatus
from shouhou.cases.models import Case
from shouhou.cases.tests.factories import JPEG, photo
from shouhou.commerce.choices import Category
from shouhou.core.models import AuditEvent, LinkRevocation
from shouhou.core.testing.factories import (
    CustomerFactory,
    MembershipFactory,
    OrderLineFactory,
    ProductFactory,
    UserFactory,
)
from shouhou.desk.tests.factories import ConversationFactory
from shouhou.inbox.channels.webchat import chat_token

TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 11, 6, 10, 0, tzinfo=TZ)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock():
    cache.clear()
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller
    cache.clear()


@pytest.fixture
def filed(client, shop):
    """A return filed by the customer on the portal: (case, follow URL)."""
    customer = CustomerFactory(shop=shop, phone="13912345678", phone_last4="5678")
    product = ProductFactory(shop=shop, name="法式碎花连衣裙", category=Category.CLOTHING)
    line = OrderLineFactory(order__shop=shop, order__customer=customer, order__order_no="DY20261101001",
                            product=product, price_paid=Decimal("199.00"))
    client.post("/p/", {"order_no": "DY20261101001", "last4": "5678"}, REMOTE_ADDR="10.0.0.1")
    response = client.post("/p/order/submit/", {"line": line.pk, "reason": "no_reason", "condition": "unopened",
                                                "photo": photo(JPEG)})
    return Case.objects.get(), response["Location"]


def _gone(response, words: str):
    text = response.content.decode()
    assert response.status_code == 410
    assert "链接已失效" in text and words in text and 'href="/p/"' in text
    assert "Traceback" not in text


def test_a_follow_link_expires_after_the_configured_days(client, filed, settings, _clock):
    case, url = filed
    assert client.get(url).status_code == 200
    # when the link's maximum age has passed
    settings.SHOUHOU = {**settings.SHOUHOU, "LINK_MAX_AGE_DAYS": 30}
    _clock.shift(dt.timedelta(days=30, seconds=1))
    # then the customer sees a plain page, and the cancel button does nothing
    _gone(client.get(url), "这个链接已过期。")
    _gone(client.post(url + "cancel/"), "这个链接已过期。")
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_RETURN


def test_staff_revoke_the_links_of_a_case_and_a_new_lookup_gives_a_working_one(client, filed, shop, shop_admin,
                                                                               _clock):
    case, url = filed
    staff = type(client)()
    staff.force_login(shop_admin)
    # when an admin revokes the case's links from the case page
    response = staff.post("/links/revoke/", {"kind": "case_follow", "object_id": case.pk, "reason": "顾客换号",
                                             "next": f"/cases/{case.pk}/"})
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    # then the old link is dead for reading and for acting, and the revocation is audited
    _gone(client.get(url), "这个链接已被店铺收回。")
    _gone(client.post(url + "cancel/"), "这个链接已被店铺收回。")
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_RETURN
    event = AuditEvent.objects.get(action="link.revoke")
    assert event.actor == shop_admin and event.after == {"kind": "case_follow", "object_id": case.pk,
                                                         "reason": "顾客换号"}
    # and a link handed out later (the customer looks the order up again) works
    _clock.shift(dt.timedelta(seconds=2))
    client.post("/p/", {"order_no": "DY20261101001", "last4": "5678"}, REMOTE_ADDR="10.0.0.1")
    fresh = re.search(r'href="(/p/c/[^"]+/)"', client.get("/p/order/").content.decode()).group(1)
    assert fresh != url and client.get(fresh).status_code == 200


def test_a_follow_link_stops_a_month_after_the_case_was_finished(client, filed, _clock):
    case, url = filed
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.RESOLVED, resolved_at=NOW)
    _clock.shift(dt.timedelta(days=29))
    assert client.get(url).status_code == 200
    _clock.shift(dt.timedelta(days=2))
    _gone(client.get(url), "这个链接已过期。")


def test_a_link_signed_with_the_published_default_key_is_refused(client, filed):
    case, _url = filed
    forged = signing.dumps({"c": case.pk}, key="dev-only-insecure-key-change-me-in-production-0123456789",
                           salt="shouhou.portal.case")
    response = client.post(f"/p/c/{forged}/cancel/")
    assert response.status_code == 404 and "链接已失效" in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.AWAITING_RETURN


def test_who_may_revoke(client, filed, shop, other_shop):
    case, _url = filed
    analyst = MembershipFactory(shop=shop, role=Role.ANALYST, user=UserFactory(username="fenxi")).user
    outsider = MembershipFactory(shop=other_shop, role=Role.ADMIN, user=UserFactory(username="other-admin")).user
    for user, status in ((analyst, 403), (outsider, 404)):
        staff = type(client)()
        staff.force_login(user)
        assert staff.post("/links/revoke/", {"kind": "case_follow", "object_id": case.pk}).status_code == status
    assert not LinkRevocation.objects.exists()


def test_a_revoked_chat_link_shows_the_page_and_its_requests_get_json(client, shop, agent, _clock):
    conversation = ConversationFactory(shop=shop)
    token = chat_token(conversation)
    assert client.get(f"/inbox/chat/{token}/").status_code == 200
    staff = type(client)()
    staff.force_login(agent)
    assert staff.post("/links/revoke/", {"kind": "web_chat", "object_id": conversation.pk}).status_code == 302
    _gone(client.get(f"/inbox/chat/{token}/"), "这个链接已被店铺收回。")
    poll = client.get(f"/inbox/chat/{token}/messages/")
    assert poll.status_code == 410 and poll.json()["link"] == "revoked"
    send = client.post(f"/inbox/chat/{token}/send/", {"body": "在吗"})
    assert send.status_code == 410 and not conversation.messages.exists()
    # expiry too
    _clock.shift(dt.timedelta(days=1))
    fresh = chat_token(conversation)
    assert client.get(f"/inbox/chat/{fresh}/").status_code == 200
    _clock.shift(dt.timedelta(days=91))
    _gone(client.get(f"/inbox/chat/{fresh}/"), "这个链接已过期。")


def test_the_api_revokes_a_case_s_follow_links_for_roles_that_may(client, filed, shop, other_shop):
    from shouhou.core.testing.roles import token_with_role

    case, url = filed
    api = type(client)()
    path = f"/api/cases/{case.pk}/links/revoke"
    # a read-only analyst and another shop's admin may not
    analyst = token_with_role(shop, Role.ANALYST)
    assert api.post(path, {"note": "x"}, content_type="application/json", HTTP_AUTHORIZATION=analyst).status_code == 403
    outsider = token_with_role(other_shop, Role.ADMIN)
    assert api.post(path, {}, content_type="application/json", HTTP_AUTHORIZATION=outsider).status_code == 404
    assert not LinkRevocation.objects.exists() and client.get(url).status_code == 200
    # a supervisor's token may: the old link is dead and the revocation audited
    supervisor = token_with_role(shop, Role.SUPERVISOR)
    answer = api.post(path, {"note": "顾客换号"}, content_type="application/json", HTTP_AUTHORIZATION=supervisor)
    assert answer.status_code == 200 and answer.json()["case_id"] == case.pk
    _gone(client.get(url), "这个链接已被店铺收回。")
    assert AuditEvent.objects.filter(action="link.revoke").count() == 1


def test_a_dead_link_speaks_the_readers_language_and_has_one_main(client, filed):
    case, _url = filed
    forged = signing.dumps({"c": case.pk}, key="not-our-key-0123456789-0123456789-0123456789", salt="shouhou.portal.case")
    client.cookies["django_language"] = "en"
    page = client.get(f"/p/c/{forged}/").content.decode()
    assert "This link no longer works" in page and "copied in full" in page
    assert "Look up the order again" in page and "链接已失效" not in page
    assert page.count("<main") == 1
    answer = client.get(f"/p/c/{forged}/", HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert "look up the order again" in answer.json()["error"]
