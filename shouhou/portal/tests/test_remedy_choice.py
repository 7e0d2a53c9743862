"""The customer chooses the remedy on /p/, and what they read — preview and follow page — follows the choice:
money back only for a refund, postage and a send-by date only when the goods go back, the refund timing only
for a return, and a plain no (with an honest offer of a review) when the policy grants nothing."""

from __future__ import annotations

import re

import pytest

from shouhou.cases.models import Case
from shouhou.cases.tests.factories import JPEG, photo
from shouhou.portal.tests.conftest import portal_line
from shouhou.portal.tests.test_portal import _login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portal_clock")]


@pytest.fixture
def line(shop):
    return portal_line(shop)  # signed for on 11-04, two days before NOW


def _preview(client, line, reason, kind=""):
    r = client.post("/p/order/preview/", {"line": line.pk, "reason": reason, "condition": "unopened", "kind": kind})
    assert r.status_code == 200
    return r.json()["text"]


def _card(client, url) -> str:
    return re.search(r'data-testid="decision">(.*?)</section>', client.get(url).content.decode(), re.S).group(1)


def test_the_preview_offers_the_allowed_remedies_with_the_recommended_one_chosen(client, line):
    _login(client)
    text = _preview(client, line, "damaged_in_transit")
    # never compensation, though the policy suggests one for transit damage
    assert [o["value"] for o in text["options"]] == ["resend", "return_refund", "refund_only"]
    assert [o["label"] for o in text["options"]] == ["补寄（推荐）", "退货退款", "仅退款"]
    assert text["kind"] == "resend"
    # a choice the policy does not allow falls back to the recommended one
    assert _preview(client, line, "damaged_in_transit", "compensation")["kind"] == "resend"


def test_an_english_reader_gets_the_remedies_and_the_postage_in_english(client, line):
    client.post("/i18n/setlang/", {"language": "en", "next": "/p/"})
    _login(client)
    text = _preview(client, line, "damaged_in_transit", "return_refund")
    assert [o["label"] for o in text["options"]][1] == "Return & refund"
    assert text["shipping"] == "Paid by the shop"


def test_the_preview_follows_the_chosen_remedy(client, line):
    _login(client)
    # a resend: nothing goes back, nothing is refunded
    resend = _preview(client, line, "damaged_in_transit", "resend")
    assert (resend["refund"], resend["shipping"], resend["by"], resend["refund_when"]) == ("", "", "", "")
    assert "退款" not in resend["explanation"] and "无需寄回" not in str(resend)
    # a return and refund: the amount, the merchant pays the postage, the refund timing
    back = _preview(client, line, "damaged_in_transit", "return_refund")
    assert (back["kind"], back["refund"], back["shipping"]) == ("return_refund", "¥199.00", "商家承担")
    assert back["refund_when"] == "商家收到退回商品后7日内退款。"
    # a refund only: the amount, and no postage
    only = _preview(client, line, "damaged_in_transit", "refund_only")
    assert (only["refund"], only["shipping"], only["refund_when"]) == ("¥199.00", "", "")


def test_an_exchange_reads_nothing_of_refunds(client, line):
    _login(client)
    text = _preview(client, line, "quality", "exchange")
    assert (text["kind"], text["refund"], text["shipping"], text["by"]) == ("exchange", "", "商家承担", "2026-11-13")
    assert "退款" not in "".join(str(v) for k, v in text.items() if k != "options")


def test_the_customer_files_the_remedy_chosen_and_the_follow_page_agrees(client, line):
    _login(client)
    r = client.post("/p/order/", {"line": line.pk, "reason": "damaged_in_transit", "condition": "unopened",
                                  "kind": "refund_only", "photo": photo(JPEG)})
    assert r.status_code == 302
    case = Case.objects.get()
    assert case.kind == "refund_only" and case.refund_amount == 199
    card = _card(client, r["Location"])
    assert "仅退款" in card and "退款金额：<strong>¥199.00</strong>" in card
    for gone in ("运费", "寄回"):
        assert gone not in card, gone


def test_a_remedy_the_policy_does_not_allow_is_refused_in_plain_chinese(client, line):
    _login(client)
    r = client.post("/p/order/", {"line": line.pk, "reason": "damaged_in_transit", "condition": "unopened",
                                  "kind": "exchange", "photo": photo(JPEG)})
    body = r.content.decode()
    assert r.status_code == 400 and not Case.objects.exists()
    assert "这个申请不能办理「换货」，可选择：补寄、退货退款、仅退款。" in body
    assert 'data-kind="exchange"' in body  # the choice is given back with the rest of the form


def test_an_exchange_case_shows_no_refund_on_the_follow_page(client, line):
    _login(client)
    url = client.post("/p/order/", {"line": line.pk, "reason": "size_fit", "condition": "unopened",
                                    "kind": "exchange", "wanted_spec": " L 码  黑色 ", "photo": photo(JPEG)})["Location"]
    case = Case.objects.get()
    assert case.kind == "exchange" and case.refund_amount == 0
    assert case.claim["wanted_spec"] == "L 码 黑色"  # one line, spaces closed up
    card = _card(client, url)
    assert "换货" in card and "退款" not in card and "¥" not in card
    assert "想换的尺码或颜色：<strong>L 码 黑色</strong>" in card


def test_a_return_shows_its_refund_postage_and_timing_on_the_follow_page(client, line):
    _login(client)
    url = client.post("/p/order/", {"line": line.pk, "reason": "size_fit", "condition": "unopened",
                                    "kind": "return_refund", "photo": photo(JPEG)})["Location"]
    card = _card(client, url)
    assert "退款金额：<strong>¥199.00</strong>" in card and "运费：买家承担" in card
    assert "商家收到退回商品后7日内退款" in card


def test_a_resend_says_nothing_of_postage_or_refunds(client, line):
    _login(client)
    url = client.post("/p/order/", {"line": line.pk, "reason": "damaged_in_transit", "condition": "unopened",
                                    "photo": photo(JPEG)})["Location"]
    assert Case.objects.get().kind == "resend"
    card = _card(client, url)
    for gone in ("运费", "无需寄回", "退款", "¥"):
        assert gone not in card, gone


def test_a_claim_the_policy_cannot_grant_says_so_plainly(client, line):
    _login(client)
    # the current price the customer states is not lower than what was paid: nothing to refund
    r = client.post("/p/order/preview/", {"line": line.pk, "reason": "price_drop", "condition": "unopened",
                                          "current_price": "199.00"})
    text = r.json()["text"]
    assert text["options"] == [] and text["kind"] == ""
    assert text["what"] == "按您填写的现价 ¥199.00，没有差价可退：现价不低于您的购买价。"
    assert text["explanation"] == "当前价格不低于您的购买价，无差价可退。"
    # no promise that an agent will grant it, but an honest offer of a review that may say no again
    assert "人工审核" not in str(text) and "复核后也可能维持这一结果" in text["review"]
    assert text["submit"] == "仍要提交，请客服复核"
    assert text["refund"] == "" and text["shipping"] == ""
