"""Fixtures shared by the whole suite. Tests run on SQLite by default and on PostgreSQL when
SHOUHOU_DATABASE_URL points there (python3 dev.py test runs both).

The clock. No test may depend on today's date or the time of day. Tests that build data relative to
"now" freeze the clock (time-machine); the demo is built at DEMO_INSTANT (fixture `demo_clock`). To prove
it, run any part of the suite with the clock moved: SHOUHOU_TEST_CLOCK=-30d (or +30d, +13h, or an
instant such as 2027-01-03T23:59:30+08:00) makes the whole session start there, ticking
(README, "Tests on any date")."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil

import pytest
import time_machine

from shouhou.accounts.choices import Role
from shouhou.core.testing.factories import MembershipFactory, ShopFactory, UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix) -> None:
    """The SQLite test database is a file (settings: TEST NAME), one per xdist worker once pytest-django has
    added the worker's suffix. Django removes an old database file before it creates the new one, but not its
    WAL and shared-memory files, which a server thread's connection can leave behind: remove them all, so a
    stale log is never replayed into the new database."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    name = db.get("TEST", {}).get("NAME")
    if db["ENGINE"].endswith("sqlite3") and name and not name.startswith(("file:", ":memory:")):
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(name + suffix)


CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")

# A Wednesday morning, far from a day, week, month or year boundary: the instant the demo is built at.
DEMO_INSTANT = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
_SHIFT = re.compile(r"^([+-])(\d+)([dhm])$")


def test_clock_start(raw: str, now: dt.datetime) -> dt.datetime | None:
    """SHOUHOU_TEST_CLOCK: '', '+30d', '-30d', '+13h', '-90m', or an ISO instant with its offset."""
    raw = raw.strip()
    if not raw:
        return None
    match = _SHIFT.match(raw)
    if match:
        sign, number, unit = match.groups()
        unit_name = {"d": "days", "h": "hours", "m": "minutes"}[unit]
        delta = dt.timedelta(**{unit_name: int(number)})
        return now + delta if sign == "+" else now - delta
    instant = dt.datetime.fromisoformat(raw)
    if instant.tzinfo is None:
        raise pytest.UsageError(f"SHOUHOU_TEST_CLOCK={raw!r}: give the offset, e.g. 2027-01-03T23:59:30+08:00")
    return instant


test_clock_start.__test__ = False  # a helper, not a test


@pytest.fixture(scope="session", autouse=True)
def _shifted_clock():
    """The whole session on another date or hour when SHOUHOU_TEST_CLOCK says so (the clock ticks)."""
    start = test_clock_start(os.environ.get("SHOUHOU_TEST_CLOCK", ""), dt.datetime.now(dt.UTC))
    if start is None:
        yield None
        return
    # An instant (a timestamp), not an aware datetime: travelling to a datetime in UTC also set the process's
    # zone (TZ) to UTC for the whole session, so naive times read as local were 8 hours off only when the
    # clock was moved. The zone stays Django's (Asia/Shanghai).
    with time_machine.travel(start.timestamp(), tick=True):
        yield start


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hasher():
    """Hashing every test user's password at full strength cost 0.17 s a user; tests need no strength.
    Production keeps Django's default hashers (settings.PASSWORD_HASHERS is not set there)."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session", autouse=True)
def _sessions_outlive_frozen_dates():
    """A client logs in at the session's clock and many tests then freeze the clock at their own date. With
    Django's two-week session the login had expired whenever that date lay more than two weeks after the
    login (SHOUHOU_TEST_CLOCK=-30d: /desk/im/ answered a redirect to the login page). Test sessions last
    20 years; production keeps Django's default (settings.SESSION_COOKIE_AGE is not set there)."""
    from django.test import override_settings

    with override_settings(SESSION_COOKIE_AGE=20 * 365 * 24 * 3600):
        yield


@pytest.fixture
def demo_clock():
    """Build and read the demo at DEMO_INSTANT: the demo is made relative to now, so without a fixed
    clock its weeks and days depend on when the suite runs (the weekly report failed at some hours)."""
    with time_machine.travel(DEMO_INSTANT, tick=True) as traveller:
        yield traveller


@pytest.fixture
def one_rate_window():
    """Rate limits count in calendar windows (a minute, an hour): a burst that crossed a boundary was counted
    in two windows and its last request allowed (CI failed once so). Move the clock to one second past the
    next full hour, ticking, so a test's burst stays in one window of any length up to an hour."""
    import time

    start = (int(time.time()) // 3600 + 1) * 3600 + 1
    with time_machine.travel(start, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _media_and_tasks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (the queue's shared badge counts are cached per shop id, and ids
    are reused after a rolled-back test on SQLite)."""
    from django.core.cache import cache

    cache.clear()


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
    # Tests evaluate string predicates (wait_for_function), which the pages' Content-Security-Policy would
    # refuse as eval; the CSP itself is checked in a context of its own (core/tests/test_csp_browser.py).
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=True)
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()


@pytest.fixture
def login_page(page, live_server):
    """Return a function that logs a user in through the real login form."""

    from shouhou.core.testing.browser import log_in

    def _login(username: str, password: str = "pass-12345"):
        log_in(page, live_server.url, username, password)
        page.wait_for_load_state("networkidle")
        return page

    return _login
