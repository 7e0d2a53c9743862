"""Lists and filters refuse out-of-range numbers with 422 (a negative limit/offset answered 500 on
/api/cases/ and /api/insight/actions), a filter that does not apply is 400 (complaint_type on session
returns answered 500), and every operation documents the errors it may answer (issue 15). The checks
read the live OpenAPI description, so operations added later are covered."""

from __future__ import annotations

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.accounts.services import token_issue
from shouhou.api.api import api
from shouhou.api.errors import COMMON_ERRORS

pytestmark = pytest.mark.django_db


def _schema() -> dict:
    return api.get_openapi_schema()


def _resolve(schema: dict, node: dict) -> dict:
    if "$ref" in node:
        return schema["components"]["schemas"][node["$ref"].split("/")[-1]]
    return node


def _integer(schema: dict, node: dict) -> dict | None:
    node = _resolve(schema, node)
    if node.get("type") == "integer":
        return node
    for option in node.get("anyOf", []):
        option = _resolve(schema, option)
        if option.get("type") == "integer":
            return option
    return None


def integer_query_parameters():
    schema = _schema()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                number = _integer(schema, parameter.get("schema", {}))
                if parameter["in"] == "query" and number is not None:
                    yield method, path, parameter["name"], number


def test_every_integer_query_parameter_has_both_bounds():
    unbounded = [(m, p, n) for m, p, n, s in integer_query_parameters()
                 if "minimum" not in s or "maximum" not in s]
    assert unbounded == []
    names = {n for _m, _p, n, _s in integer_query_parameters()}
    assert {"limit", "offset", "agent_id"} <= names


@pytest.fixture
def bearer(shop):
    issued = token_issue(actor=SYSTEM, shop=shop, name="bounds", scopes=["*"], role=Role.ADMIN)
    return {"HTTP_AUTHORIZATION": f"Bearer {issued.secret}"}


def _fill(path: str) -> str:
    return (path.replace("{dimension}", "day").replace("{metric}", "return_rate").replace("{kind}", "reason"))


@pytest.mark.parametrize("value", ["-1", "-50", "99999999999999999999999"])
def test_every_limit_and_offset_out_of_range_is_422(client, bearer, value):
    seen = []
    for method, path, name, _s in integer_query_parameters():
        if method != "get" or name not in ("limit", "offset") or "{" in _fill(path):
            continue
        response = client.get(_fill(path), {name: value}, **bearer)
        seen.append(path)
        assert response.status_code == 422, (path, name, response.content[:300])
        assert response.json()["errors"][0]["loc"] == ["query", name]
    assert "/api/cases/" in seen and "/api/insight/actions" in seen


@pytest.mark.parametrize("query", [{"limit": "-1"}, {"offset": "-1"}])
def test_negative_paging_on_cases_and_actions_is_422_not_500(client, bearer, query):
    for path in ("/api/cases/", "/api/insight/actions"):
        assert client.get(path, query, **bearer).status_code == 422


def test_a_filter_that_does_not_apply_is_400_not_500(client, bearer):
    response = client.get("/api/insight/live-sessions/returns", {"complaint_type": "quality"}, **bearer)
    assert response.status_code == 400
    assert response.json()["detail"] == "该筛选条件不适用于此指标"


def test_every_operation_documents_the_common_errors():
    schema = _schema()
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            documented = {str(code) for code in operation["responses"]}
            missing += [(method, path, code) for code in COMMON_ERRORS if str(code) not in documented]
    assert missing == []
    assert schema["components"]["schemas"]["ErrorOut"]["required"] == ["detail"]


@pytest.mark.parametrize("path", ["/api/insight/metrics", "/api/insight/breakdowns/channel"])
def test_a_period_longer_than_a_year_is_400_not_a_database_error(client, bearer, path):
    # schemathesis found start=0308-07-27: seventeen centuries of days overflowed SQLite's bound variables (503)
    response = client.get(path, {"start": "0308-07-27"}, **bearer)
    assert response.status_code == 400, response.content
    assert response.json()["detail"] == "时间跨度最多 366 天（start 到 end），请分段查询"
    # a year still answers
    assert client.get(path, {"start": "2025-12-01", "end": "2026-12-01"}, **bearer).status_code == 200
