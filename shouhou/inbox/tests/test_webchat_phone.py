"""The web chat on a phone (390×844, issue 15): after a long conversation and a reload the newest
message must be visible above the sticky composer, and stay so as messages arrive."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from shouhou.core.testing.factories import CustomerFactory, OrderFactory
from shouhou.inbox.channels import webchat
from shouhou.inbox.models import Message, Ticket
from shouhou.inbox.services import ticket_reply

PHONE = {"width": 390, "height": 844}


def _newest_is_visible_above_the_composer(page) -> dict:
    """Geometry of the last message, the composer and the viewport, read in the page."""
    return page.evaluate("""() => {
        const items = document.querySelectorAll('.chat-log .chat-msg');
        const last = items[items.length - 1].getBoundingClientRect();
        const form = document.querySelector('.chat-form').getBoundingClientRect();
        return {last_top: last.top, last_bottom: last.bottom, form_top: form.top, form_bottom: form.bottom,
                height: window.innerHeight, count: items.length};
    }""")


def _assert_visible(geometry: dict):
    assert geometry["last_top"] >= 0, geometry
    assert geometry["last_bottom"] <= geometry["form_top"] + 0.5, geometry  # not under the composer
    assert geometry["form_bottom"] <= geometry["height"] + 0.5, geometry  # the composer is on screen


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_newest_message_stays_above_the_composer_after_a_reload(browser, live_server, shop, agent):
    cache.clear()
    customer = CustomerFactory(shop=shop, name="李女士", phone="13812345678")
    order = OrderFactory(shop=shop, customer=customer, order_no="XL20261101077")
    conversation = webchat.webchat_start(order=order)
    for n in range(14):  # each question gets the assistant's (long) answer: a long conversation
        webchat.webchat_post(conversation=conversation, body=f"第{n + 1}个问题：怎么退货？", client_id=f"q{n}")
    webchat.webchat_post(conversation=conversation, body="最后一条：我的快递到哪了", client_id="last")
    assert Message.objects.filter(conversation=conversation).count() >= 28
    token = webchat.chat_token(conversation)

    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=3,
                                  locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        # given a long conversation, when the customer opens the link again (a reload)
        page.goto(f"{live_server.url}/inbox/chat/{token}/")
        page.reload()
        page.wait_for_selector(".chat-msg")
        page.wait_for_timeout(300)
        # then the newest message is on screen, above the composer
        _assert_visible(_newest_is_visible_above_the_composer(page))
        # when they send one more and a person answers, the newest is again above the composer
        page.fill("textarea[name=body]", "转人工")
        page.click(".chat-form button[type=submit]")
        page.wait_for_selector(".chat-msg.me >> text=转人工")
        ticket = Ticket.objects.get(conversation=conversation)  # asking for a person opens a ticket
        ticket_reply(ticket=ticket, author=agent, body="您好，我是客服小鹿，马上为您查询")
        page.wait_for_selector(".chat-msg.agent >> text=马上为您查询", timeout=10000)
        page.wait_for_timeout(300)
        _assert_visible(_newest_is_visible_above_the_composer(page))
    finally:
        context.close()
