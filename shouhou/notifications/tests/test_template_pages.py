"""The care-message templates page (关怀消息模板): list, create, edit, preview with a sample order, enable/disable;
the permission is the service's, so a read-only role is refused through the page too."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings

from shouhou.accounts.choices import Role
from shouhou.core.testing.factories import (
    CustomerFactory,
    MembershipFactory,
    OrderFactory,
    ShipmentFactory,
    UserFactory,
)
from shouhou.notifications.models import MessageTemplate, OutboundMessage
from shouhou.notifications.services import notification_enqueue

pytestmark = pytest.mark.django_db

SH = dt.timezone(dt.timedelta(hours=8))
DAY = dt.datetime(2026, 11, 20, 14, 0, tzinfo=SH)
SHIPPED = "【{{shop_name}}】{{customer_name}}，订单{{order_no}}已由{{carrier}}发出，运单号{{tracking_no}}。"


@pytest.fixture
def admin_client(client, shop_admin):
    client.force_login(shop_admin)
    return client


@pytest.fixture
def analyst(shop):
    return MembershipFactory(shop=shop, role=Role.ANALYST, user=UserFactory(username="analyst")).user


def _create(client, body=SHIPPED, **extra):
    return client.post("/notifications/templates/new/", {
        "trigger": "order_shipped", "channel": "sms", "body": body, "active": "1", "action": "save", **extra})


def test_admin_creates_a_template_and_it_is_used(admin_client, shop):
    response = _create(admin_client)
    assert response.status_code == 302 and response["Location"] == "/notifications/templates/"
    tpl = MessageTemplate.objects.get(shop=shop)
    assert (tpl.trigger, tpl.channel, tpl.body, tpl.active) == ("order_shipped", "sms", SHIPPED, True)
    html = admin_client.get("/notifications/templates/").content.decode()
    assert "运单号{{tracking_no}}" in html and 'data-trigger="order_shipped" data-channel="sms"' in html
    customer = CustomerFactory(shop=shop, name="王小明", phone="13812345678")
    with time_machine.travel(DAY, tick=False):
        msg = notification_enqueue(shop=shop, customer=customer, trigger="order_shipped", idempotency_key="s1",
                                   context={"order_no": "OD1", "carrier": "中通", "tracking_no": "ZT1"})
    assert msg.body == f"【{shop.name}】王小明，订单OD1已由中通发出，运单号ZT1。"


def test_a_template_missing_a_required_variable_is_refused_with_the_reason(admin_client, shop):
    response = _create(admin_client, body="【{{shop_name}}】您的订单{{order_no}}已发货")
    assert response.status_code == 400
    assert "模板缺少必填变量" in response.content.decode()
    assert not MessageTemplate.objects.exists()


def test_edit_changes_the_text_and_keeps_trigger_and_channel(admin_client, shop):
    _create(admin_client)
    tpl = MessageTemplate.objects.get()
    page = admin_client.get(f"/notifications/templates/{tpl.pk}/")
    assert page.status_code == 200 and SHIPPED in page.content.decode()
    body = SHIPPED + "如有破损请拒收。"
    admin_client.post(f"/notifications/templates/{tpl.pk}/", {"body": body, "active": "1", "action": "save",
                                                               "trigger": "recall", "channel": "email"})
    tpl.refresh_from_db()
    assert (tpl.trigger, tpl.channel, tpl.body) == ("order_shipped", "sms", body)


def test_disable_falls_back_to_the_default_and_enable_restores(admin_client, shop):
    _create(admin_client)
    tpl = MessageTemplate.objects.get()
    admin_client.post(f"/notifications/templates/{tpl.pk}/active/", {"active": "0"})
    tpl.refresh_from_db()
    assert tpl.active is False
    customer = CustomerFactory(shop=shop, name="王小明", phone="13812345678")
    ctx = {"order_no": "OD1", "carrier": "中通", "tracking_no": "ZT1"}
    with time_machine.travel(DAY, tick=False):
        msg = notification_enqueue(shop=shop, customer=customer, trigger="order_shipped", idempotency_key="d1",
                                   context=ctx)
    assert "签收时请当面验货" in msg.body  # the shipped default
    admin_client.post(f"/notifications/templates/{tpl.pk}/active/", {"active": "1"})
    tpl.refresh_from_db()
    assert tpl.active is True


def test_preview_fills_in_the_shops_latest_order_without_saving(admin_client, shop):
    customer = CustomerFactory(shop=shop, name="李四", phone="13900001111")
    order = OrderFactory(shop=shop, customer=customer, order_no="DY777")
    ShipmentFactory(order=order, carrier="ZTO", tracking_no="ZT999")
    response = _create(admin_client, action="preview")
    html = response.content.decode()
    assert response.status_code == 200
    assert f"【{shop.name}】李四，订单DY777已由中通快递发出，运单号ZT999。" in html
    assert not MessageTemplate.objects.exists()


def test_preview_without_orders_uses_a_sample_order_and_names_the_problem(admin_client, shop):
    html = _create(admin_client, body="【{{shop_name}}】好评返现5元，订单{{order_no}}{{carrier}}{{tracking_no}}",
                   action="preview").content.decode()
    assert "按示例订单填入" in html and "DY20261111000001" in html
    assert 'data-testid="preview-problem"' in html


@pytest.mark.parametrize("role_user", ["analyst", "agent"])
def test_a_role_that_may_not_change_templates_is_refused_through_the_page(request, client, shop, role_user):
    tpl = MessageTemplate.objects.create(shop=shop, trigger="order_shipped", channel="sms", body=SHIPPED)
    client.force_login(request.getfixturevalue(role_user))
    listing = client.get("/notifications/templates/")
    assert listing.status_code == 200 and 'data-testid="read-only"' in listing.content.decode()
    assert 'data-testid="template-toggle"' not in listing.content.decode()
    assert _create(client, body=SHIPPED + "。").status_code == 403
    assert client.post(f"/notifications/templates/{tpl.pk}/", {"body": "改了", "action": "save"}).status_code == 403
    assert client.post(f"/notifications/templates/{tpl.pk}/active/", {"active": "0"}).status_code == 403
    tpl.refresh_from_db()
    assert (tpl.body, tpl.active, MessageTemplate.objects.count()) == (SHIPPED, True, 1)


def test_another_shops_template_is_not_found(admin_client, other_shop):
    theirs = MessageTemplate.objects.create(shop=other_shop, trigger="order_shipped", channel="sms", body=SHIPPED)
    assert admin_client.get(f"/notifications/templates/{theirs.pk}/").status_code == 404
    assert admin_client.post(f"/notifications/templates/{theirs.pk}/active/", {"active": "0"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.active is True


def test_the_page_in_english(admin_client, shop):
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = admin_client.get("/notifications/templates/").content.decode()
    assert "Care message templates" in html and "New template" in html
    html = admin_client.get("/notifications/templates/new/").content.decode()
    assert "Preview" in html and "Variables you can use:" in html


def test_no_outbound_message_is_written_by_the_pages(admin_client, shop):
    _create(admin_client, action="preview")
    _create(admin_client)
    assert OutboundMessage.objects.count() == 0


def test_the_customer_timeline_links_to_the_templates(admin_client, shop):
    customer = CustomerFactory(shop=shop)
    html = admin_client.get(f"/notifications/customers/{customer.pk}/timeline/").content.decode()
    assert 'href="/notifications/templates/"' in html


def test_the_top_navigation_links_to_the_templates_for_every_member(client, shop, agent):
    # the page was reachable only from the customer timeline
    client.force_login(agent)
    html = client.get("/").content.decode()
    assert 'href="/notifications/templates/"' in html and "关怀消息模板" in html
