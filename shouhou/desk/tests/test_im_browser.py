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

    # then the first matching script is in the reply box after the draft (kept), and nothing was sent
    expect(page.locator("#im-reply")).to_have_value("亲，我们正在核实李女士您好，非常抱歉给您添麻烦了！请问您想换货还是退款？")
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
    page.wait_for_url(f"**/desk/t/{ticket.pk}/?shop={shop.pk}")  # the page's forms name its shop (test_tab_shop.py)
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


@pytest.mark.browser
def test_two_agents_on_one_conversation_the_second_is_warned_before_answering_again(browser, asgi_server, shop,
                                                                                      agent, supervisor):
    # given a conversation the agent holds, open on the agent's desk and on the supervisor's (全部未结)
    from shouhou.inbox.services import ticket_assign

    ticket = _ticket(shop, "钱女士", "退款什么时候到账？")
    ticket = ticket_assign(ticket=ticket, agent=agent, actor=supervisor)
    base = asgi_server.url
    pages = {}
    for name in ("agent", "supervisor"):
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=True)
        pages[name] = context.new_page()
        pages[name].set_default_timeout(15000)
        log_in(pages[name], base, name)
        pages[name].goto(f"{base}/desk/im/?t={ticket.pk}&scope=all")
        pages[name].wait_for_selector("#im[data-state=on]", state="attached")
    try:
        mine, theirs = pages["agent"], pages["supervisor"]
        # the supervisor is told whose conversation it is; the agent is not warned about their own
        expect(theirs.get_by_test_id("im-held-by")).to_contain_text("agent")
        expect(mine.get_by_test_id("im-held-by")).to_have_count(0)
        expect(theirs.get_by_test_id("im-collision")).to_be_hidden()

        # when the agent answers (keyboard only: type, Ctrl+Enter)
        mine.get_by_test_id("reply-body").fill("您好，退款已原路退回，1-3 个工作日到账")
        mine.get_by_test_id("reply-body").press("Control+Enter")

        # then the supervisor's open conversation shows the answer without a reload, with a warning above the
        # composer; the agent's own page says nothing of the kind
        expect(theirs.get_by_test_id("timeline")).to_contain_text("1-3 个工作日到账")
        expect(theirs.get_by_test_id("im-collision")).to_be_visible()
        expect(theirs.get_by_test_id("im-collision")).to_contain_text("agent 刚刚回复了这位顾客")
        expect(mine.get_by_test_id("timeline")).to_contain_text("1-3 个工作日到账")
        expect(mine.get_by_test_id("im-collision")).to_be_hidden()

        # and when the supervisor still sends, the warning goes and the reply is the supervisor's
        theirs.get_by_test_id("reply-body").fill("补充：到账后会有短信通知")
        theirs.get_by_test_id("reply-body").press("Control+Enter")
        expect(theirs.get_by_test_id("timeline")).to_contain_text("到账后会有短信通知")
        expect(theirs.get_by_test_id("im-collision")).to_be_hidden()
    finally:
        for pg in pages.values():
            pg.context.close()


@pytest.mark.browser
def test_the_reply_rates_and_the_nudge_are_on_the_one_screen_and_the_nudge_opens_by_keyboard(page, asgi_server, shop,
                                                                                             agent):
    # given a customer message waiting 2 minutes 5 seconds (a 3-minute line: 55 s left) on a shop without a
    # platform rule (3 and 5 minutes, every hour counted: the test passes at any hour)
    import datetime as dt

    import time_machine

    from shouhou.core.clock import now

    type(shop).objects.filter(pk=shop.pk).update(platform="manual")
    shop.refresh_from_db()
    with time_machine.travel(now() - dt.timedelta(seconds=125), tick=False):
        ticket = _ticket(shop, "孙先生", "我的订单能改地址吗")
    base = asgi_server.url
    log_in(page, base, "agent")
    page.goto(f"{base}/desk/im/")
    page.wait_for_selector("#im[data-state=on]", state="attached")

    # then the desk shows today's rates (nothing decided yet) and nudges that message, its row counting down
    expect(page.get_by_test_id("im-rate-team-180")).to_have_text("—")
    expect(page.get_by_test_id("im-rate-mine-300")).to_have_text("—")
    nudge = page.get_by_test_id("im-nudge")
    expect(nudge).to_contain_text("我的订单能改地址吗")
    row = page.locator(f'.im-row[data-ticket="{ticket.pk}"]')
    expect(row.get_by_test_id("im-reply-clock")).to_contain_text(re.compile(r"3 分钟线 剩余 0:\d\d"))

    # when the agent reaches the nudge with the keyboard and presses Enter, the conversation opens in the pane
    link = nudge.locator(f'a[data-open="{ticket.pk}"]')
    link.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("im-convo")).to_have_attribute("data-ticket", str(ticket.pk))
    expect(page).to_have_url(re.compile(rf"/desk/im/\?t={ticket.pk}&shop={shop.pk}$"))  # a reload keeps the tab's shop

    # and once answered (Ctrl+Enter), the nudge is gone and the rates count it: 1 of 1 within 3 and 5 minutes
    page.get_by_test_id("reply-body").fill("可以的，请把新地址发给我")
    page.get_by_test_id("reply-body").press("Control+Enter")
    expect(page.get_by_test_id("im-nudge")).to_have_count(0)
    # (the shop's rates are shared for 5 s: the desk reads them again once that has passed)
    expect(page.get_by_test_id("im-rate-mine-180")).to_have_text("100.0%", timeout=15000)
    expect(page.get_by_test_id("im-rate-team-300")).to_have_text("100.0%")


@pytest.mark.browser
def test_a_message_nearing_the_line_is_nudged_with_no_event_to_push_it(page, asgi_server, shop, agent):
    # given a message 100 s old on a 3-minute line (80 s left: not yet in the 60 s nudge window), nothing else
    # happening in the shop (no event will be pushed)
    import datetime as dt

    import time_machine

    from shouhou.core.clock import now

    type(shop).objects.filter(pk=shop.pk).update(platform="manual")
    shop.refresh_from_db()
    base = asgi_server.url
    log_in(page, base, "agent")
    with time_machine.travel(now() - dt.timedelta(seconds=100), tick=False):
        _ticket(shop, "吴女士", "赠品怎么没有")
    page.goto(f"{base}/desk/im/")
    page.wait_for_selector("#im[data-state=on]", state="attached")
    expect(page.get_by_test_id("im-reply-clock")).to_have_count(1)
    assert page.get_by_test_id("im-nudge").count() == 0  # 80 s left when it was sent: outside the window
    # then once its clock enters the window, the desk reads the list again and nudges it (the clock's own moment)
    expect(page.get_by_test_id("im-nudge")).to_contain_text("赠品怎么没有", timeout=40000)


@pytest.mark.browser
def test_a_pushed_message_is_drawn_from_its_event_with_its_authors_label(page, asgi_server, shop, agent, supervisor):
    """The desk draws a pushed message of the open conversation from the event alone (the author's kind, id and
    name): with every timeline read refused, the customer's message shows as the customer's, the supervisor's
    note as a note by them, and their reply as theirs with the warning above the composer. When the reads come
    back, the full messages replace the drawn ones: each shown once."""
    from shouhou.inbox.services import ticket_assign, ticket_note, ticket_reply

    ticket = ticket_assign(ticket=_ticket(shop, "孙女士", "快递显示签收了但我没收到"), agent=agent, actor=supervisor)
    base = asgi_server.url
    log_in(page, base, "agent")
    # (the push coming up starts a timeline read: it must be answered before the reads are refused, or a read in
    # flight could be answered after the messages below and show them in full instead of drawn from their events)
    with page.expect_response(re.compile(r"/desk/t/\d+/poll/")):
        page.goto(f"{base}/desk/im/?t={ticket.pk}")
        page.wait_for_selector("#im[data-state=on]", state="attached")
    reads = []

    def refuse(route):
        reads.append(route.request.url)
        route.fulfill(status=503, body="busy")

    page.route(re.compile(r"/desk/t/\d+/poll/"), refuse)

    # when the customer writes, the supervisor adds a note and then replies, while no timeline read gets through
    message_receive(shop=shop, channel=Channel.WEB_CHAT, body="快递员说放在驿站了\n可我去问过没有",
                    customer=ticket.customer, conversation=ticket.conversation)
    ticket = Ticket.objects.get(pk=ticket.pk)
    ticket_note(ticket=ticket, author=supervisor, body="已打电话给驿站")
    ticket_reply(ticket=ticket, author=supervisor, body="您好，我们已联系快递站核实")

    # then each is on the page with its author's label, drawn from its event
    timeline = page.get_by_test_id("timeline")
    customer = timeline.locator('[data-live="1"][data-testid="msg-inbound"]')
    expect(customer).to_have_count(1)
    expect(customer.locator(".meta")).to_contain_text("顾客")
    expect(customer.locator(".body")).to_have_text("快递员说放在驿站了可我去问过没有")
    assert customer.locator(".body br").count() == 1
    note = timeline.locator('[data-live="1"][data-testid="msg-note"]')
    expect(note.locator(".meta")).to_contain_text("内部备注 · supervisor")
    reply = timeline.locator('[data-live="1"][data-testid="msg-outbound"]')
    expect(reply.locator(".meta")).to_contain_text("supervisor")
    expect(reply).to_have_attribute("data-author", str(supervisor.pk))
    expect(page.get_by_test_id("im-collision")).to_contain_text("supervisor 刚刚回复了这位顾客")
    assert reads  # the desk did try to read the timeline: what is shown came from the events
    assert customer.get_attribute("data-author") is None

    # and once the reads get through, the full messages replace the drawn ones, each once
    page.unroute(re.compile(r"/desk/t/\d+/poll/"))
    message_receive(shop=shop, channel=Channel.WEB_CHAT, body="好的谢谢", customer=ticket.customer,
                    conversation=ticket.conversation)
    expect(timeline.locator('[data-live="1"]')).to_have_count(0)
    for text in ("可我去问过没有", "已打电话给驿站", "您好，我们已联系快递站核实", "好的谢谢"):
        expect(timeline.locator(".msg", has_text=text)).to_have_count(1)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_enter_that_confirms_a_chinese_ime_candidate_does_not_pick_a_script(login_page, live_server, shop, agent):
    """Enter that ends an IME composition (拼音 → 致歉) is the IME's: Chrome marks it isComposing, Safari sends it
    after compositionend with keyCode 229. Neither may pick a script over the agent's draft; a plain Enter does."""
    ticket = _ticket(shop)
    ScriptFactory(shop=shop, title="质量问题先致歉", body=APOLOGY, categories=[TicketCategory.QUALITY])
    page = login_page("agent")
    page.goto(f"{live_server.url}/desk/im/?t={ticket.pk}")
    page.fill("#im-reply", "亲，我们正在核实")
    search = page.locator("#im-script-search")
    search.fill("致歉")
    search.dispatch_event("keydown", {"key": "Enter", "code": "Enter", "isComposing": True, "bubbles": True,
                                      "cancelable": True})
    search.dispatch_event("keydown", {"key": "Enter", "code": "Enter", "keyCode": 229, "bubbles": True,
                                      "cancelable": True})
    page.wait_for_timeout(300)
    expect(page.locator("#im-reply")).to_have_value("亲，我们正在核实")
    expect(search).to_have_value("致歉")
    search.press("Enter")  # the script goes in after the draft, which is kept
    expect(page.locator("#im-reply")).to_have_value("亲，我们正在核实李女士您好，非常抱歉给您添麻烦了！请问您想换货还是退款？")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_screenshot_pasted_into_the_reply_box_goes_with_the_reply(login_page, live_server, shop, agent):
    """Ctrl+V of a screenshot in the reply box attaches it like the 图片/文件 button (飞鸽 and 七鱼 do the same);
    before, the paste did nothing and the agent had to save the picture and pick it again."""
    import base64

    ticket = _ticket(shop, "周女士", "尺码表在哪看？")
    page = login_page("agent")
    page.goto(f"{live_server.url}/desk/im/?t={ticket.pk}")
    page.fill("#im-reply", "亲，尺码表请看图")
    png = base64.b64encode(_real_png()).decode()  # a real picture: uploads are decoded (core/uploads.py)
    page.evaluate("""(png) => {
        const bytes = Uint8Array.from(atob(png), c => c.charCodeAt(0));
        const box = new DataTransfer();
        box.items.add(new File([bytes], "image.png", {type: "image/png"}));
        document.getElementById("im-reply").dispatchEvent(
            new ClipboardEvent("paste", {clipboardData: box, bubbles: true, cancelable: true}));
    }""", png)
    expect(page.locator("#im-file-name")).to_have_text("截图.png")
    page.press("#im-reply", "Control+Enter")
    expect(page.get_by_test_id("timeline").get_by_test_id("msg-file")).to_have_count(1)
    reply = Message.objects.get(direction="outbound")
    assert (reply.body, reply.attachment_name) == ("亲，尺码表请看图", "截图.png") and reply.attachment


@pytest.mark.browser
def test_an_agent_of_two_shops_keeps_a_desk_tab_per_shop(page, asgi_server, shop, other_shop, agent):
    """Choosing the other shop in a second tab used to turn the first tab's reads and replies to that shop: its
    list filled with the other shop's conversations and its open conversation stopped refreshing (404)."""
    from django.core.files.base import ContentFile

    from shouhou.inbox.choices import Direction

    MembershipFactory(shop=other_shop, role=Role.AGENT, user=agent)
    here = _ticket(shop, "李女士", "小鹿店：面霜漏了")
    _ticket(other_shop, "周先生", "隔壁店：发货了吗")
    base = asgi_server.url
    log_in(page, base, "agent")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{base}/desk/im/?t={here.pk}")
    page.wait_for_selector("#im[data-state=on]", state="attached")

    # a second tab of the same login chooses the other shop
    second = page.context.new_page()
    second.goto(f"{base}/desk/im/")
    second.get_by_test_id("shop-switcher").select_option(str(other_shop.pk))
    expect(second.get_by_test_id("im-row")).to_contain_text(["隔壁店：发货了吗"])

    # the first tab's customer sends a photo: it arrives there, drawn by the read the push asks for
    photo = Message(shop=shop, conversation=here.conversation, direction=Direction.INBOUND, body="[图片]")
    photo.attachment.save("leak.png", ContentFile(_PNG), save=True)
    image = page.locator(f'#im-timeline [data-key="m{photo.pk}"] img.att')
    expect(image).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    expect(page.get_by_test_id("im-row")).to_have_count(1)
    expect(page.locator("#im-rows")).not_to_contain_text("隔壁店")

    # and its reply goes to its own conversation
    page.fill("#im-reply", "抱歉给您添麻烦了，马上为您补发")
    page.press("#im-reply", "Control+Enter")
    expect(page.locator("#im-timeline")).to_contain_text("抱歉给您添麻烦了，马上为您补发")
    assert Message.objects.filter(conversation=here.conversation, body="抱歉给您添麻烦了，马上为您补发").exists()
    second.close()


# a 1×1 PNG
_PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360f8"
                     "cfc0000003010100c9fe92ef0000000049454e44ae426082")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_agent_transfers_the_open_conversation_from_the_one_screen_desk(login_page, live_server, shop, agent,
                                                                           supervisor):
    """The one-screen desk had no 转接: in a surge an agent had to leave for the full ticket page to hand a
    conversation to a colleague."""
    ticket = _ticket(shop)
    Ticket.objects.filter(pk=ticket.pk).update(assignee=agent)
    page = login_page("agent")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/desk/im/?t={ticket.pk}")
    expect(page.get_by_test_id("im-row")).to_have_count(1)
    asked = []
    page.on("dialog", lambda d: (asked.append(d.message), d.accept()))
    page.get_by_test_id("im-transfer").select_option(label="supervisor")
    expect(page.locator("#im-status")).to_have_text("已分配给 supervisor")
    expect(page.locator(".im-head")).to_contain_text("supervisor")
    assert asked == ["把这个会话转接给 supervisor 吗？"]
    assert Ticket.objects.get(pk=ticket.pk).assignee == supervisor
    expect(page.get_by_test_id("im-row")).to_have_count(0)  # 我的: given away, it leaves the list
    # the transfer is on the conversation's record
    expect(page.locator("#im-timeline")).to_contain_text("supervisor")


def _real_png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (40, 120, 200)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.browser
def test_a_keyboard_user_keeps_their_place_when_the_list_is_drawn_again(page, asgi_server, shop, agent):
    """The list and the reply board are drawn again on every push (every few seconds in a surge): focus on a row's
    link was lost to the page's start, and Enter then opened nothing (a keyboard user could not work the list)."""
    first = _ticket(shop, "钱女士", "发票怎么开")
    base = asgi_server.url
    log_in(page, base, "agent")
    page.goto(f"{base}/desk/im/")
    page.wait_for_selector("#im[data-state=on]", state="attached")
    link = page.locator(f'#im-rows a[data-open="{first.pk}"]')
    link.focus()
    # when another customer writes (the push redraws the list under the focused row)
    second = _ticket(shop, "冯先生", "什么时候发货")
    expect(page.locator(f'#im-rows a[data-open="{second.pk}"]')).to_have_count(1)
    # then the same row's link has the focus, and Enter opens that conversation
    assert page.evaluate("document.activeElement.dataset.open") == str(first.pk)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("im-convo")).to_have_attribute("data-ticket", str(first.pk))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_long_conversation_opens_on_the_newest_and_reads_back_in_place(login_page, live_server, shop, agent):
    """The pane opens on the newest 200 messages; 「查看更早的消息」 puts the earlier ones above, in order, once each."""
    ticket = _ticket(shop, text="第1条")
    Message.objects.bulk_create([Message(shop=shop, conversation_id=ticket.conversation_id, direction="inbound",
                                         body=f"第{i}条") for i in range(2, 231)])
    page = login_page("agent")
    page.goto(f"{live_server.url}/desk/im/?t={ticket.pk}")
    messages = page.locator("#im-timeline [data-key^=m]")
    expect(messages).to_have_count(200)
    expect(messages.last).to_contain_text("第230条")
    page.click("[data-testid=timeline-earlier]")
    expect(messages).to_have_count(230)
    expect(page.locator("[data-testid=timeline-earlier]")).to_have_count(0)
    assert messages.first.inner_text().count("第1条") == 1 and "第30条" in messages.nth(29).inner_text()
    assert "第31条" in messages.nth(30).inner_text()
