"""On a phone (390×844): the order's parcels are readable without sideways scrolling, every control a finger high;
「更多」 opens the earlier news and 「复制」 puts the tracking number on the clipboard."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from shouhou.core.testing.factories import ShipmentFactory
from shouhou.logistics.models import ExceptionKind, LogisticsException, TrackingEvent
from shouhou.portal.tests.test_customer_phone import SMALL_TARGETS, TARGETS, _delivered_yesterday, _phone

UTC = dt.UTC


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_parcels_fit_open_their_earlier_news_and_copy_their_number(browser, live_server, shop):
    cache.clear()
    order = _delivered_yesterday(shop).order
    sf = ShipmentFactory(order=order, carrier="SF", tracking_no="SF1400000000001", status="in_transit")
    for i in range(5):
        TrackingEvent.objects.create(shop=shop, shipment=sf, occurred_at=dt.datetime(2026, 11, 2, i, 0, tzinfo=UTC),
                                     status="in_transit", description=f"快件到达【上海浦东集散中心】第{i}站",
                                     event_key=f"b-{i}")
    LogisticsException.objects.create(shop=shop, shipment=sf, kind=ExceptionKind.NO_MOVEMENT,
                                      opened_at=dt.datetime(2026, 11, 5, tzinfo=UTC))
    ShipmentFactory(order=order, carrier="ZTO", tracking_no="75300000000002", status="info_received")
    context = _phone(browser, 390, 844)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/p/")
        page.fill("input[name=order_no]", "DY20261101001")
        page.fill("input[name=last4]", "5678")
        page.click("button[type=submit]")
        page.wait_for_selector("[data-testid=parcels]")
        assert page.locator("[data-testid=parcel]").count() == 2
        assert page.locator("[data-testid=parcel-problem]").is_visible()
        assert page.evaluate(SMALL_TARGETS, TARGETS + ", main summary") == []
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        earlier = page.get_by_text("快件到达【上海浦东集散中心】第0站")
        assert not earlier.is_visible()
        page.tap("[data-testid=parcel-more] summary")
        assert earlier.is_visible()
        copy = page.locator("button[data-copy=SF1400000000001]")
        # readable: dark on the white button (the site's .btn is white text on the brand red)
        assert page.evaluate("getComputedStyle(document.querySelector('button[data-copy]')).color") == "rgb(51, 51, 51)"
        copy.tap()
        expect(copy).to_have_text("已复制")
        assert page.evaluate("navigator.clipboard.readText()") == "SF1400000000001"
    finally:
        context.close()
