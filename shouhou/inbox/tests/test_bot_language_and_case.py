"""The bot's composed answers (parcel, return, policy) in the web chat reader's language — an English page was
answered in Chinese — and a question about returning something already in a case answered with that case, not
with the policy as if nothing had been filed."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as case_services
from shouhou.commerce.choices import Category
from shouhou.core.testing.factories import ShipmentFactory
from shouhou.inbox import bot
from shouhou.inbox.channels.base import Inbound
from shouhou.inbox.channels.inbound import inbound_accept
from shouhou.inbox.choices import Channel
from shouhou.inbox.tests.test_bot import NOW, bot_replies, chat, make_order
from shouhou.logistics.models import TrackingEvent
from shouhou.policies.selectors import policy_summary_text
from shouhou.sla.services import sla_defaults_install
from shouhou.sla.tests.helpers import at, frozen

pytestmark = pytest.mark.django_db
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def sla_shop(shop):
    sla_defaults_install(shop=shop)
    return shop


def test_an_english_reader_gets_the_parcel_answer_in_english(sla_shop):
    order = make_order(sla_shop, delivered=False)
    shipment = ShipmentFactory(order=order, carrier="SF", tracking_no="SF1400012345", status="in_transit",
                               shipped_at=at("2026-11-04 18:00"))
    TrackingEvent.objects.create(shop=sla_shop, shipment=shipment, occurred_at=at("2026-11-05 08:10"),
                                 status="in_transit", description="【杭州市】快件已到达杭州转运中心", event_key="e1")
    with frozen(NOW), translation.override("en"):
        conversation, say = chat(order)
        say("Where is my parcel?")
    (reply,) = bot_replies(conversation)
    # the shop's and the carrier's words as written; everything the bot says itself in English
    assert reply.startswith("Your order OD2026110401 (羊毛双面大衣): In transit, ")
    assert "tracking number SF1400012345." in reply
    assert "Latest: 【杭州市】快件已到达杭州转运中心 (05 Nov 08:10)." in reply
    left = HAN.findall(reply.replace("羊毛双面大衣", "").replace("【杭州市】快件已到达杭州转运中心", ""))
    assert left == [], reply


def test_an_english_reader_gets_the_return_answer_in_english(sla_shop):
    order = make_order(sla_shop)
    with frozen(NOW), translation.override("en"):
        conversation, say = chat(order)
        say("How do I return this?")
        policy = policy_summary_text(shop=sla_shop, category=Category.CLOTHING, topic="return")
    (reply,) = bot_replies(conversation)
    assert reply.startswith(f"羊毛双面大衣 of order OD2026110401 (Clothing): {policy}")
    assert "signed for on 04 Nov; a no-reason return can be requested until 11 Nov (inclusive)." in reply
    assert HAN.findall(reply.replace("羊毛双面大衣", "")) == [], reply


def test_the_chinese_answers_are_unchanged(sla_shop):
    order = make_order(sla_shop)
    with frozen(NOW):
        conversation, say = chat(order)
        say("怎么退货？")
    (reply,) = bot_replies(conversation)
    assert reply.startswith("订单OD2026110401的羊毛双面大衣（服装）：")
    assert "您的订单签收于11月04日，无理由退货可在11月11日（含）前申请。" in reply


def test_a_return_question_about_an_order_with_an_open_case_is_answered_with_the_case(sla_shop):
    order = make_order(sla_shop)
    with frozen(NOW):
        case = case_services.case_create(actor=SYSTEM, shop=sla_shop, order_line=order.lines.get(), reason="quality")
        conversation, say = chat(order)
        say("我要退货，怎么办理？")
    (reply,) = bot_replies(conversation)
    assert reply.startswith(f"您的售后单{case.number}（") and "当前状态：" in reply
    assert re.search(r"进度和下一步可在这里查看：/p/c/[^ ]+ 。", reply), reply  # the web chat is the shop's own site
    assert "输入订单号和手机尾号" not in reply  # not the policy, as if nothing were filed
    link = re.search(r"(/p/c/[^ ]+)", reply).group(1)
    assert case.number in Client().get(link).content.decode()  # the link opens the customer's case page


def test_on_wechat_the_open_case_is_named_without_a_link(sla_shop):
    order = make_order(sla_shop, wechat_id="")
    with frozen(NOW):
        case = case_services.case_create(actor=SYSTEM, shop=sla_shop, order_line=order.lines.get(), reason="quality")
        got = inbound_accept(shop=sla_shop, channel=Channel.WECHAT,
                             item=Inbound(external_id="wx-9", contact_handle="o_x", body="退货 OD2026110401 5678"))
    (reply,) = bot_replies(got.conversation)
    assert reply.startswith(f"您的售后单{case.number}（") and "/p/c/" not in reply
    assert reply.endswith("有其他问题请回复「人工」。")


def test_an_english_reader_with_an_open_case_reads_it_in_english(sla_shop):
    order = make_order(sla_shop)
    with frozen(NOW):
        case = case_services.case_create(actor=SYSTEM, shop=sla_shop, order_line=order.lines.get(), reason="quality")
        with translation.override("en"):
            conversation, say = chat(order)
            say("I want a refund")
    (reply,) = bot_replies(conversation)
    assert reply.startswith(f"Your after-sales case {case.number} (") and "is in progress; status: " in reply
    assert HAN.findall(reply) == [], reply


# --- the phone's last four digits: one guess per message, counted with the portal's --------------------

def _victim(shop):
    from shouhou.core.testing.factories import CustomerFactory, OrderFactory, OrderLineFactory

    victim = CustomerFactory(shop=shop, name="李受害", phone="13900004321", phone_last4="4321")
    order = OrderFactory(shop=shop, customer=victim, order_no="VICTIM00002")
    OrderLineFactory(order=order, product_name="真丝睡衣")
    ShipmentFactory(order=order, carrier="SF", tracking_no="SF9988776655", status="in_transit",
                    shipped_at=at("2026-11-05 09:00"))
    return order


def test_a_message_full_of_four_digit_groups_is_one_guess(sla_shop):
    from django.core.cache import cache

    cache.clear()
    mine = make_order(sla_shop)
    _victim(sla_shop)
    groups = " ".join(f"{n:04d}" for n in range(4300, 4330))  # the right tail (4321) among thirty
    with frozen(NOW):
        conversation, say = chat(mine)
        say(f"VICTIM00002 快递到哪了 {groups}")
    replies = bot_replies(conversation)
    assert not any("SF9988776655" in r or "真丝睡衣" in r for r in replies)
    assert not conversation.orders.filter(order_no="VICTIM00002").exists()


def test_wrong_tails_are_counted_with_the_portals_and_then_refused(sla_shop, client):
    from django.core.cache import cache

    cache.clear()
    mine = make_order(sla_shop)
    _victim(sla_shop)
    with frozen(NOW):
        conversation, say = chat(mine)
        for tail in ("0000", "0001", "0002", "0003", "0004"):
            say(f"VICTIM00002 快递到哪了 {tail}")
        say("VICTIM00002 快递到哪了 4321")  # the right one, after five misses
        # and the portal counts the same order number's guesses: it refuses the right pair too
        page = client.post("/p/", {"order_no": "VICTIM00002", "last4": "4321"}, REMOTE_ADDR="10.9.9.9")
    replies = bot_replies(conversation)
    assert replies[-1] == str(bot.TOO_MANY_GUESSES)
    assert not any("SF9988776655" in r for r in replies)
    assert page.status_code == 429


def test_the_right_tail_first_still_finds_the_order(sla_shop):
    from django.core.cache import cache

    cache.clear()
    mine = make_order(sla_shop)
    _victim(sla_shop)
    with frozen(NOW):
        conversation, say = chat(mine)
        say("VICTIM00002 快递到哪了 4321")
    assert "SF9988776655" in bot_replies(conversation)[-1]
