"""The customer's web chat in the reader's language: the page, its start form, the words its script shows and the
answers of its requests were Chinese on the English consumer pages (only the language switch was English)."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from shouhou.core.testing.factories import CustomerFactory, OrderFactory

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
