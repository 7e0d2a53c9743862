"""The audit log page and the shop switcher in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shouhou.accounts.choices import Role
from shouhou.accounts.services import shop_retention_set
from shouhou.core.testing.factories import MembershipFactory, UserFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_of_two_shops_reads_each_shops_audit_log(login_page, live_server, shop, other_shop):
    boss = UserFactory(username="boss")
    MembershipFactory(user=boss, shop=shop, role=Role.ADMIN)
    MembershipFactory(user=boss, shop=other_shop, role=Role.ADMIN)
    shop_retention_set(shop=shop, days=120, actor=boss)
    shop_retention_set(shop=other_shop, days=400, actor=boss)

    page = login_page("boss")
    page.goto(f"{live_server.url}/accounts/audit/")
    first_rows = page.locator("#audit-table tbody tr").all_inner_texts()
    # the select posts the shop switch from a script and comes back to the same address: wait for the
    # other shop's heading, not for "idle", which the old page may still report before it navigates
    page.select_option("select[name=shop_id]", str(other_shop.pk))
    expect(page.locator("h1")).to_have_text(f"审计日志 · {other_shop.name}")
    page.wait_for_load_state("networkidle")
    second_rows = page.locator("#audit-table tbody tr").all_inner_texts()

    assert page.locator("h1").inner_text() == f"审计日志 · {other_shop.name}"
    assert len(first_rows) == 1 and "修改个人信息保留期" in first_rows[0] and "天数：— → 120" in first_rows[0]
    assert len(second_rows) == 1 and "400" in second_rows[0] and "120" not in second_rows[0]
