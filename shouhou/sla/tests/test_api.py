"""/api/sla/: calendars and policies of the caller's shop, validation naming the field, permissions,
other shops' ids (404), audit, the due-time preview, a ticket's clocks, and the OpenAPI description."""

from __future__ import annotations

from datetime import datetime

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.accounts.services import token_issue
from shouhou.core.models import AuditEvent
from shouhou.core.testing.factories import CustomerFactory
from shouhou.inbox.choices import Channel
from shouhou.inbox.services import message_receive, ticket_reply, ticket_set_status
from shouhou.sla.models import BusinessCalendar, SlaPolicy
from shouhou.sla.services import sla_defaults_install, sla_sweep
from shouhou.sla.tests.helpers import at, frozen

pytestmark = pytest.mark.django_db
JSON = "application/json"
DESK = {"weekly": {d: ["09:00-22:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}


def bearer(shop, role: str) -> dict:
    issued = token_issue(actor=SYSTEM, shop=shop, name=f"t-{role}", scopes=["*"], role=role)
    return {"HTTP_AUTHORIZATION": f"Bearer {issued.secret}"}


@pytest.fixture
def sup(shop):
    return bearer(shop, Role.SUPERVISOR)


@pytest.fixture
def calendar(shop):
    return BusinessCalendar.objects.create(shop=shop, name="白班", spec=DESK, is_default=True)


def test_calendar_create_list_update_and_audit(client, shop, sup):
    body = {"name": "夜班", "spec": {"weekly": {"mon": ["00:00-02:00", "20:00-24:00"]}, "holidays": ["2026-10-01"]}}
    r = client.post("/api/sla/calendars", body, content_type=JSON, **sup)
    assert r.status_code == 201, r.content
    cal_id = r.json()["id"]
    assert r.json()["spec"]["weekly"]["mon"] == ["00:00-02:00", "20:00-24:00"] and r.json()["policies"] == 0
    body["is_default"] = True
    body["name"] = "夜班客服"
    r = client.put(f"/api/sla/calendars/{cal_id}", body, content_type=JSON, **sup)
    assert r.status_code == 200 and r.json()["name"] == "夜班客服" and r.json()["is_default"] is True
    assert [c["name"] for c in client.get("/api/sla/calendars", **sup).json()] == ["夜班客服"]
    actions = list(AuditEvent.objects.filter(shop=shop, object_type="sla.businesscalendar")
                   .order_by("pk").values_list("action", flat=True))
    assert actions == ["sla.calendar.create", "sla.calendar.update"]


@pytest.mark.parametrize(("weekly", "field", "text"), [
    ({"mon": ["09:00-25:00"]}, "spec.weekly.mon[0]", "时间超出"),
    ({"mon": ["18:00-09:00"]}, "spec.weekly.mon[0]", "开始时间须早于结束时间"),
    ({"mon": ["9点-18点"]}, "spec.weekly.mon[0]", "HH:MM"),
    ({"mon": ["09:00-12:00", "11:00-13:00"]}, "spec.weekly.mon[1]", "重叠"),
    ({"holiday": ["09:00-18:00"]}, "spec.weekly.holiday", "未知的星期"),
    ({"mon": []}, "spec.weekly", "至少需要一段营业时间"),
])
def test_bad_calendar_hours_answer_422_naming_the_field(client, sup, weekly, field, text):
    r = client.post("/api/sla/calendars", {"name": "x", "spec": {"weekly": weekly}}, content_type=JSON, **sup)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == [field]
    assert text in r.json()["detail"]
    assert not BusinessCalendar.objects.exists()


def test_policy_create_update_and_validation(client, shop, sup, calendar):
    body = {"name": "VIP 在线 2 分钟", "channel": "web_chat", "tier": "vip", "first_response_minutes": 2,
            "next_response_minutes": 3, "warn_before_minutes": 1, "calendar_id": calendar.pk, "position": 5}
    r = client.post("/api/sla/policies", body, content_type=JSON, **sup)
    assert r.status_code == 201, r.content
    got = r.json()
    assert (got["calendar_name"], got["first_response_minutes"], got["resolution_minutes"]) == ("白班", 2, None)
    r = client.put(f"/api/sla/policies/{got['id']}", {**body, "is_active": False, "calendar_id": None},
                   content_type=JSON, **sup)
    assert r.status_code == 200 and r.json()["is_active"] is False and r.json()["calendar_name"] is None
    assert client.get("/api/sla/policies?active_only=true", **sup).json() == []
    assert AuditEvent.objects.filter(action="sla.policy.update", object_id=str(got["id"])).count() == 1
    # unknown channel / category, a negative or missing target name their field
    for change, field in [({"channel": "fax"}, "channel"), ({"category": "weather"}, "category"),
                          ({"tier": "diamond"}, "tier"), ({"priority": 9}, "priority"),
                          ({"first_response_minutes": None, "next_response_minutes": None},
                           "first_response_minutes")]:
        r = client.post("/api/sla/policies", {**body, **change}, content_type=JSON, **sup)
        assert r.status_code == 422, change
        assert r.json()["errors"][0]["loc"] == [field], r.json()
    r = client.post("/api/sla/policies", {**body, "resolution_minutes": -5}, content_type=JSON, **sup)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"][-1] == "resolution_minutes" and "数值太小" in r.json()["detail"]
    assert SlaPolicy.objects.filter(shop=shop).count() == 1


def test_agents_read_but_may_not_write(client, shop, calendar):
    agent = bearer(shop, Role.AGENT)
    assert client.get("/api/sla/calendars", **agent).status_code == 200
    r = client.post("/api/sla/calendars", {"name": "x", "spec": DESK}, content_type=JSON, **agent)
    assert r.status_code == 403
    r = client.post("/api/sla/policies", {"name": "x", "first_response_minutes": 1}, content_type=JSON, **agent)
    assert r.status_code == 403
    assert client.post("/api/sla/defaults", {}, content_type=JSON, **agent).status_code == 403
    admin = bearer(shop, Role.ADMIN)   # POLICY_EDIT is enough too
    r = client.post("/api/sla/policies", {"name": "x", "first_response_minutes": 1}, content_type=JSON, **admin)
    assert r.status_code == 201


def test_another_shops_ids_are_404(client, shop, other_shop, sup):
    theirs_cal = BusinessCalendar.objects.create(shop=other_shop, name="别家", spec=DESK)
    theirs_pol = SlaPolicy.objects.create(shop=other_shop, name="别家策略", first_response_minutes=5)
    sla_defaults_install(shop=other_shop)
    with frozen("2026-11-23 10:00"):
        ticket = message_receive(shop=other_shop, channel=Channel.WEB_CHAT, body="在吗",
                                 customer=CustomerFactory(shop=other_shop)).ticket
    assert client.get(f"/api/sla/calendars/{theirs_cal.pk}", **sup).status_code == 404
    assert client.put(f"/api/sla/calendars/{theirs_cal.pk}", {"name": "抢", "spec": DESK}, content_type=JSON,
                      **sup).status_code == 404
    assert client.get(f"/api/sla/calendars/{theirs_cal.pk}/due?minutes=5", **sup).status_code == 404
    assert client.get(f"/api/sla/policies/{theirs_pol.pk}", **sup).status_code == 404
    assert client.put(f"/api/sla/policies/{theirs_pol.pk}", {"name": "抢", "first_response_minutes": 1},
                      content_type=JSON, **sup).status_code == 404
    r = client.post("/api/sla/policies", {"name": "借日历", "first_response_minutes": 1, "calendar_id": theirs_cal.pk},
                    content_type=JSON, **sup)
    assert r.status_code == 404 and r.json()["errors"][0]["loc"] == ["calendar_id"]
    assert client.get(f"/api/sla/tickets/{ticket.pk}/clocks", **sup).status_code == 404
    assert client.get("/api/sla/calendars", **sup).json() == []
    assert client.get("/api/sla/policies", **sup).json() == []
    theirs_cal.refresh_from_db()
    assert theirs_cal.name == "别家"


def test_defaults_install_is_idempotent(client, shop, sup):
    r = client.post("/api/sla/defaults", {"night_shift": True}, content_type=JSON, **sup)
    assert r.status_code == 200 and r.json()["calendars"] == 2 and r.json()["policies"] > 10
    assert client.post("/api/sla/defaults", {}, content_type=JSON, **sup).json() == {"calendars": 0, "policies": 0}
    names = {p["name"]: p for p in client.get("/api/sla/policies", **sup).json()}
    assert names["在线咨询 5 分钟"]["first_response_minutes"] == 5
    assert names["电话（即时接听）"]["first_response_minutes"] == 1
    assert names["微信 15 分钟"]["first_response_minutes"] == 15
    assert names["退换货申请 2 小时答复 / 48 小时处理"]["resolution_minutes"] == 48 * 60


def test_due_preview_across_closing(client, sup, calendar):
    r = client.get(f"/api/sla/calendars/{calendar.pk}/due",
                   {"minutes": 30, "start": "2026-11-23T21:50:00+08:00"}, **sup)
    assert r.status_code == 200
    assert datetime.fromisoformat(r.json()["due_at"]) == at("2026-11-24 09:20") and r.json()["wall_minutes"] == 11 * 60 + 30
    r = client.get(f"/api/sla/calendars/{calendar.pk}/due", {"minutes": -1}, **sup)
    assert r.status_code == 422


def test_ticket_clocks_running_paused_breached(client, shop, sup, supervisor, agent):
    sla_defaults_install(shop=shop)
    with frozen("2026-11-23 10:00") as clock:
        t = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="快递到哪了",
                            customer=CustomerFactory(shop=shop)).ticket
        clock.move_to(at("2026-11-23 10:03"))
        r = client.get(f"/api/sla/tickets/{t.pk}/clocks", **sup).json()
        assert r["policy_name"] == "在线咨询 5 分钟" and r["warn_before_minutes"] == 2
        first, nxt, resolution = r["clocks"]
        assert (first["target"], first["label"], first["running"], first["remaining_seconds"]) == \
            ("first_response", "首次响应", True, 120)
        assert nxt["due_at"] is None and nxt["running"] is False
        sla_sweep(at=at("2026-11-23 10:06"))
        clock.move_to(at("2026-11-23 10:07"))
        ticket_reply(ticket=t, author=agent, body="已在路上")
        ticket_set_status(ticket=t, status="pending_customer", actor=agent)
        clock.move_to(at("2026-11-23 11:00"))
        r = client.get(f"/api/sla/tickets/{t.pk}/clocks", **sup).json()
    first, nxt, resolution = r["clocks"]
    assert r["sla_breached"] is True and r["escalated_to"] == "supervisor" and r["paused"] is True
    assert first["running"] is False and first["breached"] is True and first["business_seconds"] == 420
    assert datetime.fromisoformat(first["stopped_at"]) == at("2026-11-23 10:07")
    assert resolution["running"] is False and resolution["remaining_seconds"] is not None  # frozen while paused
    assert resolution["breached"] is False


def test_openapi_describes_the_sla_endpoints(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for path, methods in {"/api/sla/calendars": {"get", "post"}, "/api/sla/calendars/{calendar_id}": {"get", "put"},
                          "/api/sla/calendars/{calendar_id}/due": {"get"}, "/api/sla/policies": {"get", "post"},
                          "/api/sla/policies/{policy_id}": {"get", "put"}, "/api/sla/defaults": {"post"},
                          "/api/sla/tickets/{ticket_id}/clocks": {"get"}}.items():
        assert methods <= set(paths[path]), path
        for method in methods:
            assert paths[path][method]["tags"] == ["SLA时效"]
