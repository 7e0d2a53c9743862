"""Kuaidi100 subscriptions (against a real local HTTP server standing in for poll.kuaidi100.com) and
pushes as Kuaidi100 sends them: status polling/shutdown/abort, salt or no salt, unknown numbers kept."""

import csv
import datetime as dt
import json
import urllib.parse

import pytest
import time_machine

from shouhou.accounts.actors import SYSTEM
from shouhou.commerce.choices import ShipmentStatus as St
from shouhou.commerce.models import Shipment
from shouhou.commerce.services import orders_import
from shouhou.core.testing.factories import OrderFactory, ShipmentFactory
from shouhou.inbox.models import Ticket
from shouhou.logistics.models import (
    ExceptionKind,
    KeptTrackingPush,
    LogisticsException,
    TrackingEvent,
    TrackingSubscription,
)
from shouhou.logistics.normalize import normalize_kuaidi100
from shouhou.logistics.pushes import kuaidi100_salt, kuaidi100_sign
from shouhou.logistics.services import exception_sweep
from shouhou.logistics.subscriptions import shipments_arrived, subscriptions_dispatch
from shouhou.notifications.models import OutboundMessage
from shouhou.notifications.tests.httpstub import Stub

SH = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 11, 20, 10, 0, tzinfo=SH)
OK = {"result": True, "returnCode": "200", "message": "成功"}
Sub = TrackingSubscription.Status


@pytest.fixture
def kuaidi100(settings):
    stub = Stub()
    settings.SHOUHOU_KUAIDI100_POLL_URL = stub.start() + "/poll"
    stub.default = (200, {"result": True, "returnCode": "200", "message": "提交成功"})
    yield stub
    stub.stop()


@pytest.fixture
def k100_shop(shop):
    shop.settings = {"kuaidi100_key": "key-123", "kuaidi100_salt": "salt-abc"}
    shop.save()
    return shop


def sent_params(stub) -> list[dict]:
    out = []
    for req in stub.requests:
        form = urllib.parse.parse_qs(req["body"].decode())
        assert form["schema"] == ["json"]
        out.append(json.loads(form["param"][0]))
    return out


def param_of(*, status="polling", state="0", data=(), com="zhongtong", nu="ZT100", message="", **extra):
    return json.dumps({"status": status, "billstatus": "got", "message": message, **extra, "lastResult": {
        "message": "ok", "state": state, "status": "200", "condition": "F00", "ischeck": "0", "com": com, "nu": nu,
        "data": list(data)}}, ensure_ascii=False)


def row(when, text, code=""):
    t = when.strftime("%Y-%m-%d %H:%M:%S")
    return {"context": text, "time": t, "ftime": t, "areaCode": "", "areaName": "杭州市", "statusCode": code}


def push(client, param, salt="salt-abc", shop_code="xiaolu", signed=True):
    data = {"param": param}
    if signed:
        data["sign"] = kuaidi100_sign(param, salt)
    return client.post(f"/logistics/push/kuaidi100/{shop_code}/", data)


def test_imported_shipments_are_subscribed_once_with_the_documented_param(k100_shop, kuaidi100, tmp_path,
                                                                          django_capture_on_commit_callbacks):
    path = tmp_path / "orders.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["订单编号", "选购商品", "商品数量", "快递公司", "快递单号", "发货时间"])
        out.writerow(["6901", "加绒卫衣", "1", "中通快递", "ZT100", "2026-11-20 10:00:00"])
        out.writerow(["6902", "保湿面霜", "1", "", "", ""])
    with time_machine.travel(T0, tick=False):
        for _ in range(2):  # the re-import has nothing new to subscribe
            with django_capture_on_commit_callbacks(execute=True):
                assert orders_import(actor=SYSTEM, shop=k100_shop, path=path).status == "done"
        assert subscriptions_dispatch() == {"subscribed": 1, "retry": 0, "failed": 0}
        assert subscriptions_dispatch() == {"subscribed": 0, "retry": 0, "failed": 0}
    [param] = sent_params(kuaidi100)
    assert param["company"] == "zhongtong" and param["number"] == "ZT100" and param["key"] == "key-123"
    assert param["parameters"]["salt"] == "salt-abc" and param["parameters"]["resultv2"] == "4"
    assert param["parameters"]["callbackurl"].endswith("/logistics/push/kuaidi100/xiaolu/")
    sub = TrackingSubscription.objects.get()
    assert (sub.status, sub.return_code, sub.attempts) == (Sub.SUBSCRIBED, "200", 1)


def test_shop_without_a_kuaidi100_key_subscribes_nothing(shop, kuaidi100):
    ShipmentFactory(order=OrderFactory(shop=shop), tracking_no="ZT1")
    assert shipments_arrived(shop=shop)["subscribed"] == 0
    assert TrackingSubscription.objects.count() == 0


def test_outage_is_retried_with_backoff_and_sent_once_after_recovery(k100_shop, kuaidi100):
    ShipmentFactory(order=OrderFactory(shop=k100_shop), carrier="ZTO", tracking_no="ZT200")
    kuaidi100.answer((503, {}), (200, {"result": False, "returnCode": "500", "message": "服务器错误"}))
    with time_machine.travel(T0, tick=False):
        shipments_arrived(shop=k100_shop)
        assert subscriptions_dispatch()["retry"] == 1
        assert subscriptions_dispatch()["retry"] == 0  # not due yet: back-off
    with time_machine.travel(T0 + dt.timedelta(minutes=3), tick=False):
        assert subscriptions_dispatch()["retry"] == 1  # Kuaidi100's own 500: retried as well
    with time_machine.travel(T0 + dt.timedelta(minutes=10), tick=False):
        assert subscriptions_dispatch()["subscribed"] == 1
        assert subscriptions_dispatch() == {"subscribed": 0, "retry": 0, "failed": 0}
    assert len(kuaidi100.requests) == 3
    assert TrackingSubscription.objects.get().status == Sub.SUBSCRIBED


@pytest.mark.parametrize(("code", "status"), [("501", Sub.SUBSCRIBED), ("700", Sub.FAILED), ("601", Sub.FAILED)])
def test_answer_codes(k100_shop, kuaidi100, code, status):
    ShipmentFactory(order=OrderFactory(shop=k100_shop), carrier="ZTO", tracking_no="ZT300")
    kuaidi100.answer((200, {"result": code == "501", "returnCode": code, "message": "x"}))
    with time_machine.travel(T0, tick=False):
        shipments_arrived(shop=k100_shop)
        subscriptions_dispatch()
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        subscriptions_dispatch()
    sub = TrackingSubscription.objects.get()
    assert (sub.status, sub.return_code, len(kuaidi100.requests)) == (status, code, 1)


def test_push_for_unknown_number_is_kept_and_applied_when_the_shipment_arrives(client, k100_shop, kuaidi100):
    param = param_of(state="5", data=[row(T0 + dt.timedelta(hours=30), "【杭州市】派件员 张三 正在派件", "5"),
                                      row(T0, "【义乌】已揽收", "103")], nu="ZT404")
    with time_machine.travel(T0 + dt.timedelta(hours=31), tick=False):
        r = push(client, param)
        assert r.status_code == 200 and r.json() == OK
        assert KeptTrackingPush.objects.filter(tracking_no="ZT404", applied_at=None).count() == 1
        assert TrackingEvent.objects.count() == 0
        s = ShipmentFactory(order=OrderFactory(shop=k100_shop), carrier="ZTO", tracking_no="ZT404",
                            status=St.PENDING, shipped_at=None, signed_at=None, last_event_at=None)
        assert shipments_arrived(shop=k100_shop)["kept_applied"] == 1
        assert shipments_arrived(shop=k100_shop)["kept_applied"] == 0  # applied once
    s.refresh_from_db()
    assert s.status == St.OUT_FOR_DELIVERY and TrackingEvent.objects.filter(shipment=s).count() == 2


def test_an_unsigned_push_is_refused_whatever_the_shop_configured(client, shop, other_shop):
    # given a parcel of a shop with a salt, then of one with nothing configured (the default)
    ShipmentFactory(order=OrderFactory(shop=shop), carrier="ZTO", tracking_no="ZT500")
    param = param_of(nu="ZT500", data=[row(T0, "已签收，签收人：本人", "301")], state="3")
    shop.settings = {"kuaidi100_salt": "salt-abc"}
    shop.save()
    assert push(client, param, signed=False).status_code == 403
    # then a shop with no salt and no key refuses every push: anyone knowing its code could mark parcels signed
    shop.settings = {}
    shop.save()
    r = push(client, param, signed=False)
    assert r.status_code == 403 and r.json()["result"] is False
    assert push(client, param, salt="").status_code == 403  # "signed" with an empty salt
    assert TrackingEvent.objects.count() == 0 and KeptTrackingPush.objects.count() == 0
    assert Shipment.objects.get(tracking_no="ZT500").signed_at is None


def test_a_shop_with_a_key_and_no_salt_subscribes_and_checks_with_a_derived_one(client, shop, kuaidi100):
    # given a shop that configured its Kuaidi100 key only
    shop.settings = {"kuaidi100_key": "key-123"}
    shop.save()
    salt = kuaidi100_salt(shop)
    assert len(salt) == 32 and salt == kuaidi100_salt(shop)  # stable, from the install's secret key
    s = ShipmentFactory(order=OrderFactory(shop=shop), carrier="ZTO", tracking_no="ZT501", signed_at=None)
    # when it subscribes, then the subscription carries that salt
    with time_machine.travel(T0, tick=False):
        shipments_arrived(shop=shop)
        subscriptions_dispatch()
    assert sent_params(kuaidi100)[-1]["parameters"]["salt"] == salt
    # and a push is accepted only when signed with it
    param = param_of(nu="ZT501", data=[row(T0, "快件已到达【杭州转运中心】", "1002")])
    assert push(client, param, signed=False).status_code == 403
    assert push(client, param, salt=salt).json() == OK
    assert TrackingEvent.objects.filter(shipment=s).count() == 1


def test_abort_opens_an_exception_and_resubscribes_with_com_new(client, k100_shop, kuaidi100):
    s = ShipmentFactory(order=OrderFactory(shop=k100_shop), carrier="YTO", tracking_no="ZT600",
                        status=St.IN_TRANSIT, shipped_at=T0, signed_at=None, last_event_at=T0)
    with time_machine.travel(T0, tick=False):
        shipments_arrived(shop=k100_shop)
        subscriptions_dispatch()
    aborted = param_of(status="abort", message="3天查询无记录", com="yuantong", nu="ZT600", autoCheck="0",
                       comOld="", comNew="zhongtong")
    with time_machine.travel(T0 + dt.timedelta(days=3), tick=False):
        assert push(client, aborted).json() == OK
        assert push(client, aborted).json() == OK  # a repeated push changes nothing more
    exc = LogisticsException.objects.get(shipment=s)
    assert exc.kind == ExceptionKind.TRACKING_STOPPED and "3天查询无记录" in exc.detail and "zhongtong" in exc.detail
    assert Ticket.objects.filter(pk=exc.ticket_id).exists()
    assert not OutboundMessage.objects.filter(trigger="logistics_exception").exists()  # internal, not for the buyer
    s.refresh_from_db()
    assert s.carrier == "ZTO"
    subs = list(TrackingSubscription.objects.order_by("generation"))
    assert [(x.generation, x.status, x.company) for x in subs] == [
        (1, Sub.ABORTED, "yuantong"), (2, Sub.PENDING, "zhongtong")]
    with time_machine.travel(T0 + dt.timedelta(days=3, minutes=10), tick=False):
        assert subscriptions_dispatch()["subscribed"] == 0  # Kuaidi100 asks for half an hour
        assert exception_sweep()["resolved"] == 0  # stays open until tracking resumes
    with time_machine.travel(T0 + dt.timedelta(days=3, minutes=31), tick=False):
        assert subscriptions_dispatch()["subscribed"] == 1
    assert sent_params(kuaidi100)[-1]["company"] == "zhongtong"
    resumed = param_of(com="zhongtong", nu="ZT600", data=[row(T0 + dt.timedelta(days=3, hours=2), "快件已发往【杭州】", "1002")])
    with time_machine.travel(T0 + dt.timedelta(days=3, hours=3), tick=False):
        assert push(client, resumed).json() == OK
    exc.refresh_from_db()
    assert exc.status == LogisticsException.Status.RESOLVED


def test_shutdown_ends_the_subscription(client, k100_shop, kuaidi100):
    s = ShipmentFactory(order=OrderFactory(shop=k100_shop), carrier="ZTO", tracking_no="ZT700")
    with time_machine.travel(T0, tick=False):
        shipments_arrived(shop=k100_shop)
        subscriptions_dispatch()
        done = param_of(status="shutdown", state="3", nu="ZT700", data=[row(T0, "已签收，签收人：本人", "301")])
        assert push(client, done).json() == OK
    s.refresh_from_db()
    assert s.status == St.SIGNED and TrackingSubscription.objects.get().status == Sub.SHUTDOWN


def test_malformed_push_is_refused_in_kuaidi100s_format(client, shop):
    shop.settings = {"kuaidi100_salt": "salt-abc"}
    shop.save()
    r = push(client, "{not json")
    assert r.status_code == 400 and r.json()["result"] is False and r.json()["returnCode"] == "400"


@pytest.mark.parametrize(("state", "code", "text", "expected"), [
    (None, "5", "【杭州市】派件员 李四 电话 138**** 正在派件", St.OUT_FOR_DELIVERY),
    (None, "", "【杭州市】快递员正在派件", St.OUT_FOR_DELIVERY),
    (None, "", "派件员已出发", St.OUT_FOR_DELIVERY),
    (None, "1", "已收件", St.PICKED_UP),
    (None, "3", "已签收", St.SIGNED),
    (None, "0", "运输中", St.IN_TRANSIT),
    (None, "14", "拒收", St.DELIVERY_FAILED),
    ("0", "1001", "到达【杭州】", St.IN_TRANSIT),
    ("5", "501", "已放入驿站", St.OUT_FOR_DELIVERY),
])
def test_main_state_codes_in_status_code_and_delivery_wording(state, code, text, expected):
    assert normalize_kuaidi100(state=state, status_code=code or None, text=text) == expected


def test_a_number_another_carrier_used_before_is_subscribed_and_ended_on_its_own(client, k100_shop, kuaidi100):
    # carriers' number ranges overlap: months after a 中通 parcel, a 韵达 parcel carries the same number
    old = ShipmentFactory(order=OrderFactory(shop=k100_shop), carrier="ZTO", tracking_no="773000111",
                          status=St.IN_TRANSIT, signed_at=None)
    with time_machine.travel(T0, tick=False):
        shipments_arrived(shop=k100_shop)
        subscriptions_dispatch()
    new = ShipmentFactory(order=OrderFactory(shop=k100_shop), carrier="YD", tracking_no="773000111",
                          status=St.IN_TRANSIT, signed_at=None)
    with time_machine.travel(T0 + dt.timedelta(days=60), tick=False):
        assert shipments_arrived(shop=k100_shop)["subscribed"] == 1
        assert shipments_arrived(shop=k100_shop)["subscribed"] == 0  # once
        assert subscriptions_dispatch()["subscribed"] == 1
    assert [p["company"] for p in sent_params(kuaidi100)] == ["zhongtong", "yunda"]
    assert {s.shipment_id: s.status for s in TrackingSubscription.objects.all()} == {
        old.pk: Sub.SUBSCRIBED, new.pk: Sub.SUBSCRIBED}
    # the old parcel's tracking ends: the new parcel's subscription goes on
    done = param_of(status="shutdown", state="3", com="zhongtong", nu="773000111",
                    data=[row(T0 + dt.timedelta(days=2), "已签收，签收人：本人", "301")])
    with time_machine.travel(T0 + dt.timedelta(days=61), tick=False):
        assert push(client, done).json() == OK
    assert {s.shipment_id: s.status for s in TrackingSubscription.objects.all()} == {
        old.pk: Sub.SHUTDOWN, new.pk: Sub.SUBSCRIBED}
    new.refresh_from_db()
    assert new.status == St.IN_TRANSIT and TrackingEvent.objects.filter(shipment=new).count() == 0


@pytest.mark.parametrize(("carrier", "phone", "sent"), [
    ("顺丰速运", "13812345678", "13812345678"),
    ("顺丰速运", "138****5678", "5678"),  # a masked export: the last four digits
    ("顺丰速运", "17012345678-1234", "1234"),  # a privacy number: the extension, as Kuaidi100 asks
    ("中通快递", "13812345678", "13812345678"),
    ("圆通速递", "13812345678", None),  # not needed: the buyer's number is not given away
])
def test_a_parcel_kuaidi100_tracks_only_with_a_phone_is_subscribed_with_it(k100_shop, kuaidi100, tmp_path, carrier,
                                                                           phone, sent,
                                                                           django_capture_on_commit_callbacks):
    """顺丰 (and 中通) parcels subscribed without `parameters.phone` were never tracked by Kuaidi100 (「顺丰单号必填」):
    no sign-off, so the 7-day window never started, then 「3天查询无记录」 and a ticket for every parcel."""
    path = tmp_path / "orders.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["订单编号", "选购商品", "收件人手机号", "快递公司", "快递单号", "发货时间"])
        out.writerow(["6901", "加绒卫衣", phone, carrier, "SF1400000001", "2026-11-20 10:00:00"])
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert orders_import(actor=SYSTEM, shop=k100_shop, path=path).status == "done"
    with time_machine.travel(T0, tick=False):
        assert subscriptions_dispatch()["subscribed"] == 1
    [param] = sent_params(kuaidi100)
    assert param["parameters"].get("phone") == sent
