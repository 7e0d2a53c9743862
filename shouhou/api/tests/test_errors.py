"""The API's error shape for input the database cannot hold: 4xx in Chinese, never a 500."""

import pytest
from ninja import NinjaAPI
from ninja.testing import TestClient

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.accounts.services import token_issue
from shouhou.api.errors import install_handlers

pytestmark = pytest.mark.django_db


def test_an_id_beyond_64_bits_is_not_found(client, shop):
    token = token_issue(actor=SYSTEM, shop=shop, name="t", scopes=["*"], role=Role.ADMIN)
    r = client.get("/api/logistics/shipments/11974342387326554974499322221035520/events",
                   headers={"Authorization": token.header})
    assert (r.status_code, r.json()["detail"]) == (404, "未找到")


def test_overflow_and_refused_values_answer_422_in_chinese():
    from django.db import DataError

    api = NinjaAPI(urls_namespace="errors-test")
    install_handlers(api)

    @api.get("/overflow")
    def overflow(request):
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    @api.get("/nul")
    def nul(request):
        raise DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")

    client = TestClient(api)
    assert (client.get("/overflow").status_code, client.get("/overflow").json()["detail"]) == (
        422, "输入有误：数值超出范围")
    assert client.get("/nul").status_code == 422
    assert "无法保存的字符" in client.get("/nul").json()["detail"]


def test_a_session_call_without_the_csrf_token_is_refused_in_chinese(shop):
    from django.test import Client

    from shouhou.accounts.models import Membership
    from shouhou.core.testing.factories import UserFactory

    user = UserFactory(username="admin9")
    Membership.objects.create(user=user, shop=shop, role=Role.ADMIN)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    r = browser.post("/api/accounts/tokens", {"name": "x", "scopes": ["*"]}, content_type="application/json")
    assert r.status_code == 403
    assert r.json() == {"detail": "CSRF 校验失败：请刷新页面后重试（程序调用请用 API 令牌）", "errors": []}


def test_a_body_over_the_upload_limit_is_413_in_the_apis_shape(client, shop, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    token = token_issue(actor=SYSTEM, shop=shop, name="t", scopes=["*"], role=Role.ADMIN)
    body = '{"trigger": "order_placed", "channel": "sms", "body": "' + "x" * (2 * 1024 * 1024) + '"}'
    r = client.put("/api/notifications/templates", data=body, content_type="application/json",
                   headers={"Authorization": token.header})
    assert r.status_code == 413
    assert r.json() == {"detail": "请求体太大（超过 1 MB）", "errors": []}


def test_a_nan_amount_is_refused_in_chinese(client, shop):
    token = token_issue(actor=SYSTEM, shop=shop, name="t", scopes=["*"], role=Role.ADMIN)
    r = client.post("/api/cases/1/compensate", {"kind": "coupon", "amount": "NaN"}, content_type="application/json",
                    headers={"Authorization": token.header})
    assert r.status_code == 422
    assert "应为有限的数字（不接受 NaN、Infinity）" in r.json()["detail"] and "Input should" not in r.json()["detail"]


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
@pytest.mark.parametrize("path", ["/api/nope", "/api/inbox/nope/", "/api/inbox/tickets/abc/def/ghi", "/api/x/y.php"])
def test_an_unknown_api_path_answers_the_apis_json_not_the_html_page(client, shop, method, path):
    """Before: Django's HTML 404 page (for any method), which an API client cannot read."""
    token = token_issue(actor=SYSTEM, shop=shop, name="t", scopes=["*"], role=Role.ADMIN)
    r = getattr(client, method)(path, headers={"Authorization": token.header})
    assert r.status_code == 404 and r["Content-Type"].startswith("application/json")
    assert r.json() == {"detail": "API 路径不存在", "errors": []}


def test_an_unknown_api_path_needs_no_login_and_speaks_the_readers_language(client, settings):
    r = client.post("/api/nope", data="{}", content_type="application/json")  # no token, no CSRF token: still 404
    assert (r.status_code, r.json()["detail"]) == (404, "API 路径不存在")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    r = client.get("/api/nope")
    assert (r.status_code, r.json()) == (404, {"detail": "No such API path", "errors": []})


def test_a_wrong_method_on_a_known_api_path_answers_json(client, shop):
    token = token_issue(actor=SYSTEM, shop=shop, name="t", scopes=["*"], role=Role.ADMIN)
    r = client.delete("/api/inbox/tickets", headers={"Authorization": token.header})
    assert r.status_code == 405 and r.json()["detail"] and r.json()["errors"] == [] and "GET" in r["Allow"]
