"""Fixtures: a 抖店 sandbox on a real local port, a shop connected to it, an order that can be claimed on."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from shouhou.accounts.actors import SYSTEM
from shouhou.core.testing.factories import OrderFactory, OrderLineFactory, ProductFactory
from shouhou.platforms.sandbox.doudian import DoudianSandbox
from shouhou.platforms.sandbox.kuaishou import KuaishouSandbox
from shouhou.platforms.sandbox.wechat_shop import WechatShopSandbox

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# two days after the factory order was signed for (2026-11-04 15:00): inside the 7-day no-reason window
CLAIM_INSTANT = dt.datetime(2026, 11, 6, 10, 0, tzinfo=SHANGHAI)
ORDER_ID = "6920000000000001"
SKU_ORDER_ID = "6920000000000002"


@pytest.fixture(autouse=True)
def local_platform_gateways(settings):
    """The sandboxes and stubs listen on this machine: the operator's list of admitted API addresses says so
    (test_api_base.py checks what happens without it)."""
    settings.SHOUHOU = {**settings.SHOUHOU, "PLATFORM_API_BASES": ["http://127.0.0.1", "http://localhost"]}


@pytest.fixture
def claim_clock():
    with time_machine.travel(CLAIM_INSTANT, tick=True) as traveller:
        yield traveller


@pytest.fixture
def sandbox():
    box = DoudianSandbox().start()
    yield box
    box.stop()


@pytest.fixture
def connect(shop, sandbox):
    from shouhou.platforms import services

    def _connect(**kwargs):
        return services.connection_connect(shop=shop, actor=SYSTEM, platform="doudian", app_key=sandbox.app_key,
                                           app_secret=sandbox.app_secret, platform_shop_id=sandbox.shop_id,
                                           api_base=sandbox.url, **{"backfill": False, **kwargs})

    return _connect


@pytest.fixture
def order_line(shop):
    product = ProductFactory(shop=shop, name="羊毛开衫", category="clothing")
    order = OrderFactory(shop=shop, order_no=ORDER_ID)
    return OrderLineFactory(order=order, product=product, line_key=SKU_ORDER_ID, price_paid=Decimal("199.00"))


@pytest.fixture
def pushing(sandbox, live_server):
    """The sandbox pushes to this test's running shouhou (real HTTP both ways)."""
    sandbox.push_url = f"{live_server.url}/platforms/doudian/push/"
    return sandbox


# the 快手 and 微信小店 sandboxes on a local port, for the tests that talk to one directly
@pytest.fixture
def ks():
    box = KuaishouSandbox().start()
    yield box
    box.stop()


@pytest.fixture
def wx():
    box = WechatShopSandbox().start()
    yield box
    box.stop()
