"""Personal data in every API answer, read from the live OpenAPI schema: full phone numbers and street
addresses never appear in what an agent reads (lists, details, timelines …); only the audited reveal
shows them, and only to a role that may.

Given a shop whose customers and orders carry real-looking phones and addresses, when an agent's token
calls every GET operation with the shop's own ids, then no answer contains a full phone or address.
"""

from __future__ import annotations

import json

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.accounts.services import token_issue
from shouhou.api.api import api
from shouhou.commerce.models import Customer, Order
from shouhou.core.testing.factories import MembershipFactory, ShopFactory, UserFactory
from shouhou.core.testing.isolation import build_request, schema_operations, seed_marked_shop

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
RECEIVER_PHONE = "13787654321"
ADDRESS = "浙江省杭州市西湖区文三路100号5幢"


@pytest.fixture
def pii_shop(db):
    shop = ShopFactory(name="甲店", code="pii-a")
    user = MembershipFactory(shop=shop, role=Role.ADMIN, user=UserFactory(username="pii-admin")).user
    marked = seed_marked_shop(shop, "PII甲店", user=user)
    Customer.objects.filter(shop=shop).update(phone=PHONE, phone_last4=PHONE[-4:])
    Order.objects.filter(shop=shop).update(receiver_phone=RECEIVER_PHONE, address=ADDRESS)
    return shop, marked


@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR, Role.ANALYST])
def test_no_get_operation_shows_a_full_phone_or_address(client, pii_shop, role):
    shop, marked = pii_shop
    token = token_issue(actor=SYSTEM, shop=shop, name=f"pii-{role}", scopes=["*"], role=role)
    schema = api.get_openapi_schema()
    leaks, called = {}, 0
    for op in schema_operations(schema):
        if op.method != "get":
            continue
        built = build_request(op, schema, marked)  # ids of this very shop: the caller may read them
        response = client.get(built.url, headers={"Authorization": token.header})
        called += 1
        text = json.dumps(response.json(), ensure_ascii=False) if response.get("Content-Type", "").startswith(
            "application/json") else response.content.decode("utf-8", "replace")
        found = [v for v in (PHONE, RECEIVER_PHONE, ADDRESS) if v in text]
        if found:
            leaks[built.url] = found
    assert leaks == {}
    assert called >= 5


def test_reveal_shows_the_phone_to_a_supervisor_and_is_audited(client, pii_shop):
    from shouhou.core.models import AuditEvent

    shop, marked = pii_shop
    token = token_issue(actor=SYSTEM, shop=shop, name="pii-sup", scopes=["*"], role=Role.SUPERVISOR)
    customer = marked.first("commerce.customer")
    paths = [p for p in api.get_openapi_schema()["paths"] if "reveal" in p]
    assert paths, "the API offers a reveal operation"
    response = client.post(paths[0], data=json.dumps({"kind": "customer", "object_id": customer.pk,
                                                      "field": "phone", "reason": "顾客来电核对"}), content_type="application/json",
                           headers={"Authorization": token.header})
    assert response.status_code == 200, response.content
    assert PHONE in response.content.decode()
    assert AuditEvent.objects.filter(action="pii.reveal", shop=shop).count() == 1
