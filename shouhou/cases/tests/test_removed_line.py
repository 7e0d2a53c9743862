"""No hand-made case on a line the shop platform took off the order (order sync sets `removed_at`): the case service
refuses it, naming the line, so the desk page, the API and every other caller get the same answer; the desk's line
picker shows the line disabled; the platform's own request on such a line is still recorded."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from shouhou.cases import services as svc
from shouhou.cases.models import Case
from shouhou.commerce.models import OrderLine
from shouhou.core.testing.factories import CustomerFactory, OrderFactory, OrderLineFactory, ProductFactory
from shouhou.inbox.choices import Channel
from shouhou.inbox.services import message_receive

pytestmark = pytest.mark.django_db

REMOVED_AT = dt.datetime(2026, 11, 5, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def order_lines(shop):
    """An order of two lines; the platform took the first (羊毛开衫 M) off the order."""
    order = OrderFactory(shop=shop, order_no="6920000000000777")
    removed = OrderLineFactory(order=order, product=ProductFactory(shop=shop, name="羊毛开衫"), spec="M",
                               line_key="6920000000000778", price_paid=Decimal("199.00"))
    kept = OrderLineFactory(order=order, product=ProductFactory(shop=shop, name="羊绒围巾"), spec="灰色",
                            line_key="6920000000000779", price_paid=Decimal("99.00"))
    OrderLine.objects.filter(pk=removed.pk).update(removed_at=REMOVED_AT)
    removed.refresh_from_db()
    return removed, kept


def test_the_service_refuses_a_removed_line_naming_it(shop, agent, order_lines):
    removed, kept = order_lines
    with pytest.raises(svc.CaseError) as refused:
        svc.case_create(shop=shop, order_line=removed, reason="quality", actor=agent, channel="manual")
    assert str(refused.value) == "订单 6920000000000777 的商品「羊毛开衫 M」已被平台从订单中移除，不能为它创建售后单。"
    with translation.override("en"), pytest.raises(svc.CaseError) as in_english:
        svc.case_create(shop=shop, order_line=removed, reason="quality", actor=agent)
    assert str(in_english.value) == ("The item “羊毛开衫 M” of order 6920000000000777 was removed from the order by the "
                                     "platform: no case can be opened on it.")
    assert not Case.objects.exists()
    # the line still on the order is claimable as before
    assert svc.case_create(shop=shop, order_line=kept, reason="quality", actor=agent).order_line == kept


def test_the_platforms_own_request_on_a_removed_line_is_still_recorded(shop, order_lines):
    from shouhou.platforms.services import PLATFORM

    removed, _kept = order_lines
    case = svc.case_create(shop=shop, order_line=removed, reason="no_reason", actor=PLATFORM, channel="doudian",
                           from_customer=True, platform_request=True)
    assert case.order_line == removed and case.channel == "doudian"


def test_the_api_refuses_a_removed_line_and_defaults_to_a_line_still_on_the_order(shop, agent, order_lines):
    removed, kept = order_lines
    client = Client()
    client.force_login(agent)
    refused = client.post("/api/cases/", {"order_no": "6920000000000777", "line_id": removed.pk, "reason": "quality"},
                          content_type="application/json")
    assert refused.status_code == 409
    assert refused.json()["detail"] == "订单 6920000000000777 的商品「羊毛开衫 M」已被平台从订单中移除，不能为它创建售后单。"
    assert not Case.objects.exists()
    # no line named: the first line still on the order, not the removed one
    made = client.post("/api/cases/", {"order_no": "6920000000000777", "reason": "quality"},
                       content_type="application/json")
    assert made.status_code == 201, made.content
    assert Case.objects.get(pk=made.json()["id"]).order_line == kept


def _ticket(shop, order):
    customer = CustomerFactory(shop=shop, phone="13812345678")
    return message_receive(shop=shop, channel=Channel.WEB_CHAT, body="开衫还没发货能退吗？", customer=customer,
                           order=order).ticket


def test_the_desk_picker_disables_a_removed_line_and_the_page_shows_the_refusal(agent_client, shop, order_lines):
    removed, kept = order_lines
    ticket = _ticket(shop, removed.order)
    html = agent_client.get(f"/desk/t/{ticket.pk}/").content.decode()
    assert f'<option value="{removed.pk}" disabled data-removed="1">羊毛开衫 M（平台已移除，不能创建售后单）</option>' in html
    assert f'<option value="{kept.pk}">羊绒围巾 灰色</option>' in html

    # a stale page (or a hand-made request) posting the removed line: refused with the service's words
    response = agent_client.post(f"/desk/t/{ticket.pk}/case/create/", {"line": removed.pk, "reason": "quality"},
                                 follow=True)
    assert "订单 6920000000000777 的商品「羊毛开衫 M」已被平台从订单中移除，不能为它创建售后单。" in response.content.decode()
    assert not Case.objects.exists()
    # no line posted: the line still on the order
    agent_client.post(f"/desk/t/{ticket.pk}/case/create/", {"reason": "quality"})
    assert Case.objects.get().order_line == kept


def test_the_desk_hides_the_form_when_every_line_was_removed(agent_client, shop, order_lines):
    removed, kept = order_lines
    OrderLine.objects.filter(pk=kept.pk).update(removed_at=REMOVED_AT)
    ticket = _ticket(shop, removed.order)
    html = agent_client.get(f"/desk/t/{ticket.pk}/").content.decode()
    assert 'data-testid="no-claimable-line"' in html and "订单的商品均已被平台移除，不能创建售后单" in html
    assert 'data-testid="case-create-form"' not in html
    response = agent_client.post(f"/desk/t/{ticket.pk}/case/create/", {"reason": "quality"}, follow=True)
    assert "订单中没有这个商品行" in response.content.decode() and not Case.objects.exists()


def test_a_recall_opens_no_case_on_a_removed_line(shop, supervisor, order_lines):
    removed, kept = order_lines
    OrderLine.objects.filter(pk=kept.pk).update(product=removed.product)  # both lines of the recalled product
    recall = svc.recall_launch(shop=shop, actor=supervisor, reason="批次起球，主动召回", product=removed.product)
    assert list(Case.objects.filter(recall=recall).values_list("order_line_id", flat=True)) == [kept.pk]
