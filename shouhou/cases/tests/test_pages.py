from __future__ import annotations

import pytest

from shouhou.cases import services as svc
from shouhou.core.testing.factories import OrderLineFactory

pytestmark = pytest.mark.django_db


def test_list_and_detail_pages_with_actions(agent_client, shop, line, django_assert_max_num_queries):
    case = svc.case_create(shop=shop, order_line=line, reason="quality")
    for _ in range(5):
        svc.case_create(shop=shop, order_line=OrderLineFactory(order__shop=shop), reason="quality")
    with django_assert_max_num_queries(12):
        r = agent_client.get("/cases/")
    assert r.status_code == 200 and case.number in r.content.decode()
    assert "138" in r.content.decode() and "****" in r.content.decode()
    r = agent_client.get(f"/cases/{case.pk}/")
    assert "同意" in r.content.decode()
    r = agent_client.post(f"/cases/{case.pk}/act/approve/", follow=True)
    assert "待买家寄回" in r.content.decode()
    r = agent_client.post(f"/cases/{case.pk}/act/resolve/", follow=True)
    assert "不能变更为「已完结」" in r.content.decode()


def test_other_shop_case_is_404(agent_client, other_shop):
    foreign = OrderLineFactory(order__shop=other_shop)
    case = svc.case_create(shop=other_shop, order_line=foreign, reason="quality")
    assert agent_client.get(f"/cases/{case.pk}/").status_code == 404
    assert agent_client.post(f"/cases/{case.pk}/act/approve/").status_code == 404
    assert case.number not in agent_client.get("/cases/").content.decode()
