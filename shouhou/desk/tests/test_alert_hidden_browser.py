"""A customer message while the agent's only desk tab is hidden (another window in front), over the real ASGI server
with the push connected: the tab title counts it and the tone plays — also when the first message came before the
agent had clicked or typed anything on the desk.

Browsers start an AudioContext made before the page's first click or key press "suspended" (Chrome's autoplay
policy, developer.chrome.com/blog/autoplay: "If an AudioContext is created before the document receives a user
gesture, it will be created in the suspended state, and you will need to call resume() after a user gesture").
Headless Chromium does not apply it, so the page gets a stand-in AudioContext that does (a trusted click or key press),
and records the state each tone was started in. Before 2026-12-07 the desk made its one context at the first tone:
a message before any click left it suspended for good, and every later tone was silent (yet counted as rung).
"""

from __future__ import annotations

import pytest
from django.db import transaction
from playwright.sync_api import expect

from shouhou.core.testing.browser import log_in
from shouhou.core.testing.factories import CustomerFactory
from shouhou.inbox.choices import Channel
from shouhou.inbox.services import message_receive

AUTOPLAY_POLICY = """
(() => {
  window.__tones = [];
  // a click or key press on the page (Playwright's evaluate counts as a gesture for navigator.userActivation,
  // so the page's own trusted input events are what count here)
  let active = false;
  ["pointerdown", "mousedown", "keydown"].forEach((name) => window.addEventListener(name, (ev) => {
    if (ev.isTrusted) active = true;
  }, true));
  class PolicyAudioContext {
    constructor() {
      this.state = active ? "running" : "suspended";
      this.currentTime = 0;
      this.destination = {};
    }
    resume() {
      if (!active) return Promise.reject(new Error("NotAllowedError"));
      this.state = "running";
      return Promise.resolve();
    }
    createOscillator() {
      const ctx = this;
      return {frequency: {}, connect() {}, stop() {}, start() { window.__tones.push(ctx.state); }};
    }
    createGain() { return {gain: {setValueAtTime() {}, exponentialRampToValueAtTime() {}}, connect() {}}; }
  }
  window.AudioContext = PolicyAudioContext;
  window.webkitAudioContext = PolicyAudioContext;
})();
"""

HIDE = ("Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});"
        "Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});"
        "document.dispatchEvent(new Event('visibilitychange'))")


@pytest.fixture
def asgi_server(transactional_db):
    from shouhou.core.testing.asgiserver import asgi_server_run

    yield from asgi_server_run()


@pytest.mark.browser
def test_a_message_to_a_hidden_desk_tab_counts_in_the_title_and_the_tone_plays_after_the_first_click(
        browser, asgi_server, shop, agent):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=True)
    try:
        login = context.new_page()
        log_in(login, asgi_server.url, "agent")
        context.add_init_script(AUTOPLAY_POLICY)
        page = context.new_page()  # a new tab: no click or key press on it yet
        page.set_default_timeout(15000)
        page.goto(f"{asgi_server.url}/desk/im/")
        page.wait_for_selector("#im[data-state=on]", state="attached")
        base = page.title()
        page.evaluate(HIDE)  # the agent went to another window

        # when a customer writes before the agent has touched the desk
        message_receive(shop=shop, channel=Channel.WEB_CHAT, body="请问什么时候发货？", customer=CustomerFactory(shop=shop))

        # then the hidden tab's title counts it; the tone cannot play yet and is not counted as played
        expect(page.locator("#im")).to_have_attribute("data-alerts", "1")
        assert page.title() == f"(1) 新消息 · {base}"
        assert page.evaluate("document.getElementById('im').dataset.lastAlert") == "title"
        assert page.evaluate("window.__tones") == []
        expect(page.locator("#im-rows")).to_contain_text("请问什么时候发货")

        # when the agent clicks once on the desk (opening 「提醒」) and the tab goes to the background again
        page.get_by_test_id("im-settings").click()
        page.evaluate(HIDE)
        message_receive(shop=shop, channel=Channel.WEB_CHAT, body="能开发票吗？", customer=CustomerFactory(shop=shop))

        # then the next message's tone plays, from a running context, and the title counts two
        expect(page.locator("#im")).to_have_attribute("data-alerts", "2")
        assert page.evaluate("window.__tones") == ["running"]
        assert page.evaluate("document.getElementById('im').dataset.lastAlert") == "sound,title"
        assert page.title().startswith("(2) ")
    finally:
        context.close()


@pytest.mark.browser
def test_a_hidden_desk_on_the_polling_fallback_still_alerts_a_new_customer_message_once(browser, asgi_server, shop,
                                                                                         agent):
    """Before 2026-12-07 only pushed messages alerted, and a hidden desk did not poll at all: with the push down (a
    proxy that drops WebSockets) a customer's message made no sound and no tab title until the agent came back."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=True)
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        log_in(page, asgi_server.url, "agent")
        page.goto(f"{asgi_server.url}/desk/im/")
        page.wait_for_selector("#im[data-state=on]", state="attached")
        message_receive(shop=shop, channel=Channel.WEB_CHAT, body="在吗", customer=CustomerFactory(shop=shop))
        expect(page.locator("#im")).to_have_attribute("data-alerts", "1")  # pushed
        # given the push dropped (and kept away) and the tab in the background
        page.evaluate("window.ShouhouLive.streams.forEach(function (s) { s.drop(); })")
        page.wait_for_selector("#im[data-state=off]", state="attached")
        page.evaluate(HIDE)

        # when a customer writes
        message_receive(shop=shop, channel=Channel.WEB_CHAT, body="快递怎么还没到", customer=CustomerFactory(shop=shop))

        # then the background tab's list poll finds it and alerts it (every 15 s in the background)
        expect(page.locator("#im")).to_have_attribute("data-alerts", "2", timeout=25000)
        assert page.title().startswith("(2) ")
        expect(page.locator("#im-rows")).to_contain_text("快递怎么还没到")

        # and once the push is back, the replayed message does not alert again
        decided = int(page.evaluate("document.getElementById('im').dataset.decided"))
        page.evaluate("window.ShouhouLive.streams.forEach(function (s) { s.reconnect(); })")
        page.wait_for_selector("#im[data-state=on]", state="attached")
        page.wait_for_function(f"Number(document.getElementById('im').dataset.decided) > {decided}", timeout=10000)
        page.wait_for_timeout(2500)  # a background tab that does not lead waits 2 s before it claims
        assert page.evaluate("document.getElementById('im').dataset.alerts") == "2"
    finally:
        context.close()


@pytest.mark.browser
def test_a_desk_back_after_the_retention_window_reloads_and_alerts_what_it_missed(browser, asgi_server, shop, agent):
    """The push was away longer than events are kept (3 days: docs/live.md point 8) and every event it missed is
    pruned. Before 2026-12-07 the server greeted it without a reset (nothing stored showed the gap) and a reset, when
    one came, redrew the list without an alert: the message that came meanwhile was on the list, unannounced."""
    import datetime as dt

    from shouhou.live.models import LiveEvent
    from shouhou.live.services import live_prune

    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=True)
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        log_in(page, asgi_server.url, "agent")
        page.goto(f"{asgi_server.url}/desk/im/")
        page.wait_for_selector("#im[data-state=on]", state="attached")
        # given the desk away (the push dropped, the tab in the background: it polls the list only every 15 s)
        page.evaluate("window.ShouhouLive.streams.forEach(function (s) { s.drop(); })")
        page.wait_for_selector("#im[data-state=off]", state="attached")
        page.evaluate(HIDE)
        # and a customer's message whose events are all gone by the time it is back
        message_receive(shop=shop, channel=Channel.WEB_CHAT, body="收到的面霜漏了，怎么处理", customer=CustomerFactory(shop=shop))
        LiveEvent.objects.update(created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        assert live_prune() >= 1 and not LiveEvent.objects.exists()

        # when the push comes back
        page.evaluate("window.ShouhouLive.streams.forEach(function (s) { s.reconnect(); })")

        # then the desk reads its list again and alerts the message it missed, in the title, at once (before the
        # background tab's 15-second list poll)
        expect(page.locator("#im")).to_have_attribute("data-alerts", "1", timeout=8000)
        assert page.title().startswith("(1) ")
        expect(page.locator("#im-rows")).to_contain_text("收到的面霜漏了，怎么处理")
    finally:
        context.close()


NOTIFICATIONS = """
(() => {
  window.__notes = [];
  class RecordedNotification {
    constructor(title, options) { window.__notes.push({title: title, body: (options || {}).body || ""}); }
  }
  RecordedNotification.permission = "granted";
  RecordedNotification.requestPermission = () => Promise.resolve("granted");
  window.Notification = RecordedNotification;
})();
"""


@pytest.mark.browser
def test_a_hidden_desk_on_the_polling_fallback_alerts_a_conversation_transferred_to_the_agent_once(
        browser, asgi_server, shop, agent):
    """Before 2026-12-07 (evening) only the push alerted a transfer: with WebSockets blocked the conversation joined
    the receiver's list at the next poll without a sound, a tab title or a notification."""
    from shouhou.accounts.choices import Role
    from shouhou.core.testing.factories import MembershipFactory, UserFactory
    from shouhou.inbox.services import ticket_assign

    colleague = MembershipFactory(shop=shop, role=Role.AGENT, user=UserFactory(username="kefu2")).user
    ticket = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="尺码偏小，能换大一号吗？",
                             customer=CustomerFactory(shop=shop, name="周女士")).ticket
    ticket = ticket_assign(ticket=ticket, agent=colleague, actor=colleague)
    # and, in the agent's list, a newer customer message than the colleague's conversation holds
    message_receive(shop=shop, channel=Channel.WEB_CHAT, body="发票怎么开", customer=CustomerFactory(shop=shop))
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=True)
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        log_in(page, asgi_server.url, "agent")
        # given the agent's settings: no sound, the tab title and desktop notifications
        page.evaluate(f"localStorage.setItem('shouhou.desk.alerts.{agent.pk}', JSON.stringify({{sound: false, "
                      "title: true, desktop: true}))")
        context.add_init_script(NOTIFICATIONS)
        page.goto(f"{asgi_server.url}/desk/im/")
        page.wait_for_selector("#im[data-state=on]", state="attached")
        expect(page.get_by_test_id("im-row")).to_have_count(1)  # not the colleague's conversation
        base = page.title()
        # and the push dropped (and kept away), the tab in the background
        page.evaluate("window.ShouhouLive.streams.forEach(function (s) { s.drop(); })")
        page.wait_for_selector("#im[data-state=off]", state="attached")
        page.evaluate(HIDE)

        # when the colleague transfers the conversation to the agent
        ticket_assign(ticket=ticket, agent=agent, actor=colleague)

        # then the background tab's list poll finds it and alerts it as the push would, per the settings
        expect(page.locator("#im")).to_have_attribute("data-alerts", "1", timeout=25000)
        assert page.evaluate("document.getElementById('im').dataset.lastAlert") == "title,desktop"
        assert page.title() == f"(1) 新消息 · {base}"
        assert page.evaluate("window.__notes") == [{"title": "转接给你的会话", "body": "kefu2 把一个会话转接给你"}]
        expect(page.get_by_test_id("im-row")).to_have_count(2)
        expect(page.locator("#im-rows")).to_contain_text("尺码偏小")

        # and a later poll, then the push coming back with the transfer's event replayed, alert nothing more
        decided = int(page.evaluate("document.getElementById('im').dataset.decided"))
        page.wait_for_timeout(16000)  # the next background poll
        page.evaluate("window.ShouhouLive.streams.forEach(function (s) { s.reconnect(); })")
        page.wait_for_selector("#im[data-state=on]", state="attached")
        page.wait_for_function(f"Number(document.getElementById('im').dataset.decided) > {decided}", timeout=10000)
        page.wait_for_timeout(2500)  # a background tab that does not lead waits 2 s before it claims
        assert page.evaluate("document.getElementById('im').dataset.alerts") == "1"
        assert page.title() == f"(1) 新消息 · {base}"
        assert len(page.evaluate("window.__notes")) == 1
    finally:
        context.close()


@pytest.mark.browser
def test_a_conversation_the_routing_gives_on_the_polling_fallback_says_it_was_assigned(browser, asgi_server, shop,
                                                                                       agent):
    """A conversation given by the routing (an `assigned` event without a person) names nobody: the alert said
    「 把一个会话转接给你」 with an empty name before 2026-12-07 (evening)."""
    from shouhou.accounts.choices import Role
    from shouhou.core.testing.factories import MembershipFactory, UserFactory
    from shouhou.inbox.choices import TicketEventKind
    from shouhou.inbox.models import Ticket, TicketEvent
    from shouhou.inbox.services import ticket_assign

    colleague = MembershipFactory(shop=shop, role=Role.AGENT, user=UserFactory(username="kefu2")).user
    ticket = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="快递三天没动了",
                             customer=CustomerFactory(shop=shop)).ticket
    ticket_assign(ticket=ticket, agent=colleague, actor=colleague)
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=True)
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        log_in(page, asgi_server.url, "agent")
        page.evaluate(f"localStorage.setItem('shouhou.desk.alerts.{agent.pk}', JSON.stringify({{sound: false, "
                      "title: true, desktop: true}))")
        context.add_init_script(NOTIFICATIONS)
        page.goto(f"{asgi_server.url}/desk/im/")
        page.wait_for_selector("#im[data-state=on]", state="attached")
        # given the push dropped (and kept away), the desk in front (it polls every 5 s)
        page.evaluate("window.ShouhouLive.streams.forEach(function (s) { s.drop(); })")
        page.wait_for_selector("#im[data-state=off]", state="attached")

        # when the routing gives the conversation to the agent (as inbox.routing writes it: no actor)
        with transaction.atomic():
            Ticket.objects.filter(pk=ticket.pk).update(assignee=agent)
            TicketEvent.objects.create(shop=shop, ticket=ticket, kind=TicketEventKind.ASSIGNED, to_value="agent",
                                       note="上班后自动分配")

        # then the desk alerts it, saying it was assigned, naming nobody
        expect(page.locator("#im")).to_have_attribute("data-alerts", "1", timeout=15000)
        assert page.evaluate("window.__notes") == [{"title": "转接给你的会话", "body": "系统把一个会话分配给你"}]
        expect(page.locator("#im-rows")).to_contain_text("快递三天没动了")
    finally:
        context.close()
