"""On a phone (360×640, touch, a slow 3G network): the customer switches the pages to English from the page itself,
and a photo too large to keep is said at once beside the field, before minutes of sending it."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from shouhou.cases.models import Case
from shouhou.portal.tests.test_customer_phone import SMALL_TARGETS, _delivered_yesterday, _phone

CJK = re.compile(r"[\u4e00-\u9fff]")
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400 * 1024 // 8,
           "uploadThroughput": 400 * 1024 // 8}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_slow_phone_english_is_one_tap_away_and_a_too_large_photo_is_said_before_it_is_sent(browser,
                                                                                                 live_server, shop,
                                                                                                 tmp_path):
    cache.clear()
    _delivered_yesterday(shop)
    context = _phone(browser)
    page = context.new_page()
    page.context.new_cdp_session(page).send("Network.emulateNetworkConditions", SLOW_3G)
    try:
        page.goto(f"{live_server.url}/p/")
        # the switch is in the page's header, a finger high
        switch = page.locator("[data-testid=language] button")
        assert switch.inner_text() == "English"
        assert page.evaluate(SMALL_TARGETS, "[data-testid=language] button") == []
        with page.expect_navigation():
            switch.tap()
        assert page.locator("h1").inner_text() == "Return or exchange" and not CJK.search(page.inner_text("main"))
        page.fill("input[name=order_no]", "DY20261101001")
        page.fill("input[name=last4]", "5678")
        with page.expect_navigation():
            page.tap("button[type=submit]")
        page.select_option("select[name=reason]", "no_reason")
        page.select_option("select[name=condition]", "unopened")  # asked, nothing pre-chosen
        page.wait_for_selector("[data-testid=remedies]:not([hidden]) input[name=kind]")
        # a 48-megapixel photo: over the 10 MB kept
        # (a file on disk the browser reads itself: 10 MB sent over Playwright's pipe took over 15 s under load)
        big = tmp_path / "IMG_0001.jpg"
        big.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * (10 * 1024 * 1024 + 1))
        page.set_input_files("input[name=photo]", str(big))
        error = page.locator("[data-testid=photo-error]")
        assert error.is_visible() and "too large" in error.inner_text() and not CJK.search(error.inner_text())
        assert page.get_attribute("input[name=photo]", "aria-invalid") == "true"
        assert error.get_attribute("role") == "alert"
        # the form is not sent with it
        page.tap("[data-testid=submit]")
        page.wait_for_timeout(500)
        assert page.url.endswith("/p/order/") and Case.objects.count() == 0
        # a photo of the right size clears it
        page.set_input_files("input[name=photo]", files=[{"name": "a.jpg", "mimeType": "image/jpeg",
                                                          "buffer": b"\xff\xd8\xff\xe0" + b"\0" * 1000}])
        assert not error.is_visible()
        assert page.get_attribute("input[name=photo]", "aria-invalid") == "false"
    finally:
        context.close()
