"""A token scoped to a domain works in that domain and nowhere else (api/auth.py): `insight`, `reviews`, `sla` and
`accounts` tokens were refused on their own domain's reads, because Principal.can() tested the scopes again
against the action's prefix ("view", "audit.", "team."); and a token never hands out a wider scope than its own."""

from __future__ import annotations

import json

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.accounts.models import ApiToken
from shouhou.accounts.services import token_issue

pytestmark = pytest.mark.django_db


def _get(client, token, path):
    return client.get(path, headers={"Authorization": token.header})


@pytest.mark.parametrize(("scope", "path"), [
    ("insight", "/api/insight/metrics"),
    ("insight:read", "/api/insight/agents"),
    ("reviews", "/api/reviews/tasks"),
    ("reviews:read", "/api/reviews/"),
    ("sla", "/api/sla/calendars"),
    ("sla:read", "/api/sla/policies"),
    ("accounts", "/api/accounts/audit"),
    ("accounts", "/api/accounts/tokens"),
    ("read", "/api/sla/calendars"),
])
def test_a_token_reads_the_domain_it_is_scoped_to(client, shop, scope, path):
    token = token_issue(actor=SYSTEM, shop=shop, name=scope, scopes=[scope], role=Role.ADMIN)
    response = _get(client, token, path)
    assert response.status_code == 200, (scope, path, response.status_code, response.content[:200])


@pytest.mark.parametrize(("scope", "path"), [
    ("insight", "/api/cases/"), ("reviews", "/api/accounts/audit"), ("sla", "/api/reviews/tasks"),
    ("accounts", "/api/insight/metrics"),
])
def test_a_token_reads_nothing_outside_its_domain(client, shop, scope, path):
    token = token_issue(actor=SYSTEM, shop=shop, name=scope, scopes=[scope], role=Role.ADMIN)
    assert _get(client, token, path).status_code == 403


def test_the_role_still_decides_inside_the_domain(client, shop):
    agent = token_issue(actor=SYSTEM, shop=shop, name="agent", scopes=["accounts"], role=Role.AGENT)
    assert _get(client, agent, "/api/accounts/audit").status_code == 403  # audit.view is the admin's
    analyst = token_issue(actor=SYSTEM, shop=shop, name="analyst", scopes=["sla"], role=Role.ANALYST)
    response = client.post("/api/sla/defaults", headers={"Authorization": analyst.header})
    assert response.status_code == 403


def test_a_read_scope_writes_nothing_in_its_domain(client, shop):
    token = token_issue(actor=SYSTEM, shop=shop, name="r", scopes=["insight:read"], role=Role.ADMIN)
    response = client.post("/api/insight/actions", data=json.dumps({"finding": "外箱破损"}),
                           content_type="application/json", headers={"Authorization": token.header})
    assert response.status_code == 403


def _issue(client, token, scopes):
    return client.post("/api/accounts/tokens", data=json.dumps({"name": "new", "scopes": scopes, "role": "admin"}),
                       content_type="application/json", headers={"Authorization": token.header})


@pytest.mark.parametrize("wider", [["*"], ["cases"], ["read"], ["accounts", "insight:read"]])
def test_a_token_cannot_hand_out_a_wider_scope_than_its_own(client, shop, wider):
    token = token_issue(actor=SYSTEM, shop=shop, name="accounts", scopes=["accounts"], role=Role.ADMIN)
    before = ApiToken.objects.count()
    response = _issue(client, token, wider)
    assert response.status_code == 403 and "超出自身权限范围" in response.json()["detail"]
    assert ApiToken.objects.count() == before


@pytest.mark.parametrize(("held", "given"), [(["accounts"], ["accounts:read"]), (["accounts"], ["accounts"]),
                                             (["*"], ["*"]), (["*"], ["cases", "inbox:read"])])
def test_a_token_hands_out_its_own_scope_or_less(client, shop, held, given):
    token = token_issue(actor=SYSTEM, shop=shop, name="issuer", scopes=held, role=Role.ADMIN)
    response = _issue(client, token, given)
    assert response.status_code == 201 and response.json()["scopes"] == given
