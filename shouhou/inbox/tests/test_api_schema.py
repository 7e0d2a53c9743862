"""Every /api/inbox/ operation called with real rows of the shop (not random ids that answer 404),
and each answer checked by schemathesis against the OpenAPI description: 2xx, no server error, the body
matches the documented response schema and content type. The project-wide fuzz test
(shouhou/api/tests/test_schemathesis.py) mostly reaches the 404/422 branches; this one the happy paths.
"""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.accounts.services import token_issue
from shouhou.core.clock import now
from shouhou.core.testing.factories import CustomerFactory, MembershipFactory, OrderFactory, UserFactory
from shouhou.inbox import services as svc
from shouhou.inbox.choices import Channel
from shouhou.inbox.models import Script
from shouhou.inbox.scripts import scripts_install_defaults
from shouhou.sla.services import sla_defaults_install
from shouhou.sla.tests.helpers import agent_profile

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.specs.openapi.checks.response_schema_conformance,
    schemathesis.specs.openapi.checks.content_type_conformance,
]


@pytest.fixture
def wsgi_shares_the_test_connection(settings):
    settings.SHOUHOU = {**settings.SHOUHOU, "API_RATE_LIMIT": "100000/m"}
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def scene(shop, agent, supervisor, wsgi_shares_the_test_connection):
    sla_defaults_install(shop=shop)
    scripts_install_defaults(shop=shop)
    MembershipFactory(shop=shop, role=Role.AGENT, user=UserFactory(username="newcomer"))
    profile = agent_profile(shop, agent, skills=("clothing",))
    customer = CustomerFactory(shop=shop, name="王小丫", phone="13912345678", phone_last4="5678")
    order = OrderFactory(shop=shop, customer=customer)
    got = svc.message_receive(shop=shop, channel=Channel.WEB_CHAT, body="衣服开线了", customer=customer,
                              order=order, external_id="scene-1")
    ticket = got.ticket
    svc.ticket_reply(ticket=ticket, author=agent, body="亲，非常抱歉，马上为您处理")
    svc.ticket_note(ticket=ticket, author=agent, body="老顾客")
    updating = svc.ticket_escalate(ticket=ticket, department="quality", request="判断批次", actor=agent)
    svc.escalation_update_add(escalation=updating, author=supervisor, note="已收到样品")
    closing = svc.ticket_escalate(ticket=ticket, department="warehouse", request="查库存", actor=agent)
    second = svc.message_receive(shop=shop, channel=Channel.PHONE, body="电话咨询发票",
                                 customer=CustomerFactory(shop=shop), contact_handle="+86 138-0000-1111").ticket
    token = token_issue(actor=SYSTEM, shop=shop, name="schema", scopes=["inbox"], role=Role.SUPERVISOR)
    start = now().replace(microsecond=0) + dt.timedelta(days=2)
    return {"token": token, "ticket": ticket, "second": second, "updating": updating, "closing": closing,
            "profile": profile, "customer": customer, "script": Script.objects.filter(shop=shop).first(),
            "shift_start": start}


def _calls(s) -> list[tuple[str, str, dict, dict | None, dict | None]]:
    """(method, path, path parameters, query, body), in an order where each call still makes sense."""
    t, t2 = s["ticket"].pk, s["second"].pk
    start = s["shift_start"]
    return [
        ("GET", "/api/inbox/conversations", {}, None, None),
        ("GET", "/api/inbox/conversations/{conversation_id}", {"conversation_id": s["ticket"].conversation_id},
         None, None),
        ("POST", "/api/inbox/messages", {}, None, {"channel": "web_chat", "body": "还有线头", "external_id": "scene-1"}),
        ("GET", "/api/inbox/tickets", {}, {"status": "all"}, None),
        ("GET", "/api/inbox/tickets/{ticket_id}", {"ticket_id": t}, None, None),
        ("POST", "/api/inbox/tickets/{ticket_id}/reply", {"ticket_id": t2}, None, {"body": "亲，发票今天开出"}),
        ("POST", "/api/inbox/tickets/{ticket_id}/notes", {"ticket_id": t2}, None, {"body": "已开票"}),
        ("POST", "/api/inbox/tickets/{ticket_id}/assign", {"ticket_id": t2}, None, {"username": "agent"}),
        ("POST", "/api/inbox/tickets/{ticket_id}/status", {"ticket_id": t2}, None, {"status": "pending_customer"}),
        ("POST", "/api/inbox/tickets/{ticket_id}/priority", {"ticket_id": t2}, None, {"priority": 2}),
        ("GET", "/api/inbox/tickets/{ticket_id}/escalations", {"ticket_id": t}, None, None),
        ("POST", "/api/inbox/tickets/{ticket_id}/escalations", {"ticket_id": t}, None,
         {"department": "logistics", "request": "查件"}),
        ("POST", "/api/inbox/escalations/{escalation_id}/updates", {"escalation_id": s["updating"].pk}, None,
         {"note": "检测中"}),
        ("POST", "/api/inbox/escalations/{escalation_id}/close", {"escalation_id": s["closing"].pk}, None,
         {"note": "有库存"}),
        ("GET", "/api/inbox/scripts", {}, None, None),
        ("GET", "/api/inbox/tickets/{ticket_id}/scripts", {"ticket_id": t}, None, None),
        ("POST", "/api/inbox/scripts/{script_id}/render", {"script_id": s["script"].pk}, None,
         {"ticket_id": t, "extra": {"remedy": "补发"}}),
        ("GET", "/api/inbox/agents", {}, None, None),
        ("POST", "/api/inbox/agents", {}, None, {"username": "newcomer", "skills": ["cosmetics"]}),
        ("GET", "/api/inbox/shifts", {}, None, None),
        ("POST", "/api/inbox/shifts", {}, None,
         {"agent_profile_id": s["profile"].pk, "starts_at": start.isoformat(),
          "ends_at": (start + dt.timedelta(hours=8)).isoformat(), "label": "夜班"}),
        ("GET", "/api/inbox/team-load", {}, None, None),
        ("POST", "/api/inbox/calls", {}, None, {"customer_id": s["customer"].pk, "summary": "来电问物流",
                                                 "duration_seconds": 40}),
    ]


def test_every_inbox_operation_answers_as_documented_with_real_rows(scene):
    headers = {"Authorization": scene["token"].header}
    statuses = {}
    for method, path, params, query, body in _calls(scene):
        extra = {"body": body, "media_type": "application/json"} if body is not None else {}
        case = schema[path][method].Case(path_parameters=params, query=query, **extra)
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        statuses[f"{method} {path}"] = response.status_code

    assert {k: v for k, v in statuses.items() if not 200 <= v < 300} == {}
    assert statuses["POST /api/inbox/messages"] == 200  # the same external_id again: the first result
    documented = {f"{m.upper()} {p}" for p, item in schema.raw_schema["paths"].items()
                  if p.startswith("/api/inbox/") for m in item}
    assert set(statuses) == documented

