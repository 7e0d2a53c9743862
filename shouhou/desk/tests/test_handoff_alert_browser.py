"""A web chat the bot receives, handed over to a person (转人工), at an agent's one-screen desk over the real ASGI
server: on the push and on the polling fallback the conversation joins the list and alerts once; what the bot
answers before the hand-off alerts nobody (no list shows it). Before 2026-12-07 (evening) every customer message the
bot answered rang every agent's desk (tone, tab title) for a conversation none of their lists showed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shouhou.core.testing.browser import log_in
from shouhou.core.testing.factories import CustomerFactory
from shouhou.inbox.channels.inbound import conversation_for_contact
from shouhou.inbox.channels.webchat import webchat_post

HIDE = ("Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});"
        "Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});"
        "document.dispatchEvent(new Event('visibilitychange'))")


@pytest.fixture
def asgi_server(transactional_db):
    from shouhou.core.testing.asgiserver import asgi_server_run

    yield from asgi_server_run()


def _desk(browser, base):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    log_in(page, base, "agent")
    page.goto(f"{base}/desk/im/")
    page.wait_for_selector("#im[data-state=on]", state="attached")
    return context, page


def _alerts(page) -> str:
    return page.evaluate("document.getElementById('im').dataset.alerts || '0'")


@pytest.mark.browser
def test_a_chat_the_bot_hands_over_alerts_once_on_the_push_and_what_the_bot_answers_alerts_nobody(
        browser, asgi_server, shop, agent):
    chat = conversation_for_contact(shop=shop, channel="web_chat", customer=CustomerFactory(shop=shop, name="周女士"))
    context, page = _desk(browser, asgi_server.url)
    try:
        base = page.title()
        # when the customer greets the bot, which answers
        webchat_post(conversation=chat, body="你好")
        # then the desk hears it (pushed at once) and says nothing
        page.wait_for_timeout(2500)  # a claim waits at most 2 s
        assert _alerts(page) == "0"
        assert page.title() == base
        expect(page.get_by_test_id("im-row")).to_have_count(0)

        # when the customer asks for a person
        webchat_post(conversation=chat, body="转人工")

        # then the conversation joins the list and alerts once (sound and tab title, the defaults)
        expect(page.get_by_test_id("im-row")).to_have_count(1)
        expect(page.locator("#im-rows")).to_contain_text("转人工")
        expect(page.locator("#im")).to_have_attribute("data-alerts", "1")
        assert page.evaluate("document.getElementById('im').dataset.lastAlert") == "sound,title"
        assert page.title() == f"(1) 新消息 · {base}"
        page.wait_for_timeout(2500)
        assert _alerts(page) == "1"
    finally:
        context.close()


@pytest.mark.browser
def test_a_hidden_desk_on_the_polling_fallback_alerts_a_hand_off_once(browser, asgi_server, shop, agent):
    chat = conversation_for_contact(shop=shop, channel="web_chat", customer=CustomerFactory(shop=shop, name="周女士"))
    context, page = _desk(browser, asgi_server.url)
    try:
        base = page.title()
        # given the push dropped (and kept away) and the tab in the background, a customer talking with the bot
        page.evaluate("window.ShouhouLive.streams.forEach(function (s) { s.drop(); })")
        page.wait_for_selector("#im[data-state=off]", state="attached")
        page.evaluate(HIDE)
        webchat_post(conversation=chat, body="你好")

        # when the customer asks for a person
        webchat_post(conversation=chat, body="转人工")

        # then the background tab's list poll shows the conversation and alerts it once
        expect(page.locator("#im")).to_have_attribute("data-alerts", "1", timeout=25000)
        assert page.title() == f"(1) 新消息 · {base}"
        expect(page.get_by_test_id("im-row")).to_have_count(1)
        expect(page.locator("#im-rows")).to_contain_text("转人工")

        # and once the push is back, the replayed messages and hand-off alert nothing more
        decided = int(page.evaluate("document.getElementById('im').dataset.decided"))
        page.evaluate("window.ShouhouLive.streams.forEach(function (s) { s.reconnect(); })")
        page.wait_for_selector("#im[data-state=on]", state="attached")
        page.wait_for_function(f"Number(document.getElementById('im').dataset.decided) > {decided}", timeout=10000)
        page.wait_for_timeout(2500)  # a background tab that does not lead waits 2 s before it claims
        assert _alerts(page) == "1"
        assert page.title() == f"(1) 新消息 · {base}"
    finally:
        context.close()
