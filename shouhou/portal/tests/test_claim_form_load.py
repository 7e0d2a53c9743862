"""The claim form under an attacker's load: a used form key sent again does not hold a web process (it waited 5 s
each time), a line with an open case is refused before its photo is decoded, and one client address sends a
bounded number of forms (each may carry seconds of photo decoding)."""

from __future__ import annotations

import time
from unittest import mock

import pytest

from shouhou.cases.models import Case
from shouhou.cases.tests.factories import JPEG, photo
from shouhou.portal import views
from shouhou.portal.tests.conftest import portal_line
from shouhou.portal.tests.test_customer_phone import _submit_key
from shouhou.portal.tests.test_portal import _login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portal_clock")]


@pytest.fixture
def line(shop):
    return portal_line(shop)


def test_a_used_key_sent_again_is_answered_at_once(client, line):
    _login(client)
    form = {"line": line.pk, "reason": "quality", "submit_key": _submit_key(client.get("/p/order/").content.decode())}
    assert client.post("/p/order/", {**form, "photo": photo(JPEG)}).status_code == 302
    Case.objects.all().delete()  # the first claim gone (withdrawn, say): nothing to lead the second send to
    started = time.monotonic()
    again = client.post("/p/order/", {**form, "photo": photo(JPEG)})
    assert time.monotonic() - started < 2  # no 5-second wait for a first send that is not in flight
    assert again.status_code == 302 and Case.objects.count() == 1


def test_a_line_with_an_open_case_is_refused_before_the_photo_is_decoded(client, line):
    _login(client)
    assert client.post("/p/order/", {"line": line.pk, "reason": "quality", "photo": photo(JPEG)}).status_code == 302
    with mock.patch("shouhou.core.uploads.clean_image") as decode:
        r = client.post("/p/order/", {"line": line.pk, "reason": "quality", "photo": photo(JPEG)})
    assert r.status_code == 400 and "已有进行中的售后单" in r.content.decode()
    decode.assert_not_called()


def test_one_address_sends_a_bounded_number_of_forms(client, line, monkeypatch):
    monkeypatch.setattr(views, "SUBMITS_PER_WINDOW", 3)
    _login(client)
    for _ in range(3):
        assert client.post("/p/order/", {"line": line.pk, "reason": "no_reason"}).status_code == 400  # no state
    refused = client.post("/p/order/", {"line": line.pk, "reason": "quality", "photo": photo(JPEG)})
    assert refused.status_code == 429 and "提交太频繁，请稍后再试。" in refused.content.decode()
    assert Case.objects.count() == 0
    # another address is not held back by it
    other = client.post("/p/order/", {"line": line.pk, "reason": "quality", "photo": photo(JPEG)},
                        REMOTE_ADDR="10.7.7.7")
    assert other.status_code == 302
