"""The customer's web chat in the reader's language: the page, its start form, the words its script shows and the
answers of its requests were Chinese on the English consumer pages (only the language switch was English)."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from shouhou.commerce.models import Order
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


@pytest.fixture
def english(shop):
    OrderFactory(shop=shop, customer=CustomerFactory(shop=shop, phone="13812345678"), order_no="XL20261101009")
    client = Client()
    client.cookies["django_language"] = "en"
    return client


def _visible_text(html: str) -> str:
    """The page's markup without its scripts: text, titles, placeholders, labels and the data texts the script
    shows."""
    return re.sub(r"<script.*?</script>|<style.*?</style>", "", html, flags=re.S)


def test_the_start_form_is_in_english(english):
    page = english.get("/inbox/chat/").content.decode()
    assert "Online customer service" in page and "Start chatting" in page
    main = page.split('<div class="h5-main">', 1)[1]
    assert not CJK.search(main), CJK.findall(main)[:20]


def test_a_wrong_order_is_said_in_english(english):
    page = english.post("/inbox/chat/", {"order_no": "XL0", "last4": "0000"}).content.decode()
    assert "the order number or the last 4 digits" in page.lower()


def test_the_chat_page_and_its_script_texts_are_in_english(english, shop):
    room = english.post("/inbox/chat/", {"order_no": "XL20261101009", "last4": "5678"})
    assert room.status_code == 302, room.content[:300]
    page = english.get(room["Location"]).content.decode()
    chat = page.split('data-testid="chat"', 1)[1]
    # the shop's own name is the shop's to choose; 「人工」 is the word the English page tells the reader to send
    chat = chat.replace(shop.name, "").replace("“人工”", "")
    for said in ("Online customer service", "Send", "Send a photo or file", "The assistant is answering",
                 "Please type your question", "The network is unstable"):
        assert said in page, said
    assert not CJK.search(_visible_text(chat)), CJK.findall(_visible_text(chat))[:20]


def test_the_chat_answers_are_in_english(english):
    room = english.post("/inbox/chat/", {"order_no": "XL20261101009", "last4": "5678"})
    token = room["Location"].rstrip("/").rsplit("/", 1)[1]
    empty = english.post(f"/inbox/chat/{token}/send/", {"body": "  "})
    assert empty.status_code == 400 and empty.json()["error"] == "Please type a message"
    long = english.post(f"/inbox/chat/{token}/send/", {"body": "x" * 5000})
    assert long.status_code == 400 and "1000" in long.json()["error"] and not CJK.search(long.json()["error"])
    wrong = english.get(f"/inbox/chat/{token}/earlier/", {"before": "x"})
    assert wrong.status_code == 400 and not CJK.search(wrong.json()["error"])


@pytest.mark.parametrize("text", ["human", "Human please", "I want a real person", "talk to a person"])
def test_the_english_way_to_a_person_that_the_page_names_hands_over(text):
    from shouhou.inbox import bot

    assert bot.detect(text).handoff == bot.HUMAN
    assert bot.detect("where is my parcel").handoff != bot.HUMAN

# ── the bot's canned replies in the page's language ─────────────────────────────────────────────────────────────
# A customer reading the page in English was answered in Chinese (「抱歉，我没有完全理解您的问题…请回复「人工」」 — the
# one word that would have reached a person, in a script they may not type). Every other channel is a Chinese
# platform or WeChat: Chinese, whatever language the request came in. What the bot hands to staff stays Chinese.

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
    client.post(url + "send/", {"body": "blue sky banana??", "client_id": "a"})
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
    client.post(url + "send/", {"body": "blue sky banana??", "client_id": "a"})
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


def test_composed_answers_are_whole_english_on_an_english_page(shop):
    """A parcel answer on the English page is the bot's English around the shop's data (until 2026-12-08 it was
    whole Chinese there; never half translated)."""
    client, url = _chat(shop, "en")
    client.post(url + "send/", {"body": "我的快递到哪了", "client_id": "a"})
    (answer,) = _bot_replies(client, url)
    product = Order.objects.get(order_no="XL20261101001").lines.first()
    shown = answer.replace(product.product_name, "") if product is not None else answer
    assert answer.startswith("Your order XL20261101001") and not CJK.search(shown), answer