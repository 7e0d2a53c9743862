"""Shop isolation for every web page, read from the URL conf (so pages added later are covered).

Given shop A's admin and shop B whose every row carries a marker, when A's admin opens every page —
with B's ids, B's shop code and B's tokens in the URL — by GET and by POST, then no answer contains
B's marker (except pages that anyone may open without logging in, such as the public policy page or
the showcase, which are public by design), no answer is a server error, and none of B's rows changed.
"""

from __future__ import annotations

import pytest
from django.test import Client

from shouhou.accounts.choices import Role
from shouhou.core.testing.factories import MembershipFactory, ShopFactory, UserFactory
from shouhou.core.testing.isolation import page_patterns, page_urls, seed_marked_shop, shop_rows_snapshot

pytestmark = pytest.mark.django_db

MARKER = "ZZB店铺机密"


def _text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _without_url(text: str, url: str) -> str:
    """The answer minus the requested address (the portal's 404 for a form post names it): a token the caller
    typed is not another shop's data."""
    import html
    from urllib.parse import quote, unquote

    for form in {url, unquote(url), quote(unquote(url), safe="/")}:
        text = text.replace(form, "").replace(html.escape(form), "")
    return text


@pytest.fixture
def world(db):
    shop_a = ShopFactory(name="甲店", code="shop-a")
    shop_b = ShopFactory(name=f"{MARKER}乙店", code="shop-b")
    admin_a = MembershipFactory(shop=shop_a, role=Role.ADMIN, user=UserFactory(username="admin-a")).user
    admin_b = MembershipFactory(shop=shop_b, role=Role.ADMIN, user=UserFactory(username="admin-b")).user
    seed_marked_shop(shop_a, "AAA甲店", user=admin_a)
    marked_b = seed_marked_shop(shop_b, MARKER, user=admin_b)
    return admin_a, marked_b


def test_the_url_conf_is_read():
    keys = {p.key for p in page_patterns()}
    assert {"cases:detail", "reviews:task_detail", "notifications:timeline"} <= keys
    assert not any(p.route.startswith(("api/", "admin/")) for p in page_patterns())


def test_no_page_shows_or_changes_another_shops_data(client, world):
    admin_a, marked_b = world
    client.force_login(admin_a)
    anonymous = Client()
    before = shop_rows_snapshot(marked_b.shop)
    problems, requested = {}, 0
    for pattern in page_patterns():
        for url in page_urls(pattern, marked_b):
            public = anonymous.get(url).status_code == 200  # open to anyone by design (showcase, policy …)
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                requested += 1
                if response.status_code >= 500:
                    problems[f"{method.upper()} {url}"] = f"{response.status_code} 服务器错误"
                elif not public and MARKER in _without_url(_text(response), url):
                    problems[f"{method.upper()} {url}"] = f"{response.status_code} 页面含有乙店数据"
    after = shop_rows_snapshot(marked_b.shop)

    assert problems == {}
    assert {label: rows for label, rows in after.items() if rows != before[label]} == {}
    assert requested > 40
