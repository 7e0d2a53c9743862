from __future__ import annotations

import pytest
from django.test import Client

from shouhou.accounts.actors import SYSTEM
from shouhou.core.models import AuditEvent
from shouhou.policies.document import default_source
from shouhou.policies.models import PolicyVersion
from shouhou.policies.selectors import policy_summary_text
from shouhou.policies.services import policy_publish

pytestmark = pytest.mark.django_db


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_publish_keeps_old_versions_and_audits(shop, shop_admin):
    c = _client(shop_admin)
    r = c.post("/api/policies/versions", {"source": default_source(), "note": "首版"}, content_type="application/json")
    assert r.status_code == 201 and r.json()["version"] == 1
    src2 = default_source().replace("max_exchanges = 2", "max_exchanges = 1")
    r = c.post("/api/policies/versions", {"source": src2, "note": "收紧换货"}, content_type="application/json")
    assert r.json()["version"] == 2
    assert list(PolicyVersion.objects.filter(shop=shop).values_list("version", "is_active")) == [(2, True), (1, False)]
    assert [v["version"] for v in c.get("/api/policies/versions").json()] == [2, 1]
    assert "max_exchanges = 2" in c.get("/api/policies/versions/1").json()["source"]
    assert AuditEvent.objects.filter(action="policy.publish", shop=shop).count() == 2


def test_publish_is_admin_only_and_bad_source_is_located(shop, agent, shop_admin):
    r = _client(agent).post("/api/policies/versions", {"source": default_source()}, content_type="application/json")
    assert r.status_code == 403
    bad = default_source().replace('refund_to = "original"', 'refund_to = "cash"')
    r = _client(shop_admin).post("/api/policies/versions", {"source": bad}, content_type="application/json")
    assert r.status_code == 422 and "price_protection.refund_to" in r.json()["detail"]
    r = _client(agent).post("/api/policies/validate", {"source": bad}, content_type="application/json")
    line = next(i for i, text in enumerate(bad.splitlines(), start=1) if 'refund_to = "cash"' in text)
    assert r.json() == {"valid": False, "errors": [f"price_protection.refund_to: 必须是 original / balance 之一（第{line}行）"]}


def test_decide_endpoint_uses_active_version(shop, agent):
    policy_publish(actor=SYSTEM, shop=shop, source=default_source())
    claim = {"category": "clothing", "reason": "no_reason", "order_date": "2026-10-29", "delivery_date": "2026-11-01",
             "now": "2026-11-09",
             "price_paid": "99"}
    r = _client(agent).post("/api/policies/decide", {"claim": claim}, content_type="application/json")
    assert r.status_code == 200
    assert (r.json()["allowed"], r.json()["policy_version"], r.json()["day"]) == ([], 1, 8)
    r = _client(agent).post("/api/policies/decide", {"claim": {**claim, "reason": "nope"}},
                            content_type="application/json")
    assert r.status_code == 422 and "claim.reason" in r.json()["detail"]


def test_summary_text_follows_the_active_policy(shop):
    assert "签收次日起7天内" in policy_summary_text(shop=shop, category="clothing")
    policy_publish(actor=SYSTEM, shop=shop, source=default_source().replace("days = 7                         # 自签收次日起算",
                                                              "days = 10"))
    text = policy_summary_text(shop=shop, category="clothing")
    assert "签收次日起10天内" in text and "吊牌需完好" in text
    assert "法定不适用" in policy_summary_text(shop=shop, category="fresh")
    assert "保修期内免费维修" in policy_summary_text(shop=shop, category="mobile_phone", topic="warranty")


def test_public_policy_page(client, shop):
    r = client.get(f"/policy/{shop.code}/")
    body = r.content.decode()
    assert r.status_code == 200 and "小鹿直播旗舰店" in body and "七天无理由退货" in body and "定制商品" in body
    assert client.get("/policy/nope/").status_code == 404


def test_public_page_follows_the_shops_own_shipping_rules(client, shop):
    # given the default policy: insurance counts, VIP returns free, transit damage within 3 days
    body = client.get(f"/policy/{shop.code}/").content.decode()
    assert "购买了运费险的由运费险承担，VIP会员由商家承担。运输破损请在签收后3天内反馈。" in body
    assert "单价 2000 元及以上的可预约上门维修" in body  # electronics on-site repair
    # when the shop publishes a policy without the VIP rule and without counting insurance
    source = (default_source().replace('vip_free_return_tiers = ["vip"]', "vip_free_return_tiers = []")
              .replace("insurance_covers_no_reason = true", "insurance_covers_no_reason = false"))
    policy_publish(actor=SYSTEM, shop=shop, source=source)
    body = client.get(f"/policy/{shop.code}/").content.decode()
    # then the page no longer promises either
    assert "无理由退货由买家承担运费。" in body
    assert "VIP" not in body and "运费险承担" not in body
    assert "第 1 版" in body


def test_a_policies_scoped_token_can_decide(shop):
    from shouhou.accounts.choices import Role
    from shouhou.accounts.services import token_issue

    auth = {"HTTP_AUTHORIZATION": "Bearer " + token_issue(actor=SYSTEM, shop=shop, name="直播中控", scopes=["policies"],
                                                            role=Role.AGENT).secret}
    claim = {"category": "clothing", "reason": "no_reason", "order_date": "2026-10-30", "delivery_date": "2026-11-01", "now": "2026-11-08",
             "price_paid": "99"}
    r = Client().post("/api/policies/decide", {"claim": claim}, content_type="application/json", **auth)
    assert (r.status_code, r.json()["recommended"], r.json()["day"]) == (200, "return_refund", 7)
    r = Client().post("/api/policies/versions", {"source": default_source()}, content_type="application/json", **auth)
    assert r.status_code == 403  # an agent token may not publish


@pytest.mark.parametrize(("patch", "loc", "msg"), [
    ({"washed": "false"}, ["body", "claim", "washed"], "必须是 true 或 false"),
    ({"delivery_dte": "2026-11-01"}, ["body", "claim", "delivery_dte"], "未知字段（是否想写 delivery_date？）"),
    ({"price_paid": "NaN"}, ["body", "claim", "price_paid"], "必须是有限的金额数字"),
    ({"now": "2026-10-01"}, ["body", "claim", "now"], "当前日期 2026-10-01 早于下单日期"),
    ({"order_date": None}, ["body", "claim", "order_date"], "缺少日期"),
])
def test_decide_endpoint_answers_a_located_422(shop, agent, patch, loc, msg):
    claim = {"category": "clothing", "reason": "no_reason", "order_date": "2026-10-29", "delivery_date": "2026-11-01",
             "now": "2026-11-05", "price_paid": "99", **patch}
    r = _client(agent).post("/api/policies/decide", {"claim": claim}, content_type="application/json")
    assert r.status_code == 422
    body = r.json()
    assert body["errors"][0]["loc"] == loc and body["errors"][0]["msg"].startswith(msg), body
    assert f"claim.{loc[-1]}" in body["detail"]


def test_decide_endpoint_returns_the_refund_deadline_and_gift_deduction(shop, agent):
    claim = {"category": "clothing", "reason": "no_reason", "order_date": "2026-10-29", "delivery_date": "2026-11-01",
             "now": "2026-11-05", "price_paid": "99", "condition": "missing_gifts", "gift_value": "19.90"}
    r = _client(agent).post("/api/policies/decide", {"claim": claim}, content_type="application/json")
    assert r.status_code == 200
    body = r.json()
    assert (body["refund_amount"], body["gift_deduction"], body["refund_within_days"]) == ("79.10", "19.90", 7)


def test_the_public_policy_page_reads_in_english_when_chosen(client, shop):
    # given a reader who chose English (the page mixed Chinese category names and rule lines into it)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(f"/policy/{shop.code}/").content.decode()
    # then the exceptions, the categories and their rules are English
    assert "Custom-made goods" in page and "定制商品" not in page
    assert "A no-reason return within 7 days from the day after sign-off" in page and "签收次日起" not in page
    assert "Report transit damage within" in page
    # and Chinese stays the default
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "签收次日起7天内" in client.get(f"/policy/{shop.code}/").content.decode()
