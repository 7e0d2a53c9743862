"""Attacker, round eight: one walk over EVERY URL of the project — the pages of the URL conf and every
operation of the API's OpenAPI schema — with every kind of path parameter and three callers.

Each path parameter is filled with (a) an object of the caller's own shop A, (b) an object of shop B,
(c) an id that does not exist, (d) junk: 0, a number past any database integer, negative, a very long
string, unicode, '../'. Each URL is requested with GET and with POST (the API: its own method) as an
anonymous visitor, as A's read-only analyst and as A's agent. Then:

- never a 5xx;
- never shop B's marker in an answer to a user of shop A (B's public pages named by B's code excepted);
- the analyst's requests change no row of either shop, and no row count anywhere;
- an anonymous visitor is sent to the login page or refused (401/403), except on the pages that are
  public by design, listed here by name so that a new public page has to be added on purpose.

Pages and operations added later are walked without editing this file.
"""

from __future__ import annotations

import json
import re

import pytest
from django.apps import apps
from django.test import Client

from shouhou.accounts.choices import Role
from shouhou.api.api import api
from shouhou.core.testing.factories import MembershipFactory, ShopFactory, UserFactory
from shouhou.core.testing.isolation import (
    BIG_ID,
    PagePattern,
    build_request,
    page_patterns,
    page_urls,
    schema_operations,
    seed_marked_shop,
    shop_rows_state,
    state_changes,
)

pytestmark = pytest.mark.django_db

MARKER = "ZZB乙店机密"
# A number no integer column holds (SQLite's and PostgreSQL's bigint end at 9223372036854775807).
HUGE = "9" * 25
JUNK_INTS = ("0", HUGE)
JUNK_TEXT = ("-1", "x" * 3000, "乙店🙂%00", "..%2F..%2Fetc%2Fpasswd", "0")

# Pages anyone may open (the customer's pages, signed webhooks, public policy/showcase, the JS catalogue):
# the URL conf's names. Everything else must send an anonymous visitor to the login page or refuse them.
PUBLIC_PAGES = {
    ":javascript-catalog", "accounts:login", ":link_revoke", ":favicon", ":desk_root",
    "policies:public", "reviews:showcase", "insight:survey",
    "inbox:hook_wechat", "inbox:hook_wecom", "inbox:hook_wechat_kf", "inbox:hook_social", "inbox:hook_email",
    "inbox:webchat", "inbox:webchat_room", "inbox:webchat_poll", "inbox:webchat_send", "inbox:webchat_file",
    "inbox:webchat_earlier",
    "notifications:sms_reply", "notifications:receipts", "notifications:gateway_push",
    "logistics:kuaidi100_push", "logistics:generic_push",
    "portal:start", "portal:shop_start", "portal:order", "portal:preview", "portal:submit", "portal:follow",
    "portal:follow_evidence", "portal:follow_ship", "portal:follow_cancel",
    "platforms:evidence", "platforms:auth_callback", "platforms:wechat_shop_push",
    "platforms:wechat_shop_push_app", "platforms:push", "platforms:push_app",
}
# Public pages named by a shop's code show that shop by design (the policy page, the showcase, the portal).
SHOP_PUBLIC = {"policies:public", "reviews:showcase", "portal:shop_start"}

SKIPPED = ("admin/", "static/", "media/", "i18n/", "api/")


def all_page_patterns() -> list[PagePattern]:
    """Every route of the URL conf outside the admin, the API (walked from its schema) and static files —
    the login page included (the probes below cover its `next`; logging out would end the walk's sessions)."""
    return page_patterns(skipped=(*SKIPPED, "accounts/logout/"))


def _fill(pattern: PagePattern, value_for) -> str:
    url = "/" + pattern.route
    for conv, name in pattern.params:
        url = re.sub(r"<(?:\w+:)?" + re.escape(name) + ">", value_for(conv, name), url, count=1)
    return url


def variant_urls(pattern: PagePattern, own, other) -> list[tuple[str, str]]:
    """(variant, url) for one page pattern: own object, other shop's object, missing id, junk."""
    if not pattern.params:
        return [("plain", "/" + pattern.route)]
    out = [("own", page_urls(pattern, own)[0]), ("other", page_urls(pattern, other)[-1])]
    out.append(("missing", _fill(pattern, lambda c, n: str(BIG_ID) if c == "int" else "no-such-thing")))
    for i, junk in enumerate(JUNK_TEXT):
        out.append((f"junk{i}", _fill(pattern, lambda c, n, i=i, junk=junk:
                                      JUNK_INTS[i % 2] if c == "int" else junk)))
    seen: set[str] = set()
    return [(v, u) for v, u in out if not (u in seen or seen.add(u))]  # an int-only route: 2 junk URLs, not 5


def _text(response) -> str:
    if getattr(response, "streaming", False):
        raw = b"".join(response.streaming_content).decode("utf-8", "replace")
    else:
        raw = response.content.decode("utf-8", "replace")
    if "json" in response.get("Content-Type", ""):
        try:
            return json.dumps(json.loads(raw), ensure_ascii=False)
        except ValueError:
            return raw
    return raw


def _call(client, method: str, url: str, **kwargs):
    """The answer, or the view's exception named as the 500 it is in production (with its type and words, so a
    failure says where to look)."""
    try:
        return getattr(client, method)(url, **kwargs)
    except Exception as exc:  # noqa: BLE001
        return _Crash(f"{type(exc).__name__}: {exc}"[:300])


class _Crash:
    status_code = 500
    streaming = False

    def __init__(self, why: str):
        self.content = why.encode()

    def get(self, name, default=""):
        return default


def _without_url(text: str, url: str) -> str:
    """The answer minus the requested address itself (a 404 page's language form echoes it): a marker the caller
    typed is not a leak."""
    import html
    from urllib.parse import quote, unquote

    for form in {url, unquote(url), quote(unquote(url), safe="/"), quote(unquote(url), safe="")}:
        text = text.replace(form, "").replace(html.escape(form), "")
    return text


def _resolves(url: str) -> bool:
    from urllib.parse import unquote

    from django.urls import Resolver404, resolve

    try:
        resolve(unquote(url.split("?")[0]))
    except Resolver404:
        return False
    return True


def _sent_away(response, url: str = "") -> bool:
    if response.status_code in (401, 403):
        return True
    if response.status_code == 404 and url and (not _resolves(url) or HUGE in url or "%00" in url):
        # no route matches (junk where the pattern wants digits), or an id past any integer column or a NUL
        # (core.middleware.UnstorableInputMiddleware: the same 404 for every such path, whoever asks)
        return True
    return response.status_code == 302 and "/accounts/login/" in response.get("Location", "")


def all_row_counts() -> dict[str, int]:
    """Rows of every table but the session store (a login writes there) and the counters of refused requests."""
    return {m._meta.label_lower: m.objects.count() for m in apps.get_models()
            if m._meta.label_lower not in {"sessions.session", "core.securitycounter"} and not m._meta.proxy}


@pytest.fixture
def world(db):
    shop_a = ShopFactory(name="甲店", code="shop-a")
    shop_b = ShopFactory(name=f"{MARKER}乙店", code="shop-b")
    users = {role: MembershipFactory(shop=shop_a, role=role, user=UserFactory(username=f"{role}-a")).user
             for role in (Role.ADMIN, Role.AGENT, Role.ANALYST)}
    admin_b = MembershipFactory(shop=shop_b, role=Role.ADMIN, user=UserFactory(username="admin-b")).user
    own = seed_marked_shop(shop_a, "AAA甲店", user=users[Role.ADMIN])
    other = seed_marked_shop(shop_b, MARKER, user=admin_b)
    return users, own, other


def _clients(users) -> dict[str, Client]:
    clients = {"anonymous": Client()}
    for role in (Role.ANALYST, Role.AGENT):
        clients[role] = Client()
        clients[role].force_login(users[role])
    return clients


def test_every_page_with_every_kind_of_id_as_every_caller(world):
    users, own, other = world
    clients = _clients(users)
    problems: dict[str, str] = {}
    writes: list[str] = []
    requested = 0
    patterns = all_page_patterns()
    for caller in ("analyst", "agent", "anonymous"):
        before = (shop_rows_state(own.shop), shop_rows_state(other.shop), all_row_counts())
        for pattern in patterns:
            public = pattern.key in PUBLIC_PAGES
            for variant, url in variant_urls(pattern, own, other):
                for method in ("get", "post"):
                    response = _call(clients[caller], method, url)
                    requested += 1
                    key = f"{caller} {method.upper()} {url[:120]} ({pattern.key}, {variant})"
                    if response.status_code >= 500:
                        problems[key] = f"{response.status_code} 服务器错误 {_text(response)[:300]}"
                    elif caller != "anonymous" and MARKER in _without_url(_text(response), url) and not (
                            public and pattern.key in SHOP_PUBLIC | {"insight:survey"} and variant == "other"):
                        problems[key] = f"{response.status_code} 含有乙店数据"
                    elif caller == "anonymous" and not public and not _sent_away(response, url):
                        problems[key] = f"{response.status_code} 匿名访问未被拒绝"
                    elif caller == "analyst" and method == "post" and not public \
                            and 200 <= response.status_code < 400 and not _sent_away(response):
                        writes.append(f"{response.status_code} {key}")
        if caller == "analyst":
            after = (shop_rows_state(own.shop), shop_rows_state(other.shop), all_row_counts())
            changed = {
                "own": state_changes(before[0], after[0]), "other": state_changes(before[1], after[1]),
                "counts": {k: (before[2][k], v) for k, v in after[2].items() if before[2].get(k) != v},
            }
            assert changed == {"own": {}, "other": {}, "counts": {}}, writes

    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in sorted(problems.items()))
    assert requested > 1500 and len(patterns) > 80


def _api_variants(op, schema, own, other):
    """(variant, BuiltRequest) for one API operation."""
    built_own = build_request(op, schema, own)
    built_other = build_request(op, schema, other)
    out = [("own", built_own)]
    names = [p["name"] for p in op.operation.get("parameters", []) if p.get("in") == "path"]
    if not names:
        return out + [("other-body", built_other)] if built_other.injected else out
    out.append(("other", built_other))
    base = op.path.split("?")[0]
    for variant, value in (("missing", str(BIG_ID)), ("zero", "0"), ("huge", HUGE), ("negative", "-1"),
                           ("long", "x" * 3000), ("unicode", "乙店🙂"), ("dots", "..%2F..%2Fetc")):
        url = base
        for name in names:
            url = url.replace("{" + name + "}", value)
        out.append((variant, type(built_own)(op.method, url, built_own.body, False)))
    return out


def test_every_api_operation_with_every_kind_of_id_as_every_caller(world):
    users, own, other = world
    clients = _clients(users)
    schema = api.get_openapi_schema()
    operations = schema_operations(schema)
    problems: dict[str, str] = {}
    requested = 0
    for caller in ("analyst", "agent", "anonymous"):
        before = (shop_rows_state(own.shop), shop_rows_state(other.shop), all_row_counts())
        for op in operations:
            public = "security" not in op.operation
            for variant, built in _api_variants(op, schema, own, other):
                kwargs = {}
                if built.body is not None:
                    kwargs = {"data": json.dumps(built.body), "content_type": "application/json"}
                response = _call(clients[caller], built.method, built.url, **kwargs)
                requested += 1
                key = f"{caller} {built.method.upper()} {built.url[:120]} ({op.path}, {variant})"
                if response.status_code >= 500:
                    problems[key] = f"{response.status_code} 服务器错误 {_text(response)[:200]}"
                elif caller != "anonymous" and MARKER in _without_url(_text(response), built.url):
                    problems[key] = f"{response.status_code} 含有乙店数据"
                elif caller == "anonymous" and not public and response.status_code not in (401, 403, 404, 405):
                    problems[key] = f"{response.status_code} 匿名访问未被拒绝"
        if caller == "analyst":
            after = (shop_rows_state(own.shop), shop_rows_state(other.shop), all_row_counts())
            assert state_changes(before[0], after[0]) == {}
            assert state_changes(before[1], after[1]) == {}
            assert {k: (before[2][k], v) for k, v in after[2].items() if before[2].get(k) != v} == {}

    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in sorted(problems.items()))
    assert requested > 500 and len(operations) > 100
