"""Every page a member can reach by following links from the home page, for each role and in both
languages, on the demo shop: none answers with a server error, and no link shown to a role leads to a
page that refuses that role (the menu only offers what the role may open)."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client

from shouhou.accounts.choices import Role
from shouhou.commerce.demo import DEMO_SHOP_CODE, demo_build
from shouhou.commerce.models import Shop
from shouhou.core.testing.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_clock")]

# Not followed: other apps' own UIs, actions and downloads (a GET there is not a page view).
SKIP = re.compile(r"^/(admin/|accounts/logout|i18n/|static/|media/|api/|jsi18n)|/(delete|act|revoke)/|"
                  r"export|\.xlsx|download")
PER_PATTERN = 4  # pages per URL shape (/cases/N/ …): enough to hit each template with real data
LIMIT = 400


def crawl(client: Client) -> tuple[list[str], list[tuple[str, int]]]:
    seen: list[str] = []
    problems: list[tuple[str, int]] = []
    queue, shapes = ["/"], {}
    while queue and len(seen) < LIMIT:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.append(url)
        response = client.get(url)
        if response.status_code >= 500 or response.status_code in (403, 404):
            problems.append((url, response.status_code))
            continue
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for href in re.findall(r'href="([^"#]+)"', response.content.decode(errors="replace")):
            parts = urlsplit(urljoin(url, href.replace("&amp;", "&")))
            if parts.netloc not in ("", "testserver"):
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if SKIP.search(path) or path in seen:
                continue
            shape = re.sub(r"\d+", "N", parts.path) + ("?" if parts.query else "")
            shapes[shape] = shapes.get(shape, 0) + 1
            if shapes[shape] <= PER_PATTERN:
                queue.append(path)
    return seen, problems


@pytest.fixture
def demo_shop():
    demo_build(seed=11, orders=600, customers=250)
    shop = Shop.objects.get(code=DEMO_SHOP_CODE)
    MembershipFactory(shop=shop, role=Role.ANALYST, user=UserFactory(username="fenxi"))
    return shop


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_linked_page_opens_for_every_role(demo_shop, language):
    visited = {}
    for username in ("demo", "zhuguan", "kefu1", "fenxi"):
        client = Client()
        client.force_login(demo_shop.memberships.get(user__username=username).user)
        client.cookies["django_language"] = language
        seen, problems = crawl(client)
        assert problems == [], f"{username}: {problems}"
        visited[username] = seen
    # the crawl really went through the product, and roles see different menus
    assert len(visited["demo"]) > 60
    assert "/accounts/audit/" in visited["demo"] and "/accounts/audit/" not in visited["zhuguan"]
    assert "/desk/team/" in visited["zhuguan"] and "/desk/team/" not in visited["kefu1"]
    assert any(u.startswith("/cases/") and u[7:8].isdigit() for u in visited["kefu1"])
