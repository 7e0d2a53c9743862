"""The compliance guard on proactive messages: templates are checked when saved; a rendered message
that would trade something for a review is stored suppressed with the guard's reason and never sent;
bulk batches guard each template once, not each message."""

import datetime as dt
import json

import pytest
import time_machine

from shouhou.accounts.actors import SYSTEM
from shouhou.core.testing.factories import CustomerFactory, OrderFactory
from shouhou.notifications import services
from shouhou.notifications.models import MessageTemplate, OutboundMessage
from shouhou.notifications.services import notification_enqueue, notify_orders_placed, template_save
from shouhou.notifications.templates_text import TemplateError

SH = dt.timezone(dt.timedelta(hours=8))
DAY = dt.datetime(2026, 11, 20, 14, 0, tzinfo=SH)
S = OutboundMessage.Status


@pytest.fixture
def customer(shop):
    return CustomerFactory(shop=shop, name="李女士", phone="13900001111")


@pytest.mark.parametrize(("trigger", "body", "words"), [
    ("order_placed", "【{{shop_name}}】感谢下单！收货后给五星好评返现5元，详询{{service_contact}}", "好评"),
    ("case_resolved", "售后单{{case_no}}已完成，删差评返现10元", "删除或修改差评"),
    ("survey_invitation", "邀请您评价：{{survey_url}}，晒图好评再领2元红包", "红包"),
    ("order_shipped", "{{carrier}}{{tracking_no}}已发出，h p 返 x 3元", "好评"),
])
def test_template_offering_a_reward_for_reviews_is_refused_with_the_reason(shop, trigger, body, words):
    with pytest.raises(TemplateError) as info:
        template_save(actor=SYSTEM, shop=shop, trigger=trigger, channel="sms", body=body)
    message = str(info.value)
    assert message.startswith("「模板内容」未通过合规检查：") and words in message
    assert MessageTemplate.objects.count() == 0


@pytest.mark.parametrize(("trigger", "body"), [
    ("order_placed", "【{{shop_name}}】收到货有问题请联系我们，给您换新：{{service_contact}}"),
    ("survey_invitation", "【{{shop_name}}】请为本次服务打分（与商品评价无关）：{{survey_url}}"),
    ("dispatch_late", "抱歉晚发了，原因：{{reason}}，补偿：{{remedy}}，补偿与您的评价无关"),
])
def test_ordinary_care_templates_are_saved(shop, trigger, body):
    assert template_save(actor=SYSTEM, shop=shop, trigger=trigger, channel="sms", body=body).body == body


def test_template_api_answers_400_naming_the_body(client, shop):
    from shouhou.accounts.choices import Role
    from shouhou.accounts.services import token_issue

    token = token_issue(actor=SYSTEM, shop=shop, name="t", scopes=["*"], role=Role.ADMIN)
    r = client.put("/api/notifications/templates", data=json.dumps(
        {"trigger": "order_placed", "channel": "sms", "body": "追评有礼，追加评价送小礼品！{{service_contact}}"}),
        content_type="application/json", headers={"Authorization": token.header})
    assert r.status_code == 400
    assert "追评" in r.json()["detail"] and r.json()["errors"][0]["loc"] == ["body"]


def test_a_bribe_in_a_variable_is_stored_suppressed_and_never_sent(shop, customer, django_capture_on_commit_callbacks):
    # given a rejection reason an agent typed that trades a refund for deleting the bad review
    with time_machine.travel(DAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        msg = notification_enqueue(shop=shop, customer=customer, trigger="case_rejected",
                                   context={"case_no": "SH1", "reason": "您删差评后我们返现20元"},
                                   idempotency_key="case:1:rejected")
    msg.refresh_from_db()
    # then the row exists (timeline, idempotency) but is suppressed with the guard's reason, never sent
    assert (msg.status, msg.suppressed_reason, msg.provider, msg.sent_at) == (S.SUPPRESSED, "compliance", "", None)
    assert msg.last_error.startswith("合规拦截，未发送：") and "删除或修改差评" in msg.last_error
    # and the same key again returns that row: nothing is queued behind it
    again = notification_enqueue(shop=shop, customer=customer, trigger="case_rejected",
                                 context={"case_no": "SH1", "reason": "检测未发现质量问题"},
                                 idempotency_key="case:1:rejected")
    assert again.pk == msg.pk and OutboundMessage.objects.count() == 1


def test_a_bribe_spanning_template_and_variable_is_caught(shop, customer):
    # given an older template saved before the guard, harmless alone ...
    MessageTemplate.objects.create(shop=shop, trigger="dispatch_late", channel="sms",
                                   body="抱歉晚发，原因{{reason}}。给个五星{{remedy}}")
    with time_machine.travel(DAY, tick=False):
        bad = notification_enqueue(shop=shop, customer=customer, trigger="dispatch_late",
                                   context={"order_no": "OD1", "reason": "爆单", "remedy": "返5元"},
                                   idempotency_key="logex:1:customer")
    # ... the rendered text offers money for five stars
    assert (bad.status, bad.suppressed_reason) == (S.SUPPRESSED, "compliance")


def test_plain_messages_and_identifiers_that_look_like_aliases_go_out(shop, customer):
    # "HP…FX" in an order number or "HP…HB" in a tracking number must not read as 好评返现 / 好评红包
    with time_machine.travel(DAY, tick=False):
        placed = notification_enqueue(shop=shop, customer=customer, trigger="order_placed",
                                      context={"order_no": "HP5FX20261120"}, idempotency_key="o:1")
        shipped = notification_enqueue(shop=shop, customer=customer, trigger="order_shipped",
                                       context={"order_no": "OD2", "carrier": "顺丰", "tracking_no": "SFHP6HB9"},
                                       idempotency_key="s:1")
        late = notification_enqueue(shop=shop, customer=customer, trigger="dispatch_late",
                                    context={"order_no": "OD3", "reason": "收到货有问题请联系我们，给您换新",
                                             "remedy": "10元红包（按本店售后政策，VIP会员的发货延迟补偿）"},
                                    idempotency_key="l:1")
    assert [(m.status, m.suppressed_reason) for m in (placed, shipped, late)] == [(S.QUEUED, "")] * 3
    assert "HP5FX20261120" in placed.body and "10元红包" in late.body


def test_bulk_enqueue_guards_each_template_once_and_blocks_a_bribing_template(shop, monkeypatch):
    calls = []
    real = services.guard_outgoing

    def counting(text):
        calls.append(text)
        return real(text)

    monkeypatch.setattr(services, "guard_outgoing", counting)
    orders = [OrderFactory(shop=shop, customer=CustomerFactory(shop=shop), paid_at=DAY - dt.timedelta(hours=1))
              for _ in range(6)]
    ids = [o.pk for o in orders]
    with time_machine.travel(DAY, tick=False):
        assert notify_orders_placed(shop=shop, order_ids=ids[:3]) == 3
    # one template, order numbers and names are identifiers: one guard call for the batch
    assert len(calls) == 1
    assert list(OutboundMessage.objects.values_list("status", flat=True)) == [S.QUEUED] * 3
    # given a bribing template written straight into the table (an old row, before the save-time check)
    MessageTemplate.objects.create(shop=shop, trigger="order_placed", channel="sms",
                                   body="{{customer_name}}您好，五星好评截图返现3元！{{service_contact}}")
    with time_machine.travel(DAY, tick=False):
        assert notify_orders_placed(shop=shop, order_ids=ids[3:]) == 3
    blocked = OutboundMessage.objects.filter(customer_id__in=[o.customer_id for o in orders[3:]])
    assert sorted(blocked.values_list("status", "suppressed_reason")) == [(S.SUPPRESSED, "compliance")] * 3
    assert all("好评" in m.last_error for m in blocked)
    assert len(calls) == 2


def test_timeline_page_shows_why_a_message_was_blocked(shop, customer, shop_admin, client):
    with time_machine.travel(DAY, tick=False):
        notification_enqueue(shop=shop, customer=customer, trigger="case_rejected",
                             context={"case_no": "SH9", "reason": "好评返现5元"}, idempotency_key="case:9:rejected")
    client.force_login(shop_admin)
    r = client.get(f"/notifications/customers/{customer.pk}/timeline/")
    assert r.status_code == 200
    assert "合规拦截，未发送：" in r.content.decode()
