import json

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.notifications.choices import Trigger
from shouhou.notifications.services import template_save
from shouhou.notifications.templates_text import DEFAULTS, VARIABLES, TemplateError, render, template_check


@pytest.mark.parametrize("trigger", list(Trigger.values))
def test_every_trigger_has_a_valid_default_template(trigger):
    # given the shipped default, when checked, then it passes and renders every variable
    template_check(trigger, DEFAULTS[trigger])
    text = render(DEFAULTS[trigger], {v: f"<{v}>" for v in VARIABLES[trigger]})
    assert "{{" not in text


def test_order_shipped_default_asks_to_check_the_parcel():
    assert "签收时请当面验货" in DEFAULTS[Trigger.ORDER_SHIPPED]


@pytest.mark.parametrize(("trigger", "body", "variable", "words"), [
    ("order_placed", "您好{{coupon}}，{{service_contact}}", "coupon", "不可用于"),
    ("order_shipped", "已发货，{{carrier}}", "tracking_no", "缺少必填变量"),
    ("dispatch_late", "抱歉，原因{{reason}}", "remedy", "缺少必填变量"),
    ("survey_invitation", "请评价", "survey_url", "缺少必填变量"),
])
def test_template_check_names_the_bad_variable(trigger, body, variable, words):
    with pytest.raises(TemplateError) as info:
        template_check(trigger, body)
    assert info.value.variable == variable
    assert variable in str(info.value) and words in str(info.value)


def test_template_save_rejects_unknown_variable_and_stores_nothing(shop):
    from shouhou.notifications.models import MessageTemplate

    with pytest.raises(TemplateError):
        template_save(actor=SYSTEM, shop=shop, trigger="order_placed", channel="sms", body="{{service_contact}}{{oops}}")
    assert MessageTemplate.objects.count() == 0


def test_unknown_trigger_rejected():
    with pytest.raises(TemplateError, match="未知的触发事件"):
        template_check("birthday", "hi")


def test_template_with_a_nul_character_is_refused_not_500(client, shop):
    from shouhou.accounts.choices import Role
    from shouhou.accounts.services import token_issue

    token = token_issue(actor=SYSTEM, shop=shop, name="t", scopes=["*"], role=Role.ADMIN)
    r = client.put("/api/notifications/templates", data=json.dumps(
        {"trigger": "order_placed", "channel": "sms", "body": "您好\u0000{{service_contact}}"}),
        content_type="application/json", headers={"Authorization": token.header})
    assert r.status_code == 400 and "控制字符" in r.json()["detail"]


def test_template_change_is_audited_with_before_and_after(shop):
    from shouhou.core.testing.audit import assert_audited

    template_save(actor=SYSTEM, shop=shop, trigger="order_placed", channel="sms", body="您好，售后请联系{{service_contact}}")
    tpl = template_save(actor=SYSTEM, shop=shop, trigger="order_placed", channel="sms", body="亲，售后找我们：{{service_contact}}")
    assert_audited("notifications.template.save", tpl, count=2, before={"body": "您好，售后请联系{{service_contact}}"},
                   after={"body": "亲，售后找我们：{{service_contact}}"})


def test_a_template_of_thousands_of_characters_is_refused_by_the_api_and_the_service(client, shop):
    from shouhou.accounts.choices import Role
    from shouhou.accounts.services import token_issue
    from shouhou.notifications.models import MessageTemplate

    body = "您好，{{service_contact}}" + "长" * 200_000
    token = token_issue(actor=SYSTEM, shop=shop, name="t", scopes=["*"], role=Role.ADMIN)
    r = client.put("/api/notifications/templates", data=json.dumps(
        {"trigger": "order_placed", "channel": "sms", "body": body}), content_type="application/json",
        headers={"Authorization": token.header})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "payload", "body"]
    with pytest.raises(TemplateError, match="模板太长"):
        template_save(shop=shop, trigger="order_placed", channel="sms", body=body, actor=SYSTEM)
    assert not MessageTemplate.objects.exists()
