"""Web chat on the consumer page, through real HTTP: start by order number + phone tail (or the portal
session), send, poll; tokens name one conversation and cannot be forged; internal notes stay internal;
rate limits; a browser test of the page itself."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from shouhou.core.testing.factories import CustomerFactory, OrderFactory
from shouhou.inbox.channels import webchat
from shouhou.inbox.choices import Channel, Direction
from shouhou.inbox.models import Conversation, Message, Ticket
from shouhou.inbox.services import (
    escalation_close,
    escalation_update_add,
    ticket_escalate,
    ticket_open_for_conversation,
    ticket_reply,
)
from shouhou.portal.services import follow_token

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def order(shop):
    customer = CustomerFactory(shop=shop, name="李女士", phone="13812345678")
    return OrderFactory(shop=shop, customer=customer, order_no="XL20261101001")


def _start(client, order_no="XL20261101001", last4="5678"):
    return client.post("/inbox/chat/", {"order_no": order_no, "last4": last4})


def _token(response) -> str:
    match = re.fullmatch(r"/inbox/chat/([^/]+)/", response["Location"])
    assert match, response["Location"]
    return match.group(1)


def _send(client, token, body, client_id=""):
    return client.post(f"/inbox/chat/{token}/send/", {"body": body, "client_id": client_id})


def _poll(client, token, after=0):
    return client.get(f"/inbox/chat/{token}/messages/", {"after": after})


# --- starting ---------------------------------------------------------------------------------------

def test_start_page_asks_for_order_number_and_phone_tail(client):
    response = client.get("/inbox/chat/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="order_no"' in html
    assert 'name="last4"' in html
    assert "开始咨询" in html


def test_order_number_and_phone_tail_open_the_orders_chat(client, shop, order):
    response = _start(client)
    assert response.status_code == 302
    conversation = webchat.conversation_from_token(_token(response))
    assert conversation is not None
    assert conversation.channel == Channel.WEB_CHAT
    assert conversation.shop == shop
    assert conversation.customer == order.customer
    assert conversation.contact_handle == "order:XL20261101001"
    assert list(conversation.orders.all()) == [order]
    assert conversation.bot_active is True  # the shop's default: the bot greets web chat first
    # the same order again continues the same conversation
    assert webchat.conversation_from_token(_token(_start(client))).pk == conversation.pk
    assert Conversation.objects.count() == 1


def test_a_wrong_phone_tail_gets_the_neutral_answer_and_guessing_is_limited(client, order, one_rate_window):
    response = _start(client, last4="0000")
    assert response.status_code == 200
    assert "订单号或手机尾号不正确，请核对后重试。" in response.content.decode()
    for _ in range(4):
        _start(client, last4="0000")
    blocked = _start(client)  # even the right pair, after five failures
    assert blocked.status_code == 429
    assert "尝试次数过多" in blocked.content.decode()
    assert not Conversation.objects.exists()


def test_an_order_looked_up_in_the_portal_goes_straight_to_its_chat(client, order):
    assert client.post("/p/", {"order_no": "XL20261101001", "last4": "5678"}).status_code == 302
    response = client.get("/inbox/chat/")
    assert response.status_code == 302
    assert webchat.conversation_from_token(_token(response)).orders.get() == order


def test_the_portal_pages_link_to_the_web_chat(client, order):
    start = client.get("/p/").content.decode()
    assert 'href="/inbox/chat/"' in start
    assert "在线客服" in start
    client.post("/p/", {"order_no": "XL20261101001", "last4": "5678"})
    page = client.get("/p/order/").content.decode()
    assert 'href="/inbox/chat/"' in page


# --- talking ----------------------------------------------------------------------------------------

def test_send_and_poll_show_the_customer_message_and_the_bot_answer(client, order):
    token = _token(_start(client))
    sent = _send(client, token, "怎么退货？", client_id="c1")
    assert sent.status_code == 200
    assert sent.json() == {"ok": True}
    data = _poll(client, token).json()
    who = [m["who"] for m in data["messages"]]
    assert who[0] == "me"
    assert data["messages"][0]["body"] == "怎么退货？"
    assert who[1:] and set(who[1:]) == {"bot"}
    assert re.fullmatch(r"\d\d:\d\d", data["messages"][0]["at"])
    # polling after the last id returns nothing new
    assert _poll(client, token, after=data["messages"][-1]["id"]).json()["messages"] == []


def test_reloading_the_chat_after_talking_shows_the_messages_once_and_no_raw_data(client, order):
    # a page context named "messages" used to shadow Django's flash messages: base.html then printed
    # every chat message as a Python dict ({'id': 891, 'who': 'me', …}) above the chat
    token = _token(_start(client))
    _send(client, token, "怎么退货？", client_id="r1")
    html = client.get(f"/inbox/chat/{token}/").content.decode()
    assert "&#x27;who&#x27;" not in html and "'who'" not in html
    assert 'class="flash"' not in html
    assert html.count("怎么退货？") == 1
    assert 'class="chat-msg me"' in html


def test_a_person_takes_over_agent_replies_reach_the_page_and_notes_never_do(client, shop, order, agent):
    token = _token(_start(client))
    _send(client, token, "我要人工")
    conversation = webchat.conversation_from_token(token)
    conversation.refresh_from_db()
    assert conversation.bot_active is False
    ticket = Ticket.objects.get(conversation=conversation)
    seen = _poll(client, token).json()["messages"][-1]["id"]
    Message.objects.create(shop=shop, conversation=conversation, direction=Direction.NOTE, author=agent,
                           body="内部备注：这位顾客上次也投诉过")
    ticket_reply(ticket=ticket, author=agent, body="您好，我是客服小鹿，请问有什么可以帮您？")
    data = _poll(client, token, after=seen).json()
    assert data["bot"] is False
    assert [(m["who"], m["body"]) for m in data["messages"]] == [("agent", "您好，我是客服小鹿，请问有什么可以帮您？")]
    page = client.get(f"/inbox/chat/{token}/").content.decode()
    assert "您好，我是客服小鹿" in page
    assert "内部备注" not in page
    assert "人工客服接待中" in page


def test_the_customer_sees_department_progress_but_not_internal_updates(client, shop, order, agent):
    token = _token(_start(client))
    conversation = webchat.conversation_from_token(token)
    ticket = ticket_open_for_conversation(conversation=conversation, reason="测试转人工")
    assert _poll(client, token).json()["progress"] == []
    assert 'data-testid="progress" hidden' in client.get(f"/inbox/chat/{token}/").content.decode()
    escalation = ticket_escalate(ticket=ticket, department="warehouse", request="核对发货批次", actor=agent)
    escalation_update_add(escalation=escalation, author=agent, note="仓库已找到您的包裹，今天补发")
    escalation_update_add(escalation=escalation, author=agent, note="内部：批次号 B-17 有问题",
                          visible_to_customer=False)
    escalation_close(escalation=escalation, actor=agent)
    notes = [p["note"] for p in _poll(client, token).json()["progress"]]
    assert len(notes) == 3
    assert notes[0].startswith("已转交仓库处理，预计")
    assert notes[1] == "仓库：仓库已找到您的包裹，今天补发"
    assert notes[2] == "仓库已完成"
    page = client.get(f"/inbox/chat/{token}/").content.decode()
    assert "处理进展" in page and "今天补发" in page
    assert "批次号" not in page


def test_a_message_from_the_customer_after_hand_off_goes_to_the_ticket(client, shop, order):
    token = _token(_start(client))
    conversation = webchat.conversation_from_token(token)
    ticket = ticket_open_for_conversation(conversation=conversation, reason="测试转人工")
    _send(client, token, "衣服有破洞", client_id="after")
    message = Message.objects.get(body="衣服有破洞")
    assert message.conversation == conversation
    assert Ticket.objects.get() == ticket


def test_the_same_client_id_sent_twice_is_stored_once(client, order):
    token = _token(_start(client))
    Conversation.objects.update(bot_active=False)
    assert _send(client, token, "在吗", client_id="k-1").json()["ok"] is True
    assert _send(client, token, "在吗", client_id="k-1").json()["ok"] is True
    assert Message.objects.filter(direction=Direction.INBOUND, body="在吗").count() == 1


@pytest.mark.parametrize(("body", "error"), [("   ", "请输入消息内容"), ("长" * 1001, "消息太长了，请控制在 1000 字以内")])
def test_empty_or_too_long_messages_are_refused(client, order, body, error):
    token = _token(_start(client))
    response = _send(client, token, body)
    assert response.status_code == 400
    assert response.json() == {"ok": False, "error": error}
    assert not Message.objects.filter(direction=Direction.INBOUND).exists()


# --- tokens -----------------------------------------------------------------------------------------

def test_a_token_names_one_conversation_and_cannot_be_altered(client, shop, order):
    mine = _token(_start(client))
    other_order = OrderFactory(shop=shop, customer=CustomerFactory(shop=shop, phone="13900001111"))
    theirs = webchat.webchat_start(order=other_order)
    Message.objects.create(shop=shop, conversation=theirs, direction=Direction.INBOUND, body="别人的秘密")
    # change the conversation id inside my token, keep my signature
    payload, rest = mine.split(":", 1)
    import base64
    import json

    forged_payload = base64.urlsafe_b64encode(json.dumps({"c": theirs.pk, "s": shop.pk},
                                                         separators=(",", ":")).encode()).decode().rstrip("=")
    for token in (f"{forged_payload}:{rest}", mine[:-2] + ("AA" if not mine.endswith("AA") else "BB"), "garbage",
                  follow_token(theirs.pk)):
        for response in (client.get(f"/inbox/chat/{token}/"), _poll(client, token), _send(client, token, "hi")):
            assert response.status_code == 404
            assert "别人的秘密" not in response.content.decode()
    assert not Message.objects.filter(body="hi").exists()
    assert "别人的秘密" not in _poll(client, mine).content.decode()


def test_a_token_cannot_open_a_conversation_of_another_channel(client, shop):
    wechat = Conversation.objects.create(shop=shop, channel=Channel.WECHAT, contact_handle="oX")
    token = webchat.chat_token(wechat)
    assert client.get(f"/inbox/chat/{token}/").status_code == 404


# --- abuse limits -----------------------------------------------------------------------------------

@pytest.fixture
def frozen():
    """Rate limits count in fixed windows: keep the test inside one of them."""
    with time_machine.travel(dt.datetime(2026, 11, 6, 2, 0, 5, tzinfo=dt.UTC), tick=False):
        yield


def test_sending_is_rate_limited_per_conversation_even_across_fresh_tokens(client, order, frozen):
    token = _token(_start(client))
    for _ in range(20):
        assert _send(client, token, "").status_code == 400  # counted, refused for being empty
    blocked = _send(client, token, "还在吗")
    assert blocked.status_code == 429
    assert "请求过于频繁" in blocked.content.decode()
    assert blocked["Retry-After"]
    with time_machine.travel(dt.datetime(2026, 11, 6, 2, 0, 15, tzinfo=dt.UTC), tick=False):  # same window
        fresh = _token(_start(client))  # starting again hands out a new token for the same conversation
        assert fresh != token
        assert _send(client, fresh, "还在吗").status_code == 429


def test_starting_is_rate_limited_per_ip(client, order, frozen):
    for _ in range(20):
        _start(Client(REMOTE_ADDR="10.0.0.9"), order_no="NOPE", last4="1234")  # a new client each time
        cache.delete_many(["portal:fail:ip:10.0.0.9", "portal:fail:order:NOPE"])  # not the guessing limit
    blocked = _start(Client(REMOTE_ADDR="10.0.0.9"))
    assert blocked.status_code == 429
    assert "请求过于频繁" in blocked.content.decode()
    assert _start(Client(REMOTE_ADDR="10.0.0.10")).status_code == 302  # another address is not affected


def _csrf(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_starting_and_sending_need_the_csrf_token_of_the_page(order):
    browser = Client(enforce_csrf_checks=True)
    assert browser.post("/inbox/chat/", {"order_no": "XL20261101001", "last4": "5678"}).status_code == 403
    form = _csrf(browser.get("/inbox/chat/").content.decode())
    token = _token(browser.post("/inbox/chat/", {"order_no": "XL20261101001", "last4": "5678",
                                                 "csrfmiddlewaretoken": form}))
    assert browser.post(f"/inbox/chat/{token}/send/", {"body": "hi"}).status_code == 403
    csrf = _csrf(browser.get(f"/inbox/chat/{token}/").content.decode())
    ok = browser.post(f"/inbox/chat/{token}/send/", {"body": "hi", "client_id": "x"}, headers={"X-CSRFToken": csrf})
    assert ok.status_code == 200
    assert Message.objects.filter(body="hi", direction=Direction.INBOUND).count() == 1


# --- the page in a browser --------------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_customer_opens_the_chat_from_the_portal_and_talks_to_an_agent(page, live_server, shop, agent):
    customer = CustomerFactory(shop=shop, name="李女士", phone="13812345678")
    OrderFactory(shop=shop, customer=customer, order_no="XL20261101009")
    # given the portal start page, the customer follows the web chat link
    page.goto(f"{live_server.url}/p/")
    page.get_by_role("link", name=re.compile("在线客服")).click()
    page.fill("input[name=order_no]", "XL20261101009")
    page.fill("input[name=last4]", "5678")
    page.get_by_test_id("start-chat").click()
    page.wait_for_selector("[data-testid=chat]")
    # when they ask for a person
    page.fill("textarea[name=body]", "我要人工")
    page.click(".chat-form button[type=submit]")
    page.wait_for_selector(".chat-msg.me")
    page.wait_for_selector(".chat-msg.bot")
    assert page.input_value("textarea[name=body]") == ""
    # and an agent answers from the desk, the page shows it without reloading
    ticket = Ticket.objects.get(channel=Channel.WEB_CHAT)
    ticket_reply(ticket=ticket, author=agent, body="您好，我是客服小鹿")
    page.wait_for_selector(".chat-msg.agent", timeout=10000)
    assert page.locator(".chat-msg.agent .chat-body").inner_text() == "您好，我是客服小鹿"
    assert page.locator(".chat-msg.me .chat-body").inner_text() == "我要人工"


# --- photos and files both ways (issue 13) -----------------------------------------------------------

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


def _file(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_a_customer_photo_is_stored_checked_and_served_only_through_the_chat_link(order, agent):
    client = Client()
    token = _token(_start(client))
    sent = client.post(f"/inbox/chat/{token}/send/", {"file": _file("破损.png", PNG), "client_id": "p1"})
    assert sent.status_code == 200, sent.content
    message = Message.objects.get(direction=Direction.INBOUND, body="[图片]")
    assert message.attachment.name.endswith(".png") and "破损" not in message.attachment.name
    # the customer's page lists it with its picture, and the chat link serves it as an image
    shown = {m["id"]: m for m in _poll(client, token).json()["messages"]}
    assert shown[message.pk]["attachment"]["image"] is True
    # the picture says what it is: no 「[图片]」 beside it, in Chinese or on an English page (stored as before)
    assert shown[message.pk]["body"] == ""
    assert all(m["attachment"] is None for k, m in shown.items() if k != message.pk)
    served = client.get(f"/inbox/chat/{token}/file/{message.pk}/")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == PNG and served["X-Content-Type-Options"] == "nosniff"
    # not without the link, and never another conversation's file through this link
    other = Client()
    other_token = _token(_start(other, order_no=OrderFactory(shop=order.shop, customer=CustomerFactory(
        shop=order.shop, phone="13900001111")).order_no, last4="1111"))
    assert other.get(f"/inbox/chat/{other_token}/file/{message.pk}/").status_code == 404


def test_a_file_that_is_not_a_photo_or_pdf_is_refused_with_a_clear_message(order):
    client = Client()
    token = _token(_start(client))
    refused = client.post(f"/inbox/chat/{token}/send/", {"file": _file("照片.jpg", b"MZ\x90\x00 not an image")})
    assert refused.status_code == 400
    assert refused.json()["error"] == "只能发送图片（JPG、PNG、WebP、GIF）或 PDF 文件。"
    assert not Message.objects.exclude(attachment="").exists()


def test_an_agent_sends_a_pdf_in_web_chat_and_the_customer_downloads_it(order, agent):
    client = Client()
    token = _token(_start(client))
    _send(client, token, "发票能发我吗", client_id="c1")
    conversation = Conversation.objects.get()
    ticket = ticket_open_for_conversation(conversation=conversation, reason="test")
    reply = ticket_reply(ticket=ticket, author=agent, body="",
                         attachment=_file("发票.pdf", b"%PDF-1.4\n%fake but starts right\n"))
    assert reply.body == "[文件] 发票.pdf" and reply.attachment.name.endswith(".pdf")
    assert reply.attachment_name == "发票.pdf"  # the agent's file name, as its label
    assert _poll(client, token).json()["messages"][-1]["attachment"]["name"] == "发票.pdf"
    served = client.get(f"/inbox/chat/{token}/file/{reply.pk}/")
    assert served["Content-Type"] == "application/pdf" and served["Content-Disposition"].startswith("attachment")
    # and the agent's page links it through the desk (members of the shop only)
    staff = Client()
    staff.force_login(agent)
    assert staff.get(f"/desk/m/{reply.pk}/file/").status_code == 200
    assert Client().get(f"/desk/m/{reply.pk}/file/").status_code == 302  # to the login page


def test_a_customers_file_keeps_its_name_as_a_label_with_the_extension_of_what_it_is(order, agent):
    """「../发票.html」 holding a PDF: stored as chat-F….pdf, shown and downloaded as 发票.pdf."""
    client = Client()
    token = _token(_start(client))
    sent = client.post(f"/inbox/chat/{token}/send/", {"file": _file("../发票.html", b"%PDF-1.4\n"), "client_id": "f1"})
    assert sent.status_code == 200, sent.content
    message = Message.objects.get(direction=Direction.INBOUND)
    assert re.fullmatch(r"inbox/chat-F[0-9A-Z]+\.pdf", message.attachment.name), message.attachment.name
    assert (message.attachment_name, message.body) == ("发票.pdf", "[文件] 发票.pdf")
    shown = {m["id"]: m for m in _poll(client, token).json()["messages"]}
    assert shown[message.pk]["attachment"] == {"name": "发票.pdf", "image": False}
    page = client.get(f"/inbox/chat/{token}/").content.decode()
    assert re.search(r'data-testid="chat-file">发票\.pdf</a>', page)
    served = client.get(f"/inbox/chat/{token}/file/{message.pk}/")
    assert served["Content-Disposition"].endswith("''%E5%8F%91%E7%A5%A8.pdf")  # 发票.pdf
    # a photo keeps the customer's name too (shown as the picture, downloaded under it)
    client.post(f"/inbox/chat/{token}/send/", {"file": _file("破损.jpg", PNG), "client_id": "f2"})
    assert Message.objects.get(body="[图片]").attachment_name == "破损.png"


def test_a_file_name_that_looks_like_html_is_shown_as_text(order, agent):
    client = Client()
    token = _token(_start(client))
    name = "<img src=x onerror=alert(1)>.pdf"
    client.post(f"/inbox/chat/{token}/send/", {"file": _file(name, b"%PDF-1.4\n"), "client_id": "x1"})
    message = Message.objects.get(direction=Direction.INBOUND)
    assert message.attachment_name == name  # kept as the sender wrote it: a label, escaped where shown
    page = client.get(f"/inbox/chat/{token}/").content.decode()
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;.pdf</a>" in page
    staff = Client()
    staff.force_login(agent)
    ticket = ticket_open_for_conversation(conversation=message.conversation, reason="test")
    for url in (f"/desk/t/{ticket.pk}/", f"/desk/im/t/{ticket.pk}/"):
        desk = staff.get(url)
        assert desk.status_code == 200, url
        html = desk.content.decode()
        assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;.pdf</a>" in html, url


def test_a_long_chat_opens_on_its_newest_messages_and_reads_back_a_page_at_a_time(client, shop, order):
    """Before, the chat page showed the oldest 200 messages of a long conversation and never the latest."""
    token = _token(_start(client))
    conversation = Conversation.objects.get(shop=shop, channel=Channel.WEB_CHAT)
    Message.objects.bulk_create([Message(shop=shop, conversation=conversation, direction=Direction.INBOUND,
                                         body=f"第{i}条") for i in range(1, 431)])
    Message.objects.create(shop=shop, conversation=conversation, direction=Direction.NOTE, body="内部备注")
    ids = list(Message.objects.filter(conversation=conversation).exclude(direction=Direction.NOTE)
               .order_by("pk").values_list("pk", flat=True))
    html = client.get(f"/inbox/chat/{token}/").content.decode()
    shown = [int(i) for i in re.findall(r'<li class="chat-msg [a-z]+" data-id="(\d+)"', html)]
    assert shown == ids[-200:] and "第430条" in html and "内部备注" not in html
    before = int(re.search(r'data-testid="chat-earlier"', html) and
                 re.search(r'data-before="(\d+)"', html).group(1))
    assert before == ids[-200]
    page = client.get(f"/inbox/chat/{token}/earlier/", {"before": before}).json()
    assert [m["id"] for m in page["messages"]] == ids[-400:-200] and page["earlier"] == ids[-400]
    last = client.get(f"/inbox/chat/{token}/earlier/", {"before": page["earlier"]}).json()
    assert [m["id"] for m in last["messages"]] == ids[:-400] and last["earlier"] is None
    assert client.get(f"/inbox/chat/{token}/earlier/", {"before": "-1"}).status_code == 400
    # polling goes on from the newest: nothing new, nothing repeated from the start
    cursor = re.search(r'data-cursor="([^"]+)"', html).group(1)
    assert [m["id"] for m in _poll(client, token, after=cursor).json()["messages"]] in ([], ids[-1:])
