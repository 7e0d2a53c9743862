"""Attacker, round ten: a NUL character (PostgreSQL refuses it in any text) and other odd bytes in the login form,
the admin's login, the shop switch and the API's bearer token and X-Shop-Id header — never a 5xx."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

ODD = ("a\x00b", "²", "乙" * 200, "\ud7ff", "kefu\u202e")


@pytest.mark.parametrize("value", ODD)
@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_odd_characters_in_the_login_form_are_an_ordinary_refusal(agent, path, value):
    client = Client(raise_request_exception=False)
    for username, password in ((value, "x"), ("agent", value), (value, value)):
        response = client.post(path, {"username": username, "password": password})
        assert response.status_code in (200, 429), (username, password, response.status_code)


@pytest.mark.parametrize("value", ODD)
def test_odd_characters_in_the_api_credentials_are_refused_not_a_server_error(agent, value):
    client = Client(raise_request_exception=False)
    for header in (f"Bearer {value}", f"Bearer {value}.{value}", f"Bearer sh_{value}.secret", value):
        assert client.get("/api/accounts/me", headers={"Authorization": header}).status_code == 401
    client.force_login(agent)
    assert client.get("/api/accounts/me", headers={"X-Shop-Id": value}).status_code == 403
    assert client.post("/accounts/shop/", {"shop_id": value}).status_code in (302, 403)
