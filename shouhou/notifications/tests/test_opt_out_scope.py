"""What an opt-out covers. 「退订」 stops care and marketing messages (review and satisfaction requests, order and
logistics reminders, promotions) on every channel; notices of the customer's own after-sales case (accepted,
approved with the return address, refunded, rejected) and a safety recall keep coming, and the answer says so and
how to stop those too (「全部退订」). 「恢复订阅」 undoes it. The scope is recorded and shown to staff. The answer is
said in the customer's language, in the chat they wrote in (live) and through that chat's channel."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import translation

from shouhou.accounts.actors import SYSTEM
from shouhou.core.testing.factories import CustomerFactory, OrderFactory
from shouhou.inbox.channels import webchat
from shouhou.inbox.channels.base import Inbound
from shouhou.inbox.channels.inbound import inbound_accept
from shouhou.inbox.choices import Channel, Direction
from shouhou.inbox.models import Message
from shouhou.live.models import LiveEvent
from shouhou.live.services import chat_stream, desk_stream
from shouhou.notifications.models import OptOutRequest, OutboundMessage
from shouhou.notifications.services import (
    CHAT_OPT_OUT,
    CHAT_OPT_OUT_ALL,
    CHAT_RESUBSCRIBE,
    chat_opt_out_intent,
    customer_opt_out_from_reply,
    message_send,
    notification_enqueue,
)

pytestmark = pytest.mark.django_db

SH = dt.timezone(dt.timedelta(hours=8))
DAY = dt.datetime(2026, 11, 20, 14, 0, tzinfo=SH)
S = OutboundMessage.Status
CARE = {"survey_invitation": {"survey_url": "https://x.cn/s"}, "order_placed": {"order_no": "XL1"},
        "order_shipped": {"order_no": "XL1", "carrier": "顺丰", "tracking_no": "SF1"},
        "logistics_exception": {"order_no": "XL1", "problem": "滞留"}}
CASE = {"case_created": {"case_no": "AS1", "order_no": "XL1"},
        "case_approved": {"case_no": "AS1", "order_no": "XL1", "next_step": "请寄回：杭州市…"},
        "case_resolved": {"case_no": "AS1", "outcome": "已退款 59.00 元"},
        "case_rejected": {"case_no": "AS1", "reason": "超过七天"}}


@pytest.fixture
def customer(shop):
    return CustomerFactory(shop=shop, name="李女士", phone="13812345678", wechat_id="wx_li", email="li@example.cn")


@pytest.fixture
def conversation(shop, customer):
    return webchat.webchat_start(order=OrderFactory(shop=shop, customer=customer, order_no="XL20261101001"))


def _say(conversation, text, capture, client_id):
    with capture(execute=True):
        return webchat.webchat_post(conversation=conversation, body=text, client_id=client_id)


def _enqueue(shop, customer, trigger, key, channel=None):
    return notification_enqueue(shop=shop, customer=customer, trigger=trigger, context={**CARE, **CASE}[trigger],
                                idempotency_key=key, channel=channel)


def _bot_replies(conversation):
    return list(Message.objects.filter(conversation=conversation, direction=Direction.OUTBOUND, is_bot=True)
                .order_by("pk").values_list("body", flat=True))


@pytest.mark.parametrize(("text", "intent"), [
    ("全部退订", CHAT_OPT_OUT_ALL), ("所有消息都退订", CHAT_OPT_OUT_ALL), ("退订全部", CHAT_OPT_OUT_ALL),
    ("请帮我全部退订，谢谢", CHAT_OPT_OUT_ALL), ("退订", CHAT_OPT_OUT), ("恢复订阅", CHAT_RESUBSCRIBE),
    ("恢复", CHAT_RESUBSCRIBE), ("取消退订", CHAT_RESUBSCRIBE), ("我要重新订阅", CHAT_RESUBSCRIBE),
    ("恢复出厂设置以后开不了机", ""), ("重新发送", ""), ("重新发货", ""), ("重新", ""),
])
def test_the_words_for_each_scope(text, intent):
    assert chat_opt_out_intent(text) == intent


def test_tuiding_stops_care_but_the_customers_own_case_notices_keep_coming(
        shop, customer, conversation, django_capture_on_commit_callbacks):
    with time_machine.travel(DAY, tick=False):
        waiting_care = _enqueue(shop, customer, "survey_invitation", "w-care")
        waiting_case = _enqueue(shop, customer, "case_approved", "w-case")
        OutboundMessage.objects.filter(pk__in=[waiting_care.pk, waiting_case.pk]).update(
            status=S.QUEUED, send_after=DAY + dt.timedelta(hours=1))
        _say(conversation, "退订", django_capture_on_commit_callbacks, "c1")
        customer.refresh_from_db()
        after = {t: _enqueue(shop, customer, t, f"after:{t}") for t in (*CARE, *CASE)}
    customer.refresh_from_db()
    assert customer.opted_out_at == DAY
    record = OptOutRequest.objects.get()
    assert (record.outcome, record.scope) == ("opted_out", "care")
    assert {t: (m.status, m.suppressed_reason) for t, m in after.items()} == {
        **{t: (S.SUPPRESSED, "opted_out") for t in CARE}, **{t: (S.QUEUED, "") for t in CASE}}
    waiting_care.refresh_from_db()
    waiting_case.refresh_from_db()
    assert (waiting_care.status, waiting_case.status) == (S.SUPPRESSED, S.QUEUED)
    with time_machine.travel(DAY + dt.timedelta(hours=2), tick=False):
        assert message_send(pk=waiting_case.pk) == S.SENT  # checked again when sent: still goes
    [reply] = _bot_replies(conversation)
    assert "售后单的进度通知" in reply and "仍会照常发送" in reply and "「全部退订」" in reply and "「恢复订阅」" in reply


def test_quanbu_tuiding_stops_case_notices_too(shop, customer, conversation, django_capture_on_commit_callbacks):
    with time_machine.travel(DAY, tick=False):
        _say(conversation, "退订", django_capture_on_commit_callbacks, "c1")
        waiting_case = _enqueue(shop, customer, "case_approved", "w-case")
        assert waiting_case.status == S.QUEUED
        OutboundMessage.objects.filter(pk=waiting_case.pk).update(send_after=DAY + dt.timedelta(hours=1))
        _say(conversation, "全部退订", django_capture_on_commit_callbacks, "c2")
        customer.refresh_from_db()
        later = _enqueue(shop, customer, "case_resolved", "later")
    assert [(r.outcome, r.scope) for r in OptOutRequest.objects.order_by("pk")] == [
        ("opted_out", "care"), ("opted_out", "all")]
    waiting_case.refresh_from_db()
    assert (waiting_case.status, waiting_case.suppressed_reason) == (S.SUPPRESSED, "opted_out")
    assert (later.status, later.suppressed_reason) == (S.SUPPRESSED, "opted_out")
    assert "全部消息" in _bot_replies(conversation)[-1]


def test_an_opt_out_from_before_scopes_counts_as_everything(shop, customer):
    customer.opted_out_at = DAY - dt.timedelta(days=30)
    customer.save()
    message = _enqueue(shop, customer, "case_approved", "old")
    assert (message.status, message.suppressed_reason) == (S.SUPPRESSED, "opted_out")


def test_resubscribing_in_the_chat_undoes_it_and_says_so(shop, customer, conversation,
                                                         django_capture_on_commit_callbacks):
    with time_machine.travel(DAY, tick=False):
        _say(conversation, "全部退订", django_capture_on_commit_callbacks, "c1")
        _say(conversation, "恢复订阅", django_capture_on_commit_callbacks, "c2")
        _say(conversation, "恢复", django_capture_on_commit_callbacks, "c3")
        again = _enqueue(shop, customer, "survey_invitation", "again")
    customer.refresh_from_db()
    assert customer.opted_out_at is None and again.status == S.QUEUED
    assert [r.outcome for r in OptOutRequest.objects.order_by("pk")] == ["opted_out", "resubscribed", "not_opted_out"]
    replies = _bot_replies(conversation)
    assert replies[1].startswith("已为您恢复接收") and replies[2].startswith("您没有退订")


def test_an_sms_reply_td_is_care_scope_and_quanbu_tuiding_is_all(shop, customer, other_shop):
    neighbour = CustomerFactory(shop=other_shop, phone="13812345678")
    with time_machine.travel(DAY, tick=False):
        assert customer_opt_out_from_reply(phone="13812345678", text="TD", reply_id="r1") == 2
        customer.refresh_from_db()
        assert _enqueue(shop, customer, "case_approved", "case-1").status == S.QUEUED
        assert _enqueue(shop, customer, "order_placed", "care-1").status == S.SUPPRESSED
        assert customer_opt_out_from_reply(phone="13812345678", text="全部退订", reply_id="r2") == 2
        customer.refresh_from_db()
        assert _enqueue(shop, customer, "case_resolved", "case-2").status == S.SUPPRESSED
        assert customer_opt_out_from_reply(phone="13812345678", text="全部退订", reply_id="r2") == 0  # a repeat
    assert [(r.customer_id, r.outcome, r.scope) for r in OptOutRequest.objects.order_by("pk")] == [
        (customer.pk, "opted_out", "care"), (neighbour.pk, "opted_out", "care"),
        (customer.pk, "opted_out", "all"), (neighbour.pk, "opted_out", "all")]


def test_staff_see_the_scope_on_the_timeline_and_the_api(client, shop, customer, agent, conversation,
                                                         django_capture_on_commit_callbacks):
    from shouhou.accounts.choices import Role
    from shouhou.accounts.services import token_issue

    _say(conversation, "退订", django_capture_on_commit_callbacks, "c1")
    client.force_login(agent)
    page = client.get(f"/notifications/customers/{customer.pk}/timeline/").content.decode()
    assert "已退订（关怀和营销消息）" in page and 'data-scope="care"' in page
    token = token_issue(actor=SYSTEM, shop=shop, name="t", scopes=["*"], role=Role.ADMIN)
    rows = client.get("/api/notifications/opt-outs", headers={"Authorization": token.header}).json()
    assert [(r["outcome"], r["scope"]) for r in rows] == [("opted_out", "care")]


def test_the_answer_is_in_the_customers_language(shop, customer, conversation, django_capture_on_commit_callbacks):
    with translation.override("en"):
        _say(conversation, "退订", django_capture_on_commit_callbacks, "c1")
    [reply] = _bot_replies(conversation)
    assert reply.startswith("You are unsubscribed from") and shop.name in reply and "全部退订" in reply


def test_the_answer_reaches_the_open_chat_and_the_desk_live(shop, customer, conversation,
                                                            django_capture_on_commit_callbacks):
    _say(conversation, "退订", django_capture_on_commit_callbacks, "c1")
    reply = Message.objects.get(conversation=conversation, is_bot=True)
    chat = [e.data for e in LiveEvent.objects.filter(stream=chat_stream(conversation.pk), kind="message")]
    desk = [e.data for e in LiveEvent.objects.filter(stream=desk_stream(shop.pk), kind="message")]
    assert {"id": reply.pk, "who": "bot"}.items() <= next(d for d in chat if d["id"] == reply.pk).items()
    assert any(d["message_id"] == reply.pk and d["who"] == "bot" for d in desk)


def test_the_answer_goes_out_through_the_chats_channel(shop, customer, django_capture_on_commit_callbacks):
    """微信客服 replies are sent by the channel's adapter (kf/send_msg): the answer is handed to it like any reply
    (here there is no 微信客服 account configured, so the adapter records a failed attempt: it was tried)."""
    with django_capture_on_commit_callbacks(execute=True):
        received = inbound_accept(shop=shop, channel=Channel.WECHAT_KF, customer=customer,
                                  item=Inbound(external_id="kf-1", contact_handle="wm_li", body="退订"))
    reply = Message.objects.get(conversation=received.conversation, is_bot=True)
    assert reply.delivery_attempts == 1 and reply.delivery_status in ("sent", "failed")


def test_an_sms_reply_quxiao_tuiding_asks_for_the_messages_back(shop, customer):
    """「取消退订」 contains 退订: it used to opt the customer out (again)."""
    with time_machine.travel(DAY, tick=False):
        customer_opt_out_from_reply(phone="13812345678", text="TD", reply_id="r1")
        assert customer_opt_out_from_reply(phone="13812345678", text="取消退订", reply_id="r2") == 0
    customer.refresh_from_db()
    assert customer.opted_out_at is None
    assert [(r.outcome, r.scope) for r in OptOutRequest.objects.order_by("pk")] == [
        ("opted_out", "care"), ("resubscribed", "")]


def test_the_api_filters_opt_outs_by_scope(client, shop, customer):
    from shouhou.accounts.choices import Role
    from shouhou.accounts.services import token_issue

    with time_machine.travel(DAY, tick=False):
        customer_opt_out_from_reply(phone="13812345678", text="TD", reply_id="r1")
        customer_opt_out_from_reply(phone="13812345678", text="全部退订", reply_id="r2")
    token = token_issue(actor=SYSTEM, shop=shop, name="t", scopes=["*"], role=Role.ADMIN)
    rows = client.get("/api/notifications/opt-outs?scope=all", headers={"Authorization": token.header}).json()
    assert [(r["text"], r["scope"]) for r in rows] == [("全部退订", "all")]


def test_a_message_logged_from_an_english_desk_is_answered_in_the_shops_language(
        shop, customer, django_capture_on_commit_callbacks):
    """Only the web chat page tells the customer's language: a 微信客服 callback or a call an agent logs from an
    English desk is answered in the shop's default language."""
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        received = inbound_accept(shop=shop, channel=Channel.WECHAT_KF, customer=customer,
                                  item=Inbound(external_id="kf-en", contact_handle="wm_li", body="退订"))
    reply = Message.objects.get(conversation=received.conversation, is_bot=True)
    assert reply.body.startswith("已为您退订")
