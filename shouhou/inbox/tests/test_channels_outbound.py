"""Outbound delivery of agent and bot replies: WeChat customer-service messages and WeCom application
messages against a local HTTP server that checks the documented request shape; email through Django's
mail backend; failures recorded on the message (delivery_status "failed" and the reason)."""

from __future__ import annotations

import json
import socket
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache

from shouhou.inbox.channels import deliver_outbound
from shouhou.inbox.choices import Channel, Direction
from shouhou.inbox.models import ChannelAccount, Conversation, Message
from shouhou.inbox.services import message_receive, ticket_reply
from shouhou.notifications.tests.httpstub import Stub

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api(settings):
    """A local stand-in for api.weixin.qq.com / qyapi.weixin.qq.com."""
    stub = Stub()
    base = stub.start()
    settings.SHOUHOU_INBOX_API_BASES = {"wechat": base, "wecom": base}
    yield stub
    stub.stop()


def _conversation(shop, *, channel, account=None, handle="", external_id=""):
    received = message_receive(shop=shop, channel=channel, body="衣服有破洞", contact_handle=handle,
                               channel_account=account, conversation=Conversation.objects.create(
                                   shop=shop, channel=channel, contact_handle=handle, channel_account=account,
                                   external_id=external_id))
    return received.ticket


def _split(request) -> tuple[str, dict[str, list[str]]]:
    url = urlsplit(request["path"])
    return url.path, parse_qs(url.query)


@pytest.fixture
def wechat(shop):
    return ChannelAccount.objects.create(shop=shop, channel=Channel.WECHAT, name="公众号", key="gh-out",
                                         app_id="wxAPP1", secret="app-secret", token="t")


@pytest.fixture
def wecom(shop):
    return ChannelAccount.objects.create(shop=shop, channel=Channel.WECOM, name="企业微信", key="wecom-out",
                                         app_id="wwCORP1", secret="corp-secret", token="t")


# --- WeChat ---------------------------------------------------------------------------------------------

def test_wechat_reply_fetches_a_token_and_posts_a_custom_text_message(shop, agent, wechat, api):
    api.answer((200, {"access_token": "AT-123", "expires_in": 7200}), (200, {"errcode": 0, "errmsg": "ok"}))
    ticket = _conversation(shop, channel=Channel.WECHAT, account=wechat, handle="oOpenid1")
    reply = ticket_reply(ticket=ticket, author=agent, body="您好，给您补发一件新的，请问换货还是退款？")

    deliver_outbound(message_id=reply.pk)

    reply.refresh_from_db()
    assert (reply.delivery_status, reply.delivery_error) == ("sent", "")
    token_req, send_req = api.requests
    path, query = _split(token_req)
    assert (token_req["method"], path) == ("GET", "/cgi-bin/token")
    assert query == {"grant_type": ["client_credential"], "appid": ["wxAPP1"], "secret": ["app-secret"]}
    path, query = _split(send_req)
    assert (send_req["method"], path, query) == ("POST", "/cgi-bin/message/custom/send", {"access_token": ["AT-123"]})
    assert send_req["headers"]["content-type"] == "application/json"
    assert json.loads(send_req["body"]) == {"touser": "oOpenid1", "msgtype": "text",
                                            "text": {"content": "您好，给您补发一件新的，请问换货还是退款？"}}


def test_a_sent_message_is_not_sent_again_and_the_token_is_reused(shop, agent, wechat, api):
    api.answer((200, {"access_token": "AT-1", "expires_in": 7200}), (200, {"errcode": 0}), (200, {"errcode": 0}))
    ticket = _conversation(shop, channel=Channel.WECHAT, account=wechat, handle="oOpenid2")
    first = ticket_reply(ticket=ticket, author=agent, body="第一条")
    deliver_outbound(message_id=first.pk)
    deliver_outbound(message_id=first.pk)  # the task ran twice
    second = ticket_reply(ticket=ticket, author=agent, body="第二条")
    deliver_outbound(message_id=second.pk)
    paths = [_split(r)[0] for r in api.requests]
    assert paths == ["/cgi-bin/token", "/cgi-bin/message/custom/send", "/cgi-bin/message/custom/send"]


def test_wechat_refusal_is_recorded_as_failed_with_the_errcode(shop, agent, wechat, api):
    # 45015: the customer has not written within 48 hours, WeChat refuses customer-service messages
    api.answer((200, {"access_token": "AT-1", "expires_in": 7200}),
               (200, {"errcode": 45015, "errmsg": "response out of time limit"}))
    ticket = _conversation(shop, channel=Channel.WECHAT, account=wechat, handle="oLate")
    reply = ticket_reply(ticket=ticket, author=agent, body="您好")
    deliver_outbound(message_id=reply.pk)
    reply.refresh_from_db()
    assert reply.delivery_status == "failed"
    assert "45015" in reply.delivery_error
    # and the buyer's message it answered waits again: the customer never got the reply (reply rates)
    from shouhou.inbox.choices import Direction
    from shouhou.inbox.models import Message

    buyer = Message.objects.get(conversation=ticket.conversation, direction=Direction.INBOUND)
    assert buyer.awaits_human and buyer.human_reply_at is None


def test_wechat_token_refused_is_recorded_as_failed(shop, agent, wechat, api):
    api.answer((200, {"errcode": 40013, "errmsg": "invalid appid"}))
    ticket = _conversation(shop, channel=Channel.WECHAT, account=wechat, handle="oX")
    reply = ticket_reply(ticket=ticket, author=agent, body="您好")
    deliver_outbound(message_id=reply.pk)
    reply.refresh_from_db()
    assert reply.delivery_status == "failed"
    assert "access_token" in reply.delivery_error
    assert "40013" in reply.delivery_error
    assert len(api.requests) == 1


def test_wechat_platform_unreachable_is_recorded_as_failed(shop, agent, wechat, settings):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.SHOUHOU_INBOX_API_BASES = {"wechat": f"http://127.0.0.1:{port}"}
    ticket = _conversation(shop, channel=Channel.WECHAT, account=wechat, handle="oY")
    reply = ticket_reply(ticket=ticket, author=agent, body="您好")
    deliver_outbound(message_id=reply.pk)
    reply.refresh_from_db()
    assert reply.delivery_status == "failed"
    assert "网络错误" in reply.delivery_error


def test_wechat_conversation_without_an_account_fails_with_a_clear_reason(shop, agent, api):
    ticket = _conversation(shop, channel=Channel.WECHAT, handle="oZ")
    reply = ticket_reply(ticket=ticket, author=agent, body="您好")
    deliver_outbound(message_id=reply.pk)
    reply.refresh_from_db()
    assert reply.delivery_status == "failed"
    assert reply.delivery_error == "会话没有关联公众号或顾客 openid，无法发送"
    assert api.requests == []


def test_a_reply_is_delivered_after_commit_by_the_task(shop, agent, wechat, api, django_capture_on_commit_callbacks):
    api.answer((200, {"access_token": "AT-9", "expires_in": 7200}), (200, {"errcode": 0, "msgid": 1}))
    ticket = _conversation(shop, channel=Channel.WECHAT, account=wechat, handle="oTask")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reply = ticket_reply(ticket=ticket, author=agent, body="已为您安排补发")
    assert api.requests == []  # nothing leaves before the reply is committed
    for callback in callbacks:
        callback()
    reply.refresh_from_db()
    assert reply.delivery_status == "sent"
    assert json.loads(api.requests[-1]["body"])["touser"] == "oTask"


# --- WeCom ----------------------------------------------------------------------------------------------

def test_wecom_reply_posts_an_application_text_message(shop, agent, wecom, api):
    api.answer((200, {"errcode": 0, "access_token": "WT-1", "expires_in": 7200}),
               (200, {"errcode": 0, "errmsg": "ok", "msgid": "m-1"}))
    ticket = _conversation(shop, channel=Channel.WECOM, account=wecom, handle="zhangsan", external_id="agent:1000002")
    reply = ticket_reply(ticket=ticket, author=agent, body="已收到，马上处理")

    deliver_outbound(message_id=reply.pk)

    reply.refresh_from_db()
    assert reply.delivery_status == "sent"
    token_req, send_req = api.requests
    path, query = _split(token_req)
    assert path == "/cgi-bin/gettoken"
    assert query == {"corpid": ["wwCORP1"], "corpsecret": ["corp-secret"]}
    path, query = _split(send_req)
    assert (send_req["method"], path, query) == ("POST", "/cgi-bin/message/send", {"access_token": ["WT-1"]})
    assert json.loads(send_req["body"]) == {"touser": "zhangsan", "msgtype": "text", "agentid": 1000002,
                                            "text": {"content": "已收到，马上处理"}}


def test_wecom_conversation_without_an_agent_id_fails_clearly(shop, agent, wecom, api):
    ticket = _conversation(shop, channel=Channel.WECOM, account=wecom, handle="zhangsan")
    reply = ticket_reply(ticket=ticket, author=agent, body="您好")
    deliver_outbound(message_id=reply.pk)
    reply.refresh_from_db()
    assert reply.delivery_status == "failed"
    assert "AgentID" in reply.delivery_error
    assert api.requests == []


def test_wecom_error_is_recorded(shop, agent, wecom, api):
    api.answer((200, {"errcode": 0, "access_token": "WT-1", "expires_in": 7200}),
               (200, {"errcode": 81013, "errmsg": "user & party & tag all invalid"}))
    ticket = _conversation(shop, channel=Channel.WECOM, account=wecom, handle="ghost", external_id="agent:1000002")
    reply = ticket_reply(ticket=ticket, author=agent, body="您好")
    deliver_outbound(message_id=reply.pk)
    reply.refresh_from_db()
    assert reply.delivery_status == "failed"
    assert "81013" in reply.delivery_error


# --- email and the channels that send nothing ------------------------------------------------------------

def test_email_failure_is_recorded(shop, agent, settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    ticket = _conversation(shop, channel=Channel.EMAIL, handle="li@example.com")
    reply = ticket_reply(ticket=ticket, author=agent, body="您好")
    deliver_outbound(message_id=reply.pk)
    reply.refresh_from_db()
    assert reply.delivery_status == "failed"
    assert reply.delivery_error.startswith("邮件发送失败")


def test_email_reply_uses_the_default_sender_without_a_mailbox_account(shop, agent, settings, mailoutbox):
    settings.DEFAULT_FROM_EMAIL = "service@shouhou.example"
    ticket = _conversation(shop, channel=Channel.EMAIL, handle="li@example.com")
    reply = ticket_reply(ticket=ticket, author=agent, body="您好")
    deliver_outbound(message_id=reply.pk)
    assert mailoutbox[0].from_email == "service@shouhou.example"
    assert "In-Reply-To" not in mailoutbox[0].extra_headers  # the first message had no Message-ID
    reply.refresh_from_db()
    assert reply.delivery_status == "sent"


@pytest.mark.parametrize("channel", [Channel.WEB_CHAT, Channel.PHONE, Channel.SOCIAL_DM, Channel.REVIEW])
def test_channels_that_do_not_send_leave_the_status_empty(shop, agent, api, mailoutbox, channel):
    ticket = _conversation(shop, channel=channel, handle="h1")
    reply = ticket_reply(ticket=ticket, author=agent, body="您好")
    deliver_outbound(message_id=reply.pk)
    reply.refresh_from_db()
    assert reply.delivery_status == ""
    assert api.requests == []
    assert mailoutbox == []


def test_inbound_messages_and_notes_are_never_sent(shop, wechat, api):
    ticket = _conversation(shop, channel=Channel.WECHAT, account=wechat, handle="oIn")
    inbound = Message.objects.get(conversation=ticket.conversation, direction=Direction.INBOUND)
    deliver_outbound(message_id=inbound.pk)
    deliver_outbound(message_id=999999)
    assert api.requests == []


# --- retries ---------------------------------------------------------------------------------------------

def test_a_busy_platform_is_tried_again_with_back_off_and_the_reply_goes_out_once(shop, agent, wechat, api):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    from shouhou.inbox.channels import delivery_retry_due

    busy = (200, {"errcode": -1, "errmsg": "system error"})
    api.answer((200, {"access_token": "AT-R", "expires_in": 7200}), busy, busy, (200, {"errcode": 0, "msgid": 7}))
    t0 = timezone.now().replace(microsecond=0)
    with time_machine.travel(t0, tick=False) as clock:
        ticket = _conversation(shop, channel=Channel.WECHAT, account=wechat, handle="oBusy")
        reply = ticket_reply(ticket=ticket, author=agent, body="您好，已为您补发")
        deliver_outbound(message_id=reply.pk)
        reply.refresh_from_db()
        assert (reply.delivery_status, reply.delivery_attempts) == ("failed", 1)
        assert reply.delivery_retry_at == t0 + dt.timedelta(minutes=1)
        assert delivery_retry_due() == 0  # not due yet
        clock.move_to(t0 + dt.timedelta(minutes=1))
        assert delivery_retry_due() == 1
        reply.refresh_from_db()
        assert reply.delivery_attempts == 2 and reply.delivery_retry_at == t0 + dt.timedelta(minutes=6)
        clock.move_to(t0 + dt.timedelta(minutes=6))
        assert delivery_retry_due() == 1
        reply.refresh_from_db()
        assert (reply.delivery_status, reply.delivery_attempts, reply.delivery_retry_at) == ("sent", 3, None)
        clock.move_to(t0 + dt.timedelta(hours=3))
        assert delivery_retry_due() == 0
    sends = [r for r in api.requests if _split(r)[0] == "/cgi-bin/message/custom/send"]
    assert len(sends) == 3  # two refused, one accepted: the customer got the reply once


def test_a_refusal_that_will_not_change_is_not_retried(shop, agent, wechat, api):
    api.answer((200, {"access_token": "AT-1", "expires_in": 7200}),
               (200, {"errcode": 45015, "errmsg": "response out of time limit"}))
    ticket = _conversation(shop, channel=Channel.WECHAT, account=wechat, handle="oLate2")
    reply = ticket_reply(ticket=ticket, author=agent, body="您好")
    deliver_outbound(message_id=reply.pk)
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.delivery_attempts, reply.delivery_retry_at) == ("failed", 1, None)


def test_retries_stop_after_five_attempts(shop, agent, settings):

    import time_machine
    from django.utils import timezone

    from shouhou.inbox.channels import delivery_retry_due

    with socket.socket() as s:  # the mail server is down the whole time
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    t0 = timezone.now().replace(microsecond=0)
    with time_machine.travel(t0, tick=False) as clock:
        ticket = _conversation(shop, channel=Channel.EMAIL, handle="wang@example.com")
        reply = ticket_reply(ticket=ticket, author=agent, body="您好")
        deliver_outbound(message_id=reply.pk)
        waits = []
        for _ in range(6):
            reply.refresh_from_db()
            if reply.delivery_retry_at is None:
                break
            waits.append(int((reply.delivery_retry_at - timezone.now()).total_seconds() // 60))
            clock.move_to(reply.delivery_retry_at)
            assert delivery_retry_due() == 1
    reply.refresh_from_db()
    assert waits == [1, 5, 15, 60]
    assert (reply.delivery_status, reply.delivery_attempts, reply.delivery_retry_at) == ("failed", 5, None)


def test_the_workbench_shows_when_a_failed_reply_will_be_retried(client, shop, agent, wechat, api):
    import datetime as dt

    from django.utils import timezone

    from shouhou.core.clock import local_tz

    ticket = _conversation(shop, channel=Channel.WECHAT, account=wechat, handle="oShow")
    reply = ticket_reply(ticket=ticket, author=agent, body="您好")
    at = timezone.now() + dt.timedelta(minutes=5)
    Message.objects.filter(pk=reply.pk).update(delivery_status="failed", delivery_error="errcode -1",
                                               delivery_attempts=1, delivery_retry_at=at)
    client.force_login(agent)
    page = client.get(f"/desk/t/{ticket.pk}/").content.decode()
    assert f"发送失败，{at.astimezone(local_tz()):%H:%M} 自动重试" in page
    Message.objects.filter(pk=reply.pk).update(delivery_retry_at=None, delivery_attempts=5)
    page = client.get(f"/desk/t/{ticket.pk}/").content.decode()
    assert "自动重试" not in page and "发送失败" in page


# --- the bot's messages through the public service -------------------------------------------------------------

def test_bot_message_send_stores_pushes_and_sends_through_the_channel(shop, wechat, api,
                                                                       django_capture_on_commit_callbacks):
    """inbox.services.bot_message_send: the one way other apps (notifications' opt-out answer) speak to a customer
    in a conversation — an outbound bot message, pushed to the desk and the chat, sent through WeChat after commit."""
    from shouhou.inbox.services import bot_message_send
    from shouhou.live.models import LiveEvent
    from shouhou.live.services import chat_stream, desk_stream

    api.answer((200, {"access_token": "AT-9", "expires_in": 7200}), (200, {"errcode": 0, "errmsg": "ok"}))
    ticket = _conversation(shop, channel=Channel.WECHAT, account=wechat, handle="oOpenidBot")
    with django_capture_on_commit_callbacks(execute=True):
        message = bot_message_send(conversation=ticket.conversation, text="已为您退订")
    message.refresh_from_db()
    assert (message.direction, message.is_bot, message.author_id, message.delivery_status) == (
        Direction.OUTBOUND, True, None, "sent")
    assert json.loads(api.requests[1]["body"])["text"]["content"] == "已为您退订"
    pushed = LiveEvent.objects.filter(kind="message", stream__in=[desk_stream(shop.pk),
                                                                  chat_stream(ticket.conversation_id)])
    assert sorted(e.stream for e in pushed if message.pk in (e.data.get("message_id"), e.data.get("id"))) == sorted(
        [desk_stream(shop.pk), chat_stream(ticket.conversation_id)])
    ticket.conversation.refresh_from_db()
    assert ticket.conversation.last_message_at == message.created_at
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None  # a bot is not a person's reply: no clock stops
