"""What the self-service page tests share: the instant they run at and the order line the customer claims on."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache

from shouhou.commerce.choices import Category
from shouhou.core.testing.factories import CustomerFactory, OrderLineFactory, ProductFactory

# 11-06 10:00: two days after the factory order was signed for (11-04), day 5 after it was placed (11-01)
NOW = dt.datetime(2026, 11, 6, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def portal_clock():
    """The clock at NOW and an empty cache (the lookup's rate limits) around the test."""
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        yield
    cache.clear()


def portal_line(shop, *, price_paid: str = "199.00", quantity: int = 1, name: str = "法式碎花连衣裙",
                category: str = Category.CLOTHING, signed_days_before: int | None = None):
    """A dress on order DY20261101001 of a customer whose phone ends in 5678 (or another product: `name`,
    `category`; `signed_days_before` NOW: an order placed two days before it was signed for, instead of the
    factory's dates)."""
    customer = CustomerFactory(shop=shop, phone="13912345678", phone_last4="5678")
    product = ProductFactory(shop=shop, name=name, category=category)
    dates = {}
    if signed_days_before is not None:
        signed = NOW - dt.timedelta(days=signed_days_before)
        dates = {"order__placed_at": signed - dt.timedelta(days=2), "order__paid_at": signed - dt.timedelta(days=2),
                 "order__shipped_at": signed - dt.timedelta(days=1), "order__delivered_at": signed}
    return OrderLineFactory(order__shop=shop, order__customer=customer, order__order_no="DY20261101001",
                            product=product, price_paid=Decimal(price_paid), quantity=quantity, **dates)
