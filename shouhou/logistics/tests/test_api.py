import datetime as dt

import pytest
import time_machine

from shouhou.accounts.models import ApiToken
from shouhou.api.auth import hash_token
from shouhou.commerce.choices import ShipmentStatus as St
from shouhou.core.testing.factories import OrderFactory, ShipmentFactory
from shouhou.logistics.services import exception_sweep

SH = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 11, 20, 10, 0, tzinfo=SH)


def _token(shop, role="admin", prefix="p1"):
    ApiToken.objects.create(shop=shop, prefix=prefix, key_hash=hash_token("s3cret"), scopes=["*"], role=role)
    return {"HTTP_AUTHORIZATION": f"Bearer {prefix}.s3cret"}


@pytest.fixture
def auth(shop):
    return _token(shop)


def test_template_put_rejects_unknown_variable_by_name(client, auth):
    r = client.put("/api/notifications/templates", {"trigger": "order_placed", "channel": "sms",
                                                    "body": "{{service_contact}}{{coupon}}"},
                   content_type="application/json", **auth)
    assert r.status_code == 400
    assert "coupon" in r.json()["detail"] and r.json()["errors"][0]["loc"] == ["body.coupon"]


def test_template_put_and_list(client, auth):
    r = client.put("/api/notifications/templates", {"trigger": "order_placed", "channel": "sms",
                                                    "body": "欢迎！售后：{{service_contact}}"},
                   content_type="application/json", **auth)
    assert r.status_code == 200
    own = [t for t in client.get("/api/notifications/templates", **auth).json() if not t["is_default"]]
    assert own == [{"trigger": "order_placed", "channel": "sms", "body": "欢迎！售后：{{service_contact}}",
                    "variables": ["shop_name", "customer_name", "service_contact", "order_no"], "is_default": False}]


def test_tracking_api_ingest_and_exceptions_are_shop_scoped(client, shop, other_shop, auth):
    mine = ShipmentFactory(order=OrderFactory(shop=shop), tracking_no="JD001", carrier="JD", status=St.IN_TRANSIT,
                           shipped_at=T0, last_event_at=T0, signed_at=None)
    theirs = ShipmentFactory(order=OrderFactory(shop=other_shop), tracking_no="JD002", carrier="JD",
                             status=St.IN_TRANSIT, shipped_at=T0, last_event_at=T0, signed_at=None)
    body = {"carrier": "JD", "tracking_no": "JD001",
            "events": [{"time": "2026-11-20T12:00:00+08:00", "status": "in_transit", "description": "京东分拣中心"}]}
    with time_machine.travel(T0 + dt.timedelta(hours=3), tick=False):
        assert client.post("/api/logistics/tracking", body, content_type="application/json", **auth).json() == \
            {"stored": 1, "received": 1}
        body["tracking_no"] = "JD002"
        assert client.post("/api/logistics/tracking", body, content_type="application/json", **auth).status_code == 404
    with time_machine.travel(T0 + dt.timedelta(days=5), tick=False):
        exception_sweep()
    rows = client.get("/api/logistics/exceptions", **auth).json()
    assert [r["shipment_id"] for r in rows] == [mine.pk]
    assert rows[0]["kind"] == "no_movement" and rows[0]["ticket_id"] is not None
    events = client.get(f"/api/logistics/shipments/{mine.pk}/events", **auth).json()
    assert [e["description"] for e in events] == ["京东分拣中心"]
    assert client.get(f"/api/logistics/shipments/{theirs.pk}/events", **auth).status_code == 404


def test_rules_put_requires_policy_edit(client, shop):
    agent_auth = _token(shop, role="agent", prefix="p2")
    r = client.put("/api/logistics/rules", {"no_movement_hours": 12}, content_type="application/json", **agent_auth)
    assert r.status_code == 403
    admin = _token(shop, prefix="p3")
    r = client.put("/api/logistics/rules", {"no_movement_hours": 12}, content_type="application/json", **admin)
    assert r.status_code == 200
    assert client.get("/api/logistics/rules", **admin).json()["no_movement_hours"] == 12


def test_rules_change_is_validated_and_audited(client, shop):
    from shouhou.core.testing.audit import assert_audited
    from shouhou.logistics.models import ExceptionRuleSet

    admin = _token(shop, prefix="p4")
    bad = client.put("/api/logistics/rules", {"no_movement_hours": 0}, content_type="application/json", **admin)
    assert bad.status_code == 422 and "no_movement_hours" in bad.json()["detail"]
    r = client.put("/api/logistics/rules", {"no_movement_hours": 36, "dispatch_late_reason": "面料补货延误"},
                   content_type="application/json", **admin)
    assert r.status_code == 200
    row = ExceptionRuleSet.objects.get(shop=shop)
    assert (row.no_movement_hours, row.dispatch_late_reason) == (36, "面料补货延误")
    assert_audited("logistics.rules.update", row, after={"no_movement_hours": 36, "dispatch_late_reason": "面料补货延误"})


@pytest.mark.parametrize(("field", "text", "words"), [
    ("dispatch_late_remedy", "给五星好评返现5元", "延迟发货补偿"),
    ("dispatch_late_remedy", "删差评返现10元", "删除或修改差评"),
    ("dispatch_late_reason", "仓库爆单，确认收货后晒图好评领红包", "延迟发货原因"),
])
def test_rules_texts_offering_money_for_reviews_are_refused(client, shop, field, text, words):
    from shouhou.logistics.models import ExceptionRuleSet

    admin = _token(shop, prefix="p5")
    r = client.put("/api/logistics/rules", {field: text}, content_type="application/json", **admin)
    assert r.status_code == 400
    assert "未通过合规检查" in r.json()["detail"] and words in r.json()["detail"]
    assert r.json()["errors"][0]["loc"] == [field]
    assert not ExceptionRuleSet.objects.filter(shop=shop).exists()


def test_rules_texts_with_a_plain_apology_remedy_are_saved(client, shop):
    from shouhou.logistics.models import ExceptionRuleSet

    admin = _token(shop, prefix="p6")
    r = client.put("/api/logistics/rules", {"dispatch_late_reason": "收到货有问题请联系我们，给您换新",
                                            "dispatch_late_remedy": "赠送5元无门槛优惠券，与评价无关"},
                   content_type="application/json", **admin)
    assert r.status_code == 200
    assert ExceptionRuleSet.objects.get(shop=shop).dispatch_late_remedy == "赠送5元无门槛优惠券，与评价无关"


def test_messages_and_timeline_api(client, shop, auth):
    from shouhou.notifications.services import notification_enqueue

    o = OrderFactory(shop=shop)
    with time_machine.travel(dt.datetime(2026, 11, 20, 14, 0, tzinfo=SH), tick=False):
        notification_enqueue(shop=shop, customer=o.customer, trigger="order_placed", context={"order_no": o.order_no},
                             idempotency_key="api-1")
    rows = client.get(f"/api/notifications/customers/{o.customer.pk}/timeline", **auth).json()
    assert len(rows) == 1 and o.order_no in rows[0]["body"]
    assert len(client.get("/api/notifications/messages?trigger=order_placed", **auth).json()) == 1
