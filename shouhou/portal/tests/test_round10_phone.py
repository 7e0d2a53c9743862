"""Round 10, a customer on a phone in English and in Chinese: a price that is not an amount is said in the reader's
language (core.money's Chinese sentence, with the typed value as Python wrote it, was pasted after the English
field name: 「Price now (yuan)必须是数字（只含数字和小数点），收到 'abc'」); and the timeline's steps written while
the staff member read English (「已送Warehouse inspection」, 「买家已寄回：SF Express …」) are said in the reader's
language, not half in each."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.utils import translation

from shouhou.cases import services as case_services
from shouhou.cases.models import Case
from shouhou.cases.tests.factories import JPEG, photo
from shouhou.portal.tests.conftest import portal_line
from shouhou.portal.texts import timeline_entry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portal_clock")]
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _login(client):
    return client.post("/p/", {"order_no": "DY20261101001", "last4": "5678"}, REMOTE_ADDR="10.0.0.1")


@pytest.mark.parametrize(("typed", "english", "chinese"), [
    ("abc", "Please enter the price as a number, e.g. 179.00.", "现在的价格（元）请填写数字，例如 179.00。"),
    ("NaN", "Please enter the price as a number, e.g. 179.00.", "现在的价格（元）请填写数字，例如 179.00。"),
    ("0", "The price now must be more than 0.", "现在的价格（元）必须大于 0。"),
    ("-5", "The price now must be more than 0.", "现在的价格（元）必须大于 0。"),
    ("12.345", "The price now has at most two decimals (to the fen).", "现在的价格（元）最多两位小数（精确到分）。"),
    ("1e30", "The price now is too large; please check it.", "现在的价格（元）过大，请核对后重新填写。"),
])
def test_a_price_that_is_not_an_amount_is_said_in_the_readers_language(client, shop, typed, english, chinese):
    line = portal_line(shop)
    for language, said in (("en", english), ("zh-hans", chinese)):
        client.cookies["django_language"] = language
        _login(client)
        form = {"line": line.pk, "reason": "price_drop", "condition": "unopened", "current_price": typed}
        preview = client.post("/p/order/preview/", form)
        assert preview.status_code == 400 and preview.json() == {"error": said, "field": "current_price"}
        page = client.post("/p/order/", {**form, "photo": photo(JPEG)})
        assert page.status_code == 400 and not Case.objects.exists()
        shown = re.search(r'data-testid="price-error">([^<]*)<', page.content.decode()).group(1)
        assert shown == said.replace("'", "&#x27;")


def test_a_price_left_empty_is_asked_for_in_the_readers_language(client, shop):
    line = portal_line(shop)
    client.cookies["django_language"] = "en"
    _login(client)
    page = client.post("/p/order/", {"line": line.pk, "reason": "price_drop", "photo": photo(JPEG)})
    shown = re.search(r'data-testid="price-error">([^<]*)<', page.content.decode()).group(1)
    assert shown == "Please enter the price now (yuan)."


def _event(note, to_status, kind="transition", data=None):
    return SimpleNamespace(kind=kind, note=note, to_status=to_status, from_status="", data=data or {})


@pytest.mark.parametrize(("note", "to_status", "english", "chinese"), [
    ("已送Warehouse inspection", "inspecting", "Sent for Warehouse inspection", "已送仓库质检"),
    ("检测结论：Refund", "inspecting", "Inspection result: Refund", "检测结论：退款"),
    ("检测完成，安排Refund", "fulfilling", "Inspection done; arranging: Refund", "检测完成，安排退款"),
    ("已完结：Repair", "resolved", "Completed: Repair", "已完结：维修"),
    ("买家已寄回：SF Express SF1234567890", "in_transit_back", "Sent back by you: SF Express SF1234567890",
     "买家已寄回：顺丰速运 SF1234567890"),
])
def test_a_step_written_while_the_staff_read_english_is_said_in_the_readers_language(note, to_status, english,
                                                                                    chinese):
    event = _event(note, to_status, kind="inspection_result" if note.startswith("检测结论") else "transition")
    with translation.override("en"):
        assert timeline_entry(event) == english
    with translation.override("zh-hans"):
        assert timeline_entry(event) == chinese


def test_the_case_page_after_the_shop_answers_in_english_speaks_the_readers_language(client, shop, agent):
    line = portal_line(shop)
    _login(client)
    filed = client.post("/p/order/", {"line": line.pk, "reason": "quality", "photo": photo(JPEG)})
    case = Case.objects.get()
    with translation.override("en"):  # the staff member works in English
        case = case_services.case_approve(case=case, actor=agent)
        case = case_services.case_return_shipped(case=case, actor=agent, carrier="SF", tracking_no="SF1234567890")
        case = case_services.case_mark_received(case=case, actor=agent)
        case = case_services.case_start_inspection(case=case, actor=agent)
        case = case_services.case_record_inspection(case=case, actor=agent, result="refund")
        case_services.case_resolve(case=case, actor=agent)
    for language in ("en", "zh-hans"):
        client.cookies["django_language"] = language
        page = client.get(filed["Location"]).content.decode()
        timeline = re.sub(r"<[^>]+>", " ", re.search(r'data-testid="timeline">(.*?)</ol>', page, re.S).group(1))
        if language == "en":
            assert not CJK.search(timeline), timeline
        else:
            assert not re.search(r"[A-Za-z]{2,}", timeline.replace("SF1234567890", "")), timeline


@pytest.mark.parametrize(("amount", "english"), [("1", "Compensation issued: 1 point"),
                                                 ("200", "Compensation issued: 200 points")])
def test_points_are_counted_in_english(amount, english):
    # (「1 points」)
    event = _event(f"已发放补偿 {amount}", "fulfilling", kind="compensation_issued",
                   data={"kind": "points", "amount": amount})
    with translation.override("en"):
        assert timeline_entry(event) == english
    with translation.override("zh-hans"):
        assert timeline_entry(event) == f"已发放补偿 {amount} 积分"
