"""Attacker probes of round six that found the defence in place (kept so it stays so): the language switch's
`next` (the portal's and the staff pages'), and the API with the session or the token of a deactivated user."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.utils.http import url_has_allowed_host_and_scheme

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.accounts.services import token_issue

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("target", [
    "https://evil.example.com/p/", "//evil.example.com/p/", "/\\evil.example.com", "\\\\evil.example.com",
    "https:evil.example.com", "http://testserver@evil.example.com/", "javascript:alert(1)",
    " //evil.example.com", "/%2F%2Fevil.example.com", "\t//evil.example.com",
])
def test_the_language_switch_never_sends_the_customer_to_another_site(client, target):
    answer = client.post("/i18n/setlang/", {"language": "en", "next": target},
                         headers={"Referer": "https://evil.example.com/"})
    assert answer.status_code == 302
    location = answer["Location"]
    assert url_has_allowed_host_and_scheme(location, allowed_hosts={"testserver"})
    assert urlsplit(location).netloc in ("", "testserver") and not location.startswith(("//", "/\\"))


def test_the_language_switch_goes_back_to_the_portal_page(client):
    answer = client.post("/i18n/setlang/", {"language": "en", "next": "/p/order/"})
    assert answer.status_code == 302 and answer["Location"] == "/p/order/"


def test_a_deactivated_users_session_reads_nothing_from_the_api(client, agent):
    client.force_login(agent)
    assert client.get("/api/cases/").status_code == 200
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    assert client.get("/api/cases/").status_code == 401


def test_a_token_lives_with_the_shop_not_its_issuer_and_dies_when_revoked(client, shop, shop_admin):
    """docs/security.md "API tokens": a token belongs to the shop (an ERP), not to the admin who issued it; the
    admin's deactivation does not stop it, its revocation does (a probe expecting the former is told so)."""
    from shouhou.accounts.services import token_revoke

    issued = token_issue(actor=shop_admin, shop=shop, name="ERP", scopes=["cases:read"], role=Role.AGENT)
    shop_admin.is_active = False
    shop_admin.save(update_fields=["is_active"])
    assert client.get("/api/cases/", headers={"Authorization": issued.header}).status_code == 200
    token_revoke(token=issued.token, actor=SYSTEM)
    assert client.get("/api/cases/", headers={"Authorization": issued.header}).status_code == 401
