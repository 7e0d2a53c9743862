"""Attacker probes on the API as a whole: the read-only role on every write operation of the live schema,
a token put in the query string, and an unexpected error (never a traceback, whatever DEBUG says)."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.accounts.services import token_issue
from shouhou.api.api import api
from shouhou.core.testing.factories import MembershipFactory, ShopFactory, UserFactory
from shouhou.core.testing.isolation import MarkedShop, build_request, schema_operations

pytestmark = pytest.mark.django_db

UNSAFE = {"post", "put", "patch", "delete"}


@pytest.fixture
def shop(db):
    return ShopFactory(name="甲店", code="shop-a")


def _call(client, built, **headers):
    kwargs = {"headers": headers}
    if built.body is not None:
        kwargs.update(data=json.dumps(built.body), content_type="application/json")
    return getattr(client, built.method)(built.url, **kwargs)


@pytest.mark.parametrize("mode", ["session", "token"])
def test_the_read_only_role_is_refused_every_write_operation(shop, mode):
    """Every unsafe operation of the schema that takes staff credentials (new ones included) is 403 for the
    analyst, by session and by an all-scope token, before the handler reads the body."""
    analyst = MembershipFactory(shop=shop, role=Role.ANALYST, user=UserFactory(username="fenxi")).user
    schema = api.get_openapi_schema()
    client, headers = Client(), {}
    if mode == "session":
        client.force_login(analyst)
    else:
        token = token_issue(actor=SYSTEM, shop=shop, name="报表", scopes=["*"], role=Role.ANALYST)
        headers = {"Authorization": token.header}
    own = MarkedShop(shop=shop, marker="own")
    answers = {}
    for op in schema_operations(schema):
        if op.method in UNSAFE and op.operation.get("security"):
            answers[op.key] = _call(client, build_request(op, schema, own), **headers).status_code

    assert len(answers) > 30
    assert {key: status for key, status in answers.items() if status != 403} == {}


@pytest.mark.parametrize("param", ["access_token", "token", "api_key", "authorization"])
def test_a_token_in_the_query_string_is_not_accepted_nor_logged(client, shop, param, caplog):
    token = token_issue(actor=SYSTEM, shop=shop, name="ERP", scopes=["*"], role=Role.ADMIN)
    secret = token.header.removeprefix("Bearer ")

    with caplog.at_level(logging.DEBUG):
        response = client.get(f"/api/accounts/me?{param}={secret}")

    assert response.status_code == 401
    assert response.json()["detail"] == "未登录或令牌无效"
    assert secret.split(".", 1)[1] not in caplog.text


@pytest.mark.parametrize("debug", [False, True])
def test_an_unexpected_error_is_json_without_a_traceback(shop, settings, monkeypatch, caplog, debug):
    settings.DEBUG = debug
    admin = MembershipFactory(shop=shop, role=Role.ADMIN, user=UserFactory(username="guanli")).user

    class Broken(dict):
        def get(self, *args):
            raise RuntimeError("secret-internal-detail /srv/shouhou/settings.py")

    monkeypatch.setattr("shouhou.accounts.api.ROLE_ACTIONS", Broken())
    client = Client(raise_request_exception=False)
    client.force_login(admin)

    with caplog.at_level(logging.ERROR):
        response = client.get("/api/accounts/me")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "服务器内部错误，请稍后重试；如一再出现请联系管理员", "errors": []}
    assert "Traceback" not in response.content.decode() and "secret-internal-detail" not in response.content.decode()
    assert "secret-internal-detail" in caplog.text  # the operator still has it, in the log


def test_a_request_django_calls_suspicious_stays_400_not_500(shop, monkeypatch):
    from django.core.exceptions import SuspiciousOperation

    admin = MembershipFactory(shop=shop, role=Role.ADMIN, user=UserFactory(username="guanli")).user

    class Suspicious(dict):
        def get(self, *args):
            raise SuspiciousOperation("too many fields")

    monkeypatch.setattr("shouhou.accounts.api.ROLE_ACTIONS", Suspicious())
    client = Client(raise_request_exception=False)
    client.force_login(admin)

    response = client.get("/api/accounts/me")

    assert response.status_code == 400
    assert response.json() == {"detail": "请求无效", "errors": []}
