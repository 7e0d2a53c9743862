"""Staff and admin login are throttled per account and per client IP (django-axes, attempts kept in the
database), and guessable passwords are refused (`demo1234`, `shouhou1` passed before; issue 15)."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from shouhou.core.testing.factories import UserFactory

pytestmark = pytest.mark.django_db

LIMIT = 10


@pytest.fixture
def staff(db):
    return UserFactory(username="kefu9", is_staff=True)  # password pass-12345 (set without validators)


def _login(client, username, password, ip="198.51.100.7", path="/accounts/login/"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_an_account_is_locked_after_too_many_failures_from_many_addresses(client, staff):
    # given ten wrong passwords for one account, each from another address (the tenth locks it)
    statuses = [_login(client, "kefu9", f"wrong-{n}", ip=f"203.0.113.{n}").status_code for n in range(LIMIT)]
    assert statuses == [200] * (LIMIT - 1) + [429]
    # when the right password comes next, from yet another address
    response = _login(client, "kefu9", "pass-12345", ip="192.0.2.1")
    # then the account is locked for a while, said plainly on the login page
    assert response.status_code == 429
    assert "登录失败次数过多，请 15 分钟后再试。" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_address_is_locked_after_too_many_failures_on_many_accounts(client, staff):
    for n in range(LIMIT):
        _login(client, f"guess{n}", "pass-12345", ip="203.0.113.50")
    assert _login(client, "kefu9", "pass-12345", ip="203.0.113.50").status_code == 429
    # another address still logs in (the lock is on that address, and this account has no failures)
    assert _login(client, "kefu9", "pass-12345", ip="192.0.2.9").status_code == 302


def test_the_admin_login_is_throttled_too(client, staff):
    for n in range(LIMIT):
        _login(client, "kefu9", f"wrong-{n}", path="/admin/login/?next=/admin/")
    assert _login(client, "kefu9", "pass-12345", path="/admin/login/?next=/admin/").status_code == 429


def test_a_success_clears_the_failures(client, staff):
    for n in range(LIMIT - 1):
        _login(client, "kefu9", f"wrong-{n}")
    assert _login(client, "kefu9", "pass-12345").status_code == 302
    client.logout()
    # nine more failures after the success do not lock the account (the count started again)
    for n in range(LIMIT - 1):
        assert _login(client, "kefu9", f"wrong-{n}").status_code == 200
    assert _login(client, "kefu9", "pass-12345").status_code == 302


@pytest.mark.parametrize("password", ["demo1234", "shouhou1", "shouhou-demo", "Shouhou2026!", "kefu12345678",
                                      "1234567890", "password123", "xiaolu123456", "woaini1314"])
def test_guessable_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_password_like_the_username_is_refused():
    user = UserFactory.build(username="zhangwei", first_name="张伟")
    with pytest.raises(ValidationError):
        validate_password("zhangwei2026", user=user)


@pytest.mark.parametrize("password", ["q8#Lm2vZ!x-Tr", "lantern-oyster-violet-41", "冬天的橘子很甜-72"])
def test_strong_passwords_pass(password):
    validate_password(password)
