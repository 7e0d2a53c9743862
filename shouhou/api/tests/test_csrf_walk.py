"""Cross-site request forgery over every write of the API and every page, read from the live schema and URL conf.

Given shop A's admin logged in in a browser, when another site makes that browser send each unsafe API operation
(POST/PUT/PATCH/DELETE, aimed at A's own rows, so that it would succeed with the token) without the CSRF token,
then every one is refused 403 in the API's shape and none of A's rows changes. Only operations that take no session
at all (signed webhooks) are left out, and they are listed. On the pages, the only views exempt from the CSRF check
are the channels' and platforms' signed push endpoints. New operations and pages are covered without editing this.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver

from shouhou.accounts.choices import Role
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

UNSAFE = {"post", "put", "patch", "delete"}
CSRF_DETAIL = "CSRF 校验失败：请刷新页面后重试（程序调用请用 API 令牌）"
# Operations without a session (auth=None): they verify a signature of their own.
NO_SESSION = {"POST /api/reviews/webhook/{shop_code}"}
# Page routes that may skip the CSRF check: machine endpoints that verify the sender's signature.
SIGNED_PUSH_PREFIXES = ("inbox/hooks/", "notifications/webhooks/", "notifications/push/", "logistics/push/", "platforms/")


def test_no_unsafe_api_operation_runs_on_a_session_without_the_csrf_token():
    shop = ShopFactory(name="甲店", code="shop-a")
    admin = MembershipFactory(shop=shop, role=Role.ADMIN, user=UserFactory(username="admin-a")).user
    own = seed_marked_shop(shop, "AAA甲店", user=admin)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin)
    schema = api.get_openapi_schema()
    before = shop_rows_state(shop)

    tried, admitted = [], {}
    for op in schema_operations(schema):
        if op.method not in UNSAFE or op.key in NO_SESSION:
            continue
        built = build_request(op, schema, own)
        kwargs = {}
        if built.body is not None:
            kwargs = {"data": json.dumps(built.body), "content_type": "application/json"}
        response = getattr(browser, built.method)(built.url, **kwargs)
        tried.append(op.key)
        if response.status_code != 403 or response.json().get("detail") != CSRF_DETAIL:
            admitted[f"{op.key} -> {built.url}"] = response.status_code

    assert admitted == {}
    assert state_changes(before, shop_rows_state(shop)) == {}
    assert len(tried) >= 50  # the walk reached the API's writes


def test_the_operations_left_out_take_no_session_at_all():
    schema = api.get_openapi_schema()
    for op in schema_operations(schema):
        if op.key in NO_SESSION:
            assert not op.operation.get("security"), op.key


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern.callback


def test_only_signed_push_endpoints_skip_the_pages_csrf_check():
    exempt = sorted(route for route, view in _routes(get_resolver().url_patterns)
                    if getattr(view, "csrf_exempt", False) and not route.startswith("api/"))
    assert exempt, "the walk found the push endpoints"
    assert [route for route in exempt if not route.startswith(SIGNED_PUSH_PREFIXES)] == []
    assert not any(route.startswith("platforms/") and "push" not in route for route in exempt)
