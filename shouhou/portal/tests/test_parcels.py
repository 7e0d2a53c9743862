"""「我的包裹到哪了？」: the order page shows each outbound parcel of the order — carrier, a copyable number, where it
is in the reader's language, the latest tracking news in Beijing time with the rest behind 「更多」 — and, for a
parcel the logistics rules flagged, that the shop knows and a way to ask about it. Only this order's parcels."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from shouhou.core.testing.factories import OrderLineFactory, ShipmentFactory
from shouhou.logistics.models import ExceptionKind, LogisticsException, TrackingEvent
from shouhou.portal.tests.conftest import portal_line
from shouhou.portal.texts import parcel_problem, parcel_state

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portal_clock")]
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
UTC = dt.UTC


def _login(client):
    r = client.post("/p/", {"order_no": "DY20261101001", "last4": "5678"}, REMOTE_ADDR="10.0.0.1")
    assert r.status_code == 302


def _events(shipment, *rows):
    """rows: (UTC time, status, description), stored as a push stores them."""
    for i, (at, status, text) in enumerate(rows):
        TrackingEvent.objects.create(shop=shipment.shop, shipment=shipment, occurred_at=at, status=status,
                                     description=text, event_key=f"{shipment.pk}-{i}")


def _parcels(page: str) -> list[str]:
    section = re.search(r'<section class="h5-card h5-parcels".*?</section>', page, re.S)
    assert section, "no parcels section"
    return re.findall(r'<article class="h5-parcel".*?</article>', section.group(0), re.S)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


@pytest.fixture
def two_parcels(shop):
    """Order DY20261101001 sent in two parcels: SF (five events, out for delivery) and ZTO (no news yet)."""
    order = portal_line(shop).order
    sf = ShipmentFactory(order=order, carrier="SF", tracking_no="SF1400000000001", status="out_for_delivery")
    _events(sf,
            (dt.datetime(2026, 11, 2, 2, 0, tzinfo=UTC), "picked_up", "【杭州】顺丰速运 已收取快件"),
            (dt.datetime(2026, 11, 2, 9, 30, tzinfo=UTC), "in_transit", "快件已发车"),
            (dt.datetime(2026, 11, 3, 1, 0, tzinfo=UTC), "in_transit", "快件到达【上海浦东集散中心】"),
            (dt.datetime(2026, 11, 3, 16, 45, tzinfo=UTC), "in_transit", "快件到达【世纪大道营业点】"),
            (dt.datetime(2026, 11, 4, 0, 20, tzinfo=UTC), "out_for_delivery", "快件交给张师傅，正在派送途中"))
    zto = ShipmentFactory(order=order, carrier="ZTO", tracking_no="75300000000002", status="info_received")
    return order, sf, zto


def test_each_parcel_says_carrier_number_state_and_latest_news_in_beijing_time(client, two_parcels):
    _login(client)
    page = client.get("/p/order/").content.decode()
    sf, zto = _parcels(page)
    sf_text = _text(sf)
    assert "包裹 1/2" in sf_text and "包裹 2/2" in _text(zto)
    assert re.search(r'data-testid="parcel-state">派送中<', sf)
    assert re.search(r'data-testid="parcel-carrier">顺丰速运<', sf)
    assert re.search(r'data-testid="parcel-number">SF1400000000001<', sf)
    assert 'data-copy="SF1400000000001"' in sf and ">复制</button>" in sf
    # the newest three at once, newest first, in Beijing time (00:20 UTC = 08:20); the two earlier behind 「更多」
    shown = re.search(r'data-testid="parcel-events">(.*?)</ol>', sf, re.S).group(1)
    assert re.findall(r"<time[^>]*>([^<]+)</time>", shown) == ["11-04 08:20", "11-04 00:45", "11-03 09:00"]
    assert "快件交给张师傅，正在派送途中" in shown and "已收取快件" not in shown
    more = re.search(r'data-testid="parcel-more">(.*?)</details>', sf, re.S).group(1)
    assert "更多（2 条）" in more
    assert re.findall(r"<time[^>]*>([^<]+)</time>", more) == ["11-02 17:30", "11-02 10:00"]
    # a parcel whose waybill is printed and not yet collected: said so, no news yet, no problem
    assert re.search(r'data-testid="parcel-state">已下单，等待快递揽收<', zto)
    assert "中通快递" in zto and "75300000000002" in zto
    assert "暂时还没有物流信息" in zto and "parcel-events" not in zto and "parcel-more" not in zto
    assert "parcel-problem" not in page


def test_an_english_reader_reads_the_parcels_in_english(client, two_parcels):
    client.cookies["django_language"] = "en"
    _login(client)
    page = client.get("/p/order/").content.decode()
    sf, zto = _parcels(page)
    assert "Shipping" in page
    assert "Parcel 1 of 2" in _text(sf) and "Parcel 2 of 2" in _text(zto)
    assert re.search(r'data-testid="parcel-state">Out for delivery<', sf)
    assert re.search(r'data-testid="parcel-carrier">SF Express<', sf)
    assert ">Copy</button>" in sf and 'data-copied="Copied"' in sf
    assert "More (2 events)" in sf
    assert re.search(r'data-testid="parcel-state">Label printed, waiting for the courier<', zto)
    assert "No tracking news yet" in zto
    # nothing of the page's own words left in Chinese: only the carrier's event texts (its own words)
    own = re.sub(r"<li>.*?</li>", "", re.sub(r"<ol.*?</ol>", "", sf + zto, flags=re.S), flags=re.S)
    assert not CJK.search(_text(own)), _text(own)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_flagged_parcel_says_the_shop_knows_and_offers_to_ask(client, two_parcels, language):
    order, sf, zto = two_parcels
    LogisticsException.objects.create(shop=sf.shop, shipment=sf, kind=ExceptionKind.NO_MOVEMENT,
                                      detail="超过48小时没有新的物流信息", opened_at=dt.datetime(2026, 11, 6, 1, 0, tzinfo=UTC))
    LogisticsException.objects.create(shop=zto.shop, shipment=zto, kind=ExceptionKind.RETURNED, detail="包裹被退回",
                                      status=LogisticsException.Status.RESOLVED,
                                      opened_at=dt.datetime(2026, 11, 5, 1, 0, tzinfo=UTC))
    client.cookies["django_language"] = language
    _login(client)
    sf_html, zto_html = _parcels(client.get("/p/order/").content.decode())
    problem = re.search(r'data-testid="parcel-problem">(.*?)</div>', sf_html, re.S).group(1)
    said = {"zh-hans": "包裹长时间没有新的物流信息。商家已收到提醒，正在跟进。",
            "en": "No tracking news for a long time. The shop has been told and is following it up."}[language]
    assert _text(problem).startswith(said)
    ask = re.search(r'<a class="btn" href="([^"]+)" data-testid="parcel-ask">([^<]+)</a>', problem)
    assert ask.group(1) == "/inbox/chat/"  # the page's own chat, started for the order looked up
    assert ask.group(2) == {"zh-hans": "联系客服询问这个包裹", "en": "Ask us about this parcel"}[language]
    assert "parcel-problem" not in zto_html  # an exception already resolved is no longer said
    # the link starts the chat about this order
    assert client.get(ask.group(1)).status_code == 302


def test_another_orders_parcels_a_return_and_a_voided_waybill_are_never_shown(client, shop, other_shop, two_parcels):
    order, sf, zto = two_parcels
    same_customer = OrderLineFactory(order__shop=shop, order__customer=order.customer, order__order_no="DY2").order
    ShipmentFactory(order=same_customer, tracking_no="SFNOTTHISORDER1")
    ShipmentFactory(order=OrderLineFactory(order__shop=other_shop).order, tracking_no="SF1400000000009")
    ShipmentFactory(order=order, tracking_no="SFRETURN0000001", is_return=True)
    ShipmentFactory(order=order, tracking_no="SFVOIDED0000001", voided_at=dt.datetime(2026, 11, 3, tzinfo=UTC))
    _login(client)
    page = client.get("/p/order/").content.decode()
    assert [re.search(r'data-tracking="([^"]*)"', p).group(1) for p in _parcels(page)] == [
        "SF1400000000001", "75300000000002"]
    for never in ("SFNOTTHISORDER1", "SF1400000000009", "SFRETURN0000001", "SFVOIDED0000001"):
        assert never not in page


def test_an_order_without_parcels_shows_no_parcel_section(client, shop):
    portal_line(shop)
    _login(client)
    assert "h5-parcels" not in client.get("/p/order/").content.decode()


def test_a_single_parcel_has_no_numbering_and_a_pending_one_no_number(client, shop):
    order = portal_line(shop).order
    ShipmentFactory(order=order, carrier="", tracking_no="", status="pending")
    _login(client)
    (parcel,) = _parcels(client.get("/p/order/").content.decode())
    assert "包裹 1/1" not in parcel and re.search(r'data-testid="parcel-state">待发货<', parcel)
    assert "parcel-number" not in parcel and "data-copy" not in parcel and "暂时还没有物流信息" not in parcel


def test_the_queries_do_not_grow_with_the_parcels(client, shop):
    order = portal_line(shop).order

    def add_parcel(n):
        s = ShipmentFactory(order=order, tracking_no=f"SF99000000000{n}")
        _events(s, *[(dt.datetime(2026, 11, 2, h, 0, tzinfo=UTC), "in_transit", f"到达第{h}站") for h in range(6)])
        LogisticsException.objects.create(shop=shop, shipment=s, kind=ExceptionKind.CARRIER_EXCEPTION,
                                          opened_at=dt.datetime(2026, 11, 5, tzinfo=UTC))

    add_parcel(1)
    _login(client)
    client.get("/p/order/")  # warm (session, translations)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/p/order/").status_code == 200
    for n in range(2, 6):
        add_parcel(n)
    with CaptureQueriesContext(connection) as five:
        page = client.get("/p/order/").content.decode()
    assert len(_parcels(page)) == 5 and page.count('data-testid="parcel-problem"') == 5
    assert len(five) == len(one), [q["sql"] for q in five.captured_queries]


def test_every_state_and_problem_has_words_in_both_languages():
    from shouhou.commerce.choices import ShipmentStatus

    for language in ("zh-hans", "en"):
        with translation.override(language):
            for status in ShipmentStatus.values:
                words = parcel_state(status)
                assert words and (CJK.search(words) if language == "zh-hans" else not CJK.search(words)), words
            for kind in ExceptionKind.values:
                words = parcel_problem(kind)
                assert (CJK.search(words) if language == "zh-hans" else not CJK.search(words)), words
                assert words.count("商家已收到提醒" if language == "zh-hans" else "The shop has been told") == 1


def test_a_parcel_long_collected_without_news_on_record_is_not_told_to_wait_for_collection(client, shop):
    # an imported order: signed for, sent back — no tracking steps stored; 「快递揽收后会显示在这里」 would be untrue
    order = portal_line(shop).order
    ShipmentFactory(order=order, carrier="ZTO", tracking_no="75300000000009", status="returned")
    _login(client)
    (parcel,) = _parcels(client.get("/p/order/").content.decode())
    assert "暂无详细的物流记录。" in parcel and "快递揽收后" not in parcel
