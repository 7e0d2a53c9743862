from __future__ import annotations

import pytest
from django.test import Client

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as svc
from shouhou.cases.tests.factories import photo
from shouhou.core.testing.factories import OrderLineFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def _post(c, url, data=None):
    return c.post(url, data or {}, content_type="application/json")


def test_full_case_flow_over_the_api(shop, line, agent):
    c = _client(agent)
    r = _post(c, "/api/cases/", {"order_no": line.order.order_no, "line_id": line.pk, "reason": "quality"})
    assert r.status_code == 201, r.content
    cid = r.json()["id"]
    assert r.json()["status"] == "requested" and r.json()["decision"]["shipping_payer"] == "merchant"
    assert _post(c, f"/api/cases/{cid}/approve", {"note": "同意"}).json()["status"] == "awaiting_return"
    r = _post(c, f"/api/cases/{cid}/return-shipment", {"method": "self_ship", "carrier": "SF", "tracking_no": "SF1000000001"})
    assert r.json()["status"] == "in_transit_back"
    assert _post(c, f"/api/cases/{cid}/receive").json()["status"] == "received"
    assert _post(c, f"/api/cases/{cid}/inspection", {"action": "start", "site": "warehouse"}).json()["status"] == "inspecting"
    r = _post(c, f"/api/cases/{cid}/progress", {"note": "质检中"})
    assert r.json()["events"][-1]["note"] == "质检中"
    r = _post(c, f"/api/cases/{cid}/inspection", {"action": "result", "result": "replacement"})
    assert r.json()["status"] == "fulfilling"
    r = _post(c, f"/api/cases/{cid}/resolve", {})
    assert (r.json()["status"], r.json()["resolution"]) == ("resolved", "replacement")
    r = c.post(f"/api/cases/{cid}/evidence", {"file": photo()})
    assert r.status_code == 201 and len(r.json()["evidence"]) == 1
    assert [x["id"] for x in c.get("/api/cases/").json()] == [cid]
    assert c.get(f"/api/cases/{cid}").json()["number"].startswith("SH")


def test_refusals_are_clear_409_and_bad_photo_400(shop, line, agent):
    c = _client(agent)
    cid = _post(c, "/api/cases/", {"order_no": line.order.order_no, "reason": "quality"}).json()["id"]
    r = _post(c, f"/api/cases/{cid}/receive")
    assert r.status_code == 409 and "不能变更为「已收货」" in r.json()["detail"]
    r = c.post(f"/api/cases/{cid}/evidence", {"file": photo(b"hello", "a.jpg")})
    assert r.status_code == 400 and "不是支持的图片格式" in r.json()["detail"]


def test_agent_over_limit_then_supervisor_approves(shop, line, agent, supervisor):
    c = _client(agent)
    cid = _post(c, "/api/cases/", {"order_no": line.order.order_no, "reason": "quality", "kind": "compensation"}).json()["id"]
    r = _post(c, f"/api/cases/{cid}/compensate", {"kind": "red_packet", "amount": "88"})
    assert r.json()["status"] == "awaiting_supervisor"
    assert _post(c, f"/api/cases/{cid}/supervisor-approve").status_code == 403
    r = _post(_client(supervisor), f"/api/cases/{cid}/supervisor-approve", {"note": "同意"})
    assert r.json()["status"] == "fulfilling" and r.json()["compensation_amount"] == "88.00"


def test_reject_and_cancel(shop, line, agent):
    c = _client(agent)
    cid = _post(c, "/api/cases/", {"order_no": line.order.order_no, "reason": "quality"}).json()["id"]
    assert _post(c, f"/api/cases/{cid}/reject", {"reason": "照片不清晰"}).json()["status"] == "rejected"
    line2 = OrderLineFactory(order__shop=shop)
    cid2 = _post(c, "/api/cases/", {"order_no": line2.order.order_no, "reason": "quality"}).json()["id"]
    assert _post(c, f"/api/cases/{cid2}/cancel", {"note": "不需要了"}).json()["status"] == "cancelled"


def test_other_shop_never_sees_cases(shop, other_shop, line, agent):
    from shouhou.accounts.choices import Role
    from shouhou.core.testing.factories import MembershipFactory, UserFactory

    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality")
    stranger = MembershipFactory(shop=other_shop, role=Role.ADMIN, user=UserFactory(username="stranger")).user
    c = _client(stranger)
    assert c.get(f"/api/cases/{case.pk}").status_code == 404
    assert c.get("/api/cases/").json() == []
    assert _post(c, f"/api/cases/{case.pk}/approve").status_code == 404
    assert _post(c, "/api/cases/", {"order_no": line.order.order_no, "reason": "quality"}).status_code == 404


def test_recall_api_supervisor_only(shop, agent, supervisor):
    product = ProductFactory(shop=shop)
    OrderLineFactory(order__shop=shop, product=product)
    body = {"reason": "外壳材料不合格", "product_id": product.pk}
    assert _post(_client(agent), "/api/cases/recalls", body).status_code == 403
    r = _post(_client(supervisor), "/api/cases/recalls", body)
    assert r.status_code == 201 and r.json()["cases"] == 1


def test_openapi_lists_case_and_policy_routes(agent):
    spec = _client(agent).get("/api/openapi.json").json()
    for p in ("/api/cases/", "/api/cases/{case_id}/approve", "/api/cases/recalls", "/api/policies/decide",
              "/api/policies/versions"):
        assert p in spec["paths"], p


def test_a_cases_scoped_token_runs_the_case_flow_and_nothing_else(shop, line):
    # given API tokens as `shouhou token create --scopes cases --role agent|supervisor` issues them
    from shouhou.accounts.choices import Role
    from shouhou.accounts.services import token_issue

    agent = {"HTTP_AUTHORIZATION": "Bearer " + token_issue(actor=SYSTEM, shop=shop, name="ERP", scopes=["cases"],
                                                             role=Role.AGENT).secret}
    boss = {"HTTP_AUTHORIZATION": "Bearer " + token_issue(actor=SYSTEM, shop=shop, name="主管系统", scopes=["cases"],
                                                            role=Role.SUPERVISOR).secret}
    inbox_only = {"HTTP_AUTHORIZATION": "Bearer " + token_issue(actor=SYSTEM, shop=shop, name="客服系统", scopes=["inbox"],
                                                                  role=Role.ADMIN).secret}
    c = Client()

    def post(url, body, auth):
        return c.post(url, body, content_type="application/json", **auth)

    # when the agent token creates, approves and compensates above its limit
    r = post("/api/cases/", {"order_no": line.order.order_no, "reason": "quality", "kind": "compensation"}, agent)
    assert r.status_code == 201, r.content
    cid = r.json()["id"]
    assert c.get("/api/cases/", **agent).json()[0]["id"] == cid
    assert post(f"/api/cases/{cid}/compensate", {"kind": "red_packet", "amount": "88"}, agent).json()["status"] \
        == "awaiting_supervisor"
    # then the agent token may not approve it, the supervisor token may
    assert post(f"/api/cases/{cid}/supervisor-approve", {}, agent).status_code == 403
    assert post(f"/api/cases/{cid}/supervisor-approve", {}, boss).json()["status"] == "fulfilling"
    # and a token without the cases scope is refused, whatever its role
    assert c.get("/api/cases/", **inbox_only).status_code == 403
    assert post("/api/policies/decide", {"claim": {}}, agent).status_code == 403


def test_a_partial_return_and_a_main_part_claim_are_created_over_the_api(shop, agent):
    from decimal import Decimal

    from shouhou.commerce.choices import Category

    three = OrderLineFactory(order__shop=shop, quantity=3, price_paid=Decimal("300.00"),
                             product=ProductFactory(shop=shop, category=Category.HOME))
    c = _client(agent)
    r = _post(c, "/api/cases/", {"order_no": three.order.order_no, "line_id": three.pk, "reason": "no_reason",
                                 "return_quantity": 2})
    assert r.status_code == 201, r.content
    assert r.json()["refund_amount"] == "200.00"
    case = svc.Case.objects.get(pk=r.json()["id"])
    assert case.claim["return_quantity"] == 2
    assert "退 2/3 件" in c.get(f"/cases/{case.pk}/").content.decode()


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"return_quantity": 4}, 400, "claim.return_quantity"),  # more than the line has
    ({"claim": {"return_quantity": 4}}, 400, "claim.return_quantity"),
    ({"return_quantity": 0}, 422, None),
    ({"return_quantity": "2"}, 422, None),  # strictly a number, as in the claim
    ({"main_part": "yes"}, 422, None),
    ({"claim": {"main_part": "true"}}, 400, "claim.main_part"),
    ({"return_quantity": 2, "claim": {"return_quantity": 1}}, 400, "return_quantity"),
])
def test_bad_units_or_main_part_are_refused_at_the_field_and_nothing_is_written(shop, agent, body, status, field):
    from decimal import Decimal

    three = OrderLineFactory(order__shop=shop, quantity=3, price_paid=Decimal("300.00"))
    r = _post(_client(agent), "/api/cases/", {"order_no": three.order.order_no, "line_id": three.pk,
                                              "reason": "no_reason", **body})
    assert r.status_code == status, r.content
    if field:
        assert r.json()["errors"][0]["loc"] == [field]
    if status == 400 and field.startswith("claim"):
        assert "本行共 3 件" in r.json()["detail"] or "main_part" in r.json()["detail"]
    assert not svc.Case.objects.exists()
