"""Attacker's walk over every web page of the URL conf, with every role and every write method.

`test_cross_shop_pages.py` opens every URL as shop A's admin with shop B's ids by GET and an empty POST.
An empty POST changes little: a real attacker posts the forms the product itself renders. Here:

- every POST form of every page is collected as the pages render them (real field names, hidden ids,
  action slugs, one variant per named submit button) — shop B's forms as B's admin sees them, shop A's as
  A's admin sees them;
- each user of shop A, whatever the role, submits B's forms: none of B's rows changes and no answer that is
  not public (an anonymous visitor gets the same) shows B's marker; A's admin also sends PUT, PATCH and
  DELETE to every URL with B's ids;
- shop A's read-only analyst submits A's own forms and sends POST/PUT/PATCH/DELETE to every URL: none of
  A's rows changes, unless an anonymous visitor's same request is admitted too (the customer's pages).

Pages, forms and roles added later are covered without editing this file.
"""

from __future__ import annotations

import pytest
from django.test import Client

from shouhou.accounts.choices import Role
from shouhou.core.testing.factories import MembershipFactory, ShopFactory, UserFactory
from shouhou.core.testing.isolation import (
    harvest_forms,
    page_forms,
    page_patterns,
    page_urls,
    seed_marked_shop,
    shop_rows_state,
    state_changes,
)

pytestmark = pytest.mark.django_db

MARKER = "ZZB店铺机密"
WRITE_METHODS = ("post", "put", "patch", "delete")


def _text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _logged_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def world(db):
    shop_a = ShopFactory(name="甲店", code="shop-a")
    shop_b = ShopFactory(name=f"{MARKER}乙店", code="shop-b")
    users = {}
    for shop, tag in ((shop_a, "a"), (shop_b, "b")):
        for role in Role.values:
            users[tag, role] = MembershipFactory(shop=shop, role=role, user=UserFactory(username=f"{role}-{tag}")).user
    marked_a = seed_marked_shop(shop_a, "AAA甲店", user=users["a", Role.ADMIN])
    marked_b = seed_marked_shop(shop_b, MARKER, user=users["b", Role.ADMIN])
    return users, marked_a, marked_b


def _refused_to_anonymous(response) -> bool:
    if response.status_code in (401, 403):
        return True
    return response.status_code == 302 and "/accounts/login/" in response.get("Location", "")


def test_the_form_reader_takes_what_a_browser_would_send():
    html = """<form method="get"><input name="q"></form>
    <form method="post" action="act/approve/"><input type="hidden" name="csrfmiddlewaretoken" value="t">
      <input name="amount" type="number"><textarea name="note"></textarea>
      <select name="reason"><option value="">--</option><option value="damaged">破损</option></select>
      <input type="checkbox" name="notify" value="1"><input type="file" name="photo">
      <button name="decision" value="yes">同意</button><button name="decision" value="no">拒绝</button></form>"""

    forms = page_forms("/cases/5/", html)

    assert [f.action for f in forms] == ["/cases/5/act/approve/"] * 2
    assert [f.data["decision"] for f in forms] == ["yes", "no"]
    assert forms[0].data | {"decision": None} == {"csrfmiddlewaretoken": "t", "amount": "1", "note": "探测文字",
                                                  "reason": "damaged", "notify": "1", "decision": None}


def _admitted(response) -> bool:
    return 200 <= response.status_code < 400 and not _refused_to_anonymous(response)


def test_no_user_of_one_shop_changes_or_reads_another_shop_through_any_page(world):
    """Every role of shop A submits shop B's forms; A's admin also sends PUT, PATCH and DELETE to every URL
    with B's ids. One snapshot of B's rows before and after (the admitted requests are listed on failure)."""
    users, marked_a, marked_b = world
    forms_b = harvest_forms(_logged_in(users["b", Role.ADMIN]), marked_b)
    anonymous = Client()
    public = {url for pattern in page_patterns() for url in page_urls(pattern, marked_b)
              if anonymous.get(url).status_code == 200}  # the policy page, the showcase …: open by design
    before = shop_rows_state(marked_b.shop)
    problems, admitted, requested = {}, [], 0

    def judge(key, response, url):
        if response.status_code >= 500:
            problems[key] = f"{response.status_code} 服务器错误"
        elif url not in public and MARKER in _text(response):
            problems[key] = f"{response.status_code} 页面含有乙店数据"
        elif _admitted(response):
            admitted.append(f"{response.status_code} {key}")

    for role in Role.values:
        attacker = _logged_in(users["a", role])
        for form in forms_b:
            judge(f"{role} POST {form.key}", attacker.post(form.action, form.data), form.action)
            requested += 1
    attacker = _logged_in(users["a", Role.ADMIN])
    for pattern in page_patterns():
        for url in page_urls(pattern, marked_b):
            for method in ("put", "patch", "delete"):
                judge(f"admin {method.upper()} {url}", getattr(attacker, method)(url), url)
                requested += 1

    assert problems == {}
    assert state_changes(before, shop_rows_state(marked_b.shop)) == {}, admitted
    assert requested > 200 and len(forms_b) > 20
    assert {"cases", "desk", "reviews", "insight"} <= {f.action.split("/")[1] for f in forms_b}


def test_the_read_only_role_changes_nothing_through_any_page(world):
    """A's analyst submits every form A's admin is offered and sends GET/POST/PUT/PATCH/DELETE to every URL
    with A's ids (a page that writes when merely opened counts too). Requests an anonymous visitor is not refused (the customer's pages, signed webhooks) are left
    out: no staff role is involved there."""
    users, marked_a, marked_b = world
    forms_a = harvest_forms(_logged_in(users["a", Role.ADMIN]), marked_a)
    analyst, anonymous = _logged_in(users["a", Role.ANALYST]), Client()
    requests = [("post", f.action, f.data, f.key) for f in forms_a]
    for pattern in page_patterns():
        for url in page_urls(pattern, marked_a):
            requests += [(method, url, None, f"{method.upper()} {url}") for method in ("get", *WRITE_METHODS)]
    staff_only = []
    for method, url, data, key in requests:
        args = (url, data) if data is not None else (url,)
        if _refused_to_anonymous(getattr(anonymous, method)(*args)):
            staff_only.append((method, args, key))
    before = shop_rows_state(marked_a.shop)
    problems, admitted = {}, []
    for method, args, key in staff_only:
        response = getattr(analyst, method)(*args)
        if response.status_code >= 500:
            problems[key] = f"{response.status_code} 服务器错误"
        elif 200 <= response.status_code < 400:
            admitted.append(f"{response.status_code} {key}")

    assert problems == {}
    assert state_changes(before, shop_rows_state(marked_a.shop)) == {}, admitted
    assert len(forms_a) > 20 and len(staff_only) > 100
    # the same forms do write when the shop's admin sends them: the walk above really tried writes
    admin = _logged_in(users["a", Role.ADMIN])
    for form in forms_a:
        admin.post(form.action, form.data)
    assert len(state_changes(before, shop_rows_state(marked_a.shop))) >= 3
