"""Alerts on the one-screen desk, over the real ASGI server (the push connected): a conversation transferred to an
agent alerts that agent and joins their list while it leaves the giver's; an agent with two desk tabs is alerted
once per message, by one tab (desk/im.js claim)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shouhou.accounts.choices import Role
from shouhou.core.testing.browser import log_in
from shouhou.core.testing.factories import CustomerFactory, MembershipFactory, UserFactory
from shouhou.inbox.choices import Channel
from shouhou.inbox.models import Ticket
from shouhou.inbox.services import message_receive


@pytest.fixture
def asgi_server(transactional_db):
    from shouhou.core.testing.asgiserver import asgi_server_run

    yield from asgi_server_run()


def _desk(context, base, username, path="/desk/im/"):
    page = context.new_page()
    page.set_default_timeout(15000)
    log_in(page, base, username)
    page.goto(f"{base}{path}")
    page.wait_for_selector("#im[data-state=on]", state="attached")
    return page


def _alerts(page) -> int:
    return int(page.evaluate("document.getElementById('im').dataset.alerts || '0'"))


@pytest.mark.browser
def test_a_transferred_conversation_alerts_the_receiving_agent_and_moves_between_their_lists(browser, asgi_server,
                                                                                           shop, agent):
    # given two agents at their desks (我的 and unassigned), a conversation held by the first
    MembershipFactory(shop=shop, role=Role.AGENT, user=UserFactory(username="kefu2"))
    ticket = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="尺码偏小，能换大一号吗？",
                             customer=CustomerFactory(shop=shop, name="周女士")).ticket
    Ticket.objects.filter(pk=ticket.pk).update(assignee=agent)
    contexts = [browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=True) for _ in range(2)]
    try:
        giver = _desk(contexts[0], asgi_server.url, "agent", f"/desk/im/?t={ticket.pk}")
        receiver = _desk(contexts[1], asgi_server.url, "kefu2")
        expect(giver.get_by_test_id("im-row")).to_have_count(1)
        expect(receiver.get_by_test_id("im-row")).to_have_count(0)  # another agent's conversation
        assert _alerts(receiver) == 0

        # when the first agent transfers it from the one screen
        giver.on("dialog", lambda d: d.accept())
        giver.get_by_test_id("im-transfer").select_option(label="kefu2")

        # then the receiving agent is alerted (sound and tab title, the defaults) and has it in the list, no reload
        expect(receiver.locator("#im")).to_have_attribute("data-alerts", "1")
        assert receiver.evaluate("document.getElementById('im').dataset.lastAlert") == "sound,title"
        assert receiver.title().startswith("(1) ")
        expect(receiver.get_by_test_id("im-row")).to_have_count(1)
        expect(receiver.locator("#im-rows")).to_contain_text("尺码偏小")
        # and the giver's list (我的) drops it, without an alert of its own
        expect(giver.get_by_test_id("im-row")).to_have_count(0)
        assert _alerts(giver) == 0
    finally:
        for context in contexts:
            context.close()


@pytest.mark.browser
def test_two_desk_tabs_of_one_agent_alert_once_per_message(browser, asgi_server, shop, agent):
    # given one agent with two desk tabs in one browser, the second one in front, the first in the background
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=True)
    try:
        behind = _desk(context, asgi_server.url, "agent")
        front = context.new_page()
        front.set_default_timeout(15000)
        front.goto(f"{asgi_server.url}/desk/im/")
        front.wait_for_selector("#im[data-state=on]", state="attached")
        front.bring_to_front()
        # headless Chromium reports every page as visible and focused: the first tab is made a background tab
        behind.evaluate("Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});"
                        "Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});"
                        "document.dispatchEvent(new Event('visibilitychange'))")

        for n, text in enumerate(["请问什么时候发货？", "能开发票吗？"], start=1):
            # when a customer writes
            message_receive(shop=shop, channel=Channel.WEB_CHAT, body=text, customer=CustomerFactory(shop=shop))
            # then both tabs hear it and show it in their lists ...
            for page in (behind, front):
                page.wait_for_function(f"(document.getElementById('im').dataset.decided || '0') === '{n}'")
                expect(page.locator("#im-rows")).to_contain_text(text)
            # ... and exactly one of them alerts, once
            assert _alerts(behind) + _alerts(front) == n, (_alerts(behind), _alerts(front))
        # every alert came from the tab in front, and only its title counts them
        assert _alerts(front) == 2 and _alerts(behind) == 0
        assert front.title().startswith("(2) ") and not behind.title().startswith("(")
    finally:
        context.close()
