"""An opt-out said in a chat (web chat, 微信客服, platform IM) opts the customer out of care messages on every
channel, is answered in the chat, recorded (who, when, the words) and shown to staff. 「我要退货」, 「退订单」 and a
question about 退订 opt nobody out (个人信息保护法 art. 15; 通信短信息服务管理规定 art. 18–19)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine

from shouhou.accounts.actors import SYSTEM
from shouhou.core.testing.factories import CustomerFactory, OrderFactory
from shouhou.inbox.channels import webchat
from shouhou.inbox.channels.base import Inbound
from shouhou.inbox.channels.inbound import inbound_accept
from shouhou.inbox.choices import Channel, Direction
from shouhou.inbox.models import Message
from shouhou.notifications.models import OptOutRequest, OutboundMessage
from shouhou.notifications.services import (
    CHAT_OPT_OUT,
    CHAT_OPT_OUT_QUESTION,
    chat_opt_out_intent,
    customer_opt_out_from_reply,
    notification_enqueue,
)

pytestmark = pytest.mark.django_db

SH = dt.timezone(dt.timedelta(hours=8))
DAY = dt.datetime(2026, 11, 20, 14, 0, tzinfo=SH)
S = OutboundMessage.Status


@pytest.mark.parametrize("text", [
    "退订", "TD", "ｔｄ。", "退订！", "退订，谢谢", "我要退订", "请帮我退订", "帮我退订可以吗？", "别再给我发短信了",
    "不要再发消息给我了", "你们能不能别再发短信了", "以后不用给我发通知了", "物流信息不要再发了", "不想再收到你们的短信",
    "拒收短信", "取消订阅", "我已经退订了为什么还给我发短信？", "退订单已经收到了，另外退订短信",
    "stop", "停止发送短信", "回TD退订",
])
def test_chat_words_that_opt_out(text):
    assert chat_opt_out_intent(text) == CHAT_OPT_OUT


@pytest.mark.parametrize("text", [
    "我要退货", "退订单", "我要退订单", "我想退订单，怎么操作", "退订金什么时候到账", "我想退订购的那件衣服",
    "不要再发货了，我要退款", "别再发错货了", "我没有退订", "我不想退订，只是问问", "退款", "N", "T",
    "为什么还没给我发短信通知", "你好", "我收到这条：【小鹿】双十二全场五折，回TD退订。这是什么活动",
])
def test_chat_words_that_do_not_opt_out(text):
    assert chat_opt_out_intent(text) == ""


@pytest.mark.parametrize("text", ["怎么退订？", "如何退订短信", "退订了还能收到物流通知吗", "退订是什么意思"])
def test_questions_about_opting_out_do_not_opt_out(text):
    assert chat_opt_out_intent(text) == CHAT_OPT_OUT_QUESTION


@pytest.fixture
def customer(shop):
    return CustomerFactory(shop=shop, name="李女士", phone="13812345678", wechat_id="wx_li", email="li@example.cn")


@pytest.fixture
def conversation(shop, customer):
    return webchat.webchat_start(order=OrderFactory(shop=shop, customer=customer, order_no="XL20261101001"))


def _say(conversation, text, capture, client_id="c1"):
    with capture(execute=True):
        return webchat.webchat_post(conversation=conversation, body=text, client_id=client_id)


def test_saying_tuiding_in_web_chat_opts_out_on_every_channel_answers_and_records(
        shop, customer, conversation, django_capture_on_commit_callbacks):
    with time_machine.travel(DAY, tick=False):
        waiting = notification_enqueue(shop=shop, customer=customer, trigger="order_placed",
                                       context={"order_no": "XL1"}, idempotency_key="waiting")
        OutboundMessage.objects.filter(pk=waiting.pk).update(status=S.QUEUED, send_after=DAY + dt.timedelta(hours=1))
        _say(conversation, "别再给我发短信了，退订", django_capture_on_commit_callbacks)
    customer.refresh_from_db()
    assert customer.opted_out_at == DAY
    record = OptOutRequest.objects.get(shop=shop)
    assert (record.customer, record.source, record.text, record.outcome, record.received_at) == (
        customer, Channel.WEB_CHAT, "别再给我发短信了，退订", "opted_out", DAY)
    reply = Message.objects.filter(conversation=conversation, direction=Direction.OUTBOUND,
                                   body__startswith="已为您退订").get()
    assert reply.is_bot and shop.name in reply.body
    waiting.refresh_from_db()
    assert (waiting.status, waiting.suppressed_reason) == (S.SUPPRESSED, "opted_out")
    for channel in ("sms", "wechat_subscribe", "email", "in_app"):
        later = notification_enqueue(shop=shop, customer=customer, trigger="survey_invitation",
                                     context={"survey_url": "https://x.cn/s"}, idempotency_key=f"later:{channel}",
                                     channel=channel)
        assert (later.channel, later.status, later.suppressed_reason) == (channel, S.SUPPRESSED, "opted_out")


@pytest.mark.parametrize("text", ["我要退货", "我要退订单", "退订金什么时候退"])
def test_return_and_order_words_in_chat_change_nothing(shop, customer, conversation, text,
                                                       django_capture_on_commit_callbacks):
    _say(conversation, text, django_capture_on_commit_callbacks)
    customer.refresh_from_db()
    assert customer.opted_out_at is None
    assert not OptOutRequest.objects.exists()
    assert not Message.objects.filter(conversation=conversation, body__contains="退订").exclude(
        direction=Direction.INBOUND).exists()


def test_a_question_about_opting_out_is_answered_with_how_and_recorded_not_applied(
        shop, customer, conversation, django_capture_on_commit_callbacks):
    _say(conversation, "怎么退订？", django_capture_on_commit_callbacks)
    customer.refresh_from_db()
    assert customer.opted_out_at is None
    assert OptOutRequest.objects.get().outcome == "question"
    bodies = list(Message.objects.filter(conversation=conversation, is_bot=True).values_list("body", flat=True))
    assert any("直接回复「退订」" in b for b in bodies)


def test_the_same_chat_message_twice_records_and_answers_once(shop, customer, conversation,
                                                              django_capture_on_commit_callbacks):
    _say(conversation, "退订", django_capture_on_commit_callbacks, client_id="same")
    _say(conversation, "退订", django_capture_on_commit_callbacks, client_id="same")
    assert OptOutRequest.objects.count() == 1
    assert Message.objects.filter(conversation=conversation, body__startswith="已为您退订").count() == 1


def test_saying_it_again_after_opting_out_keeps_the_first_time_and_says_so(
        shop, customer, conversation, django_capture_on_commit_callbacks):
    first = DAY - dt.timedelta(days=3)
    customer.opted_out_at = first
    customer.save()
    _say(conversation, "TD", django_capture_on_commit_callbacks)
    customer.refresh_from_db()
    assert customer.opted_out_at == first
    assert OptOutRequest.objects.get().outcome == "already"
    assert Message.objects.filter(conversation=conversation, body__startswith="已为您退订").exists()


def test_a_chat_without_a_known_customer_is_recorded_for_a_person(shop, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        received = inbound_accept(shop=shop, channel=Channel.WECHAT_KF,
                                  item=Inbound(external_id="kf-1", contact_handle="wm_unknown", body="请帮我退订"))
    record = OptOutRequest.objects.get()
    assert (record.customer, record.outcome, record.contact_handle) == (None, "no_customer", "wm_unknown")
    assert Message.objects.filter(conversation=received.conversation, direction=Direction.OUTBOUND,
                                  body__startswith="已收到您的退订请求").exists()


def test_a_wechat_kf_opt_out_reaches_the_customer_found_by_wechat_id(shop, customer,
                                                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        inbound_accept(shop=shop, channel=Channel.WECHAT,
                       item=Inbound(external_id="wx-1", contact_handle="wx_li", body="以后不用给我发通知了"))
    customer.refresh_from_db()
    assert customer.opted_out_at is not None
    assert OptOutRequest.objects.get().customer == customer


def test_an_sms_reply_opt_out_is_recorded_too(shop, customer):
    with time_machine.travel(DAY, tick=False):
        assert customer_opt_out_from_reply(phone="13812345678", text="退订", reply_id="r1") == 1
    record = OptOutRequest.objects.get()
    assert (record.customer, record.source, record.text, record.received_at) == (customer, "sms_reply", "退订", DAY)


def test_staff_see_the_requests_on_the_timeline_and_the_api(client, shop, customer, agent, conversation,
                                                            django_capture_on_commit_callbacks):
    from shouhou.accounts.choices import Role
    from shouhou.accounts.services import token_issue

    _say(conversation, "别再给我发短信了", django_capture_on_commit_callbacks)
    client.force_login(agent)
    page = client.get(f"/notifications/customers/{customer.pk}/timeline/").content.decode()
    assert "退订记录" in page and "别再给我发短信了" in page
    token = token_issue(actor=SYSTEM, shop=shop, name="t", scopes=["*"], role=Role.ADMIN)
    rows = client.get("/api/notifications/opt-outs", headers={"Authorization": token.header}).json()
    assert [(r["customer_id"], r["source"], r["text"], r["outcome"]) for r in rows] == [
        (customer.pk, "web_chat", "别再给我发短信了", "opted_out")]
    assert json.dumps(rows, ensure_ascii=False).count("13812345678") == 0


def test_the_opt_out_answer_goes_through_the_inbox_service(shop, customer, conversation, monkeypatch,
                                                          django_capture_on_commit_callbacks):
    """Notifications speak to a customer in a chat only through inbox.services.bot_message_send (which stores,
    pushes live and delivers); before, they wrote the inbox's Message and Conversation rows themselves."""
    from shouhou.inbox import services as inbox_services

    sent = []
    real = inbox_services.bot_message_send

    def spy(**kwargs):
        sent.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(inbox_services, "bot_message_send", spy)
    _say(conversation, "退订", django_capture_on_commit_callbacks)
    assert [(k["conversation"].pk, k["text"][:5]) for k in sent] == [(conversation.pk, "已为您退订")]
    reply = Message.objects.get(conversation=conversation, is_bot=True, body__startswith="已为您退订")
    conversation.refresh_from_db()
    assert conversation.last_message_at == reply.created_at
