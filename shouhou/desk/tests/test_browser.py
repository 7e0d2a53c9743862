from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shouhou.core.testing.factories import CustomerFactory
from shouhou.desk.tests.factories import ScriptFactory
from shouhou.inbox.choices import Channel, TicketCategory
from shouhou.inbox.models import Message, Ticket
from shouhou.inbox.services import message_receive


def _ticket(shop):
    customer = CustomerFactory(shop=shop, name="李女士", phone="13812345678")
    ticket = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="面霜收到时瓶口漏了，怎么办？",
                             customer=customer).ticket
    Ticket.objects.filter(pk=ticket.pk).update(category=TicketCategory.QUALITY)
    return ticket


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_agent_answers_with_a_script_and_the_sla_clock_stops(login_page, live_server, shop, agent):
    # given a customer message waiting for its first response, and a quality script
    ticket = _ticket(shop)
    ScriptFactory(shop=shop, title="质量问题先致歉", body="{customer}您好，非常抱歉给您添麻烦了！请问您想换货还是退款？",
                  categories=[TicketCategory.QUALITY])
    page = login_page("agent")

    # when the agent opens the queue, the ticket shows a running first-response countdown
    page.goto(f"{live_server.url}/desk/queue/")
    row = page.locator(f'tr[data-ticket="{ticket.pk}"]')
    clock = row.get_by_test_id("sla-clock")
    assert clock.get_attribute("data-target") == "first_response"
    page.wait_for_function(
        "el => /剩余 \\d+:\\d\\d/.test(el.textContent)", arg=clock.element_handle())
    first = clock.inner_text()
    page.wait_for_function("([el, t]) => el.textContent !== t", arg=[clock.element_handle(), first])  # it ticks

    # and opens it, picks the suggested script and sends it
    row.get_by_test_id("ticket-link").click()
    page.wait_for_selector('[data-testid="timeline"]')
    assert page.get_by_test_id("sla-clock").get_attribute("data-target") == "first_response"
    page.get_by_test_id("script").filter(has_text="质量问题先致歉").click()
    page.wait_for_function("document.getElementById('reply-body').value.length > 0")
    assert page.input_value("#reply-body") == "李女士您好，非常抱歉给您添麻烦了！请问您想换货还是退款？"
    page.get_by_test_id("send-reply").click()

    # then the reply is in the conversation and the first-response clock has stopped
    expect(page.get_by_test_id("timeline")).to_contain_text("请问您想换货还是退款")
    expect(page.get_by_test_id("sla-clock")).not_to_have_attribute("data-target", "first_response")
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("sla-answered").first.is_visible()
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None and ticket.assignee == agent
    assert Message.objects.get(direction="outbound").script.title == "质量问题先致歉"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_new_customer_message_appears_without_reloading(login_page, live_server, shop, agent):
    # given the agent has the conversation open
    ticket = _ticket(shop)
    page = login_page("agent")
    page.goto(f"{live_server.url}/desk/t/{ticket.pk}/")
    page.wait_for_selector('[data-testid="timeline"]')
    page.evaluate("window.__notReloaded = true")

    # when the customer writes again
    message_receive(shop=shop, channel=Channel.WEB_CHAT, body="客服还在吗？急用", customer=ticket.customer)

    # then the message is appended to the open page by the live refresh, without a reload
    page.wait_for_function(
        "document.querySelector('[data-testid=timeline]').textContent.includes('客服还在吗？急用')")
    assert page.evaluate("window.__notReloaded") is True
    assert page.locator('[data-testid="msg-inbound"]').count() == 2


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_blocked_reply_keeps_the_draft_in_the_browser(login_page, live_server, shop, agent):
    ticket = _ticket(shop)
    page = login_page("agent")
    page.goto(f"{live_server.url}/desk/t/{ticket.pk}/")
    page.fill("#reply-body", "亲，五星好评返现5元哦")
    page.get_by_test_id("send-reply").click()
    page.wait_for_selector('[data-testid="reply-blocked"]')
    assert page.input_value("#reply-body") == "亲，五星好评返现5元哦"
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None
