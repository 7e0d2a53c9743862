"""The one-screen desk in a browser: the script search never sends the draft, the page fits a 1366×768 laptop
in both languages, each conversation keeps its own draft, and the status line tells what became of a send.
(Over the WSGI live server: the desk's push cannot connect, so it polls — what is tested here is the page.)"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from shouhou.accounts.choices import Role
from shouhou.core.testing.browser import log_in
from shouhou.core.testing.factories import CustomerFactory, MembershipFactory
from shouhou.desk.tests.factories import ScriptFactory
from shouhou.inbox.choices import Channel, TicketCategory
from shouhou.inbox.models import Message, Ticket
from shouhou.inbox.services import message_receive

APOLOGY = "{customer}您好，非常抱歉给您添麻烦了！请问您想换货还是退款？"


def _ticket(shop, name="李女士", text="面霜收到时瓶口漏了，怎么办？"):
    customer = CustomerFactory(shop=shop, name=name)
    ticket = message_receive(shop=shop, channel=Channel.WEB_CHAT, body=text, customer=customer).ticket
    Ticket.objects.filter(pk=ticket.pk).update(category=TicketCategory.QUALITY)
    return ticket


def _replies_posted(page):
    """The reply posts the page makes, recorded as they start (a send starts before any answer comes back)."""
    posted = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" and "/act/reply/" in r.url else None)
    return posted


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_enter_in_the_script_search_picks_a_script_and_never_sends_the_draft(login_page, live_server, shop, agent):
    # given the agent has half written a reply on the one-screen desk
    ticket = _ticket(shop)
    ScriptFactory(shop=shop, title="质量问题先致歉", body=APOLOGY, categories=[TicketCategory.QUALITY])
    ScriptFactory(shop=shop, title="发货时间说明", body="亲，下单后48小时内发货哦")
    page = login_page("agent")
    posted = _replies_posted(page)
    page.goto(f"{live_server.url}/desk/im/?t={ticket.pk}")
    page.fill("#im-reply", "亲，我们正在核实")

    # when they search the scripts and press Enter
    page.fill("#im-script-search", "致歉")
    page.press("#im-script-search", "Enter")

    # then the first matching script is in the reply box, and nothing was sent
    expect(page.locator("#im-reply")).to_have_value("李女士您好，非常抱歉给您添麻烦了！请问您想换货还是退款？")
    expect(page.locator("#im-script-search")).to_have_value("")

    # and Enter on a search that matches nothing leaves the reply as it is, and says so
    page.fill("#im-reply", "亲，我们正在核实")
    page.fill("#im-script-search", "没有这条话术")
    page.press("#im-script-search", "Enter")
    expect(page.locator("#im-status")).to_have_text("没有找到匹配的话术")
    expect(page.locator("#im-reply")).to_have_value("亲，我们正在核实")

    # nor does Enter on the composer's other fields (the note switch) send it
    page.press("#im-as-note", "Enter")
    page.press("#im-reply", "Control+Enter")  # only Ctrl+Enter (or the button) sends
    expect(page.locator("#im-timeline")).to_contain_text("亲，我们正在核实")
    assert len(posted) == 1
    assert list(Message.objects.filter(direction="outbound").values_list("body", flat=True)) == ["亲，我们正在核实"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_enter_on_the_ticket_pages_script_picker_does_not_send_the_draft(login_page, live_server, shop, agent):
    ticket = _ticket(shop)
    ScriptFactory(shop=shop, title="发货时间说明", body="亲，下单后48小时内发货哦", categories=[TicketCategory.LOGISTICS])
    page = login_page("agent")
    posted = _replies_posted(page)
    page.goto(f"{live_server.url}/desk/t/{ticket.pk}/")
    page.evaluate("window.__notReloaded = true")
    page.fill("#reply-body", "亲，我们正在核实")

    page.focus("#more-scripts")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    # the page is still the same one, with the draft, and the send button still sends it
    page.get_by_test_id("send-reply").click()
    page.wait_for_url(f"**/desk/t/{ticket.pk}/")
    expect(page.get_by_test_id("timeline")).to_contain_text("亲，我们正在核实")
    assert len(posted) == 1
    assert Message.objects.filter(direction="outbound").count() == 1


def _fits(page):
    send = page.get_by_test_id("send-reply")
    expect(send).to_be_visible()
    box = send.bounding_box()
    size = page.evaluate("[window.innerWidth, window.innerHeight, document.documentElement.scrollWidth,"
                         " document.documentElement.scrollHeight]")
    return box, size


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_one_screen_desk_fits_a_1366x768_laptop_with_the_whole_menu(login_page, live_server, shop, other_shop,
                                                                       shop_admin, language):
    # given a shop admin of two shops who may use the admin site (the longest top bar: every menu item, the
    # shop switcher, the admin link) on a 1366×768 screen, in either language
    MembershipFactory(shop=other_shop, role=Role.ADMIN, user=shop_admin)
    type(shop_admin).objects.filter(pk=shop_admin.pk).update(is_staff=True, is_superuser=True)
    ticket = _ticket(shop)
    page = login_page("shopadmin")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])

    # when they open a conversation on the one-screen desk
    page.goto(f"{live_server.url}/desk/im/?t={ticket.pk}")
    expect(page.get_by_test_id("im-convo")).to_have_attribute("data-ticket", str(ticket.pk))
    expect(page.locator("html")).to_have_attribute("lang", language)

    # then the page does not scroll and the send button is wholly on screen
    box, (width, height, scroll_width, scroll_height) = _fits(page)
    assert scroll_height <= height and scroll_width <= width
    assert box["y"] >= 0 and box["y"] + box["height"] <= height
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    # and the conversation still has room to read (the desk takes what the top bar leaves)
    assert page.locator("#im-timeline").bounding_box()["height"] >= 250
    if os.environ.get("SHOUHOU_SCREENSHOTS"):  # a picture for the docs, on request only
        page.screenshot(path=str(Path(os.environ["SHOUHOU_SCREENSHOTS"]) / f"desk-im-admin-{language}.png"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_each_conversation_keeps_its_draft_until_it_is_sent(login_page, live_server, shop, agent):
    first = _ticket(shop, "李女士", "面霜漏了")
    second = _ticket(shop, "赵女士", "什么时候发货")
    page = login_page("agent")
    page.goto(f"{live_server.url}/desk/im/?t={first.pk}")
    convo = page.get_by_test_id("im-convo")
    reply = page.locator("#im-reply")

    # a draft in the first conversation, then the agent clicks the second
    page.fill("#im-reply", "亲，请拍一张瓶口的照片")
    page.locator(f'.im-row[data-ticket="{second.pk}"] [data-open]').click()
    expect(convo).to_have_attribute("data-ticket", str(second.pk))
    expect(reply).to_have_value("")
    page.fill("#im-reply", "亲，明天发出")

    # back to the first (a click), then the second again (Alt+N): each has its own draft
    page.locator(f'.im-row[data-ticket="{first.pk}"] [data-open]').click()
    expect(convo).to_have_attribute("data-ticket", str(first.pk))
    expect(reply).to_have_value("亲，请拍一张瓶口的照片")
    page.keyboard.press("Alt+N")
    expect(convo).to_have_attribute("data-ticket", str(second.pk))
    expect(reply).to_have_value("亲，明天发出")

    # a sent draft is gone: coming back to it shows an empty box
    page.press("#im-reply", "Control+Enter")
    expect(page.locator("#im-timeline")).to_contain_text("亲，明天发出")
    expect(reply).to_have_value("")
    page.locator(f'.im-row[data-ticket="{first.pk}"] [data-open]').click()
    expect(reply).to_have_value("亲，请拍一张瓶口的照片")
    page.locator(f'.im-row[data-ticket="{second.pk}"] [data-open]').click()
    expect(convo).to_have_attribute("data-ticket", str(second.pk))
    expect(reply).to_have_value("")

    # and a reload of the tab keeps the unsent one
    page.goto(f"{live_server.url}/desk/im/?t={first.pk}")
    expect(reply).to_have_value("亲，请拍一张瓶口的照片")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_status_line_says_what_became_of_each_send(login_page, live_server, shop, agent):
    ticket = _ticket(shop)
    page = login_page("agent")
    page.goto(f"{live_server.url}/desk/im/?t={ticket.pk}")
    status = page.locator("#im-status")

    page.fill("#im-reply", "您好，在的")
    page.get_by_test_id("send-reply").click()
    expect(status).to_have_text("已回复")
    expect(page.locator("#im-reply")).to_have_value("")

    # an empty send: nothing goes out, and the line says why
    page.get_by_test_id("send-reply").click()
    expect(status).to_have_text("回复内容不能为空")

    # a blocked send: the reasons are shown, and the line no longer says it was sent
    page.fill("#im-reply", "亲，五星好评返现5元哦")
    page.get_by_test_id("send-reply").click()
    expect(page.get_by_test_id("reply-blocked")).to_be_visible()
    expect(status).to_have_text("这条回复没有发出")
    expect(page.locator("#im-reply")).to_have_value("亲，五星好评返现5元哦")
    assert Message.objects.filter(direction="outbound").count() == 1


@pytest.fixture
def asgi_server(transactional_db):
    """The real ASGI server (HTTP and WebSocket): the desk's live push connects."""
    from shouhou.core.testing.asgiserver import asgi_server_run

    yield from asgi_server_run()


@pytest.mark.browser
def test_a_new_chat_past_the_lists_cut_is_in_the_list_and_the_count_follows(page, asgi_server, shop, agent):
    # given 61 conversations waiting: the list shows the 60 longest-waiting and says there are 61
    import datetime as dt

    from shouhou.core.clock import now
    from shouhou.desk.tests.factories import TicketFactory

    start = now() - dt.timedelta(hours=2)
    for i in range(61):
        TicketFactory(shop=shop, status="open", waiting_since=start + dt.timedelta(minutes=i),
                      last_customer_message_at=start + dt.timedelta(minutes=i))
    base = asgi_server.url
    log_in(page, base, "agent")
    page.goto(f"{base}/desk/im/")
    page.wait_for_selector("#im[data-state=on]", state="attached")
    cut = page.get_by_test_id("im-cut")
    expect(cut).to_have_text("只显示最早等待的 60 个，共 61 个")
    expect(page.get_by_test_id("im-row")).to_have_count(60)

    # when a new customer writes in (the newest wait: past the cut)
    ticket = _ticket(shop, "周先生", "在吗？我的快递还没到")

    # then the desk alerts, the new conversation is in the list (appended past the cut) and the count follows
    expect(page.locator("#im")).to_have_attribute("data-alerts", "1")
    row = page.locator(f'.im-row[data-ticket="{ticket.pk}"]')
    expect(row).to_have_attribute("data-beyond", "1")
    expect(row.get_by_test_id("im-last")).to_have_text("在吗？我的快递还没到")
    expect(cut).to_have_text("只显示最早等待的 60 个，共 62 个")
    expect(page.get_by_test_id("im-row")).to_have_count(61)

    # and opening it keeps it there however the list is refreshed
    row.locator("[data-open]").click()
    expect(page.get_by_test_id("im-convo")).to_have_attribute("data-ticket", str(ticket.pk))
    page.select_option("#im-scope", "all")
    expect(row).to_have_class(re.compile(r"\bcurrent\b"))
    expect(cut).to_have_text("只显示最早等待的 60 个，共 62 个")
