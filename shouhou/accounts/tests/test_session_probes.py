"""Attacker probes on the staff session: fixation, logout, a changed password, `next=` and the Host header."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from shouhou.accounts.choices import Role
from shouhou.core.testing.factories import MembershipFactory, ShopFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(db):
    shop = ShopFactory(name="甲店", code="shop-a")
    return MembershipFactory(shop=shop, role=Role.AGENT, user=UserFactory(username="kefu7")).user  # pass-12345


def _login(client, next_url=""):
    path = "/accounts/login/" + (f"?next={next_url}" if next_url else "")
    return client.post(path, {"username": "kefu7", "password": "pass-12345"})


def test_a_session_id_planted_before_login_is_not_the_one_logged_in(agent):
    planted = SessionStore()
    planted["planted"] = True
    planted.create()
    client = Client()
    client.cookies["sessionid"] = planted.session_key

    assert _login(client).status_code == 302

    assert client.cookies["sessionid"].value != planted.session_key
    assert not SessionStore(session_key=planted.session_key).exists(planted.session_key)


def test_logout_needs_a_post_and_ends_the_session(client, agent):
    _login(client)
    key = client.cookies["sessionid"].value
    assert client.get("/accounts/logout/").status_code == 405  # a link or an <img> cannot log anyone out
    client.post("/accounts/logout/")
    assert not SessionStore().exists(key)
    assert client.get("/desk/queue/").status_code == 302


def test_a_changed_password_ends_the_other_sessions(agent):
    other_pc = Client()
    _login(other_pc)
    assert other_pc.get("/desk/queue/").status_code == 200

    agent.set_password("a-new-Long-passphrase-42")
    agent.save()

    response = other_pc.get("/desk/queue/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example/",
                                    "https:evil.example", "http://testserver.evil.example/", "\\\\evil.example"])
def test_login_never_sends_the_user_to_another_site(client, agent, target):
    from urllib.parse import quote

    response = _login(client, quote(target, safe=""))

    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_login_follows_a_page_of_this_site(client, agent):
    assert _login(client, "/cases/")["Location"] == "/cases/"


@pytest.mark.parametrize("host", ["evil.example", "testserver.evil.example", "127.0.0.1@evil.example"])
def test_a_forged_host_header_is_refused(client, agent, host):
    assert client.get("/accounts/login/", HTTP_HOST=host).status_code == 400
