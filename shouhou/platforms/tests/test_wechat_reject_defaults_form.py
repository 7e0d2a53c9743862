"""The connection page's form for 微信小店's default refusal reason per reject scene (docs/platforms.md, round seven
and "The default reason per scene on the connection page"): choices from rejectreason/get per scene, a code of
another scene or not listed refused in words, numbers taken when the list cannot be read, and the saved default
reaching the platform on a refusal without the agent's pick."""

from __future__ import annotations

import datetime as dt

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as case_services
from shouhou.cases.models import Case
from shouhou.platforms import services
from shouhou.platforms.models import PlatformConnection
from shouhou.platforms.tests.conftest import ORDER_ID

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def conn(shop, wx):
    return services.connection_connect(
        shop=shop, actor=SYSTEM, platform="wechat_shop", app_key=wx.app_id, app_secret=wx.app_secret,
        platform_shop_id=wx.username, api_base=wx.url, backfill=False,
        extra_secrets={"sign_secret": wx.push_token, "msg_secret": wx.aes_key})


def _save(client, conn, **scenes):
    data = {"do": "reject_defaults", **{f"reject_scene_{k}": v for k, v in scenes.items()}}
    return client.post(f"/platforms/{conn.pk}/", data, follow=True)


def _saved(conn) -> dict:
    return (PlatformConnection.objects.get(pk=conn.pk).settings or {}).get("reject_reason_types")


def test_the_form_offers_each_scene_its_own_reasons_and_saves_them(client, shop_admin, conn, wx, order_line,
                                                                   claim_clock, agent):
    client.force_login(shop_admin)
    page = client.get(f"/platforms/{conn.pk}/").content.decode()
    assert 'id="reject-defaults-form"' in page and 'name="reject_scene_5"' in page
    # the sandbox lists 16 under scene 1 (仅退款), 20 under 4 (退货退款), 33 under 6 (换货 once the goods are back)
    form = page.split('id="reject-defaults-form"')[1].split("</form>")[0]
    scene1, scene4 = form.split('name="reject_scene_1"')[1].split("</select>")[0], \
        form.split('name="reject_scene_4"')[1].split("</select>")[0]
    assert 'value="16"' in scene1 and 'value="20"' not in scene1 and 'value="20"' in scene4
    assert "rejectreason/get" in " ".join(wx.calls)
    answer = _save(client, conn, **{"1": "16", "4": "20", "5": "", "6": ""})
    assert "默认拒绝原因已保存" in answer.content.decode()
    assert _saved(conn) == {"1": 16, "4": 20}
    shown = answer.content.decode().split('name="reject_scene_1"')[1].split("</select>")[0]
    assert 'value="16" selected' in shown
    # a refusal without the agent's pick: the request's scene's default goes to the platform
    wx.add_aftersale(order_id=ORDER_ID, amount=5000, reason="其他", push=False)
    services.connection_sync(PlatformConnection.objects.get(pk=conn.pk))
    case_services.case_reject(case=Case.objects.get(), actor=agent, reason="商品已使用，不支持无理由")
    name, _, body = wx.operations[-1]
    assert (name, body["reject_reason_type"]) == ("rejectapply", 16)


@pytest.mark.parametrize("scenes,words", [
    ({"4": "16"}, "属于拒绝场景 1"),  # 16 is a refund-only reason: not a return's default
    ({"1": "999"}, "不在微信小店的拒绝原因列表中"),
    ({"1": "十六"}, "正整数"),
])
def test_a_code_of_another_scene_unlisted_or_not_a_number_is_refused_and_nothing_saved(client, shop_admin, conn,
                                                                                      scenes, words):
    client.force_login(shop_admin)
    assert _save(client, conn, **{"1": "16"}).status_code == 200 and _saved(conn) == {"1": 16}
    answer = _save(client, conn, **scenes)
    assert words in answer.content.decode()
    assert _saved(conn) == {"1": 16}


def test_when_the_list_cannot_be_read_the_form_takes_numbers(client, shop_admin, conn, wx, claim_clock):
    client.force_login(shop_admin)
    wx.outage = True
    page = client.get(f"/platforms/{conn.pk}/").content.decode()
    assert 'id="reject-reasons-unreadable"' in page and '<select name="reject_scene_1"' not in page
    asked = wx.calls.count("channels/ec/aftersale/rejectreason/get")
    _save(client, conn, **{"1": "77", "4": ""})
    assert _saved(conn) == {"1": 77}
    # while it fails, the page does not wait for the platform on every view: asked again after five minutes
    assert wx.calls.count("channels/ec/aftersale/rejectreason/get") == asked
    wx.outage = False
    claim_clock.shift(dt.timedelta(minutes=6))  # then read again: a code the list does not name is refused
    answer = _save(client, conn, **{"1": "77"})
    assert "拒绝原因 77 不在微信小店的拒绝原因列表中" in answer.content.decode()
    assert _saved(conn) == {"1": 77}  # the value kept until the merchant picks a listed one


def test_only_an_admin_may_set_them(client, agent, conn):
    client.force_login(agent)
    assert 'id="reject-defaults-form"' not in client.get(f"/platforms/{conn.pk}/").content.decode()
    assert client.post(f"/platforms/{conn.pk}/", {"do": "reject_defaults", "reject_scene_1": "16"}).status_code == 403
    assert _saved(conn) is None


def test_the_scenes_are_named_in_the_readers_language(client, shop_admin, conn, wx):
    client.force_login(shop_admin)
    client.cookies["django_language"] = "en"
    page = client.get(f"/platforms/{conn.pk}/").content.decode()
    form = page.split('id="reject-defaults-form"', 1)[1].split("</form>", 1)[0]
    assert "Refusing a refund only" in form and "Refusing an exchange" in form
    assert "拒绝仅退款" not in form and "拒绝换货" not in form
