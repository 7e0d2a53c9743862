"""Why a care-message template is refused (a missing or unknown variable, too long, control characters, the
compliance guard) is said in the reader's language on the templates page, its preview and the API."""

from __future__ import annotations

import html as html_lib
import json

import pytest
from django.conf import settings
from django.utils import translation

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.accounts.services import token_issue
from shouhou.notifications.models import MessageTemplate
from shouhou.notifications.templates_text import MAX_BODY, TemplateError, template_check

pytestmark = pytest.mark.django_db

ALLOWED = "shop_name、customer_name、service_contact、order_no"


@pytest.fixture
def admin_client(client, shop_admin):
    client.force_login(shop_admin)
    return client


def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _post(client, body: str, trigger: str = "order_shipped", action: str = "save") -> str:
    response = client.post("/notifications/templates/new/", {
        "trigger": trigger, "channel": "sms", "body": body, "active": "1", "action": action})
    if action == "save":
        assert response.status_code == 400
    return html_lib.unescape(response.content.decode())


@pytest.mark.parametrize(("trigger", "body", "zh", "en"), [
    ("order_shipped", "【{{shop_name}}】订单{{order_no}}已发货", "模板缺少必填变量 {{carrier}}",
     "The template lacks the required variable {{carrier}}"),
    ("order_placed", "您好{{coupon}}，{{service_contact}}", f"模板变量 {{{{coupon}}}} 不可用于「下单关怀」，可用：{ALLOWED}",
     "The template variable {{coupon}} cannot be used for “Post-purchase care”; available: "
     "shop_name, customer_name, service_contact, order_no"),
    ("order_placed", "x" * (MAX_BODY + 1) + "{{service_contact}}",
     f"模板太长（{MAX_BODY + 20} 字），最多 {MAX_BODY} 字",
     f"The template is too long ({MAX_BODY + 20} characters); at most {MAX_BODY}"),
    ("order_placed", "a\x00b{{service_contact}}", "模板含有不可见的控制字符（如 NUL），请删除后再保存",
     "The template holds invisible control characters (such as NUL); delete them before saving"),
])
def test_a_refused_template_is_said_in_either_language(trigger, body, zh, en):
    for language, expected in (("zh-hans", zh), ("en", en)):
        with translation.override(language), pytest.raises(TemplateError) as refused:
            template_check(trigger, body)
        assert str(refused.value) == expected


def test_the_templates_page_says_a_missing_variable_in_the_readers_language(admin_client, shop):
    body = "【{{shop_name}}】订单{{order_no}}已发货"
    assert "模板缺少必填变量 {{carrier}}" in _post(admin_client, body)
    english = _post(_english(admin_client), body)
    assert "The template lacks the required variable {{carrier}}" in english and "模板缺少必填变量" not in english
    assert not MessageTemplate.objects.exists()


def test_the_preview_names_the_problem_in_the_readers_language(admin_client, shop):
    english = _post(_english(admin_client), "您好{{coupon}}，{{service_contact}}", trigger="order_placed",
                    action="preview")
    assert "The template variable {{coupon}} cannot be used for “Post-purchase care”" in english
    assert "不可用于" not in english


def test_a_compliance_refusal_names_the_field_in_the_readers_language(admin_client, shop):
    body = "【{{shop_name}}】感谢下单！收货后给五星好评返现5元，详询{{service_contact}}"
    assert "「模板内容」未通过合规检查" in _post(admin_client, body, trigger="order_placed")
    english = _post(_english(admin_client), body, trigger="order_placed")
    assert "“Template text”" in english and "模板内容" not in english


def test_the_api_says_why_in_the_readers_language(client, shop):
    token = token_issue(actor=SYSTEM, shop=shop, name="t", scopes=["*"], role=Role.ADMIN)
    payload = json.dumps({"trigger": "order_shipped", "channel": "sms", "body": "订单{{order_no}}已发货"})
    r = _english(client).put("/api/notifications/templates", data=payload, content_type="application/json",
                             headers={"Authorization": token.header})
    assert r.status_code == 400
    assert r.json()["detail"].startswith("The template lacks the required variable {{")
    payload = json.dumps({"trigger": "order_shipped", "channel": "fax", "body": "x"})
    r = client.put("/api/notifications/templates", data=payload, content_type="application/json",
                   headers={"Authorization": token.header})
    assert r.json()["detail"] == "Unknown channel: fax"
