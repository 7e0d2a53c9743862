"""What a tester found on the one-screen desk (2026-12-07, evening), each in a real browser: Back shows the
conversation the address names, a conversation opened from a link starts at its newest message and stays there
when a photo finishes loading, a long link wraps inside its bubble, the script search reads the scripts' whole
text, a script picked into a typed draft keeps the draft, and 「网络不稳定」 goes away once the server answers again.
(Over the WSGI live server: the push cannot connect, so the desk polls.)"""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from shouhou.desk.tests.factories import ScriptFactory
from shouhou.desk.tests.test_im_browser import _ticket
from shouhou.inbox.models import Message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AT_BOTTOM = "el => el.scrollHeight - el.scrollTop - el.clientHeight < 4"


def _photo() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (300, 600), (200, 120, 80)).save(out, format="PNG")
    return out.getvalue()


def test_back_shows_the_conversation_the_address_names(login_page, live_server, shop, agent):
    first, second = _ticket(shop, name="李女士"), _ticket(shop, name="王先生", text="什么时候发货？")
    page = login_page("agent")
    page.goto(f"{live_server.url}/desk/im/?t={first.pk}")
    expect(page.locator(".im-convo")).to_have_attribute("data-ticket", str(first.pk))
    page.click(f'.im-row[data-ticket="{second.pk}"] [data-open]')
    expect(page.locator(".im-convo")).to_have_attribute("data-ticket", str(second.pk))
    page.go_back()
    assert f"t={first.pk}" in page.url
    expect(page.locator(".im-convo")).to_have_attribute("data-ticket", str(first.pk))  # it stayed on the second
    page.go_forward()
    expect(page.locator(".im-convo")).to_have_attribute("data-ticket", str(second.pk))


def test_a_conversation_opened_by_its_link_starts_at_the_newest_and_a_late_photo_keeps_it_there(
        login_page, live_server, shop, agent):
    ticket = _ticket(shop, text="第1条")
    Message.objects.bulk_create([Message(shop=shop, conversation_id=ticket.conversation_id, direction="inbound",
                                         body=f"第{i}条：衣服洗了一次就起球了，怎么处理？") for i in range(2, 60)])
    photo = Message.objects.create(shop=shop, conversation_id=ticket.conversation_id, direction="inbound", body="",
                                   attachment_name="起球.png")
    photo.attachment.save("pilling.png", ContentFile(_photo()), save=True)
    page = login_page("agent")
    page.goto(f"{live_server.url}/desk/im/?t={ticket.pk}")  # a link, or a reload
    timeline = page.locator("#im-timeline")
    page.wait_for_function("() => [...document.querySelectorAll('#im-timeline img')].every(i => i.complete)")
    assert timeline.evaluate("el => el.scrollHeight > el.clientHeight + 500")  # long enough to be scrolled
    expect(timeline.locator("img")).to_have_count(1)
    page.wait_for_function(f"() => ({AT_BOTTOM})(document.getElementById('im-timeline'))")
    # reading back stays put when nothing new arrives
    timeline.evaluate("el => { el.scrollTop = 0; }")
    page.wait_for_timeout(600)
    assert timeline.evaluate("el => el.scrollTop") == 0


def test_a_long_link_wraps_inside_its_bubble(login_page, live_server, shop, agent):
    link = "https://example.com/" + "a1b2c3d4e5" * 30
    ticket = _ticket(shop, text=f"看这个链接：{link}")
    page = login_page("agent")
    page.goto(f"{live_server.url}/desk/im/?t={ticket.pk}")
    timeline = page.locator("#im-timeline")
    expect(timeline).to_contain_text("看这个链接")
    assert timeline.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
    bubble = page.locator("#im-timeline .msg-inbound").last
    assert bubble.evaluate("el => el.scrollWidth <= el.clientWidth + 1")


def test_the_script_search_reads_the_whole_text_and_a_picked_script_keeps_the_typed_draft(
        login_page, live_server, shop, agent):
    ticket = _ticket(shop)
    ScriptFactory(shop=shop, title="运输破损：我们来处理",
                  body="亲，非常抱歉商品在运输中受损了。麻烦您拍一下外包装和破损的地方发给我们，我们马上为您补发或退款。")
    ScriptFactory(shop=shop, title="结束语", body="还有什么可以帮您的吗？")
    page = login_page("agent")
    page.goto(f"{live_server.url}/desk/im/?t={ticket.pk}")
    reply = page.locator("#im-reply")
    # words past the list's 40-character preview find their script
    page.fill("#im-script-search", "拍一下外包装")
    page.press("#im-script-search", "Enter")
    expect(reply).to_have_value("亲，非常抱歉商品在运输中受损了。麻烦您拍一下外包装和破损的地方发给我们，我们马上为您补发或退款。")
    # a script as it came is replaced by the next one picked
    page.fill("#im-script-search", "结束语")
    page.press("#im-script-search", "Enter")
    expect(reply).to_have_value("还有什么可以帮您的吗？")
    # a draft the agent typed is kept: the script goes in at the cursor
    reply.fill("我自己写的草稿，很重要。")
    page.fill("#im-script-search", "结束语")
    page.press("#im-script-search", "Enter")
    expect(reply).to_have_value("我自己写的草稿，很重要。还有什么可以帮您的吗？")


def test_the_network_warning_goes_away_when_the_server_answers_again(login_page, live_server, shop, agent):
    ticket = _ticket(shop)
    page = login_page("agent")
    page.goto(f"{live_server.url}/desk/im/?t={ticket.pk}")
    page.context.set_offline(True)
    page.fill("#im-reply", "您好，马上为您处理")
    page.press("#im-reply", "Control+Enter")
    expect(page.locator("#im-status")).to_have_text("网络不稳定，请稍后再试")
    page.context.set_offline(False)
    expect(page.locator("#im-status")).to_have_text("", timeout=12_000)  # the next poll answers
    expect(page.locator("#im-reply")).to_have_value("您好，马上为您处理")  # nothing lost: it can be sent now


def test_alt_n_walks_down_the_waiting_conversations(login_page, live_server, shop, agent):
    tickets = [_ticket(shop, name=f"顾客{i}", text=f"第{i}位顾客的问题") for i in range(3)]
    page = login_page("agent")
    page.goto(f"{live_server.url}/desk/im/")
    order = page.locator(".im-row[data-waiting]").evaluate_all("rows => rows.map(r => r.dataset.ticket)")
    assert sorted(order) == sorted(str(t.pk) for t in tickets)
    seen = []
    for _ in range(4):
        page.keyboard.press("Alt+N")
        expect(page.locator(".im-convo")).not_to_have_attribute("data-ticket", seen[-1] if seen else "")
        seen.append(page.locator(".im-convo").get_attribute("data-ticket"))
    # every waiting conversation in turn, then round to the top (it went back and forth between the first two)
    assert seen == [order[0], order[1], order[2], order[0]]
