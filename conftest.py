"""Fixtures shared by the whole suite. Tests run on SQLite by default and on PostgreSQL when
SHOUHOU_DATABASE_URL points there (python3 dev.py test runs both)."""

from __future__ import annotations

import os
import shutil

import pytest

from shouhou.accounts.choices import Role
from shouhou.core.testing.factories import MembershipFactory, ShopFactory, UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


@pytest.fixture(autouse=True)
def _media_and_tasks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request with the English cookie leaves English active in the thread; the next test starts
    in the default language again."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def shop(db):
    return ShopFactory(name="小鹿直播旗舰店", code="xiaolu")


@pytest.fixture
def other_shop(db):
    return ShopFactory(name="隔壁店铺", code="other")


@pytest.fixture
def agent(shop):
    return MembershipFactory(shop=shop, role=Role.AGENT, user=UserFactory(username="agent")).user


@pytest.fixture
def supervisor(shop):
    return MembershipFactory(shop=shop, role=Role.SUPERVISOR, user=UserFactory(username="supervisor")).user


@pytest.fixture
def shop_admin(shop):
    return MembershipFactory(shop=shop, role=Role.ADMIN, user=UserFactory(username="shopadmin")).user


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def chromium_path() -> str:
    for candidate in CHROMIUM_CANDIDATES:
        if shutil.which(candidate) or os.path.exists(candidate):
            return candidate
    raise RuntimeError("未找到 Debian chromium：请运行 python3 dev.py test（会安装 chromium）")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=chromium_path(),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()


@pytest.fixture
def login_page(page, live_server):
    """Return a function that logs a user in through the real login form."""

    def _login(username: str, password: str = "pass-12345"):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        return page

    return _login
