"""A push URL per app (`/platforms/<platform>/push/<app_key>/`): with one self-built app per shop, a platform that
names its app only inside the encrypted or signed body (快手, 微信小店) would otherwise have every connected app
tried in turn. On the per-app URL only that app is tried: its own pushes are taken, another app's push is refused
in the platform's own refusal shape and nothing is stored; the plain URL keeps accepting every connected app.
Real HTTP: the sandboxes post to this test's running shouhou, the pushes sealed as each platform seals them."""

from __future__ import annotations

import base64
import re
import time
from urllib.parse import urlencode

import httpx
import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.inbox.channels import crypto as wx_crypto
from shouhou.platforms import services
from shouhou.platforms.models import PlatformEvent
from shouhou.platforms.sandbox.doudian import DoudianSandbox
from shouhou.platforms.sandbox.kuaishou import KuaishouSandbox
from shouhou.platforms.sandbox.wechat_shop import WechatShopSandbox

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_kuaishou_apps():
    first = KuaishouSandbox().start()
    second = KuaishouSandbox(app_key="ks-app-two", app_secret="ks-secret-two", sign_secret="ks-sign-two",  # noqa: S106
                             seller_id="88000002").start()
    second.msg_secret = base64.b64encode(b"m" * 16).decode()  # each app has its own message secret
    yield first, second
    first.stop()
    second.stop()


def _connect_kuaishou(shop, box):
    return services.connection_connect(
        shop=shop, actor=SYSTEM, platform="kuaishou", app_key=box.app_key, app_secret=box.app_secret,
        platform_shop_id=box.seller_id, code="sandbox-code", api_base=box.url, backfill=False,
        extra_secrets={"sign_secret": box.sign_secret, "msg_secret": box.msg_secret})


def _app_url_on_page(client, user, conn) -> str:
    """The per-app push URL exactly as the connection page shows it to paste into the platform's console."""
    client.force_login(user)
    page = client.get(f"/platforms/{conn.pk}/").content.decode()
    return re.search(r'id="app-push-url">[^<]*<code>([^<]+)</code>', page).group(1)


def test_kuaishou_per_app_url_takes_its_app_and_refuses_another(two_kuaishou_apps, shop, other_shop, shop_admin,
                                                                live_server, client):
    first, second = two_kuaishou_apps
    conn_first, conn_second = _connect_kuaishou(shop, first), _connect_kuaishou(other_shop, second)
    shown = _app_url_on_page(client, shop_admin, conn_first)
    assert shown == f"http://testserver/platforms/kuaishou/push/{first.app_key}/"
    app_url = live_server.url + shown.removeprefix("http://testserver")

    # the app's own push on its URL: taken and answered as 快手 wants it
    first.push_url = app_url
    mine = first.add_refund(order_id="5000000000000001", push=False)
    answer = first.push_refund("kwaishop_aftersales_addRefund", mine)
    assert (answer.status_code, answer.json()) == (200, {"result": 1})
    assert list(PlatformEvent.objects.values_list("connection_id", "aftersale_id")) == [(conn_first.pk, mine.refund_id)]

    # another connected app's push (sealed with its own secret, naming itself) on the first app's URL: refused in
    # 快手's refusal shape, nothing stored
    second.push_url = app_url
    theirs = second.add_refund(order_id="5000000000000002", push=False, refund_id="2100000000902")
    refused = second.push_refund("kwaishop_aftersales_addRefund", theirs)
    assert refused.status_code == 401 and refused.json()["result"] == 0
    assert PlatformEvent.objects.count() == 1
    # nor is the heartbeat of another app answered there (the console's URL check of the wrong app fails)
    heartbeat = httpx.post(app_url, content=second.heartbeat(), headers={"Content-Type": "text/plain"}, timeout=10)
    assert heartbeat.status_code == 401

    # the plain URL still tries every connected app: the second app's push is taken there
    second.push_url = f"{live_server.url}/platforms/kuaishou/push/"
    again = second.push_refund("kwaishop_aftersales_addRefund", theirs)
    assert (again.status_code, again.json()) == (200, {"result": 1})
    assert PlatformEvent.objects.get(aftersale_id=theirs.refund_id).connection_id == conn_second.pk

    # a URL naming an app no shop connected refuses everything
    first.push_url = f"{live_server.url}/platforms/kuaishou/push/ks-unknown-app/"
    unknown = first.push_refund("kwaishop_aftersales_addRefund", first.add_refund(order_id="5000000000000003",
                                                                                   push=False))
    assert unknown.status_code == 401 and unknown.json()["result"] == 0
    assert PlatformEvent.objects.count() == 2


@pytest.fixture
def two_wechat_apps():
    first = WechatShopSandbox().start()
    second = WechatShopSandbox(app_id="wx5a4d0000second", app_secret="wx-second-secret",  # noqa: S106
                               username="gh_sandbox0002", push_token="wxsecondtoken").start()  # noqa: S106
    yield first, second
    first.stop()
    second.stop()


def _connect_wechat(shop, box):
    return services.connection_connect(
        shop=shop, actor=SYSTEM, platform="wechat_shop", app_key=box.app_id, app_secret=box.app_secret,
        platform_shop_id=box.username, api_base=box.url, backfill=False,
        extra_secrets={"sign_secret": box.push_token, "msg_secret": box.aes_key})


def test_wechat_shop_per_app_url_takes_its_app_and_refuses_another(two_wechat_apps, shop, other_shop, shop_admin,
                                                                   live_server, client):
    first, second = two_wechat_apps
    conn_first, conn_second = _connect_wechat(shop, first), _connect_wechat(other_shop, second)
    shown = _app_url_on_page(client, shop_admin, conn_first)
    assert shown == f"http://testserver/platforms/wechat_shop/push/{first.app_id}/"
    app_url = live_server.url + shown.removeprefix("http://testserver")

    # the console's URL check (GET, echostr) on the app's URL: its Token passes, the other app's Token does not
    def url_check(box, echostr: str) -> httpx.Response:
        query = {"timestamp": str(int(time.time())), "nonce": "n1", "echostr": echostr}
        query["signature"] = wx_crypto.sha1_signature(box.push_token, query["timestamp"], query["nonce"])
        return httpx.get(f"{app_url}?{urlencode(query)}", timeout=10)

    checked = url_check(first, "8391738207")
    assert (checked.status_code, checked.text) == (200, "8391738207")
    assert url_check(second, "8391738207").status_code == 403

    # the app's own push (XML and JSON, sealed with its msg_signature) on its URL: "success"
    first.push_url = app_url
    mine = first.add_aftersale(order_id="3700000000000101", sku_id="1", push=False)
    for fmt in ("xml", "json"):
        mine.update_time += 1  # a new status change each time: two messages
        answer = first.push(first.message(mine), fmt=fmt)
        assert (answer.status_code, answer.text) == (200, "success")
    assert set(PlatformEvent.objects.values_list("connection_id", flat=True)) == {conn_first.pk}
    stored = PlatformEvent.objects.count()

    # another connected app's push on the first app's URL: 403, nothing stored
    second.push_url = app_url
    theirs = second.add_aftersale(order_id="3700000000000102", sku_id="1", push=False,
                                   aftersale_id="3700000000000000902")
    refused = second.push_update(theirs)
    assert refused.status_code == 403 and refused.text != "success"
    assert PlatformEvent.objects.count() == stored

    # the plain URL still takes it
    second.push_url = f"{live_server.url}/platforms/wechat_shop/push/"
    again = second.push_update(theirs)
    assert (again.status_code, again.text) == (200, "success")
    assert PlatformEvent.objects.get(aftersale_id=theirs.aftersale_id).connection_id == conn_second.pk


def test_doudian_per_app_url_refuses_a_push_signed_by_another_app(shop, other_shop, live_server):
    """抖店 names its app in a header: on a per-app URL a push whose header names another app is refused too."""
    first = DoudianSandbox().start()
    second = DoudianSandbox(app_key="sandbox-app-two", app_secret="sandbox-secret-two", shop_id="7000002").start()  # noqa: S106
    try:
        conns = [services.connection_connect(shop=s, actor=SYSTEM, platform="doudian", app_key=b.app_key,
                                             app_secret=b.app_secret, platform_shop_id=b.shop_id, api_base=b.url,
                                             backfill=False) for s, b in ((shop, first), (other_shop, second))]
        app_url = f"{live_server.url}/platforms/doudian/push/{first.app_key}/"
        first.push_url = second.push_url = app_url
        mine = first.add_aftersale(order_id="6920000000000101", sku_order_id="6920000000000102", push=False)
        answer = first.push_aftersale("200", mine)
        assert (answer.status_code, answer.json()) == (200, {"code": 0, "msg": "success"})
        theirs = second.add_aftersale(order_id="6920000000000201", sku_order_id="6920000000000202", push=False,
                                       aftersale_id="7300000000000000902")
        refused = second.push_aftersale("200", theirs)
        assert refused.status_code == 401 and refused.json()["code"] == 1
        assert list(PlatformEvent.objects.values_list("connection_id", flat=True)) == [conns[0].pk]
        second.push_url = f"{live_server.url}/platforms/doudian/push/"
        assert second.push_aftersale("200", theirs).json() == {"code": 0, "msg": "success"}
        assert PlatformEvent.objects.get(aftersale_id=theirs.aftersale_id).connection_id == conns[1].pk
    finally:
        first.stop()
        second.stop()
