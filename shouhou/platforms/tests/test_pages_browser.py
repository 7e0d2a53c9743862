"""The connections page in a real browser: an admin connects a shop to the 抖店 sandbox, sees its health,
turns on the switch for automatic decisions; a case opened from the platform shows its platform block."""

from __future__ import annotations

import re

import pytest

from shouhou.cases.models import Case
from shouhou.platforms.models import PlatformConnection
from shouhou.platforms.tests.conftest import ORDER_ID, SKU_ORDER_ID


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_connects_and_sets_up_a_shop(login_page, live_server, shop, shop_admin, sandbox, order_line,
                                          claim_clock):
    sandbox.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, aftersale_type=0, push=False)
    page = login_page("shopadmin")
    page.goto(f"{live_server.url}/platforms/")
    assert "尚未连接平台店铺" in page.inner_text("#connections")
    form = page.locator("#connect-form")
    form.locator("select[name=platform]").select_option("doudian")
    form.locator("input[name=app_key]").fill(sandbox.app_key)
    form.locator("input[name=app_secret]").fill(sandbox.app_secret)
    form.locator("input[name=platform_shop_id]").fill(sandbox.shop_id)
    form.locator("input[name=api_base]").fill(sandbox.url)
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/platforms/\d+/$"))
    page.wait_for_load_state("networkidle")
    conn = PlatformConnection.objects.get(shop=shop)
    assert page.url.endswith(f"/platforms/{conn.pk}/")
    health = page.inner_text("#health")
    assert "最近同步" in health and "需重新授权" not in page.content()
    page.check("#settings-form input[name=push_auto_decisions]")
    page.fill("#settings-form input[name=auto_refund_limit]", "500")
    with page.expect_navigation():  # the settings post comes back to the same address
        page.click("#settings-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    conn.refresh_from_db()
    assert conn.push_auto_decisions and str(conn.auto_refund_limit) == "500.00"
    case = Case.objects.get(platform_link__connection=conn)
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    block = page.inner_text("#platform-link")
    assert case.platform_link.aftersale_id in block and "在平台后台打开" in block
