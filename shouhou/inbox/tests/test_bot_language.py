"""The bot's canned replies in the customer's language on the web chat page: a customer reading the page in
English was answered in Chinese (「抱歉，我没有完全理解您的问题…请回复「人工」」 — the one word that would have reached a
person, written in a script they may not type). Every other channel is a Chinese platform or WeChat: Chinese,
whatever language the request came in. What the bot hands to staff (the hand-off reason) stays Chinese."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from shouhou.core.testing.factories import CustomerFactory, OrderFactory
from shouhou.inbox.choices import Channel, Direction, TicketEventKind
from shouhou.inbox.models import Conversation, Message, TicketEvent

pytestmark = pytest.mark.django_db
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def _chat(shop, language: str) -> tuple[Client, str]:
    customer = CustomerFactory(shop=shop, name="李女士", phone="13812345678")
    OrderFactory(shop=shop, customer=customer, order_no="XL20261101001")
    client = Client()
    client.cookies["django_language"] = language
    url = client.post("/inbox/chat/", {"order_no": "XL20261101001", "last4": "5678"})["Location"]
    return client, url


def _bot_replies(url_client: Client, url: str) -> list[str]:
    return [m["body"] for m in url_client.get(url + "messages/", {"after": 0}).json()["messages"] if m["who"] == "bot"]


def test_a_customer_reading_english_is_answered_in_english_and_can_reach_a_person(shop):
    client, url = _chat(shop, "en")
    client.post(url + "send/", {"body": "my parcel?? hello", "client_id": "a"})
    (not_understood,) = _bot_replies(client, url)
    assert not_understood.startswith("Sorry, I did not quite understand") and 'reply "human"' in not_understood
    assert not CJK.search(not_understood)
    client.post(url + "send/", {"body": "human", "client_id": "b"})
    replies = _bot_replies(client, url)
    assert replies[-1] == "Sure, a member of our team will take over; please wait a moment."
    # staff read the hand-off reason in their own language, stored in Chinese
    conversation = Conversation.objects.get(shop=shop, channel=Channel.WEB_CHAT)
    handoff = TicketEvent.objects.get(ticket__conversation=conversation, kind=TicketEventKind.BOT_HANDOFF)
    assert handoff.note == "顾客要求人工（human）"


def test_the_same_page_in_chinese_is_answered_in_chinese(shop):
    client, url = _chat(shop, "zh-hans")
    client.post(url + "send/", {"body": "my parcel?? hello", "client_id": "a"})
    assert _bot_replies(client, url) == [
        "抱歉，我没有完全理解您的问题。您可以问我：快递到哪了、怎么退货、某类商品的售后政策；需要人工客服请回复「人工」。"]


def test_a_wechat_message_is_answered_in_chinese_whatever_the_requests_language(shop):
    conversation = Conversation.objects.create(shop=shop, channel=Channel.WECHAT_KF, bot_active=True,
                                               customer=CustomerFactory(shop=shop))
    message = Message.objects.create(shop=shop, conversation=conversation, direction=Direction.INBOUND,
                                     body="我要人工")
    from shouhou.inbox.channels.inbound import bot_after_receive

    class Received:
        pass

    received = Received()
    received.conversation, received.message = conversation, message
    with translation.override("en"):
        bot_after_receive(received)
    reply = Message.objects.filter(conversation=conversation, is_bot=True).get()
    assert reply.body == "好的，已为您转接人工客服，请稍候。"


def test_composed_answers_stay_whole_chinese_on_an_english_page(shop):
    """A parcel answer is built from Chinese data (carrier, status): on the English page it is not half English."""
    client, url = _chat(shop, "en")
    client.post(url + "send/", {"body": "我的快递到哪了", "client_id": "a"})
    (answer,) = _bot_replies(client, url)
    assert "XL20261101001" in answer and not re.search(r"[A-Za-z]{4,}", answer.replace("XL20261101001", ""))
