"""Every value a person reads on a staff page has a label in their language (issue 15: rule codes on the
case page, `quality_defect` in task history, channels `api/chat/portal`, team `service`, `order_placed/sms`
on timelines, carrier `SF`). Each test reads the page's visible text, not its markup: a code may stay in a
`title` attribute or a form value, never in what is shown."""

from __future__ import annotations

import html as html_lib
import re
from decimal import Decimal
from pathlib import Path

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as cases_svc
from shouhou.core.testing.factories import OrderLineFactory, SKUFactory

pytestmark = pytest.mark.django_db


def visible(response) -> str:
    text = response.content.decode()
    text = re.sub(r"<(script|style|select|option)\b.*?</\1>", " ", text, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", html_lib.unescape(text))


def test_case_page_names_the_policy_clauses_and_the_carrier(agent_client, shop, agent):
    line = OrderLineFactory(order__shop=shop, price_paid=Decimal("199.00"))
    case = cases_svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality", channel="portal")
    cases_svc.case_approve(case=case, actor=agent)
    cases_svc.case_return_shipped(case=case, actor=agent, method="self_ship", carrier="SF", tracking_no="SF1234567890")
    case.refresh_from_db()
    from django.utils import translation

    from shouhou.policies.labels import clause_label

    clauses = case.decision["clauses"]
    assert clauses and "shipping.merchant.quality" in clauses
    text = visible(agent_client.get(f"/cases/{case.pk}/"))
    for code in clauses:
        assert code not in text and clause_label(code) in text, code
    assert "运费：商家承担（质量问题）" in text and "顺丰速运" in text and " SF " not in text
    agent_client.cookies["django_language"] = "en"
    text = visible(agent_client.get(f"/cases/{case.pk}/"))
    with translation.override("en"):
        assert all(clause_label(code) in text for code in clauses)
    assert "Return postage: merchant pays (Quality" in text and "SF Express" in text


def test_every_clause_the_engine_cites_has_a_label_in_both_languages():
    from django.utils import translation

    from shouhou.policies.labels import clause_label

    source = (Path(__file__).resolve().parents[2] / "policies" / "engine.py").read_text(encoding="utf-8")
    codes = re.findall(r'clauses(?:\.append\(|\s*\+=\s*\[)\s*f?"([^"]+)"', source)
    codes += re.findall(r'"clause": f"([^"]+)"', source)
    codes += re.findall(r'else "([a-z_]+\.[a-z_.]+)"\)', source)  # the conditional append (sanbao.exchange)
    concrete = {"{cat}": "clothing", "{reason}": "quality", "{pp['refund_to']}": "original", "{best['tier']}": "*"}
    assert len(codes) > 30
    for code in codes:
        for placeholder, value in concrete.items():
            code = code.replace(placeholder, value)
        assert "{" not in code, code
        for language in ("zh-hans", "en"):
            with translation.override(language):
                label = clause_label(code)
            assert label != code and not re.search(r"[a-z]+_[a-z]+|\w\.\w", label), (language, code, label)


def test_task_history_names_the_complaint_type_outcome_and_remedy(agent_client, shop, agent):
    from shouhou.reviews import services as reviews_svc
    from shouhou.reviews.services import ReviewInput, reviews_ingest

    review = reviews_ingest(shop=shop, actor=SYSTEM, items=[ReviewInput(text="穿了一次就开线了，质量太差", order_no="DY1")]).created[0]
    task = review.recovery
    reviews_svc.recovery_contact(task=task, note="已电话联系", actor=agent)
    reviews_svc.recovery_set_remedy(task=task, remedy="coupon", amount=Decimal("5"), actor=agent)
    reviews_svc.recovery_close(task=task, outcome="no_answer", actor=agent)
    text = visible(agent_client.get(f"/reviews/tasks/{task.pk}/"))
    for code in ("quality_defect", "no_answer", "coupon"):
        assert code not in text, code
    assert "质量问题" in text and "顾客未回复" in text and "优惠券补偿 5" in text


def test_customer_message_timeline_names_trigger_channel_and_why_not_sent(client, shop, shop_admin):
    from shouhou.commerce.models import Customer
    from shouhou.notifications.models import OutboundMessage

    line = OrderLineFactory(order__shop=shop)
    customer = Customer.objects.get(pk=line.order.customer_id)
    OutboundMessage.objects.create(shop=shop, customer=customer, channel="sms", trigger="order_placed",
                                   recipient="13800000000", body="感谢下单", idempotency_key="t-1",
                                   status="suppressed", suppressed_reason="opted_out")
    client.force_login(shop_admin)
    text = visible(client.get(f"/notifications/customers/{customer.pk}/timeline/"))
    for code in ("order_placed", "sms", "opted_out"):
        assert not re.search(rf"\b{code}\b", text), code
    assert "下单关怀" in text and "短信" in text and "顾客已退订" in text


def test_insight_breakdown_and_actions_name_channels_teams_and_skus(client, shop, shop_admin, agent):
    from shouhou.insight import services as insight_svc

    sku = SKUFactory(product__shop=shop, product__name="法式碎花连衣裙", spec="红色 M", code="SK-RED-M")
    for channel in ("portal", "chat", "api"):
        line = OrderLineFactory(order__shop=shop, sku=sku, product=sku.product)
        cases_svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality", channel=channel)
    insight_svc.improvement_create(shop=shop, actor=shop_admin, finding="晚间首响慢", dimension="team",
                                   dimension_key="service", metric="first_response")
    boxed = insight_svc.improvement_create(shop=shop, actor=shop_admin, finding="压箱", dimension="carrier",
                                           dimension_key="SF", metric="return",
                                           metric_filters={"reason": "damaged_in_transit", "carrier": "SF"})
    client.force_login(shop_admin)
    text = visible(client.get("/insight/actions/"))
    assert not re.search(r"\bservice\b|\bSF\b", text)
    assert "团队 客服" in text and "快递公司 顺丰速运" in text
    text = visible(client.get(f"/insight/actions/{boxed.pk}/"))
    assert "售后原因=运输破损" in text and "快递公司=顺丰速运" in text and "damaged_in_transit" not in text
    # The names every breakdown, chart and drill filter uses: a case's channel, an inbox channel, an SKU.
    from shouhou.insight.selectors import labels_for

    assert labels_for("channel", ["portal", "chat", "api", "web_chat"]) == {
        "portal": "自助售后页", "chat": "在线会话", "api": "系统接口", "web_chat": "网页在线"}
    assert labels_for("sku", [sku.pk]) == {sku.pk: "法式碎花连衣裙 红色 M（SK-RED-M）"}


def test_a_read_only_analyst_is_offered_no_recovery_step(client, shop, agent):
    from shouhou.accounts.choices import Role
    from shouhou.core.testing.factories import MembershipFactory, UserFactory
    from shouhou.reviews.services import ReviewInput, reviews_ingest

    task = reviews_ingest(shop=shop, actor=SYSTEM, items=[ReviewInput(text="穿了一次就开线了，质量太差")]).created[0].recovery
    client.force_login(MembershipFactory(shop=shop, role=Role.ANALYST, user=UserFactory(username="analyst")).user)
    page = client.get(f"/reviews/tasks/{task.pk}/").content.decode()
    assert task.number in page and f"/reviews/tasks/{task.pk}/reply/" not in page and 'data-testid="read-only"' in page
    client.force_login(agent)
    page = client.get(f"/reviews/tasks/{task.pk}/").content.decode()
    assert f"/reviews/tasks/{task.pk}/reply/" in page and f"/reviews/tasks/{task.pk}/remedy/" in page
