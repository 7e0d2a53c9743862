"""New chats at two agents' one-screen desks over the real ASGI server, on the push and on the polling fallback: a chat
nobody is given alerts each agent once; a chat the routing gives to one agent alerts that agent once, saying the system
assigned it (「系统把一个会话分配给你」), and nobody else. Before 2026-12-07 the routed chat's message rang every desk
(its event was stored before the ticket existed and said "unassigned"), then the routed agent's again for the
assignment: two alerts for one message, and colleagues alerted for a chat that was not theirs."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from shouhou.accounts.choices import Role
from shouhou.core.clock import now
from shouhou.core.testing.browser import log_in
from shouhou.core.testing.factories import CustomerFactory, MembershipFactory, UserFactory
from shouhou.desk.tests.factories import AgentProfileFactory, ShiftFactory
from shouhou.inbox.choices import Channel
from shouhou.inbox.services import message_receive

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


@pytest.fixture
def asgi_server(transactional_db):
    from shouhou.core.testing.asgiserver import asgi_server_run

    yield from asgi_server_run()


def _desk(browser, base, user):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    log_in(page, base, user.username)
    page.evaluate(f"localStorage.setItem('shouhou.desk.alerts.{user.pk}', JSON.stringify({{sound: false, "
                  "title: true, desktop: true}))")
    context.add_init_script(NOTIFICATIONS)
    page.goto(f"{base}/desk/im/")
    page.wait_for_selector("#im[data-state=on]", state="attached")
    return context, page


def _notes(page) -> list[str]:
    return [n["body"] if n["title"] == "转接给你的会话" else n["title"] for n in page.evaluate("window.__notes")]


@pytest.mark.browser
@pytest.mark.parametrize("path", ["push", "polling"])
def test_a_new_chat_alerts_once_and_a_routed_one_only_its_agent_saying_the_system_assigned_it(
        browser, asgi_server, shop, agent, path):
    colleague = MembershipFactory(shop=shop, role=Role.AGENT, user=UserFactory(username="kefu2")).user
    desks = [_desk(browser, asgi_server.url, user) for user in (agent, colleague)]
    mine, theirs = (page for _, page in desks)
    wait = 15000 if path == "polling" else 5000
    try:
        if path == "polling":  # the push dropped (and kept away), the desks in front: they poll every 5 s
            for page in (mine, theirs):
                page.evaluate("window.ShouhouLive.streams.forEach(function (s) { s.drop(); })")
                page.wait_for_selector("#im[data-state=off]", state="attached")

        # when a new chat comes while nobody is on duty (the routing gives it to nobody)
        message_receive(shop=shop, channel=Channel.WEB_CHAT, body="在吗", customer=CustomerFactory(shop=shop))
        # then each agent's desk alerts it once, as a new customer message
        for page in (mine, theirs):
            expect(page.locator("#im")).to_have_attribute("data-alerts", "1", timeout=wait)
            assert _notes(page) == ["新的顾客消息"]

        # when the agent comes on duty and the next new chat is routed to them
        profile = AgentProfileFactory(shop=shop, user=agent)
        ShiftFactory(agent=profile, starts_at=now() - dt.timedelta(hours=1), ends_at=now() + dt.timedelta(hours=8))
        routed = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="面霜漏了怎么办",
                                 customer=CustomerFactory(shop=shop)).ticket
        assert routed.assignee_id == agent.pk

        # then the agent's desk alerts it once, saying the system assigned it, and lists it
        expect(mine.locator("#im")).to_have_attribute("data-alerts", "2", timeout=wait)
        expect(mine.locator(f'.im-row[data-ticket="{routed.pk}"]')).to_have_count(1, timeout=wait)
        # and the colleague's desk, which drops it from its list, says nothing
        expect(theirs.locator(f'.im-row[data-ticket="{routed.pk}"]')).to_have_count(0)
        mine.wait_for_timeout(7000 if path == "polling" else 3000)  # a claim waits at most 2 s; one more poll
        assert _notes(mine) == ["新的顾客消息", "系统把一个会话分配给你"]
        assert _notes(theirs) == ["新的顾客消息"]
        assert [p.evaluate("document.getElementById('im').dataset.alerts") for p in (mine, theirs)] == ["2", "1"]
    finally:
        for context, _ in desks:
            context.close()
