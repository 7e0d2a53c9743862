"""Fuzz the whole API from its OpenAPI description (schemathesis): no 5xx, responses match the schema,
and every status code an operation answers is documented in its responses (issue 15).

The schema is read from the live app, so every router's endpoints are covered as they land.
Examples are bounded (SHOUHOU_FUZZ_EXAMPLES, default 15 per operation) to keep CI to a few minutes.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.accounts.services import token_issue
from shouhou.core.testing.factories import (
    CustomerFactory,
    MembershipFactory,
    OrderFactory,
    ShopFactory,
    UserFactory,
)

EXAMPLES = int(os.environ.get("SHOUHOU_FUZZ_EXAMPLES", "15"))

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.specs.openapi.checks.response_schema_conformance,
    schemathesis.specs.openapi.checks.content_type_conformance,
    schemathesis.specs.openapi.checks.status_code_conformance,
]


@pytest.fixture
def fuzz_token(db, settings):
    """A shop with some data and an all-scope admin token; the WSGI app shares the test's connection."""
    settings.SHOUHOU = {**settings.SHOUHOU, "API_RATE_LIMIT": "100000/m"}
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    shop = ShopFactory(code="fuzz")
    MembershipFactory(shop=shop, role=Role.ADMIN, user=UserFactory(username="fuzz-admin"))
    for _ in range(3):
        OrderFactory(shop=shop, customer=CustomerFactory(shop=shop))
    issued = token_issue(actor=SYSTEM, shop=shop, name="fuzz", scopes=["*"], role=Role.ADMIN)
    yield issued.secret
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, fuzz_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {fuzz_token}"}, checks=CHECKS)
