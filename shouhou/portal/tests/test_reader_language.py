"""What an English reader of the customer's pages reads where the engine and the cases app store Chinese: the
grounds of a decision (the engine's English explanation, kept to what the chosen remedy says) and the timeline's
steps (said from their codes); and what any reader reads of amounts and of the shop's own approval limits."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import translation

from shouhou.policies.engine import Claim, LineFacts, decide
from shouhou.portal.texts import deduction_text, grounds, timeline_entry

ORDERED, SIGNED, TODAY = dt.date(2026, 11, 1), dt.date(2026, 11, 4), dt.date(2026, 11, 6)
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _decision(reason: str, category: str = "clothing", **claim) -> dict:
    line = LineFacts(category=category, price_paid=Decimal("199.00"), ordered_on=ORDERED, delivered_on=SIGNED)
    return decide(line, Claim(reason=reason, **claim), TODAY).to_json()


@pytest.mark.parametrize(("reason", "kind", "claim"), [
    ("no_reason", "return_refund", {}), ("no_reason", "exchange", {}), ("quality", "exchange", {}),
    ("quality", "repair", {}), ("damaged_in_transit", "resend", {}), ("lost_parcel", "resend", {}),
    ("no_reason", "return_refund", {"gift_value": Decimal("12.5")}), ("price_drop", "price_protect",
                                                                      {"current_price": Decimal("150")}),
])
def test_an_english_reader_reads_the_grounds_in_english_and_only_for_the_remedy_chosen(reason, kind, claim):
    d = _decision(reason, **claim)
    with translation.override("en"):
        text = grounds(d, kind)
    # (they were the stored Chinese sentences: 「符合七日无理由退货（签收次日起第2天，期限7天）。」)
    assert text and not CJK.search(text), text
    # nothing said of one remedy (the offer, the postage, the refund timing, the review state)
    for about_one in ("Available:", "Return shipping", "Refunded within", "Approved automatically", "An agent will"):
        assert about_one not in text
    if kind not in ("return_refund", "refund_only", "price_protect"):
        assert "refund" not in text.lower(), text
    # money as the pages show it
    assert "yuan" not in text


def test_the_english_grounds_keep_the_reasons_and_show_money_as_yuan_signs():
    with translation.override("en"):
        assert grounds(_decision("quality"), "exchange") == "Quality defect within the return period: exchange or " \
                                                           "repair (CRPL art. 24)."
        gifts = grounds(_decision("no_reason", gift_value=Decimal("12.5")), "return_refund")
        assert "Gifts not returned: their marked value (¥12.50) is deducted." in gifts
        assert grounds(_decision("no_reason", gift_value=Decimal("12.5")), "exchange").count("Gifts") == 0
        # a shipping fee deducted from a refund is said beside the refund (texts.deduction_text), not in the grounds;
        # and not at all to a customer who exchanges (nothing is refunded)
        lost = _decision("no_reason", free_shipping_lost=Decimal("8"))
        assert "free-shipping" not in grounds(lost, "return_refund")
        assert deduction_text(lost, "return_refund").startswith(
            "After this return the order no longer qualifies for free shipping: the ¥8.00 shipping fee is deducted")
        assert "free-shipping" not in grounds(lost, "exchange") and deduction_text(lost, "exchange") == ""
    with translation.override("zh-hans"):
        assert "包邮" not in grounds(_decision("no_reason", free_shipping_lost=Decimal("8")), "exchange")
        # the Chinese grounds: amounts as ¥, not 「12.50 元」
        assert "按赠品标价 ¥12.50从退款中扣除" in grounds(_decision("no_reason", gift_value=Decimal("12.5")),
                                                   "return_refund")


def _event(kind="transition", note="", to_status="approved", from_status="requested", data=None):
    return SimpleNamespace(kind=kind, note=note, to_status=to_status, from_status=from_status, data=data or {})


@pytest.mark.parametrize(("event", "english"), [
    (_event("created", "符合七日无理由退货（签收次日起第2天，期限7天）。"), "After-sales request submitted"),
    (_event(note="符合售后政策，系统自动通过"), "Meets the shop's after-sales policy: approved automatically"),
    (_event(note="请按约定方式寄回商品", to_status="awaiting_return"), "Please send the item back as agreed"),
    (_event(note="买家已寄回：顺丰速运 SF1234567890", to_status="in_transit_back"),
     "Sent back by you: SF Express SF1234567890"),
    (_event(note="仓库已收到退回商品", to_status="received"), "The warehouse has received the returned item"),
    (_event(note="已送仓库质检", to_status="inspecting"), "Sent for Warehouse inspection"),
    (_event(note="已完结：退款", to_status="resolved"), "Completed: Refund"),
    (_event(note="顾客撤销了申请", to_status="cancelled"), "Request withdrawn"),
    (_event("evidence", "顾客补充了照片"), "Photo evidence added"),
    (_event("compensation_issued", "已发放补偿 10", data={"kind": "red_packet", "amount": "10"}),
     "Compensation issued: Red packet ¥10.00"),
    (_event("compensation_issued", "已发放补偿 200", data={"kind": "points", "amount": "200"}),
     "Compensation issued: 200 points"),
    (_event(note="", to_status="rejected"), "Rejected"),
    # a person's own words stay as written, after the step they belong to
    (_event(note="照片看不出破损", to_status="rejected"), "Rejected: 照片看不出破损"),
    (_event("progress", "仓库已为您预留退货位"), "仓库已为您预留退货位"),
])
def test_an_english_reader_reads_the_timeline_steps_in_english(event, english):
    with translation.override("en"):
        assert timeline_entry(event) == english


def test_no_reader_reads_the_staff_approval_limit_and_amounts_have_a_yuan_sign():
    over = _event(note="补偿 80.00 元超出客服审批额度 50 元，待主管审批", to_status="awaiting_supervisor")
    with translation.override("zh-hans"):
        assert timeline_entry(over) == "补偿待主管审批"
        # (it read 「已发放补偿 10.00」: ten of what?)
        issued = _event("compensation_issued", "已发放补偿 10.00", data={"kind": "coupon", "amount": "10.00"})
        assert timeline_entry(issued) == "已发放补偿 优惠券 ¥10.00"
        points = _event("compensation_issued", "已发放补偿 200", data={"kind": "points", "amount": "200"})
        assert timeline_entry(points) == "已发放补偿 200 积分"
        # a Chinese reader reads the notes the cases app wrote as they are
        assert timeline_entry(_event(note="符合售后政策，系统自动通过")) == "符合售后政策，系统自动通过"
        assert timeline_entry(_event(note="照片看不出破损", to_status="rejected")) == "照片看不出破损"
    with translation.override("en"):
        assert timeline_entry(over) == "Compensation awaiting a supervisor's approval"


# --- the pages, in English ---------------------------------------------------------------------------------

@pytest.fixture
def line(shop):
    from shouhou.portal.tests.conftest import portal_line

    return portal_line(shop)


def _login(client):
    return client.post("/p/", {"order_no": "DY20261101001", "last4": "5678"}, REMOTE_ADDR="10.0.0.1")


@pytest.mark.django_db
@pytest.mark.usefixtures("portal_clock")
def test_a_customer_can_switch_the_pages_to_english_and_back(client, line):
    # the only language menu was the staff header's (signed-in staff), and the phone's language is not consulted:
    # a customer who reads English had no way to English
    page = client.get("/p/").content.decode()
    assert 'name="language" value="en"' in page and "English" in page
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/p/"})
    assert switched.status_code == 302 and switched["Location"] == "/p/"
    page = client.get("/p/").content.decode()
    assert "Find my order" in page and 'name="language" value="zh-hans"' in page and "中文" in page
    # the case page's switch comes back to the case page, not to the address a form was sent to
    _login(client)
    from shouhou.cases.tests.factories import JPEG, photo

    filed = client.post("/p/order/", {"line": line.pk, "reason": "no_reason", "condition": "unopened",
                                      "photo": photo(JPEG)})
    refused = client.post(filed["Location"] + "evidence/", {"photo": photo(b"%PDF-1.4")}).content.decode()
    assert f'name="next" value="{filed["Location"]}"' in refused


@pytest.mark.django_db
@pytest.mark.usefixtures("portal_clock")
def test_a_refused_photo_is_said_in_the_readers_language(client, line):
    from shouhou.cases.tests.factories import JPEG, photo

    client.cookies["django_language"] = "en"
    _login(client)
    # on the claim form (it read 「文件不是支持的图片格式，请上传 JPG、PNG、WebP、HEIC 或 GIF 照片。」)
    page = client.post("/p/order/", {"line": line.pk, "reason": "no_reason", "condition": "unopened",
                                     "photo": photo(b"%PDF-1.4 not a photo")})
    assert page.status_code == 400
    assert "This file is not a photo we can take" in page.content.decode()
    filed = client.post("/p/order/", {"line": line.pk, "reason": "no_reason", "condition": "unopened",
                                      "photo": photo(JPEG)})
    # and on the case page, adding one
    added = client.post(filed["Location"] + "evidence/", {"photo": photo(b"%PDF-1.4 not a photo")})
    assert added.status_code == 400 and "This file is not a photo we can take" in added.content.decode()
    assert not CJK.search(re.search(r'data-testid="error">(.*?)<', added.content.decode()).group(1))
    # the page says how large a photo may be before it is sent (the phone checks it: portal.js)
    assert 'data-max-bytes="10485760"' in added.content.decode()


@pytest.mark.django_db
@pytest.mark.usefixtures("portal_clock")
def test_at_the_photo_limit_the_case_page_says_so_instead_of_offering_the_upload(client, line):
    from shouhou.cases import services as case_services
    from shouhou.cases.tests.factories import JPEG, photo

    client.cookies["django_language"] = "en"
    _login(client)
    filed = client.post("/p/order/", {"line": line.pk, "reason": "no_reason", "condition": "unopened",
                                      "photo": photo(JPEG)})
    for _ in range(case_services.MAX_CUSTOMER_PHOTOS - 1):
        assert client.post(filed["Location"] + "evidence/", {"photo": photo(JPEG)}).status_code == 302
    # (the upload was offered, and refused after it was sent: 「每个售后单最多上传 9 张照片。」)
    page = client.get(filed["Location"]).content.decode()
    assert "A case takes at most 9 photos" in page and 'action="' + filed["Location"] + 'evidence/"' not in page


@pytest.mark.django_db
@pytest.mark.usefixtures("portal_clock")
def test_the_english_case_page_follows_a_return_in_english(client, line, agent):
    from shouhou.cases import services as case_services
    from shouhou.cases.models import Case
    from shouhou.cases.tests.factories import JPEG, photo

    client.cookies["django_language"] = "en"
    _login(client)
    filed = client.post("/p/order/", {"line": line.pk, "reason": "no_reason", "condition": "unopened",
                                      "photo": photo(JPEG)})
    client.post(filed["Location"] + "ship/", {"method": "self_ship", "carrier": "SF", "tracking_no": "SF1234567890"})
    case = Case.objects.get()
    case_services.case_mark_received(case=case, actor=agent)
    page = client.get(filed["Location"]).content.decode()
    timeline = re.search(r'data-testid="timeline">(.*?)</ol>', page, re.S).group(1)
    assert not CJK.search(timeline), timeline
    assert "Sent back by you: SF Express SF1234567890" in timeline
    assert "The warehouse has received the returned item" in timeline


@pytest.mark.django_db
@pytest.mark.usefixtures("portal_clock")
def test_a_screen_reader_on_the_lookup_fields_hears_what_was_wrong(client, line):
    # the error was an alert (said once) but the fields did not say they were wrong nor point to it
    page = client.post("/p/", {"order_no": "DY20261101001", "last4": "0000"}, REMOTE_ADDR="10.0.0.2").content.decode()
    assert 'role="alert" id="lookup-error"' in page
    for name in ("order_no", "last4"):
        field = re.search(rf'<input name="{name}"[^>]*>', page).group(0)
        assert 'aria-invalid="true"' in field and 'aria-describedby="lookup-error"' in field
    fresh = client.get("/p/").content.decode()
    assert "aria-invalid" not in fresh
