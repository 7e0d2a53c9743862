"""Attacker probes, round seven: what a visitor sees when a request is refused before any view runs (a stale
form's CSRF token, a forged Host header) and what a staff member reads on a refused page."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

DJANGO_BARE = ("CSRF verification failed", "Bad Request (400)", "Forbidden <span>(403)", "CSRF_FAILURE_VIEW",
               "Traceback", "CSRF 验证失败")


def _client(language: str, **kwargs) -> Client:
    client = Client(**kwargs)
    client.cookies["django_language"] = language
    return client


@pytest.mark.parametrize(("language", "says"), [("zh-hans", "页面已过期"), ("en", "This page has expired")])
def test_a_customer_posting_a_stale_form_gets_the_products_page_in_their_language(settings, language, says):
    settings.DEBUG = False
    client = _client(language, enforce_csrf_checks=True)

    response = client.post("/p/order/", {"order_no": "DD1", "phone_last4": "1234"})

    assert response.status_code == 403
    html = response.content.decode()
    assert 'data-testid="error-403-csrf"' in html and says in html
    assert not any(bare in html for bare in DJANGO_BARE)
    assert 'href="/p/"' in html  # a way back to where the customer started


@pytest.mark.parametrize(("path", "staff_words"), [("/p/order/", False), ("/inbox/chat/", False),
                                                  ("/accounts/login/", True)])
@pytest.mark.parametrize(("language", "signed_out"), [("zh-hans", "退出登录"), ("en", "signed out")])
def test_the_expired_page_speaks_of_signing_out_only_to_staff(settings, path, staff_words, language, signed_out):
    """A customer has no login: 「已在别处退出登录」 on the consumer page and the web chat puzzled them."""
    settings.DEBUG = False
    response = _client(language, enforce_csrf_checks=True).post(path, {"x": "1"})

    assert response.status_code == 403 and 'data-testid="error-403-csrf"' in response.content.decode()
    assert (signed_out in response.content.decode()) is staff_words


@pytest.mark.parametrize(("language", "says"), [("zh-hans", "请求无效"), ("en", "Bad request")])
def test_a_refused_host_gets_the_products_400_page(settings, language, says):
    settings.DEBUG = False
    response = _client(language).get("/p/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="error-400"' in html and says in html
    assert not any(bare in html for bare in DJANGO_BARE)


def test_the_language_switch_refuses_a_forged_post(settings):
    settings.DEBUG = False
    client = _client("zh-hans", enforce_csrf_checks=True)

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/p/"})

    assert response.status_code == 403 and 'data-testid="error-403-csrf"' in response.content.decode()
    assert "django_language" not in response.cookies


@pytest.mark.parametrize(("language", "says"), [("zh-hans", "这个页面不能直接打开"),
                                                ("en", "This page cannot be opened directly")])
def test_a_customer_reopening_a_form_address_gets_a_page_not_a_blank_screen(settings, language, says):
    """The claim form posts to /p/order/submit/; a phone that reopens that address from its history (or a
    customer who shares it) sent a GET and saw a blank page (405 with no body)."""
    settings.DEBUG = False

    response = _client(language).get("/p/order/submit/")

    assert response.status_code == 405 and "POST" in response["Allow"]
    html = response.content.decode()
    assert 'data-testid="error-405"' in html and says in html and 'href="/p/"' in html


def test_the_api_answers_a_wrong_method_and_an_unreadable_body_in_its_own_shape(client, shop):
    from shouhou.accounts.actors import SYSTEM
    from shouhou.accounts.choices import Role
    from shouhou.accounts.services import token_issue

    issued = token_issue(actor=SYSTEM, shop=shop, name="t", scopes=["*"], role=Role.ADMIN)
    bearer = {"Authorization": f"Bearer {issued.secret}"}

    wrong = client.delete("/api/cases/", headers=bearer)
    unreadable = client.post("/api/cases/", data="{not json", content_type="application/json", headers=bearer)

    assert wrong.status_code == 405 and "GET" in wrong["Allow"]
    assert wrong.json() == {"detail": "不支持这个请求方法", "errors": []}
    assert unreadable.status_code == 400
    assert unreadable.json() == {"detail": "请求体无法解析：应为 JSON", "errors": []}
