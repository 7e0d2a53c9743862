"""Shop isolation for EVERY API operation, read from the live OpenAPI schema.

Given shop A (our caller) and shop B whose every row carries a marker in each text field,
when each operation is called as A — by token and by session — with B's ids in the path, query and body,
then nothing of B comes back: an operation aimed at B's object answers 403/404 (or 400/422), never 2xx,
and no response (lists above all) contains B's marker. New endpoints are covered automatically, and
the test fails if an operation in the schema was not exercised.
"""

from __future__ import annotations

import json

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.accounts.services import token_issue
from shouhou.api.api import api
from shouhou.core.testing.factories import MembershipFactory, ShopFactory, UserFactory
from shouhou.core.testing.isolation import build_request, schema_operations, seed_marked_shop

pytestmark = pytest.mark.django_db

MARKER = "ZZB店铺机密"
REFUSED = {400, 401, 403, 404, 405, 409, 422}


@pytest.fixture
def two_shops(db):
    shop_a = ShopFactory(name="甲店", code="shop-a")
    shop_b = ShopFactory(name=f"{MARKER}乙店", code="shop-b")
    user_a = MembershipFactory(shop=shop_a, role=Role.ADMIN, user=UserFactory(username="admin-a")).user
    user_b = MembershipFactory(shop=shop_b, role=Role.ADMIN, user=UserFactory(username=f"{MARKER}b")).user
    marked_b = seed_marked_shop(shop_b, MARKER, user=user_b)
    seed_marked_shop(shop_a, "AAA甲店", user=user_a)
    token_a = token_issue(actor=SYSTEM, shop=shop_a, name="甲店全权限", scopes=["*"], role=Role.ADMIN)
    return shop_a, user_a, token_a, marked_b


def _call(client, built, **headers):
    kwargs = {"headers": headers}
    if built.body is not None:
        kwargs.update(data=json.dumps(built.body), content_type="application/json")
    return getattr(client, built.method)(built.url, **kwargs)


def _text(response) -> str:
    """The body as text, JSON unescaped (a renderer may write 乙 as \\u4e59)."""
    raw = response.content.decode("utf-8", "replace")
    try:
        return json.dumps(json.loads(raw), ensure_ascii=False)
    except ValueError:
        return raw


def _leaks(response, built) -> str | None:
    text = _text(response)
    if MARKER in text:
        return f"{response.status_code} 响应含有乙店数据"
    if built.injected and 200 <= response.status_code < 300:
        return f"{response.status_code} 以乙店对象 id 调用竟然成功"
    if built.filtered and 200 <= response.status_code < 300 and response.get("Content-Type", "").startswith(
            "application/json") and not _empty(response.json()):
        return f"{response.status_code} 以乙店对象 id 过滤竟然返回了数据"
    if response.status_code >= 500:
        return f"{response.status_code} 服务器错误"
    return None




def _empty(data) -> bool:
    """A list filtered by another shop's id must come back empty; other shapes (a metrics object
    with zeros …) are judged by the marker alone."""
    return not data if isinstance(data, list) else True


def _exercise(call, schema, marked_b):
    ops = schema_operations(schema)
    exercised, problems = set(), {}
    for op in ops:
        built = build_request(op, schema, marked_b)
        response = call(built)
        exercised.add(op.key)
        problem = _leaks(response, built)
        if problem:
            problems[f"{op.key} -> {built.url}"] = problem
    return ops, exercised, problems


@pytest.mark.parametrize("mode", ["token", "session"])
def test_no_operation_returns_another_shops_data(client, two_shops, mode):
    shop_a, user_a, token_a, marked_b = two_shops
    headers = {"Authorization": token_a.header} if mode == "token" else {}
    if mode == "session":
        client.force_login(user_a)

    ops, exercised, problems = _exercise(lambda built: _call(client, built, **headers), api.get_openapi_schema(),
                                         marked_b)

    assert problems == {}
    assert exercised == {op.key for op in ops}
    assert len(ops) >= 5  # the schema really was read


def test_the_machinery_catches_a_leaky_endpoint(two_shops):
    """The check itself can fail: an API whose handlers forget `shop=` is reported, operation by operation."""
    from django.shortcuts import get_object_or_404
    from ninja import NinjaAPI, Router
    from ninja.testing import TestClient

    from shouhou.api.auth import DEFAULT_AUTH
    from shouhou.api.errors import install_handlers
    from shouhou.commerce.models import Customer, Order

    leaky = NinjaAPI(auth=DEFAULT_AUTH, urls_namespace="leaky-test")
    install_handlers(leaky)
    router = Router()

    @router.get("/orders")
    def orders(request):
        return [{"id": o.pk, "receiver": o.receiver_name} for o in Order.objects.all()]

    @router.get("/orders/{order_id}")
    def order(request, order_id: int):
        return {"receiver": get_object_or_404(Order, pk=order_id).receiver_name}

    @router.get("/customers/{customer_id}")
    def customer(request, customer_id: int):
        get_object_or_404(Customer, pk=customer_id, shop=request.auth.shop)
        return {"ok": True}

    leaky.add_router("/commerce/", router)
    shop_a, user_a, token_a, marked_b = two_shops
    test_client = TestClient(leaky)

    def call(built):
        return getattr(test_client, built.method)(built.url.removeprefix("/api"),
                                                  headers={"Authorization": token_a.header})

    ops, exercised, problems = _exercise(call, leaky.get_openapi_schema(path_prefix="/api"), marked_b)

    assert sorted(problems) == ["GET /api/commerce/orders -> /api/commerce/orders",
                                f"GET /api/commerce/orders/{{order_id}} -> /api/commerce/orders/{marked_b.id_for('commerce.order')}"]
    assert exercised == {op.key for op in ops} and len(ops) == 3


def test_every_operation_refuses_a_shop_the_user_is_not_member_of(client, two_shops):
    shop_a, user_a, token_a, marked_b = two_shops
    schema = api.get_openapi_schema()
    client.force_login(user_a)
    answers = {}
    for op in schema_operations(schema):
        if not op.operation.get("security"):
            continue  # webhooks and public endpoints authenticate differently
        built = build_request(op, schema, marked_b)
        answers[op.key] = _call(client, built, **{"X-Shop-Id": str(marked_b.shop.pk)}).status_code

    assert answers and set(answers.values()) == {403}


def test_token_of_shop_a_naming_shop_b_is_refused(client, two_shops):
    shop_a, user_a, token_a, marked_b = two_shops

    response = client.get("/api/accounts/me", headers={"Authorization": token_a.header,
                                                       "X-Shop-Id": str(marked_b.shop.pk)})

    assert response.status_code == 403
    assert "另一家店铺" in response.json()["detail"]


def test_marked_shop_seeds_every_shop_scoped_model(two_shops):
    """The generic seeder must reach the models the path-parameter table points at."""
    *_, marked_b = two_shops

    for label in ("commerce.order", "commerce.customer", "commerce.shipment", "accounts.membership"):
        assert marked_b.first(label) is not None, marked_b.failed.get(label)
    assert marked_b.failed == {}
