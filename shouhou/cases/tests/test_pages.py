from __future__ import annotations

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as svc
from shouhou.core.testing.factories import OrderLineFactory

pytestmark = pytest.mark.django_db


def test_list_and_detail_pages_with_actions(agent_client, shop, line, django_assert_max_num_queries):
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality")
    for _ in range(5):
        svc.case_create(actor=SYSTEM, shop=shop, order_line=OrderLineFactory(order__shop=shop), reason="quality")
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
    case = svc.case_create(actor=SYSTEM, shop=other_shop, order_line=foreign, reason="quality")
    assert agent_client.get(f"/cases/{case.pk}/").status_code == 404
    assert agent_client.post(f"/cases/{case.pk}/act/approve/").status_code == 404
    assert case.number not in agent_client.get("/cases/").content.decode()


def test_supervisor_launches_a_recall_from_the_page(client, shop, supervisor, agent):
    from shouhou.cases.models import Case
    from shouhou.core.testing.factories import ProductFactory, SKUFactory

    product = ProductFactory(shop=shop, name="暖手宝")
    sku = SKUFactory(shop=shop, product=product, code="NSB-01")
    OrderLineFactory(order__shop=shop, product=product, sku=sku, batch_no="B1")
    OrderLineFactory(order__shop=shop, product=product, sku=sku, batch_no="B2")
    # agents may not
    client.force_login(agent)
    assert client.get("/cases/recalls/").status_code == 403
    client.force_login(supervisor)
    page = client.get("/cases/recalls/").content.decode()
    assert "暖手宝" in page and "暂无召回" in page
    # a wrong SKU code is named; nothing is launched
    r = client.post("/cases/recalls/", {"sku": "NOPE", "reason": "过热", "remedy": "return_refund"})
    assert r.status_code == 400 and "本店没有 SKU 编码「NOPE」" in r.content.decode()
    # when a batch of the SKU is recalled, then one case per affected line and the list shows it
    r = client.post("/cases/recalls/", {"sku": "NSB-01", "batch_no": "B1", "reason": "电池过热风险",
                                        "remedy": "return_refund"}, follow=True)
    body = r.content.decode()
    assert "1 个订单行已建售后单" in body and "电池过热风险" in body
    assert list(Case.objects.filter(recall__isnull=False).values_list("order_line__batch_no", flat=True)) == ["B1"]


def test_admin_cannot_move_a_case_outside_the_state_machine(admin_client, shop, line):
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality")
    page = admin_client.get(f"/admin/cases/case/{case.pk}/change/").content.decode()
    assert 'name="status"' not in page and 'name="refund_amount"' not in page
    assert admin_client.get("/admin/cases/case/add/").status_code == 403
    assert admin_client.get("/admin/cases/recall/add/").status_code == 403


def test_history_names_statuses_and_the_system_actor_in_the_readers_language(agent_client, shop, line):
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality")
    agent_client.post(f"/cases/{case.pk}/act/approve/")
    html = agent_client.get(f"/cases/{case.pk}/").content.decode()
    assert "待审核 → 已同意" in html and "requested" not in html and "→ approved" not in html
    agent_client.cookies["django_language"] = "en"
    html = agent_client.get(f"/cases/{case.pk}/").content.decode()
    assert ">System<" in html and ">系统<" not in html


def test_list_shows_open_cases_before_finished_ones(agent_client, shop, line):
    import datetime as dt

    from django.utils import timezone

    from shouhou.cases.models import Case
    old_open = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality")
    done = svc.case_create(actor=SYSTEM, shop=shop, order_line=OrderLineFactory(order__shop=shop), reason="quality")
    Case.objects.filter(pk=old_open.pk).update(created_at=timezone.now() - dt.timedelta(days=3))
    Case.objects.filter(pk=done.pk).update(status="cancelled")
    html = agent_client.get("/cases/").content.decode()
    assert html.index(old_open.number) < html.index(done.number)


def test_detail_names_who_pays_postage_and_says_when_nothing_was_sent_back(agent_client, shop, line):
    from shouhou.cases.models import Case
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality")
    Case.objects.filter(pk=case.pk).update(shipping_payer="merchant", return_method="", return_tracking_no="")
    html = agent_client.get(f"/cases/{case.pk}/").content.decode()
    assert "商家承担" in html and "运费 merchant" not in html
    assert "顾客尚未登记寄回" in html and "检测：" not in html
    Case.objects.filter(pk=case.pk).update(shipping_payer="none")
    assert "无需寄回" in agent_client.get(f"/cases/{case.pk}/").content.decode()


def test_the_case_page_shows_the_units_claimed_and_a_main_part_claim(agent_client, shop, phone_line):
    from decimal import Decimal

    three = OrderLineFactory(order__shop=shop, quantity=3, price_paid=Decimal("300.00"))
    partial = svc.case_create(actor=SYSTEM, shop=shop, order_line=three, reason="quality",
                              claim_data={"return_quantity": 2})
    page = agent_client.get(f"/cases/{partial.pk}/").content.decode()
    assert '<span class="badge" data-testid="claim-units">退 2/3 件</span>' in page
    assert "claim-main-part" not in page
    main = svc.case_create(actor=SYSTEM, shop=shop, order_line=phone_line, reason="performance_fault",
                           claim_data={"main_part": True})
    page = agent_client.get(f"/cases/{main.pk}/").content.decode()
    assert 'data-testid="claim-main-part">顾客称故障在主要部件上（三包主要部件保修）</span>' in page
    assert "claim-units" not in page  # a line of one
    whole = svc.case_create(actor=SYSTEM, shop=shop, order_line=OrderLineFactory(order__shop=shop), reason="quality")
    assert 'data-testid="claim-facts"' not in agent_client.get(f"/cases/{whole.pk}/").content.decode()
