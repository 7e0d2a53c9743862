"""Walk, round nine: the customer's message timeline as staff read it.

- the opt-out table's 来源渠道 showed the stored code ("sms_reply", "tencent_sms", "wechat");
- a failed message said 失败 and nothing of why (only a compliance block showed its reason);
- the English page's title and opt-out badge kept Chinese punctuation around translated words."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from shouhou.core.testing.factories import CustomerFactory
from shouhou.notifications.models import OptOutRequest, OutboundMessage

pytestmark = pytest.mark.django_db


def _opt_out(shop, customer, source: str, key: str):
    return OptOutRequest.objects.create(
        shop=shop, customer=customer, source=source, contact_handle=customer.phone, text="退订",
        outcome=OptOutRequest.Outcome.OPTED_OUT, scope="sms", source_key=key, received_at=timezone.now())


def _page(user, customer, language: str = "zh-hans") -> str:
    c = Client()
    c.force_login(user)
    c.cookies["django_language"] = language
    response = c.get(f"/notifications/customers/{customer.pk}/timeline/")
    assert response.status_code == 200
    return response.content.decode()


def _sources(page: str) -> list[str]:
    return re.findall(r'<td data-source="[^"]*">([^<]*)</td>', page)


def test_the_opt_out_source_is_named_not_coded(shop, supervisor):
    customer = CustomerFactory(shop=shop)
    _opt_out(shop, customer, "sms_reply", "sms:1")
    _opt_out(shop, customer, "tencent_sms", "provider:tencent_sms:1")
    _opt_out(shop, customer, "wechat", "inbox:1")
    assert sorted(_sources(_page(supervisor, customer))) == sorted(["短信回复", "短信服务商拦截（腾讯云）", "微信"])
    assert sorted(_sources(_page(supervisor, customer, "en"))) == sorted(
        ["SMS reply", "Blocked at the SMS provider (Tencent Cloud)", "WeChat"])


def test_a_failed_message_says_why(shop, supervisor):
    customer = CustomerFactory(shop=shop)
    OutboundMessage.objects.create(
        shop=shop, customer=customer, trigger="order_placed", channel="sms", recipient=customer.phone, body="您好",
        status="failed", last_error="isv.MOBILE_NUMBER_ILLEGAL: 号码无效", idempotency_key="walk9-failed")
    page = _page(supervisor, customer)
    row = page[page.index('data-status="failed"'):]
    assert '<small data-testid="why">isv.MOBILE_NUMBER_ILLEGAL: 号码无效</small>' in row[:row.index("</tr>")]


def test_the_english_title_has_no_chinese_punctuation(shop, supervisor):
    customer = CustomerFactory(shop=shop, name="Lina")
    page = _page(supervisor, customer, "en")
    assert "Message timeline: Lina" in page and "：" not in page.split("<h1>")[1].split("</h1>")[0]


def test_the_admin_names_the_source_and_the_app_in_the_readers_language(shop, admin_client):
    customer = CustomerFactory(shop=shop)
    _opt_out(shop, customer, "sms_reply", "sms:admin")
    admin_client.cookies["django_language"] = "en"
    listing = admin_client.get("/admin/notifications/optoutrequest/").content.decode()
    assert '<td class="field-source_shown">SMS reply</td>' in listing
    index = admin_client.get("/admin/").content.decode()
    assert "Proactive care" in index and "主动关怀" not in index


def test_the_walked_apps_are_named_in_the_readers_language():
    """The admin's group headings and permission names read 主动关怀, 物流 … on English pages."""
    from django.apps import apps
    from django.utils import translation

    names = ("notifications", "logistics", "sla", "portal")
    with translation.override("en"):
        assert [str(apps.get_app_config(n).verbose_name) for n in names] == [
            "Proactive care", "Logistics", "SLA", "Consumer self-service"]
    with translation.override("zh-hans"):
        assert [str(apps.get_app_config(n).verbose_name) for n in names] == ["主动关怀", "物流", "SLA时效", "消费者自助"]
