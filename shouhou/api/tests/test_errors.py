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
