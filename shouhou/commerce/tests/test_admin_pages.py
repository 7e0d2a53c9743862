"""The Django admin's order pages as a person reads them: money as ¥x.xx in the list, and the order page's
lines in the columns a person needs (every column made the page 2,800 px wide at 1366)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from shouhou.core.testing.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    client.force_login(get_user_model().objects.create_superuser("ops", "ops@example.com", "ops-pass-123"))
    return client


def test_order_list_shows_money_in_yuan(staff, shop):
    OrderFactory(shop=shop, order_no="OD-ADMIN-1", total_paid=Decimal("5689"))
    body = staff.get("/admin/commerce/order/").content.decode()
    assert "OD-ADMIN-1" in body
    assert "¥5689.00" in body


def test_order_page_lists_lines_without_the_internal_columns(staff, shop):
    line = OrderLineFactory(order=OrderFactory(shop=shop), product_name="羊绒围巾", batch_no="B-77")
    body = staff.get(f"/admin/commerce/order/{line.order_id}/change/").content.decode()
    assert "羊绒围巾" in body
    assert 'name="lines-0-product_name"' in body and 'name="lines-0-price_paid"' in body
    assert 'name="lines-0-batch_no"' not in body and 'name="lines-0-category"' not in body
