"""A successful login must not wipe the failures of *other* accounts from the same address.

Attacker: any user with a working login (their own staff account). Given nine wrong guesses at the shop
admin's password, one login of their own from the same address used to delete every failure from that
address (axes resets by each lockout parameter) — so the admin's count started again and the guessing went
on for ever. Now only the logging-in account's own failures are forgiven.
"""

from __future__ import annotations

import pytest
from axes.handlers.proxy import AxesProxyHandler

from shouhou.core.testing.factories import UserFactory

pytestmark = pytest.mark.django_db

LIMIT = 10
HANDLER = "shouhou.accounts.throttle.OwnFailuresResetHandler"
ATTACKER_IP = "198.51.100.66"


@pytest.fixture
def handler(settings):
    assert settings.AXES_HANDLER == HANDLER  # the product's own setting, not one the test puts in
    AxesProxyHandler.get_implementation(force=True)
    yield
    AxesProxyHandler.implementation = None  # the next test builds the configured one again


def _login(client, username, password, ip=ATTACKER_IP):
    response = client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)
    client.logout()
    return response


def test_logging_in_as_oneself_does_not_reset_the_count_on_another_account(client, handler):
    UserFactory(username="shop-admin")  # password pass-12345
    UserFactory(username="attacker")
    answers = []
    for round_ in range(3):
        answers += [_login(client, "shop-admin", f"guess-{round_}-{n}").status_code for n in range(LIMIT - 1)]
        assert _login(client, "attacker", "pass-12345").status_code in (302, 429)

    # the tenth wrong guess locked the account (and the address): no thirty guesses
    assert answers[LIMIT - 1:] == [429] * (len(answers) - LIMIT + 1)
    assert _login(client, "shop-admin", "pass-12345", ip="192.0.2.10").status_code == 429


def test_a_success_still_forgives_the_accounts_own_failures(client, handler):
    UserFactory(username="kefu9")
    for n in range(LIMIT - 1):
        _login(client, "kefu9", f"wrong-{n}", ip=f"203.0.113.{n}")
    assert _login(client, "kefu9", "pass-12345").status_code == 302
    for n in range(LIMIT - 1):
        assert _login(client, "kefu9", f"again-{n}").status_code == 200
    assert _login(client, "kefu9", "pass-12345").status_code == 302
