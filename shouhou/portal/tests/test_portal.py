from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine

from shouhou.cases.models import Case
from shouhou.cases.tests.factories import JPEG, photo
from shouhou.commerce.choices import Category
from shouhou.core.counters import counter_values
from shouhou.core.testing.factories import CustomerFactory, OrderLineFactory, ProductFactory
from shouhou.portal.tests.conftest import NOW, portal_line

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portal_clock")]


@pytest.fixture
def line(shop):
    return portal_line(shop)


def _login(client, order_no="DY20261101001", last4="5678", ip="10.0.0.1"):
    return client.post("/p/", {"order_no": order_no, "last4": last4}, REMOTE_ADDR=ip)


def test_wrong_pairs_get_the_same_neutral_error(client, line, other_shop):
    OrderLineFactory(order__shop=other_shop, order__order_no="DY999", order__customer__phone_last4="1111")
    a = _login(client, last4="0000").content.decode()
    b = _login(client, order_no="NOPE").content.decode()
    c = _login(client, order_no="DY999", last4="5678").content.decode()
    for body in (a, b, c):
        assert "订单号或手机尾号不正确" in body and "法式碎花连衣裙" not in body


def test_guessing_is_rate_limited_per_order_number_across_ips(client, line, one_rate_window):
    for i in range(5):
        assert _login(client, last4=f"000{i}", ip=f"10.0.1.{i}").status_code == 200
    r = _login(client, ip="10.0.9.9")  # even the right pair is refused now
    assert r.status_code == 429 and "尝试次数过多" in r.content.decode()


def test_guessing_is_rate_limited_per_ip_across_orders(client, line, one_rate_window):
    for i in range(5):
        _login(client, order_no=f"X{i}", ip="10.0.2.2")
    r = _login(client, ip="10.0.2.2")
    assert r.status_code == 429
    assert _login(client, ip="10.0.2.3").status_code == 302


def test_guessing_from_fresh_ipv6_addresses_of_one_network_is_limited(client, line, one_rate_window):
    """An IPv6 client chooses among 2^64 addresses of its /64: counted per address, every new one got five
    more guesses across the orders; counted per /64 it gets five."""
    for i in range(5):
        assert _login(client, order_no=f"X{i}", ip=f"2001:db8:42:7::{i + 1:x}").status_code == 200
    assert _login(client, ip="2001:db8:42:7::99").status_code == 429
    assert _login(client, ip="2001:db8:42:8::1").status_code == 302  # another network


def test_flow_creates_case_and_follow_link_is_signed(client, line):
    assert _login(client).status_code == 302
    page = client.get("/p/order/").content.decode()
    assert "法式碎花连衣裙" in page
    r = client.post("/p/order/preview/", {"line": line.pk, "reason": "no_reason", "condition": "unopened"})
    assert r.json()["text"]["shipping"] == "买家承担" and r.json()["text"]["by"] == "2026-11-13"
    r = client.post("/p/order/submit/", {"line": line.pk, "reason": "no_reason", "condition": "unopened",
                                         "photo": photo(JPEG)})
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.status == "awaiting_return" and case.evidence.count() == 1 and case.channel == "portal"
    token = re.search(r"/p/c/([^/]+)/", r["Location"]).group(1)
    follow = client.get(r["Location"]).content.decode()
    assert case.number in follow and "买家承担" in follow and "2026-11-13" in follow
    assert client.get(f"/p/c/{token[:-2]}xx/").status_code == 404
    assert client.get(f"/p/c/{case.pk}/").status_code == 404


def test_submit_refuses_a_non_image(client, line):
    _login(client)
    r = client.post("/p/order/submit/", {"line": line.pk, "reason": "quality", "photo": photo(b"not an image")})
    assert r.status_code == 400 and "不是支持的图片格式" in r.content.decode()
    assert Case.objects.count() == 0


def test_order_page_needs_a_lookup_first(client, line):
    r = client.get("/p/order/")
    assert r.status_code == 302 and r["Location"] == "/p/?again=1"  # the lookup, saying why (test_customer_phone)
    assert "法式碎花连衣裙" not in client.get(r["Location"]).content.decode()


# --- found in the issue-3 audit: shops sharing an order number, and what the follow page lets a customer do

def test_same_order_number_in_two_shops_is_never_guessed(client, shop, other_shop):
    # given two shops whose orders share a number and a phone tail
    for s, name in ((shop, "我的连衣裙"), (other_shop, "别人的电饭煲")):
        OrderLineFactory(order__shop=s, order__order_no="1001", product_name=name,
                         order__customer=CustomerFactory(shop=s, phone_last4="5678"))
    # when the customer uses the generic page, then nothing is shown and they are sent to the shop's link
    body = _login(client, order_no="1001").content.decode()
    assert "请从购买店铺提供的售后链接进入" in body and "连衣裙" not in body and "电饭煲" not in body
    # when they use their shop's link, then they see their own order only
    r = client.post(f"/p/s/{shop.code}/", {"order_no": "1001", "last4": "5678"}, REMOTE_ADDR="10.0.0.8")
    assert r.status_code == 302
    page = client.get("/p/order/").content.decode()
    assert "我的连衣裙" in page and "电饭煲" not in page
    assert client.get("/p/s/nope/").status_code == 404


def _filed(client, line):
    _login(client)
    r = client.post("/p/order/submit/", {"line": line.pk, "reason": "no_reason", "condition": "unopened",
                                         "photo": photo(JPEG)})
    return Case.objects.get(), r["Location"]


def test_customer_registers_the_return_parcel_on_the_follow_page(client, line):
    # given an auto-approved return waiting for the goods
    case, url = _filed(client, line)
    assert case.status == "awaiting_return"
    page = client.get(url).content.decode()
    assert 'data-testid="ship"' in page and "快递单号" in page and 'data-testid="cancel"' in page
    # when self-ship is chosen without a tracking number, then it is refused with a clear message
    r = client.post(url + "ship/", {"method": "self_ship", "carrier": "SF", "tracking_no": ""})
    assert r.status_code == 400 and "自行寄回需填写快递单号" in r.content.decode()
    # when the tracking number is given, then the case moves on and the page says so
    r = client.post(url + "ship/", {"method": "self_ship", "carrier": "SF", "tracking_no": "SF1234567890"})
    assert r.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.return_carrier, case.return_tracking_no) == ("in_transit_back", "SF", "SF1234567890")
    page = client.get(url).content.decode()
    assert "退货运输中" in page and 'data-testid="ship"' not in page and 'data-testid="cancel"' not in page


def test_customer_adds_a_photo_later_checked_by_content(client, line):
    case, url = _filed(client, line)
    r = client.post(url + "evidence/", {"photo": photo(b"not an image", "x.jpg")})
    assert r.status_code == 400 and "不是支持的图片格式" in r.content.decode()
    assert client.post(url + "evidence/", {"photo": photo(JPEG)}).status_code == 302
    assert case.evidence.filter(from_customer=True).count() == 2
    assert case.events.filter(kind="evidence", note="顾客补充了照片").count() == 1


def test_customer_photos_are_capped_and_refused_after_the_case_ends(client, line):
    from shouhou.cases import services as svc

    case, url = _filed(client, line)
    for _ in range(svc.MAX_CUSTOMER_PHOTOS - 1):
        assert client.post(url + "evidence/", {"photo": photo(JPEG)}).status_code == 302
    r = client.post(url + "evidence/", {"photo": photo(JPEG)})
    assert r.status_code == 400 and f"最多上传 {svc.MAX_CUSTOMER_PHOTOS} 张照片" in r.content.decode()
    # when the customer cancels, then the case ends and photos are refused
    assert client.post(url + "cancel/").status_code == 302
    case.refresh_from_db()
    assert case.status == "cancelled"
    r = client.post(url + "evidence/", {"photo": photo(JPEG)})
    assert r.status_code == 400 and "已结束" in r.content.decode()
    assert 'data-testid="cancel"' not in client.get(url).content.decode()


def test_follow_actions_need_a_valid_link(client, line):
    case, _url = _filed(client, line)
    assert client.post(f"/p/c/{case.pk}/cancel/").status_code == 404
    assert client.post("/p/c/forged/ship/", {"tracking_no": "x"}).status_code == 404


def test_other_callers_get_the_neutral_none_for_an_ambiguous_pair(shop, other_shop):
    from shouhou.portal.services import portal_order_lookup

    for s in (shop, other_shop):
        OrderLineFactory(order__shop=s, order__order_no="2002", order__customer=CustomerFactory(shop=s, phone_last4="4321"))
    assert portal_order_lookup(order_no="2002", last4="4321", ip="10.9.9.9") is None
    assert portal_order_lookup(order_no="2002", last4="4321", ip="10.9.9.9", shop=other_shop).shop == other_shop


# --- issue 15: a photo only where the policy asks for one -----------------------------------------

def test_a_lost_parcel_is_filed_without_a_photo(client, line):
    # given a customer whose parcel never arrived (nothing to photograph)
    _login(client)
    # when they file without a photo, then the case is created
    r = client.post("/p/order/submit/", {"line": line.pk, "reason": "lost_parcel", "condition": "unopened"})
    assert r.status_code == 302, r.content.decode()[:2000]
    case = Case.objects.get()
    assert case.reason == "lost_parcel" and case.evidence.count() == 0


def test_a_reason_the_policy_needs_a_photo_for_is_refused_without_one_and_says_why(client, line):
    _login(client)
    r = client.post("/p/order/submit/", {"line": line.pk, "reason": "wrong_item", "condition": "unopened"})
    assert r.status_code == 400
    assert "需要上传照片" in r.content.decode()
    assert Case.objects.count() == 0


def test_the_page_says_which_problems_need_a_photo_from_the_shops_policy(client, line):
    _login(client)
    page = client.get("/p/order/").content.decode()
    # the default policy's photo_required_reasons: wrong item, missing parts, damaged in transit
    assert re.search(r'<option value="wrong_item" data-photo="required">', page)
    assert re.search(r'<option value="lost_parcel" data-photo="optional">', page)
    assert "发错货、少件/漏发、运输破损需要上传照片" in page
    # the file input itself is not required for every reason
    assert not re.search(r'<input type="file" name="photo"[^>]*required', page)


def test_a_shop_policy_that_needs_no_photo_lets_wrong_items_through_without_one(client, line, shop, shop_admin):
    from shouhou.policies.selectors import default_source
    from shouhou.policies.services import policy_publish

    source = default_source().replace(
        'photo_required_reasons = ["wrong_item", "missing_parts", "damaged_in_transit"]',
        'photo_required_reasons = ["damaged_in_transit"]')
    policy_publish(shop=shop, source=source, actor=shop_admin)
    _login(client)
    r = client.post("/p/order/submit/", {"line": line.pk, "reason": "wrong_item", "condition": "unopened"})
    assert r.status_code == 302


# --- issue 15: where to send it, and texts recomputed on approval -----------------------------------

@pytest.fixture
def dear_line(shop):
    customer = CustomerFactory(shop=shop, phone="13912345678", phone_last4="5678")
    product = ProductFactory(shop=shop, name="羊绒大衣", category=Category.CLOTHING)
    return OrderLineFactory(order__shop=shop, order__customer=customer, order__order_no="DY20261101001",
                            order__delivered_at=NOW - dt.timedelta(days=2), product=product,
                            category=Category.CLOTHING, price_paid=Decimal("899.00"))


def test_an_approval_days_later_gives_a_new_return_date_the_address_and_drops_the_review_text(
        client, dear_line, shop, shop_admin, agent):
    from shouhou.cases.services import case_approve
    from shouhou.commerce.services import return_address_save
    from shouhou.notifications.models import OutboundMessage

    return_address_save(shop=shop, actor=shop_admin, data={
        "name": "杭州退货仓", "contact_name": "王仓管", "phone": "0571-88886666", "province": "浙江省",
        "city": "杭州市", "district": "余杭区", "street": "文一西路 1 号 3 号库", "is_active": True})
    # given a claim above the auto-approval amount: an agent must review it
    _login(client)
    r = client.post("/p/order/submit/", {"line": dear_line.pk, "reason": "no_reason", "condition": "unopened"})
    url = r["Location"]
    case = Case.objects.get()
    assert case.status == "requested"
    page = client.get(url).content.decode()
    assert "客服将尽快审核" in page and 'data-testid="return-address"' not in page
    # when the agent approves it eleven days later (the first return date, 11-13, has passed)
    with time_machine.travel(NOW + dt.timedelta(days=11), tick=False):
        case_approve(case=case, actor=agent)
        page = client.get(url).content.decode()
    # then the page gives a return date from the approval, where to send it, and no "will review"
    case.refresh_from_db()
    assert case.status == "awaiting_return"
    assert "请在 2026-11-24 23:59（北京时间）前寄回" in page and "2026-11-13" not in page
    assert "客服将尽快审核" not in page and "已同意为您办理：退货退款" in page
    assert 'data-testid="return-address"' in page
    assert "浙江省杭州市余杭区文一西路 1 号 3 号库" in page and "王仓管" in page and "0571-88886666" in page
    assert case.decision["deadlines"]["return_ship_by"] == "2026-11-24"
    # the same instant the agents' case page counts down to: the last minute of that day, Beijing time
    assert f"{case.deadline_at.astimezone(NOW.tzinfo):%Y-%m-%d %H:%M}" == "2026-11-24 23:59"
    # and the customer's approval message says the same
    message = OutboundMessage.objects.get(trigger="case_approved")
    assert "2026-11-24" in message.body and "浙江省杭州市余杭区文一西路 1 号 3 号库" in message.body


def test_without_a_return_address_the_page_says_not_to_send_yet(client, line):
    case, url = _filed(client, line)
    assert case.status == "awaiting_return"
    page = client.get(url).content.decode()
    assert 'data-testid="no-return-address"' in page and "请先不要寄出" in page
    from shouhou.notifications.models import OutboundMessage

    assert "请先不要寄出" in OutboundMessage.objects.get(trigger="case_approved").body


# --- issue 15: a self-service case that needs a person reaches the agents' queue ----------------------

def test_a_claim_the_policy_cannot_approve_appears_in_the_agents_queue_with_a_clock(client, dear_line, shop, agent):
    from shouhou.inbox.channels import webchat
    from shouhou.inbox.models import Ticket
    from shouhou.inbox.selectors import ticket_queue
    from shouhou.inbox.services import ticket_reply

    _login(client)
    r = client.post("/p/order/submit/", {"line": dear_line.pk, "reason": "no_reason", "condition": "unopened",
                                         "description": "尺码偏大，想退"})
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.status == "requested"
    # then a ticket for a person, linked to the case, with its first-response clock running
    ticket = Ticket.objects.get(case=case)
    assert ticket.status == "new" and ticket.first_response_due_at is not None
    assert ticket.first_response_due_at > NOW and ticket.order == dear_line.order
    assert case.number in ticket.subject or case.number in ticket.conversation.messages.get().body
    rows = [row for row in ticket_queue(shop=shop, user=agent).rows if row.ticket == ticket]
    assert len(rows) == 1 and rows[0].clock.state == "running" and rows[0].clock.due_at  # its clock runs
    # and the agent's reply reaches the customer's web chat for that order
    ticket_reply(ticket=ticket, author=agent, body="您好，已收到您的申请，正在审核")
    conversation = webchat.webchat_start(order=dear_line.order)
    said = [(m["who"], m["body"]) for m in webchat.webchat_messages(conversation=conversation)]
    assert said[-1] == ("agent", "您好，已收到您的申请，正在审核")
    assert any(who == "me" and case.number in body for who, body in said)
    # filing again (a retry) adds no second ticket
    from shouhou.inbox.services import ticket_open_for_case

    assert ticket_open_for_case(case=case) == ticket
    assert Ticket.objects.filter(case=case).count() == 1


def test_an_auto_approved_claim_needs_nobody(client, line):
    from shouhou.inbox.models import Ticket

    case, _url = _filed(client, line)
    assert case.auto_approved and not Ticket.objects.exists()


def test_a_customer_who_withdraws_takes_the_ticket_out_of_the_queue(client, dear_line):
    from shouhou.inbox.models import Ticket

    _login(client)
    url = client.post("/p/order/submit/", {"line": dear_line.pk, "reason": "no_reason",
                                           "condition": "unopened"})["Location"]
    assert Ticket.objects.get().status == "new"
    assert client.post(url + "cancel/").status_code == 302
    assert Ticket.objects.get().status == "resolved"


def test_the_chat_assistant_tells_where_to_send_an_approved_return(client, line, shop, shop_admin):
    from shouhou.commerce.services import return_address_save
    from shouhou.inbox.channels import webchat

    return_address_save(shop=shop, actor=shop_admin, data={
        "name": "杭州退货仓", "contact_name": "王仓管", "phone": "0571-88886666", "province": "浙江省",
        "city": "杭州市", "street": "文一西路 1 号", "is_active": True})
    case, _url = _filed(client, line)
    assert case.status == "awaiting_return"
    conversation = webchat.webchat_start(order=line.order)
    webchat.webchat_post(conversation=conversation, body="退货寄到哪个地址？", client_id="addr")
    answer = webchat.webchat_messages(conversation=conversation)[-1]
    assert answer["who"] == "bot"
    assert case.number in answer["body"] and "浙江省杭州市文一西路 1 号" in answer["body"] and "2026-11-13" in answer["body"]


def test_a_queue_that_fails_never_loses_the_customers_claim(client, dear_line, monkeypatch):
    from shouhou.inbox import services as inbox_services
    from shouhou.inbox.models import Ticket

    def broken(*, case):
        Ticket.objects.create(shop=case.shop, number="T-HALF", channel="web_chat")  # half-written, rolled back
        raise ValueError("the SLA clock cannot compute this target")

    monkeypatch.setattr(inbox_services, "ticket_open_for_case", broken)
    _login(client)
    r = client.post("/p/order/submit/", {"line": dear_line.pk, "reason": "no_reason", "condition": "unopened"})
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.status == "requested" and not Ticket.objects.exists()
    note = case.events.get(kind="progress")
    assert note.note == "未能自动进入客服队列，请人工跟进" and not note.visible_to_customer


def test_a_claim_on_an_order_without_a_customer_record_still_reaches_the_queue(client, shop):
    from shouhou.inbox.models import Ticket

    line = OrderLineFactory(order__shop=shop, order__customer=None, order__order_no="DY-NOCUST",
                            order__receiver_phone="13912349999", order__delivered_at=NOW - dt.timedelta(days=2),
                            category=Category.CLOTHING, price_paid=Decimal("899.00"))
    _login(client, order_no="DY-NOCUST", last4="9999")
    r = client.post("/p/order/submit/", {"line": line.pk, "reason": "no_reason", "condition": "unopened"})
    assert r.status_code == 302
    assert Ticket.objects.get().case == Case.objects.get()


# --- a customer on a phone (390×844): the return parcel, an ended case, input kept on errors, full-width digits

@pytest.mark.parametrize(("carrier", "tracking_no", "field"), [
    ("XX", "SF1234567890", "快递公司"),                  # not a carrier we know
    ("SFEXPRESS12345678", "SF1234567890", "快递公司"),   # any 16-char string used to pass
    ("SF", "abc 123 !!", "快递单号"),                     # punctuation
    ("SF", "SF12", "快递单号"),                           # too short to be a waybill
    ("SF", "S" * 33, "快递单号"),                         # too long
])
def test_the_return_parcel_must_be_a_known_carrier_and_a_sane_number(client, line, carrier, tracking_no, field):
    # given an approved return awaiting the goods
    case, url = _filed(client, line)
    # when the customer sends a carrier or number that cannot be a parcel
    r = client.post(url + "ship/", {"method": "self_ship", "carrier": carrier, "tracking_no": tracking_no})
    # then it is refused with a message naming the field, what they typed is still in the form, nothing is written
    body = r.content.decode()
    assert r.status_code == 400 and f"{field}：" in body
    assert 'data-testid="ship"' in body and f'value="{tracking_no}"' in body
    case.refresh_from_db()
    assert (case.status, case.return_carrier, case.return_tracking_no) == ("awaiting_return", "", "")


def test_the_tracking_number_is_read_as_a_phone_types_it_and_the_timeline_names_the_carrier(client, line):
    case, url = _filed(client, line)
    # when the number comes with spaces, full-width characters and lower case
    r = client.post(url + "ship/", {"method": "self_ship", "carrier": "SF", "tracking_no": " ｓｆ１２３４ 5678 90　"})
    assert r.status_code == 302
    case.refresh_from_db()
    # then it is stored as the carrier prints it and the timeline says 顺丰速运, not "SF"
    assert (case.status, case.return_carrier, case.return_tracking_no) == ("in_transit_back", "SF", "SF1234567890")
    timeline = re.search(r'data-testid="timeline">(.*?)</ol>', client.get(url).content.decode(), re.S).group(1)
    assert "买家已寄回：顺丰速运 SF1234567890" in timeline and "SF SF" not in timeline


def test_a_mistyped_parcel_can_be_corrected_until_the_shop_receives_it(client, line, agent):
    from shouhou.cases.services import case_mark_received
    from shouhou.core.models import AuditEvent

    # given a return registered with the wrong carrier and number
    case, url = _filed(client, line)
    client.post(url + "ship/", {"method": "self_ship", "carrier": "ZTO", "tracking_no": "SF1234567899"})
    page = client.get(url).content.decode()
    assert 'data-testid="ship-fix"' in page and 'value="SF1234567899"' in page
    # when the customer corrects them, a wrong number is refused first
    r = client.post(url + "ship/", {"method": "self_ship", "carrier": "SF", "tracking_no": "SF-1"})
    assert r.status_code == 400 and "快递单号：" in r.content.decode()
    assert client.post(url + "ship/", {"method": "self_ship", "carrier": "SF",
                                       "tracking_no": "SF1234567890"}).status_code == 302
    # then the case keeps its status, holds the new details, and the change is an event and an audit record
    case.refresh_from_db()
    assert (case.status, case.return_carrier, case.return_tracking_no) == ("in_transit_back", "SF", "SF1234567890")
    event = case.events.get(kind="return_corrected")
    assert event.visible_to_customer and event.note == "寄回信息已更正：顺丰速运 SF1234567890"
    assert event.data == {"before": {"return_carrier": "ZTO", "return_tracking_no": "SF1234567899"},
                          "after": {"return_carrier": "SF", "return_tracking_no": "SF1234567890"},
                          "step": "return_corrected"}
    audit = AuditEvent.objects.get(action="case.return_corrected")
    assert audit.before["return_tracking_no"] == "SF1234567899" and audit.after["return_tracking_no"] == "SF1234567890"
    assert "寄回信息已更正：顺丰速运 SF1234567890" in client.get(url).content.decode()
    # sending the same details again (a double tap) records nothing more
    client.post(url + "ship/", {"method": "self_ship", "carrier": "SF", "tracking_no": "SF1234567890"})
    assert case.events.filter(kind="return_corrected").count() == 1
    # once the shop has received the goods, the details are final
    case_mark_received(case=case, actor=agent)
    assert 'data-testid="ship-fix"' not in client.get(url).content.decode()
    r = client.post(url + "ship/", {"method": "self_ship", "carrier": "YTO", "tracking_no": "YT1234567890"})
    assert r.status_code == 400 and "寄回信息已不能修改" in r.content.decode()
    case.refresh_from_db()
    assert case.return_carrier == "SF"


def test_asking_for_a_pickup_is_a_request_not_a_parcel_on_its_way(client, line, agent):
    from shouhou.cases.services import case_return_shipped
    from shouhou.core.models import AuditEvent

    case, url = _filed(client, line)
    # when the customer asks for a pickup (no address, no time given)
    assert client.post(url + "ship/", {"method": "pickup", "carrier": "SF", "tracking_no": ""}).status_code == 302
    # then the case still awaits the goods, and the page says a person will arrange it
    case.refresh_from_db()
    assert (case.status, case.return_method, case.return_shipped_at) == ("awaiting_return", "pickup", None)
    page = client.get(url).content.decode()
    assert re.search(r'data-testid="status">[^<]*待买家寄回<', page) and 'data-testid="pickup-requested"' in page
    assert "已申请上门取件，客服将联系您约定取件时间和地址" in page
    assert AuditEvent.objects.filter(action="case.pickup_requested").count() == 1
    # asking twice is one request
    client.post(url + "ship/", {"method": "pickup"})
    assert case.events.filter(kind="pickup_requested").count() == 1
    # when the courier has collected it, staff register it and only then is it on its way
    case_return_shipped(case=case, actor=agent, method="pickup", carrier="顺丰", tracking_no="SF1234567890")
    case.refresh_from_db()
    assert case.status == "in_transit_back"
    assert case.events.get(to_status="in_transit_back", kind="transition").note == "快递员已上门取件：顺丰速运 SF1234567890"


@pytest.mark.parametrize("end", ["cancel", "reject"])
def test_an_ended_case_shows_no_offer_postage_or_review_promise(client, dear_line, agent, end):
    from shouhou.cases.services import case_reject

    # given a claim waiting for review: the page shows the offer and "an agent will review it"
    _login(client)
    url = client.post("/p/order/submit/", {"line": dear_line.pk, "reason": "no_reason",
                                           "condition": "unopened"})["Location"]
    before = client.get(url).content.decode()
    assert "可为您办理" in before and "客服将尽快审核" in before and "运费：" in before
    # when it is withdrawn or rejected
    if end == "cancel":
        assert client.post(url + "cancel/").status_code == 302
    else:
        case_reject(case=Case.objects.get(), actor=agent, reason="超出无理由退货期限")
    # then the card says how it ended and nothing of the offer
    card = re.search(r'data-testid="decision">(.*?)</section>', client.get(url).content.decode(), re.S).group(1)
    assert ("申请已撤销" if end == "cancel" else "申请未通过") in card
    for gone in ("可为您办理", "客服将尽快审核", "运费：", "前寄回", "为您办理</h2>"):
        assert gone not in card, gone


def test_a_server_side_error_keeps_what_the_customer_typed_and_the_address(client, line):
    second = OrderLineFactory(order=line.order, product_name="真丝围巾", price_paid=Decimal("99.00"))
    _login(client)
    page = client.get("/p/order/").content.decode()
    assert 'action="/p/order/"' in page  # the form posts to its own address
    # when the claim comes back with an error (a file that is not an image)
    r = client.post("/p/order/", {"line": second.pk, "reason": "quality", "condition": "opened_unused",
                                  "washed": "1", "description": "洗了一次就起球<严重>",
                                  "photo": photo(b"not an image", "x.jpg")})
    # then the page stays at /p/order/ with everything but the photo filled in again
    body = r.content.decode()
    assert r.status_code == 400 and r.request["PATH_INFO"] == "/p/order/" and "不是支持的图片格式" in body
    assert re.search(rf'name="line" value="{second.pk}"\s*checked', body)
    assert not re.search(rf'name="line" value="{line.pk}"\s*checked', body)
    assert '<option value="quality" data-photo="optional" selected>' in body
    assert '<option value="opened_unused" selected>' in body
    assert re.search(r'name="washed" value="1"\s*checked', body)
    assert "洗了一次就起球&lt;严重&gt;</textarea>" in body
    assert Case.objects.count() == 0


def test_a_wrong_pair_keeps_the_order_number_typed(client, line):
    body = _login(client, order_no="DY20261101001", last4="0000").content.decode()
    assert "订单号或手机尾号不正确" in body
    assert 'value="DY20261101001"' in body and 'value="0000"' in body


def test_full_width_digits_are_read_as_digits(client, line):
    # a Chinese keyboard's full-width order number and phone tail find the order
    r = _login(client, order_no="ＤＹ２０２６１１０１００１", last4="５６７８")
    assert r.status_code == 302 and r["Location"] == "/p/order/"


def test_a_full_width_guess_counts_once_against_the_same_order_number(client, line, one_rate_window):
    # five failures alternating full-width and half-width forms of one order number, from five addresses
    for i in range(5):
        order_no = "ＤＹ２０２６１１０１００１" if i % 2 else "DY20261101001"
        assert _login(client, order_no=order_no, last4=f"000{i}", ip=f"10.0.3.{i}").status_code == 200
    # then the order number is locked, in either form, and each failure counted once
    assert counter_values(["portal:fail:order:DY20261101001"]) == [5]
    assert _login(client, order_no="ＤＹ２０２６１１０１００１", ip="10.0.3.9").status_code == 429
    assert _login(client, ip="10.0.3.9").status_code == 429


def test_guesses_sent_at_once_are_counted_before_they_are_tried(line, monkeypatch, one_rate_window):
    """Six guesses in flight together (a burst of parallel requests): only five reach the orders. Before, a
    guess counted only after it missed, so every request of a burst passed the limit check first."""
    import contextlib

    from shouhou.commerce.models import Order
    from shouhou.portal.services import MAX_FAILURES, TooManyAttempts, portal_order_lookup

    tried = []
    real_filter = Order.objects.filter

    def filter_while_others_guess(*args, **kwargs):
        tried.append(kwargs)
        if len(tried) == 1:  # the first guess is being tried: the others arrive now, from other addresses
            for i in range(MAX_FAILURES):
                with contextlib.suppress(TooManyAttempts):
                    portal_order_lookup(order_no="DY20261101001", last4=f"100{i}", ip=f"10.0.5.{i}")
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(Order.objects, "filter", filter_while_others_guess)
    with contextlib.suppress(TooManyAttempts):
        portal_order_lookup(order_no="DY20261101001", last4="0000", ip="10.0.5.99")
    assert len(tried) == MAX_FAILURES
    with pytest.raises(TooManyAttempts):  # and the right pair is refused until the window ends
        portal_order_lookup(order_no="DY20261101001", last4="5678", ip="10.0.5.100")


def test_the_right_pair_is_not_counted_as_a_failed_guess(client, line, one_rate_window):
    for _ in range(8):
        assert _login(client, ip="10.0.6.1").status_code == 302
    for i in range(4):
        assert _login(client, last4=f"000{i}", ip="10.0.6.1").status_code == 200
    assert _login(client, ip="10.0.6.1").status_code == 302  # four misses: still let in
