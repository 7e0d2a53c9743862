"""Tracking pushes, status normalisation and exception rules with a frozen clock."""

import datetime as dt
import json
import time

import pytest
import time_machine

from shouhou.accounts.actors import SYSTEM
from shouhou.commerce.choices import Carrier
from shouhou.commerce.choices import ShipmentStatus as St
from shouhou.core.signatures import sign
from shouhou.core.testing.factories import OrderFactory, ShipmentFactory
from shouhou.inbox.models import Ticket
from shouhou.inbox.services import ticket_reply
from shouhou.logistics.models import ExceptionRuleSet, KeptTrackingPush, LogisticsException, TrackingEvent
from shouhou.logistics.normalize import carrier_from_kuaidi100, normalize_kuaidi100
from shouhou.logistics.pushes import kuaidi100_sign
from shouhou.logistics.services import exception_sweep
from shouhou.notifications.models import OutboundMessage

SH = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 11, 20, 10, 0, tzinfo=SH)


@pytest.fixture
def shop_with_secrets(shop):
    shop.settings = {"kuaidi100_salt": "salt-abc", "tracking_secret": "track-secret"}
    shop.save()
    return shop


@pytest.fixture
def shipment(shop_with_secrets):
    order = OrderFactory(shop=shop_with_secrets, delivered_at=None, status="shipped")
    return ShipmentFactory(order=order, carrier="SF", tracking_no="SF1234567890", status=St.PENDING,
                           shipped_at=None, signed_at=None, last_event_at=None,
                           promised_ship_by=T0 + dt.timedelta(hours=48))


def kuaidi100_param(state, data, com="shunfeng", nu="SF1234567890"):
    return json.dumps({"status": "polling", "message": "", "lastResult": {
        "message": "ok", "state": state, "status": "200", "condition": "F00", "ischeck": "1" if state == "3" else "0",
        "com": com, "nu": nu, "data": data}}, ensure_ascii=False)


def ev(when, text, code="", area="上海市"):
    return {"context": text, "time": when.strftime("%Y-%m-%d %H:%M:%S"), "ftime": when.strftime("%Y-%m-%d %H:%M:%S"),
            "status": "在途", "areaCode": "310000000000", "areaName": area, "statusCode": code}


def push_kuaidi100(client, param, salt="salt-abc", shop_code="xiaolu"):
    return client.post(f"/logistics/push/kuaidi100/{shop_code}/", {"param": param, "sign": kuaidi100_sign(param, salt)})


def test_kuaidi100_push_stores_events_newest_first_and_is_idempotent(client, shipment):
    data = [ev(T0 + dt.timedelta(hours=5), "快件已到达【上海转运中心】", "1002"),
            ev(T0, "顺丰速运 已收取快件", "103")]
    param = kuaidi100_param("0", data)
    with time_machine.travel(T0 + dt.timedelta(hours=6), tick=False):
        r1 = push_kuaidi100(client, param)
        r2 = push_kuaidi100(client, param)
    assert r1.status_code == 200 and r1.json()["result"] is True and r1.json()["returnCode"] == "200"
    assert r2.status_code == 200
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 2
    shipment.refresh_from_db()
    assert (shipment.status, shipment.last_event_at, shipment.shipped_at) == (
        St.IN_TRANSIT, T0 + dt.timedelta(hours=5), T0)


@pytest.mark.parametrize("bad", ["wrong-salt", None])
def test_kuaidi100_bad_sign_is_refused_and_nothing_stored(client, shipment, bad):
    param = kuaidi100_param("3", [ev(T0, "已签收", "301")])
    if bad is None:
        r = client.post("/logistics/push/kuaidi100/xiaolu/", {"param": param})
    else:
        r = push_kuaidi100(client, param, salt=bad)
    assert r.status_code == 403 and r.json()["result"] is False
    assert TrackingEvent.objects.count() == 0


def test_sign_off_sets_signed_at_and_order_delivered_at(client, shipment):
    signed = T0 + dt.timedelta(days=2, hours=3)
    data = [ev(signed, "您的快件已签收，签收人：本人", "301"), ev(T0, "顺丰速运 已收取快件", "103")]
    with time_machine.travel(signed + dt.timedelta(minutes=5), tick=False):
        assert push_kuaidi100(client, kuaidi100_param("3", data)).status_code == 200
    shipment.refresh_from_db()
    shipment.order.refresh_from_db()
    assert shipment.signed_at == signed and shipment.status == St.SIGNED
    assert shipment.order.delivered_at == signed and shipment.order.status == "delivered"


def _generic_post(client, payload, secret="track-secret", ts=None):
    body = json.dumps(payload).encode()
    ts = ts or str(int(time.time()))
    return client.post("/logistics/push/generic/xiaolu/", body, content_type="application/json",
                       HTTP_X_SHOUHOU_TIMESTAMP=ts, HTTP_X_SHOUHOU_SIGNATURE=sign(secret, ts, body))


def test_generic_push_signed_and_idempotent(client, shipment):
    payload = {"carrier": "SF", "tracking_no": "SF1234567890", "events": [
        {"time": "2026-11-20T11:00:00+08:00", "status": "picked_up", "description": "已揽收", "location": "杭州"},
        {"time": "2026-11-20T18:00:00+08:00", "status": "TRANSPORT", "description": "运输中", "location": "上海"}]}
    now = int(time.time())
    assert _generic_post(client, payload, ts=str(now - 10)).json() == {"stored": 2, "received": 2}
    # the sender sends the same events again, freshly signed (another timestamp): nothing new is stored
    resent = _generic_post(client, payload, ts=str(now - 2))
    assert resent.json() == {"stored": 0, "received": 2}
    assert TrackingEvent.objects.count() == 2


@pytest.mark.parametrize(("secret", "ts"), [("wrong", None), ("track-secret", "1000000000")])
def test_generic_push_bad_signature_or_stale_timestamp_401(client, shipment, secret, ts):
    payload = {"carrier": "SF", "tracking_no": "SF1234567890", "events": []}
    r = _generic_post(client, payload, secret=secret, ts=ts)
    assert r.status_code == 401
    assert TrackingEvent.objects.count() == 0


def test_generic_push_bad_status_names_the_row(client, shipment):
    payload = {"carrier": "SF", "tracking_no": "SF1234567890",
               "events": [{"time": "2026-11-20T11:00:00+08:00", "status": "teleported", "description": "?"}]}
    r = _generic_post(client, payload)
    assert r.status_code == 400 and "第1条" in r.json()["detail"] and "teleported" in r.json()["detail"]


def test_push_for_other_shops_tracking_number_touches_nothing_of_theirs(client, shipment, other_shop):
    other_shop.settings = {"kuaidi100_salt": "s2"}
    other_shop.save()
    r = push_kuaidi100(client, kuaidi100_param("0", [ev(T0, "运输中", "1002")]), salt="s2", shop_code="other")
    assert r.status_code == 200  # kept for the other shop until it has that number (Kuaidi100 wants 成功)
    assert TrackingEvent.objects.count() == 0
    assert KeptTrackingPush.objects.get().shop_id == other_shop.pk


@pytest.mark.parametrize(("state", "code", "text", "expected"), [
    ("0", "1002", "快件在【广州中转场】装车", St.IN_TRANSIT),
    ("1", "103", "已揽件", St.PICKED_UP),
    ("5", "", "快递员正在为您派件", St.OUT_FOR_DELIVERY),
    ("3", "301", "已签收", St.SIGNED),
    ("3", "304", "已放入菜鸟驿站，取件码1234", St.SIGNED),
    ("2", "206", "电话无人接听", St.DELIVERY_FAILED),
    ("14", "", "收件人拒收", St.DELIVERY_FAILED),
    ("6", "", "快件已退回", St.RETURNED),
    ("4", "", "退签", St.RETURNED),
    ("2", "", "问题件", St.EXCEPTION),
    ("0", "", "快件派送中", St.OUT_FOR_DELIVERY),
    ("0", "", "包裹已退回寄件人", St.RETURNED),
    ("0", "101", "商家已下单", St.INFO_RECEIVED),
])
def test_kuaidi100_status_normalisation(state, code, text, expected):
    assert normalize_kuaidi100(state=state, status_code=code or None, text=text) == expected


@pytest.mark.parametrize(("com", "carrier"), [
    ("shunfeng", Carrier.SF), ("zhongtong", Carrier.ZTO), ("yuantong", Carrier.YTO), ("yunda", Carrier.YUNDA),
    ("shentong", Carrier.STO), ("jd", Carrier.JD), ("ems", Carrier.EMS), ("jtexpress", Carrier.JT),
    ("unknownco", Carrier.OTHER)])
def test_carrier_codes(com, carrier):
    assert carrier_from_kuaidi100(com) == carrier


# --- exception rules, frozen clock -------------------------------------------------------------

def _ship(shop, **kw):
    order = OrderFactory(shop=shop, delivered_at=None, status="shipped")
    base = {"status": St.IN_TRANSIT, "shipped_at": T0, "last_event_at": T0, "signed_at": None,
            "promised_ship_by": T0}
    return ShipmentFactory(order=order, **{**base, **kw})


@pytest.mark.parametrize(("fields", "hours_later", "kind"), [
    ({"status": St.IN_TRANSIT}, 49, "no_movement"),
    ({"status": St.OUT_FOR_DELIVERY}, 25, "out_for_delivery_too_long"),
    ({"status": St.DELIVERY_FAILED}, 1, "delivery_failed"),
    ({"status": St.RETURNED}, 1, "returned"),
    ({"status": St.PENDING, "shipped_at": None, "last_event_at": None}, 1, "dispatch_late"),
    # a label printed ("已下单，等待揽收") and never collected: late dispatch, not "no movement" (an examiner's case)
    ({"status": St.INFO_RECEIVED, "shipped_at": None}, 49, "dispatch_late"),
])
def test_each_rule_opens_one_ticket_and_tells_the_customer(shop, fields, hours_later, kind,
                                                         django_capture_on_commit_callbacks):
    s = _ship(shop, **fields)
    with time_machine.travel(T0 + dt.timedelta(hours=hours_later), tick=False):
        assert exception_sweep(shop=shop)["opened"] == 1
        assert exception_sweep(shop=shop)["opened"] == 0  # still one
    exc = LogisticsException.objects.get(shipment=s)
    assert exc.kind == kind and exc.status == "open"
    ticket = Ticket.objects.get()
    assert (ticket.team, ticket.category, ticket.order_id) == ("logistics", "logistics", s.order_id)
    msg = OutboundMessage.objects.get(customer=s.order.customer)
    assert msg.trigger == ("dispatch_late" if kind == "dispatch_late" else "logistics_exception")


@pytest.mark.parametrize(("fields", "hours_later"), [
    ({"status": St.IN_TRANSIT}, 47),
    ({"status": St.OUT_FOR_DELIVERY}, 23),
    ({"status": St.PENDING, "shipped_at": None, "last_event_at": None, "promised_ship_by": T0 + dt.timedelta(hours=2)},
     1),
    ({"status": St.SIGNED, "signed_at": T0}, 500),
    ({"status": St.INFO_RECEIVED, "shipped_at": None, "promised_ship_by": T0 + dt.timedelta(hours=60)}, 49),
])
def test_no_exception_before_the_threshold(shop, fields, hours_later):
    _ship(shop, **fields)
    with time_machine.travel(T0 + dt.timedelta(hours=hours_later), tick=False):
        assert exception_sweep(shop=shop)["opened"] == 0


def test_rules_are_configurable_per_shop(shop):
    ExceptionRuleSet.objects.create(shop=shop, no_movement_hours=12, delivery_failed=False)
    _ship(shop, status=St.IN_TRANSIT)
    _ship(shop, status=St.DELIVERY_FAILED)
    with time_machine.travel(T0 + dt.timedelta(hours=13), tick=False):
        assert exception_sweep(shop=shop)["opened"] == 1
    assert LogisticsException.objects.get().kind == "no_movement"


def test_movement_resumes_and_sign_off_close_the_exception_and_ticket(client, shop_with_secrets):
    s = _ship(shop_with_secrets, tracking_no="SF1234567890")
    with time_machine.travel(T0 + dt.timedelta(hours=50), tick=False):
        exception_sweep(shop=shop_with_secrets)
    assert Ticket.objects.get().status == "new"
    moved = T0 + dt.timedelta(hours=51)
    with time_machine.travel(moved, tick=False):
        push_kuaidi100(client, kuaidi100_param("0", [ev(moved, "快件到达【北京顺义集散中心】", "1002")]))
    exc = LogisticsException.objects.get(shipment=s)
    assert exc.status == "resolved" and exc.resolved_at == moved
    ticket = Ticket.objects.get()
    assert ticket.status == "resolved" and ticket.resolved_at == moved


def test_a_recovered_shipments_ticket_is_resolved_through_its_clocks_and_the_desk_hears_it(
        client, shop_with_secrets, agent, django_capture_on_commit_callbacks):
    from shouhou.inbox.models import TicketEvent
    from shouhou.insight.models import SurveyInvitation
    from shouhou.live.models import LiveEvent
    from shouhou.sla.calendar import business_seconds_between
    from shouhou.sla.policies import targets_for

    _ship(shop_with_secrets, tracking_no="SF1234567890")
    with time_machine.travel(T0 + dt.timedelta(hours=50), tick=False):
        exception_sweep(shop=shop_with_secrets)
        # an agent has written to the customer: the resolution clock is the one that runs
        ticket_reply(ticket=Ticket.objects.get(), author=agent, body="亲，我们正在催快递")
    ticket = Ticket.objects.get()
    assert ticket.next_due_at == ticket.resolution_due_at is not None
    moved = T0 + dt.timedelta(hours=51)
    with time_machine.travel(moved, tick=False), django_capture_on_commit_callbacks(execute=True):
        push_kuaidi100(client, kuaidi100_param("0", [ev(moved, "快件到达【北京顺义集散中心】", "1002")]))
    ticket.refresh_from_db()
    # the clocks stopped as an agent's 已解决 stops them: the business-time figure, nothing due any more
    assert (ticket.status, ticket.resolved_at, ticket.next_due_at) == ("resolved", moved, None)
    expected = business_seconds_between(ticket.created_at, moved, targets_for(ticket).resolution.calendar)
    assert ticket.resolution_business_seconds == expected and not ticket.sla_breached
    # a status event, hidden from the customer, which the desks hear live
    event = TicketEvent.objects.get(ticket=ticket, kind="status", to_value="resolved")
    assert (event.from_value, event.to_value, event.note, event.visible_to_customer, event.actor_id) == (
        "open", "resolved", "物流恢复，系统自动解决", False, None)
    assert LiveEvent.objects.filter(kind="ticket", data__ticket_id=ticket.pk, data__event_id=event.pk).exists()
    # and nobody served the customer: no satisfaction survey
    assert not SurveyInvitation.objects.exists()


def test_a_recovery_after_the_resolution_target_is_a_breach_at_that_time(client, shop_with_secrets):
    _ship(shop_with_secrets, tracking_no="SF1234567890")
    with time_machine.travel(T0 + dt.timedelta(hours=50), tick=False):
        exception_sweep(shop=shop_with_secrets)
    due = T0 + dt.timedelta(hours=50, minutes=30)  # the resolution target, passed before the parcel moved again
    Ticket.objects.update(resolution_due_at=due, next_due_at=due)
    moved = T0 + dt.timedelta(hours=51)
    with time_machine.travel(moved, tick=False):
        push_kuaidi100(client, kuaidi100_param("0", [ev(moved, "快件到达【北京顺义集散中心】", "1002")]))
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.resolved_at, ticket.sla_breached, ticket.sla_breached_at) == (
        "resolved", moved, True, due)


def test_a_ticket_an_agent_resolved_first_is_left_alone(client, shop_with_secrets, agent):
    from shouhou.inbox.services import ticket_set_status

    _ship(shop_with_secrets, tracking_no="SF1234567890")
    with time_machine.travel(T0 + dt.timedelta(hours=50), tick=False):
        exception_sweep(shop=shop_with_secrets)
        ticket_set_status(ticket=Ticket.objects.get(), status="resolved", actor=agent)
    before = Ticket.objects.values().get()
    moved = T0 + dt.timedelta(hours=51)
    with time_machine.travel(moved, tick=False):
        push_kuaidi100(client, kuaidi100_param("0", [ev(moved, "快件到达【北京顺义集散中心】", "1002")]))
    assert LogisticsException.objects.get().status == "resolved"
    assert Ticket.objects.values().get() == before
    assert Ticket.objects.get().events.filter(kind="status").count() == 1


def test_voided_waybills_resolve_their_tickets_through_the_clocks(shop):
    from shouhou.inbox.models import TicketEvent
    from shouhou.logistics.services import shipment_void

    ships = [_ship(shop, tracking_no=f"SF00000000{i}") for i in range(3)]
    with time_machine.travel(T0 + dt.timedelta(hours=50), tick=False):
        assert exception_sweep(shop=shop)["opened"] == 3
    at = T0 + dt.timedelta(hours=52)
    with time_machine.travel(at, tick=False):
        assert shipment_void(shipment_ids=[s.pk for s in ships], reason="运单更正") == 3
    assert set(Ticket.objects.values_list("status", "resolved_at")) == {("resolved", at)}
    assert not Ticket.objects.filter(resolution_business_seconds__isnull=True).exists()
    assert list(TicketEvent.objects.filter(kind="status").values_list("note", flat=True)) == [
        "运单已作废，系统自动解决"] * 3


def test_push_time_check_opens_on_delivery_failure(client, shop_with_secrets):
    s = _ship(shop_with_secrets, tracking_no="SF1234567890")
    when = T0 + dt.timedelta(hours=30)
    with time_machine.travel(when, tick=False):
        push_kuaidi100(client, kuaidi100_param("2", [ev(when, "收件人电话无法接通，派件不成功", "206")]))
    assert LogisticsException.objects.get(shipment=s).kind == "delivery_failed"
    assert Ticket.objects.count() == 1


def test_bulk_ingest_is_set_based_and_idempotent(shop, django_assert_max_num_queries):
    from shouhou.logistics.services import Event, tracking_ingest_many

    ships = [_ship(shop, tracking_no=f"YT{i}", carrier="YTO", status=St.PICKED_UP) for i in range(20)]
    when = T0 + dt.timedelta(hours=3)
    pushes = [("YTO", s.tracking_no, [Event(when, St.IN_TRANSIT, "到达杭州转运中心"),
                                     Event(when + dt.timedelta(hours=1), St.SIGNED if i == 0 else St.IN_TRANSIT,
                                           "已签收" if i == 0 else "离开杭州转运中心")])
              for i, s in enumerate(ships)]
    with time_machine.travel(when + dt.timedelta(hours=2), tick=False):
        with django_assert_max_num_queries(12):
            tracking_ingest_many(shop=shop, actor=SYSTEM, pushes=pushes, source="batch")
        tracking_ingest_many(shop=shop, actor=SYSTEM, pushes=pushes, source="batch")
    assert TrackingEvent.objects.count() == 40
    ships[0].refresh_from_db()
    ships[0].order.refresh_from_db()
    assert ships[0].signed_at == when + dt.timedelta(hours=1)
    assert ships[0].order.delivered_at == when + dt.timedelta(hours=1)


def test_ticket_subject_names_the_waybill_and_has_no_empty_brackets_before_dispatch(shop):
    shipped = _ship(shop, status=St.DELIVERY_FAILED, carrier=Carrier.SF, tracking_no="SF9999")
    _ship(shop, status=St.PENDING, shipped_at=None, last_event_at=None, carrier="", tracking_no="")
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        assert exception_sweep(shop=shop)["opened"] == 2
    subjects = {t.order_id: t.subject for t in Ticket.objects.all()}
    assert subjects[shipped.order_id].endswith(f"（{shipped.get_carrier_display()} SF9999）")
    late = next(s for oid, s in subjects.items() if oid != shipped.order_id)
    assert "（" not in late and late.startswith("物流异常：")



def test_the_sweep_goes_through_every_shipment_when_each_opens_an_exception(shop):
    # the sweep read one open cursor while each exception queued a message after its commit; on the database
    # broker with CONN_MAX_AGE 0 (the default) that closed the connection under it after the first one
    stuck = [_ship(shop, status=St.IN_TRANSIT) for _ in range(3)]
    with time_machine.travel(T0 + dt.timedelta(hours=49), tick=False):
        assert exception_sweep(shop=shop, batch=1) == {"opened": 3, "resolved": 0, "checked": 3}
    assert LogisticsException.objects.filter(shipment__in=stuck).count() == 3


@pytest.mark.parametrize("carrier", ["SF", "顺丰", "顺丰速运", "sf", "shunfeng"])
def test_generic_push_names_the_carrier_as_merchants_systems_write_it(client, shipment, carrier):
    # the shipment was imported from 「顺丰速运」 (code SF); an ERP pushes its own spelling
    payload = {"carrier": carrier, "tracking_no": "SF1234567890",
               "events": [{"time": "2026-11-20T11:00:00+08:00", "status": "picked_up", "description": "已揽收"}]}
    r = _generic_post(client, payload)
    assert r.status_code == 200 and r.json() == {"stored": 1, "received": 1}  # was 404 「未找到运单：顺丰 …」
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 1


def test_generic_push_of_another_carriers_parcel_with_the_same_number_is_not_applied(client, shipment):
    payload = {"carrier": "中通", "tracking_no": "SF1234567890",
               "events": [{"time": "2026-11-20T11:00:00+08:00", "status": "picked_up", "description": "已揽收"}]}
    assert _generic_post(client, payload).status_code == 404
    assert TrackingEvent.objects.count() == 0
