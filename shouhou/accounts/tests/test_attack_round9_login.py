"""Attacker, round nine, on the staff login: which accounts exist cannot be read from the answer nor from its time.

Round seven compared a wrong password with an unknown account. Here every kind of account that does not log in
— unknown, wrong password, deactivated (right password), an account without a usable password (made by a
command or an import, never given one), a name differing only in case or with spaces — gets the same page, and
each costs exactly one password hash: an answer that skips the hash is measurably faster (Django's default
PBKDF2 takes ~0.1 s), which is how accounts are enumerated by timing (Django's CVE-2024-39329 was the
unusable-password case). Counted, not timed, so the test is exact on any machine.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import override_settings

from shouhou.core.testing.factories import UserFactory

pytestmark = pytest.mark.django_db

HASHED: list[str] = []


class CountingHasher(MD5PasswordHasher):
    """The test suite's fast hasher, counting every hash computed (a new password, or a check of one)."""

    algorithm = "counting_md5"

    def encode(self, password, salt):
        HASHED.append("encode")
        return super().encode(password, salt)


@pytest.fixture
def counting():
    with override_settings(PASSWORD_HASHERS=["shouhou.accounts.tests.test_attack_round9_login.CountingHasher"]):
        yield HASHED


def _page(response) -> str:
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'name="username"[^>]*value="[^"]*"', 'name="username"', html)


def test_no_kind_of_failed_login_is_faster_or_says_more(client, counting):
    UserFactory(username="kefu9", password="right-pass-9x!")  # noqa: S106 - test password
    UserFactory(username="gone9", password="right-pass-9x!", is_active=False)  # noqa: S106
    unusable = UserFactory(username="nopass9")
    unusable.set_unusable_password()
    unusable.save()
    attempts = {
        "unknown": ("nobody-here", "right-pass-9x!"),
        "wrong password": ("kefu9", "wrong-password"),
        "deactivated": ("gone9", "right-pass-9x!"),
        "no usable password": ("nopass9", "right-pass-9x!"),
        "other case": ("KEFU9", "wrong-password"),
        "spaces": (" kefu9 ", "wrong-password"),
    }
    pages, hashes = {}, {}
    for n, (kind, (username, password)) in enumerate(attempts.items()):
        counting.clear()
        response = client.post("/accounts/login/", {"username": username, "password": password},
                               REMOTE_ADDR=f"203.0.113.{n + 1}")
        assert response.status_code == 200, kind
        pages[kind], hashes[kind] = _page(response), len(counting)
    assert len(set(pages.values())) == 1, [k for k in pages if pages[k] != pages["unknown"]]
    assert set(hashes.values()) == {1}, hashes
    # and the right password still logs in (the counting hasher really checks)
    counting.clear()
    ok = client.post("/accounts/login/", {"username": "kefu9", "password": "right-pass-9x!"}, REMOTE_ADDR="203.0.113.99")
    assert ok.status_code == 302 and counting == ["encode"]


LIMIT = 10
SPELLINGS = ["kefu9", " kefu9", "kefu9 ", "ｋｅｆｕ９", "\tkefu9", "kefu9\u3000", "ｋefu9", "kefu９"]


@pytest.mark.parametrize("spellings", [SPELLINGS[:1], SPELLINGS])
def test_the_per_account_lock_counts_every_spelling_the_form_reads_as_that_account(client, spellings):
    """The login form strips the name and folds it (NFKC: 「ｋｅｆｕ９」 is kefu9) before looking the account up; the
    lock must count the failures of every such spelling against the one account, or ten guesses per spelling
    from a botnet's addresses (one each: the per-address lock never trips) pass the per-account lock."""
    UserFactory(username="kefu9")  # password pass-12345
    statuses = []
    for n in range(LIMIT):
        name = spellings[n % len(spellings)]
        statuses.append(client.post("/accounts/login/", {"username": name, "password": f"wrong-{n}"},
                                    REMOTE_ADDR=f"203.0.113.{n + 1}").status_code)
    assert statuses == [200] * (LIMIT - 1) + [429]
    right = client.post("/accounts/login/", {"username": "kefu9", "password": "pass-12345"}, REMOTE_ADDR="192.0.2.77")
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
