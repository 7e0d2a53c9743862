"""Mass assignment probe of round six: every write operation of the live schema is sent with its own shop's
ids and, in the JSON body, fields it does not declare that name another shop or the server's own columns
(`shop`, `shop_id`, `id`, `created_by_id`, `status`, `role` …). Django Ninja's schemas drop undeclared
fields; this test keeps it so for operations added later: nothing of shop B is written, no 5xx."""

from __future__ import annotations

import json

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.accounts.services import token_issue
from shouhou.api.api import api
from shouhou.core.testing.factories import MembershipFactory, ShopFactory, UserFactory
from shouhou.core.testing.isolation import (
    build_request,
    schema_operations,
    seed_marked_shop,
    shop_rows_state,
    state_changes,
)

pytestmark = pytest.mark.django_db

UNSAFE = {"post", "put", "patch"}


def test_undeclared_body_fields_never_move_a_write_to_another_shop(client):
    shop_a = ShopFactory(name="甲店", code="shop-a")
    shop_b = ShopFactory(name="乙店", code="shop-b")
    admin_a = MembershipFactory(shop=shop_a, role=Role.ADMIN, user=UserFactory(username="admin-a")).user
    admin_b = MembershipFactory(shop=shop_b, role=Role.ADMIN, user=UserFactory(username="admin-b")).user
    own = seed_marked_shop(shop_a, "AAA甲店", user=admin_a)
    seed_marked_shop(shop_b, "BBB乙店", user=admin_b)
    token = token_issue(actor=SYSTEM, shop=shop_a, name="甲店全权限", scopes=["*"], role=Role.ADMIN)
    extra = {"shop": shop_b.pk, "shop_id": shop_b.pk, "shop_code": shop_b.code, "id": 987654, "pk": 987654,
             "created_by": admin_b.pk, "created_by_id": admin_b.pk, "owner_id": admin_b.pk, "user_id": admin_b.pk,
             "role": Role.ADMIN, "is_superuser": True, "is_staff": True, "created_at": "2001-01-01T00:00:00Z"}
    schema = api.get_openapi_schema()
    before = shop_rows_state(shop_b)
    sent, errors = 0, {}
    for op in schema_operations(schema):
        if op.method not in UNSAFE or not op.operation.get("security"):
            continue
        built = build_request(op, schema, own)
        if not isinstance(built.body, dict):
            continue
        body = {**extra, **built.body}  # the declared fields win; the undeclared ones ride along
        response = getattr(client, op.method)(built.url, data=json.dumps(body), content_type="application/json",
                                              headers={"Authorization": token.header})
        sent += 1
        if response.status_code >= 500:
            errors[op.key] = response.status_code
    assert sent > 20
    assert errors == {}
    assert state_changes(before, shop_rows_state(shop_b)) == {}
    assert not UserFactory._meta.model.objects.filter(is_superuser=True).exists()
