"""Round 7, what the customer reads on a phone in English: no Chinese punctuation around English sentences (the
order's line 「Dress × 1（¥199.00）」 and the price-protection sum 「（You paid ¥199.00, …）」 kept full-width brackets),
and the same pages in Chinese keep theirs."""

from __future__ import annotations

import re

import pytest

from shouhou.cases.tests.factories import JPEG, photo
from shouhou.portal.tests.conftest import portal_line

pytestmark = [pytest.mark.django_db]
FULL_WIDTH = re.compile(r"[（）]")


def _visible(html: str) -> str:
    html = re.sub(r"<script.*?</script>|<style.*?</style>|<[^>]+>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", html)


def _filed_price_claim(client, shop, language):
    line = portal_line(shop)
    client.cookies["django_language"] = language
    client.post("/p/", {"order_no": "DY20261101001", "last4": "5678"}, REMOTE_ADDR="10.0.0.1")
    order_page = _visible(client.get("/p/order/").content.decode())
    filed = client.post("/p/order/", {"line": line.pk, "reason": "price_drop", "current_price": "150",
                                      "photo": photo(JPEG)})
    assert filed.status_code == 302
    return order_page, _visible(client.get(filed["Location"]).content.decode())


@pytest.mark.usefixtures("portal_clock")
def test_english_pages_use_english_brackets_around_the_price_and_the_sum(client, shop):
    order_page, follow = _filed_price_claim(client, shop, "en")
    assert "(¥199.00)" in order_page and not FULL_WIDTH.search(order_page)
    assert "(You paid ¥199.00, the price now is ¥150.00: a difference of ¥49.00)" in follow
    assert not FULL_WIDTH.search(follow)


@pytest.mark.usefixtures("portal_clock")
def test_chinese_pages_keep_chinese_brackets(client, shop):
    order_page, follow = _filed_price_claim(client, shop, "zh-hans")
    assert "（¥199.00）" in order_page
    assert re.search(r"（您支付 ¥199\.00[^）]*¥49\.00）|（[^）]*¥49\.00[^）]*）", follow)
