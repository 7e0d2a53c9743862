"""Attacker, round ten, the API: every query parameter of every operation of the live schema, and every text
field of each JSON body, given values a hand can type — 「²」 (a digit to str.isdigit() that int() refuses), an id
past any column as text, a negative number, a long CJK string — by an all-scope admin token: never a 5xx."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.test import Client

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.accounts.services import token_issue
from shouhou.api.api import api
from shouhou.core.testing.factories import MembershipFactory, ShopFactory, UserFactory
from shouhou.core.testing.isolation import build_request, schema_operations, seed_marked_shop

pytestmark = pytest.mark.django_db

JUNK = ("²", "9" * 25, "-1", "乙" * 40)


def _send(client, method, url, body, headers):
    kwargs = {"headers": headers}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method)(url, **kwargs).status_code


def test_every_query_parameter_and_body_text_with_junk_is_never_a_server_error(db):
    shop = ShopFactory(name="甲店", code="shop-a")
    admin = MembershipFactory(shop=shop, role=Role.ADMIN, user=UserFactory(username="admin-a")).user
    own = seed_marked_shop(shop, "AAA甲店", user=admin)
    token = token_issue(actor=SYSTEM, shop=shop, name="全部", scopes=["*"], role=Role.ADMIN)
    headers = {"Authorization": token.header}
    client = Client(raise_request_exception=False)
    schema = api.get_openapi_schema()
    problems, sent = set(), 0
    for op in schema_operations(schema):
        if not op.operation.get("security"):
            continue  # signed webhooks: their own probes (round 9)
        built = build_request(op, schema, own)
        base, _, _ = built.url.partition("?")
        names = [p["name"] for p in op.operation.get("parameters", []) if p.get("in") == "query"]
        for junk in JUNK:
            for name in names:
                sent += 1
                if _send(client, op.method, f"{base}?{urlencode({name: junk})}", built.body, headers) >= 500:
                    problems.add(f"{op.key}?{name}")
            if isinstance(built.body, dict):
                for field, value in built.body.items():
                    if isinstance(value, str):
                        sent += 1
                        if _send(client, op.method, built.url, {**built.body, field: junk}, headers) >= 500:
                            problems.add(f"{op.key} body.{field}")

    assert sent > 200
    assert problems == set()
