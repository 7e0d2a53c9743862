"""WeChat official account and WeCom callbacks, driven through real HTTP requests (Django test client):
URL checks, plain and encrypted pushes, refused signatures, idempotency on MsgId."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import time_machine
from django.core.cache import cache

from shouhou.core.testing.factories import CustomerFactory
from shouhou.inbox.channels import crypto, testing
from shouhou.inbox.choices import Channel, Direction
from shouhou.inbox.models import ChannelAccount, Conversation, Message, Ticket

pytestmark = pytest.mark.django_db

APP_ID = "wx5823bf96d3bd56c7"
CORP_ID = "ww1234567890abcdef"
TOKEN = "tok-xiaolu"  # noqa: S105 - a test fixture


@pytest.fixture(autouse=True)
def _signed_now():
    """The pushes below are signed at 1764576000 (2025-12-01 08:00 UTC); WeChat/WeCom refuse a timestamp
    more than 5 minutes from the clock, so the clock stands a minute after it."""
    with time_machine.travel(1764576060, tick=True):
        yield


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def no_bot(shop):
    shop.settings = {**(shop.settings or {}), "bot_enabled": False}
    shop.save(update_fields=["settings"])
    return shop


@pytest.fixture
def wechat_account(shop):
    return ChannelAccount.objects.create(shop=shop, channel=Channel.WECHAT, name="小鹿公众号", key="gh-xiaolu",
                                         app_id=APP_ID, token=TOKEN, aes_key=testing.AES_KEY)


@pytest.fixture
def wecom_account(shop):
    return ChannelAccount.objects.create(shop=shop, channel=Channel.WECOM, name="小鹿企业微信", key="wecom-xiaolu",
                                         app_id=CORP_ID, token=TOKEN, aes_key=testing.AES_KEY)


def _push_plain(client, xml: str, *, key="gh-xiaolu", token=TOKEN):
    return client.post(f"/inbox/hooks/wechat/{key}/?{testing.wechat_query(token=token)}", data=xml.encode(),
                       content_type="text/xml")


# --- WeChat official account: URL check ----------------------------------------------------------------

def test_wechat_url_check_echoes_echostr_when_signed(client, wechat_account):
    response = client.get(f"/inbox/hooks/wechat/gh-xiaolu/?{testing.wechat_query(token=TOKEN, echostr='8713949')}")
    assert response.status_code == 200
    assert response.content == b"8713949"


def test_wechat_url_check_with_a_wrong_signature_is_refused_403(client, wechat_account):
    query = urlencode({"signature": "0" * 40, "timestamp": "1764576000", "nonce": "n", "echostr": "8713949"})
    response = client.get(f"/inbox/hooks/wechat/gh-xiaolu/?{query}")
    assert response.status_code == 403
    assert response.content.decode() == "签名校验失败"
    assert b"8713949" not in response.content


def test_wechat_url_check_signed_with_another_token_is_refused(client, wechat_account):
    response = client.get(f"/inbox/hooks/wechat/gh-xiaolu/?{testing.wechat_query(token='other', echostr='1')}")
    assert response.status_code == 403


def test_unknown_or_disabled_account_key_answers_404(client, wechat_account):
    assert client.get(f"/inbox/hooks/wechat/nope/?{testing.wechat_query(token=TOKEN, echostr='1')}").status_code == 404
    wechat_account.is_active = False
    wechat_account.save()
    assert client.get(f"/inbox/hooks/wechat/gh-xiaolu/?{testing.wechat_query(token=TOKEN, echostr='1')}") \
        .status_code == 404


def test_a_wecom_key_is_not_accepted_on_the_wechat_url(client, wecom_account):
    assert client.get(f"/inbox/hooks/wechat/wecom-xiaolu/?{testing.wechat_query(token=TOKEN, echostr='1')}") \
        .status_code == 404


# --- WeChat official account: messages ----------------------------------------------------------------

def test_wechat_plain_text_push_is_stored_on_the_customers_conversation(client, no_bot, wechat_account):
    customer = CustomerFactory(shop=no_bot, wechat_id="oUser-123")
    xml = testing.wechat_text_xml(openid="oUser-123", content="衣服收到有破洞，怎么处理？", msg_id="23001")
    response = _push_plain(client, xml)
    assert response.status_code == 200
    assert response.content == b"success"
    message = Message.objects.get()
    assert message.direction == Direction.INBOUND
    assert message.body == "衣服收到有破洞，怎么处理？"
    assert message.external_id == "wechat:gh-xiaolu:23001"
    conversation = message.conversation
    assert conversation.channel == Channel.WECHAT
    assert conversation.contact_handle == "oUser-123"
    assert conversation.customer == customer
    assert conversation.channel_account == wechat_account
    ticket = Ticket.objects.get(conversation=conversation)
    assert ticket.channel == Channel.WECHAT
    assert ticket.customer == customer


def test_wechat_image_push_keeps_the_picture_url(client, no_bot, wechat_account):
    xml = testing.wechat_text_xml(openid="oImg", content="", msg_id="23002", msg_type="image",
                                  extra="<PicUrl><![CDATA[http://mmbiz.qpic.cn/abc.jpg]]></PicUrl>"
                                        "<MediaId><![CDATA[media-1]]></MediaId>")
    assert _push_plain(client, xml).status_code == 200
    assert Message.objects.get().body == "[图片] http://mmbiz.qpic.cn/abc.jpg"


def test_the_same_msgid_pushed_twice_is_stored_once(client, no_bot, wechat_account):
    xml = testing.wechat_text_xml(openid="oDup", content="我的快递到哪了", msg_id="23003")
    first = _push_plain(client, xml)
    second = client.post(f"/inbox/hooks/wechat/gh-xiaolu/?{testing.wechat_query(token=TOKEN, nonce='again')}",
                         data=xml.encode(), content_type="text/xml")
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.content == b"success"
    assert Message.objects.filter(external_id="wechat:gh-xiaolu:23003").count() == 1
    assert Conversation.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_a_second_message_from_the_same_openid_continues_the_conversation(client, no_bot, wechat_account):
    _push_plain(client, testing.wechat_text_xml(openid="oSame", content="在吗", msg_id="1"))
    _push_plain(client, testing.wechat_text_xml(openid="oSame", content="衣服有破洞", msg_id="2"))
    assert Message.objects.count() == 2
    assert Conversation.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_wechat_post_with_a_bad_signature_stores_nothing(client, no_bot, wechat_account):
    xml = testing.wechat_text_xml(openid="oBad", content="hi", msg_id="23004")
    response = _push_plain(client, xml, token="forged")
    assert response.status_code == 403
    assert response.content.decode() == "签名校验失败"
    assert not Message.objects.exists()


def test_wechat_events_are_acknowledged_and_not_stored(client, no_bot, wechat_account):
    xml = testing.wechat_text_xml(openid="oEvt", content="", msg_id="", msg_type="event",
                                  extra="<Event><![CDATA[subscribe]]></Event>")
    response = _push_plain(client, xml)
    assert response.status_code == 200
    assert response.content == b"success"
    assert not Message.objects.exists()


@pytest.mark.parametrize(("body", "fragment"), [
    (b"", "请求体为空"),
    (b"<xml><MsgType>text", "XML 格式错误"),
    (b'<!DOCTYPE x [<!ENTITY a "b">]><xml><MsgType>&a;</MsgType></xml>', "DOCTYPE"),
    (b"<xml><FromUserName>o1</FromUserName></xml>", "缺少 MsgType"),
])
def test_wechat_bad_bodies_answer_400_with_the_reason(client, no_bot, wechat_account, body, fragment):
    response = client.post(f"/inbox/hooks/wechat/gh-xiaolu/?{testing.wechat_query(token=TOKEN)}", data=body,
                           content_type="text/xml")
    assert response.status_code == 400
    assert fragment in response.content.decode()
    assert not Message.objects.exists()


def test_wechat_safe_mode_push_is_verified_and_decrypted(client, no_bot, wechat_account):
    inner = testing.wechat_text_xml(openid="oSafe", content="加密消息：想退货", msg_id="24001")
    query, body = testing.wechat_safe_push(token=TOKEN, aes_key=testing.AES_KEY, app_id=APP_ID, inner_xml=inner)
    response = client.post(f"/inbox/hooks/wechat/gh-xiaolu/?{query}", data=body, content_type="text/xml")
    assert response.status_code == 200
    message = Message.objects.get()
    assert message.body == "加密消息：想退货"
    assert message.conversation.contact_handle == "oSafe"
    # the same encrypted push again: stored once
    client.post(f"/inbox/hooks/wechat/gh-xiaolu/?{query}", data=body, content_type="text/xml")
    assert Message.objects.count() == 1


def test_wechat_safe_mode_with_a_forged_msg_signature_is_refused(client, no_bot, wechat_account):
    inner = testing.wechat_text_xml(openid="oSafe", content="x", msg_id="24002")
    query, body = testing.wechat_safe_push(token="forged", aes_key=testing.AES_KEY, app_id=APP_ID, inner_xml=inner)
    response = client.post(f"/inbox/hooks/wechat/gh-xiaolu/?{query}", data=body, content_type="text/xml")
    assert response.status_code == 403
    assert response.content.decode() == "消息签名校验失败"
    assert not Message.objects.exists()


def test_wechat_safe_mode_for_another_appid_is_refused(client, no_bot, wechat_account):
    inner = testing.wechat_text_xml(openid="oSafe", content="x", msg_id="24003")
    query, body = testing.wechat_safe_push(token=TOKEN, aes_key=testing.AES_KEY, app_id="wxOTHER", inner_xml=inner)
    response = client.post(f"/inbox/hooks/wechat/gh-xiaolu/?{query}", data=body, content_type="text/xml")
    assert response.status_code == 403
    assert "接收方 ID 不匹配" in response.content.decode()
    assert not Message.objects.exists()


def test_wechat_push_with_the_bot_on_gets_a_bot_reply_sent_through_the_api(
        client, shop, wechat_account, settings, django_capture_on_commit_callbacks):
    # given the bot answers WeChat by default and the platform API is a local server
    from shouhou.notifications.tests.httpstub import Stub

    stub = Stub()
    base = stub.start()
    try:
        settings.SHOUHOU_INBOX_API_BASES = {"wechat": base}
        stub.answer((200, {"access_token": "AT-1", "expires_in": 7200}), (200, {"errcode": 0, "errmsg": "ok"}))
        xml = testing.wechat_text_xml(openid="oBot", content="我要人工", msg_id="25001")
        # when the push arrives and its after-commit work runs
        with django_capture_on_commit_callbacks(execute=True):
            response = _push_plain(client, xml)
    finally:
        stub.stop()
    # then the bot's outbound message went out as a customer-service message to the openid
    assert response.status_code == 200
    bot_reply = Message.objects.get(direction=Direction.OUTBOUND, is_bot=True)
    assert bot_reply.delivery_status == "sent"
    assert [r["path"].split("?")[0] for r in stub.requests] == ["/cgi-bin/token", "/cgi-bin/message/custom/send"]
    import json

    sent = json.loads(stub.requests[1]["body"])
    assert sent == {"touser": "oBot", "msgtype": "text", "text": {"content": bot_reply.body}}
    assert "access_token=AT-1" in stub.requests[1]["path"]


# --- WeCom ---------------------------------------------------------------------------------------

def test_wecom_url_verification_answers_the_decrypted_echostr(client, wecom_account):
    echostr = crypto.encrypt(testing.AES_KEY, "1616140317555161061", CORP_ID)
    query = urlencode({"msg_signature": crypto.sha1_signature(TOKEN, "1764576000", "n1", echostr),
                       "timestamp": "1764576000", "nonce": "n1", "echostr": echostr})
    response = client.get(f"/inbox/hooks/wecom/wecom-xiaolu/?{query}")
    assert response.status_code == 200
    assert response.content == b"1616140317555161061"


def test_wecom_url_verification_with_a_bad_signature_is_refused(client, wecom_account):
    echostr = crypto.encrypt(testing.AES_KEY, "1616140317555161061", CORP_ID)
    query = urlencode({"msg_signature": crypto.sha1_signature("forged", "1764576000", "n1", echostr),
                       "timestamp": "1764576000", "nonce": "n1", "echostr": echostr})
    response = client.get(f"/inbox/hooks/wecom/wecom-xiaolu/?{query}")
    assert response.status_code == 403
    assert response.content.decode() == "消息签名校验失败"


def test_wecom_encrypted_message_is_stored_with_its_agent(client, no_bot, wecom_account):
    inner = testing.wecom_text_xml(user_id="zhangsan", content="帮我查下订单进度", msg_id="7001", corp_id=CORP_ID)
    query, body = testing.wecom_push(token=TOKEN, aes_key=testing.AES_KEY, corp_id=CORP_ID, inner_xml=inner)
    response = client.post(f"/inbox/hooks/wecom/wecom-xiaolu/?{query}", data=body, content_type="text/xml")
    assert response.status_code == 200
    message = Message.objects.get()
    assert message.body == "帮我查下订单进度"
    assert message.external_id == "wecom:wecom-xiaolu:7001"
    conversation = message.conversation
    assert conversation.channel == Channel.WECOM
    assert conversation.contact_handle == "zhangsan"
    assert conversation.external_id == "agent:1000002"
    assert conversation.channel_account == wecom_account


def test_wecom_the_same_message_pushed_twice_is_stored_once(client, no_bot, wecom_account):
    inner = testing.wecom_text_xml(user_id="lisi", content="还没发货吗", msg_id="7002", corp_id=CORP_ID)
    for nonce in ("a1", "b2"):
        query, body = testing.wecom_push(token=TOKEN, aes_key=testing.AES_KEY, corp_id=CORP_ID, inner_xml=inner,
                                         nonce=nonce)
        assert client.post(f"/inbox/hooks/wecom/wecom-xiaolu/?{query}", data=body,
                           content_type="text/xml").status_code == 200
    assert Message.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_wecom_push_encrypted_for_another_corp_is_refused(client, no_bot, wecom_account):
    inner = testing.wecom_text_xml(user_id="lisi", content="x", msg_id="7003", corp_id="wwOTHER")
    query, body = testing.wecom_push(token=TOKEN, aes_key=testing.AES_KEY, corp_id="wwOTHER", inner_xml=inner)
    response = client.post(f"/inbox/hooks/wecom/wecom-xiaolu/?{query}", data=body, content_type="text/xml")
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_wecom_push_with_a_tampered_ciphertext_is_refused(client, no_bot, wecom_account):
    inner = testing.wecom_text_xml(user_id="lisi", content="x", msg_id="7004", corp_id=CORP_ID)
    query, body = testing.wecom_push(token=TOKEN, aes_key=testing.AES_KEY, corp_id=CORP_ID, inner_xml=inner)
    tampered = body.replace(b"<Encrypt><![CDATA[", b"<Encrypt><![CDATA[AAAA")
    response = client.post(f"/inbox/hooks/wecom/wecom-xiaolu/?{query}", data=tampered, content_type="text/xml")
    assert response.status_code == 403
    assert not Message.objects.exists()


# --- the same push twice at the same moment ----------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_the_same_push_arriving_twice_at_once_is_stored_once(shop, wechat_account):
    # given WeChat retries while the first delivery is still being stored
    import threading

    from django.db import connection
    from django.test import Client

    shop.settings = {"bot_enabled": False}
    shop.save(update_fields=["settings"])
    xml = testing.wechat_text_xml(openid="oRace", content="衣服有破洞", msg_id="26001").encode()
    url = f"/inbox/hooks/wechat/gh-xiaolu/?{testing.wechat_query(token=TOKEN)}"
    barrier = threading.Barrier(2)
    answers: list[int] = []

    def push():
        try:
            barrier.wait()
            answers.append(Client().post(url, data=xml, content_type="text/xml").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=push) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then both are acknowledged, and one message, one conversation, one ticket exist
    assert answers == [200, 200]  # the second waits for the first's transaction, then finds its message
    assert Message.objects.filter(external_id="wechat:gh-xiaolu:26001").count() == 1
    assert Conversation.objects.count() == 1
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize("words", ["<!DOCTYPE html> 页面打不开", "<!ENTITY 是什么", "复制的报错：<!DOCTYPE x [<!ENTITY a \"b\">]>"])
def test_a_customers_text_that_looks_like_markup_is_their_words(client, no_bot, wechat_account, words):
    # an examiner's published text push: the words sit in CDATA, where <!DOCTYPE is text; a byte search refused the
    # message with 400 on all four of WeChat's tries, and it was lost
    xml = testing.wechat_text_xml(openid="oMarkup", content=words, msg_id="23991")
    response = _push_plain(client, xml)
    assert response.status_code == 200, response.content
    assert Message.objects.get().body == words


def test_a_declaration_hidden_after_the_first_kilobytes_is_still_refused(client, no_bot, wechat_account):
    padding = "<!-- " + "x" * 4096 + " -->"
    body = f'<?xml version="1.0"?>{padding}<!DOCTYPE x [<!ENTITY a "b">]><xml><MsgType>&a;</MsgType></xml>'
    response = client.post(f"/inbox/hooks/wechat/gh-xiaolu/?{testing.wechat_query(token=TOKEN)}", data=body.encode(),
                           content_type="text/xml")
    assert response.status_code == 400 and "DOCTYPE" in response.content.decode()
    assert not Message.objects.exists()
