"""Attacker probes, round seven, on the staff login: whether an account exists cannot be read from the answers.
(There is no password-reset page or mail: nothing to reuse a token of, nothing that says "no such e-mail".)"""

from __future__ import annotations

import re

import pytest
from django.urls import NoReverseMatch, reverse

from shouhou.core.testing.factories import UserFactory

pytestmark = pytest.mark.django_db

LIMIT = 10


def _login(client, username, password, ip):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def _page(response) -> str:
    """The answer without what differs from one request to the next (the CSRF token, the typed name)."""
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'value="(kefu9|nobody-here)"', "", html)


def test_a_wrong_password_and_an_unknown_account_get_the_same_answer(client):
    UserFactory(username="kefu9")

    known = _login(client, "kefu9", "wrong-password", "203.0.113.1")
    unknown = _login(client, "nobody-here", "wrong-password", "203.0.113.2")

    assert known.status_code == unknown.status_code == 200
    assert _page(known) == _page(unknown)


def test_an_unknown_account_is_locked_like_a_real_one(client):
    UserFactory(username="kefu9")
    real = [_login(client, "kefu9", f"w{n}", f"198.51.100.{n}").status_code for n in range(LIMIT)]
    made_up = [_login(client, "nobody-here", f"w{n}", f"192.0.2.{n}").status_code for n in range(LIMIT)]

    assert real == made_up == [200] * (LIMIT - 1) + [429]
    assert _page(_login(client, "kefu9", "w", "198.51.100.200")) == \
        _page(_login(client, "nobody-here", "w", "192.0.2.200"))


@pytest.mark.parametrize("name", ["password_reset", "password_reset_confirm", "password_change"])
def test_there_is_no_password_reset_or_change_page_to_attack(client, name):
    for full_name in (name, f"accounts:{name}"):
        with pytest.raises(NoReverseMatch):
            reverse(full_name)
    assert client.get("/accounts/password_reset/").status_code == 404
