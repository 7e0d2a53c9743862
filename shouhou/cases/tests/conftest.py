from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from shouhou.commerce.choices import Category
from shouhou.core.testing.factories import OrderLineFactory, ProductFactory

NOW = dt.datetime(2026, 11, 6, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))  # day 2 after sign-off (11-04)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def line(shop):
    product = ProductFactory(shop=shop, name="法式碎花连衣裙", category=Category.CLOTHING)
    return OrderLineFactory(order__shop=shop, product=product, price_paid=Decimal("199.00"))


@pytest.fixture
def phone_line(shop):
    product = ProductFactory(shop=shop, name="小鹿 X1 手机", category=Category.MOBILE_PHONE)
    return OrderLineFactory(order__shop=shop, product=product, price_paid=Decimal("2999.00"))
