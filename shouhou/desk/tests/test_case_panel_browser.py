"""The case panel in a browser at 1366×768: the agent approves (confirming the amount) and rejects (with a
reason) the customer's cases from the one-screen desk without a reload; a read-only role sees the facts and
no buttons, and its post is refused. On the ticket page, arrowing through "更多话术…" never replaces the
agent's own draft without asking. (Over the WSGI live server: the push cannot connect, the pages poll.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from shouhou.accounts.actors import SYSTEM, CustomerActor
from shouhou.accounts.choices import Role
from shouhou.cases import services as case_svc
from shouhou.cases.choices import CaseStatus
from shouhou.cases.models import Case
from shouhou.cases.tests.factories import PNG, photo
from shouhou.core.testing.browser import log_in
from shouhou.core.testing.factories import CustomerFactory, MembershipFactory, OrderLineFactory, UserFactory
from shouhou.desk.tests.factories import ScriptFactory
from shouhou.inbox.choices import Channel, TicketCategory
from shouhou.inbox.models import Ticket
from shouhou.inbox.services import message_receive
from shouhou.live.models import LiveEvent


def _conversation(shop):
    """李女士 asks about her parcel: a refund case (a lost parcel: the line's price back) with her photo, and an
    exchange case on another order."""
    customer = CustomerFactory(shop=shop, name="李女士")
    cases = []
    for product, kind, reason in (("保湿面霜", "refund_only", "lost_parcel"), ("洁面乳", "exchange", "quality")):
        line = OrderLineFactory(order__shop=shop, order__customer=customer, product_name=product)
        cases.append(case_svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason=reason, kind=kind,
                                          auto_approve=False, description="瓶口漏液"))
    cases[0].refresh_from_db()
    case_svc.case_add_evidence(case=cases[0], upload=photo(PNG, "leak.png"), actor=CustomerActor(cases[0].pk))
    ticket = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="面霜漏了，能退款吗", customer=customer,
                             order=cases[0].order).ticket
    return ticket, cases[0], cases[1]


def _case_posts(page):
    posted = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" and "/cases/" in r.url else None)
    return posted


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_agent_approves_and_rejects_from_the_one_screen_desk(login_page, live_server, shop, agent):
    # given a customer's conversation with two open cases, on a 1366×768 laptop
    ticket, refund, exchange = _conversation(shop)
    page = login_page("agent")
    page.set_viewport_size({"width": 1366, "height": 768})
    posted = _case_posts(page)
    page.goto(f"{live_server.url}/desk/im/?t={ticket.pk}")
    page.evaluate("window.__notReloaded = true")
    card = page.locator(f'[data-testid="im-case"][data-case="{refund.pk}"]')
    other = page.locator(f'[data-testid="im-case"][data-case="{exchange.pk}"]')

    # then the side panel shows what to decide on: amount, reason, the policy's explanation, her photo
    expect(card.get_by_test_id("case-amount")).to_have_text(f"¥{refund.refund_amount}")
    assert refund.refund_amount > 0
    expect(card.get_by_test_id("case-reason")).to_have_text("包裹丢失")
    expect(card.get_by_test_id("case-explanation")).to_have_text(refund.decision["explanation_zh"])
    thumb = card.get_by_test_id("case-photo").locator("img")
    expect(thumb).to_be_visible()
    expect(card.get_by_test_id("case-photo")).to_have_attribute("href", f"/cases/{refund.pk}/evidence/"
                                                                f"{refund.evidence.get().pk}/")
    if os.environ.get("SHOUHOU_SCREENSHOTS"):
        page.screenshot(path=str(Path(os.environ["SHOUHOU_SCREENSHOTS"]) / "desk-im-case-panel.png"))

    # when they press 同意 on the refund and decline the confirmation, nothing is posted
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    card.get_by_test_id("im-case-approve").click()
    expect(card.get_by_test_id("case-status")).to_have_text("待审核")
    assert asked == [f"同意售后单 {refund.number}，退款 ¥{refund.refund_amount} 给顾客吗？"] and posted == []

    # and when they confirm, the case is approved and the panel redrawn, without a reload
    page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    card.get_by_test_id("im-case-approve").click()
    expect(card.get_by_test_id("case-status")).to_have_text("已同意")
    expect(page.get_by_test_id("im-case-status")).to_have_text(f"已同意售后单 {refund.number}")
    expect(card.get_by_test_id("im-case-approve")).to_have_count(0)
    expect(page.get_by_test_id("timeline")).to_contain_text(f"同意售后单 {refund.number}")
    assert Case.objects.get(pk=refund.pk).status == CaseStatus.APPROVED

    # a rejection needs a reason: without one the panel says so and posts nothing
    other.get_by_test_id("im-case-reject").click()
    expect(other.get_by_test_id("im-case-error")).to_have_text("请填写拒绝原因")
    assert len(posted) == 1
    # with one (Enter in the box), the exchange is rejected and leaves the list of open cases
    other.get_by_test_id("im-case-reason").fill("商品已使用，影响二次销售")
    other.get_by_test_id("im-case-reason").press("Enter")
    expect(page.get_by_test_id("im-case-status")).to_have_text(f"已拒绝售后单 {exchange.number}")
    expect(other).to_have_count(0)
    assert Case.objects.get(pk=exchange.pk).status == CaseStatus.REJECTED
    assert page.evaluate("window.__notReloaded") is True
    # the desk still fits the screen: the page does not scroll
    size = page.evaluate("[window.innerHeight, document.documentElement.scrollHeight]")
    assert size[1] <= size[0]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_refusal_from_the_service_is_shown_on_the_case(login_page, live_server, shop, agent):
    ticket, refund, _exchange = _conversation(shop)
    page = login_page("agent")
    page.goto(f"{live_server.url}/desk/im/?t={ticket.pk}")
    card = page.locator(f'[data-testid="im-case"][data-case="{refund.pk}"]')
    expect(card.get_by_test_id("im-case-approve")).to_be_visible()
    # meanwhile the customer withdraws the case on the follow page
    case_svc.case_cancel(case=refund, actor=CustomerActor(refund.pk), reason="不需要了")
    page.once("dialog", lambda d: d.accept())
    card.get_by_test_id("im-case-approve").click()
    expect(card.get_by_test_id("im-case-error")).to_have_text("这个售后单已不在处理中，请刷新后再看")
    assert Case.objects.get(pk=refund.pk).status == CaseStatus.CANCELLED


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_read_only_role_sees_the_cases_without_buttons_and_its_post_is_refused(login_page, live_server, shop):
    MembershipFactory(shop=shop, role=Role.ANALYST, user=UserFactory(username="analyst"))
    ticket, refund, _exchange = _conversation(shop)
    page = login_page("analyst")
    page.goto(f"{live_server.url}/desk/im/?t={ticket.pk}")
    card = page.locator(f'[data-testid="im-case"][data-case="{refund.pk}"]')
    expect(card.get_by_test_id("case-explanation")).to_have_text(refund.decision["explanation_zh"])
    expect(page.locator("[data-case-act]")).to_have_count(0)
    # a post made anyway (from the page, with its CSRF token) is refused by the case service
    answer = page.evaluate("""(url) => fetch(url, {method: "POST", credentials: "same-origin",
        headers: {"X-CSRFToken": window.shouhouDesk.csrf(), "X-Desk-Fetch": "1"}})
        .then(r => r.json().then(j => [r.status, j.error]))""", f"/desk/im/t/{ticket.pk}/cases/{refund.pk}/approve/")
    assert answer == [403, "当前角色无权执行：审核售后单"]
    assert Case.objects.get(pk=refund.pk).status == CaseStatus.REQUESTED


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_arrowing_through_more_scripts_never_replaces_the_draft_without_asking(login_page, live_server, shop, agent):
    # given a ticket whose category has no suggestions among these scripts (so they are all under 更多话术…)
    customer = CustomerFactory(shop=shop, name="李女士")
    ticket = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="面霜漏了", customer=customer).ticket
    Ticket.objects.filter(pk=ticket.pk).update(category=TicketCategory.QUALITY)
    ScriptFactory(shop=shop, title="发货时间说明", body="亲，下单后48小时内发货哦", categories=[TicketCategory.LOGISTICS])
    ScriptFactory(shop=shop, title="催件安抚", body="亲，已为您催促快递", categories=[TicketCategory.LOGISTICS])
    page = login_page("agent")
    page.goto(f"{live_server.url}/desk/t/{ticket.pk}/")
    reply, more = page.locator("#reply-body"), page.locator("#more-scripts")
    asked = []

    # when the agent has written a draft and arrows down the list, they are asked; declining keeps the draft
    page.fill("#reply-body", "亲，我们正在核实，请稍等")
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    more.focus()
    page.keyboard.press("ArrowDown")
    expect(more).to_have_value("")
    expect(reply).to_have_value("亲，我们正在核实，请稍等")
    assert asked == ["用所选话术替换回复框中的草稿吗？"]

    # accepting puts the script in the box
    page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    page.keyboard.press("ArrowDown")
    first = more.evaluate("(s) => s.options[s.selectedIndex].text")
    expect(reply).not_to_have_value("亲，我们正在核实，请稍等")
    assert len(asked) == 2
    # the script's own text, untouched, is replaced by the next one without asking: stepping through the list
    page.keyboard.press("ArrowDown")
    second = more.evaluate("(s) => s.options[s.selectedIndex].text")
    assert first != second
    expect(reply).to_have_value("亲，已为您催促快递" if "催件" in second else "亲，下单后48小时内发货哦")
    assert len(asked) == 2
    # once the agent edits it, it is their draft again
    reply.press("End")
    page.keyboard.type("～")
    edited = reply.input_value()
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    more.focus()
    page.keyboard.press("ArrowUp")
    expect(more).to_have_value("")
    expect(reply).to_have_value(edited)
    assert len(asked) == 3


@pytest.fixture
def asgi_server(transactional_db):
    """The real ASGI server (HTTP and WebSocket): the desk's live push connects."""
    from shouhou.core.testing.asgiserver import asgi_server_run

    yield from asgi_server_run()


@pytest.mark.browser
def test_the_case_panel_redraws_itself_when_a_case_changes_elsewhere(page, asgi_server, shop, agent, supervisor):
    # given the agent has the conversation open on the live desk, typing a reason to reject the exchange
    ticket, refund, exchange = _conversation(shop)
    base = asgi_server.url
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, base, "agent")
    page.goto(f"{base}/desk/im/?t={ticket.pk}")
    page.wait_for_selector("#im[data-state=on]", state="attached")
    page.evaluate("window.__notReloaded = true")
    card = page.locator(f'[data-testid="im-case"][data-case="{refund.pk}"]')
    other = page.locator(f'[data-testid="im-case"][data-case="{exchange.pk}"]')
    expect(card.get_by_test_id("case-status")).to_have_text("待审核")
    other.get_by_test_id("im-case-reason").fill("已过质保期")

    # when a supervisor approves the refund on the cases page (another screen: here, the service)
    case_svc.case_approve(case=Case.objects.get(pk=refund.pk), actor=supervisor, note="核实包裹丢失")

    # then the agent's panel shows it without a reload: its state, and no 同意 button any more
    expect(card.get_by_test_id("case-status")).not_to_have_text("待审核", timeout=3000)
    expect(card.get_by_test_id("im-case-approve")).to_have_count(0)
    # and what the agent was typing in the other case is still there
    expect(other.get_by_test_id("im-case-reason")).to_have_value("已过质保期")

    # when the customer opens a new case on the same order from the portal, it appears in the panel
    line = OrderLineFactory(order=refund.order, product_name="面膜")
    new = case_svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality", kind="exchange",
                               auto_approve=False)
    expect(page.locator(f'[data-testid="im-case"][data-case="{new.pk}"]')).to_be_visible(timeout=3000)

    # and a case of another customer changing does not ask for this panel at all
    asked = []
    page.on("request", lambda r: asked.append(r.url) if r.url.endswith(f"/desk/im/t/{ticket.pk}/cases/") else None)
    stranger = CustomerFactory(shop=shop, name="王先生")
    theirs = case_svc.case_create(actor=SYSTEM, shop=shop, reason="quality", kind="exchange", auto_approve=False,
                                  order_line=OrderLineFactory(order__shop=shop, order__customer=stranger))
    seq = LiveEvent.objects.filter(kind="case", data__case_id=theirs.pk).order_by("-seq").values_list("seq", flat=True)[0]
    page.wait_for_function(f"ShouhouLive.streams[0].last >= {seq}")  # the desk has had the stranger's event
    page.wait_for_timeout(300)
    assert asked == []
    assert page.evaluate("window.__notReloaded") is True
