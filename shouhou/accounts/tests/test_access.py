"""Roles, permissions, shop switching, tokens and scopes, the read-only guard, rate limits."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.accounts.models import ApiToken, Membership
from shouhou.accounts.permissions import (
    AUDIT_VIEW,
    COMPENSATE_ABOVE_LIMIT,
    DATA_EXPORT,
    PII_REVEAL,
    POLICY_EDIT,
    REFUND_APPROVE,
    VIEW,
    role_can,
    role_may_write,
)
from shouhou.accounts.services import membership_remove, membership_set, token_issue, token_revoke
from shouhou.api.errors import DomainError
from shouhou.core.testing.audit import assert_audited
from shouhou.core.testing.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("role", "action", "allowed"), [
    (Role.AGENT, VIEW, True), (Role.AGENT, REFUND_APPROVE, True), (Role.AGENT, COMPENSATE_ABOVE_LIMIT, False),
    (Role.AGENT, PII_REVEAL, False), (Role.AGENT, POLICY_EDIT, False), (Role.AGENT, DATA_EXPORT, False),
    (Role.SUPERVISOR, COMPENSATE_ABOVE_LIMIT, True), (Role.SUPERVISOR, PII_REVEAL, True),
    (Role.SUPERVISOR, POLICY_EDIT, False), (Role.SUPERVISOR, AUDIT_VIEW, False),
    (Role.ADMIN, POLICY_EDIT, True), (Role.ADMIN, AUDIT_VIEW, True),
    (Role.ANALYST, VIEW, True), (Role.ANALYST, DATA_EXPORT, True), (Role.ANALYST, REFUND_APPROVE, False),
    (Role.ANALYST, PII_REVEAL, False), (None, VIEW, False), ("ghost", VIEW, False),
])
def test_role_can(role, action, allowed):
    assert role_can(role, action) is allowed


def test_only_analyst_is_read_only():
    assert [r for r in Role.values if not role_may_write(r)] == [Role.ANALYST]


def _bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def test_analyst_may_read_but_never_write_through_the_api(client, shop):
    analyst = MembershipFactory(shop=shop, role=Role.ANALYST, user=UserFactory(username="analyst")).user
    client.force_login(analyst)

    read = client.get("/api/accounts/me")
    write = client.post("/api/accounts/tokens", data=json.dumps({"name": "x", "scopes": ["cases"]}),
                        content_type="application/json")

    assert read.status_code == 200 and read.json()["role"] == "analyst"
    assert write.status_code == 403
    assert write.json()["detail"] == "只读角色不能修改数据"


@pytest.mark.parametrize(("scopes", "method", "path", "status"), [
    (["accounts"], "get", "/api/accounts/me", 200),
    (["accounts:read"], "get", "/api/accounts/me", 200),
    (["read"], "get", "/api/accounts/me", 200),
    (["cases"], "get", "/api/accounts/me", 403),
    (["accounts:read"], "post", "/api/accounts/reveal", 403),
    (["read"], "post", "/api/accounts/reveal", 403),
    (["accounts"], "post", "/api/accounts/reveal", 422),  # write allowed; the empty body is then refused
    (["*"], "post", "/api/accounts/reveal", 422),
])
def test_token_scopes_gate_domains_and_writes(client, shop, scopes, method, path, status):
    issued = token_issue(actor=SYSTEM, shop=shop, name="集成", scopes=scopes, role=Role.ADMIN)

    if method == "get":
        response = client.get(path, headers=_bearer(issued.secret))
    else:
        response = client.post(path, data="{}", content_type="application/json", headers=_bearer(issued.secret))

    assert response.status_code == status, response.content


def test_analyst_token_cannot_write_even_with_all_scopes(client, shop):
    issued = token_issue(actor=SYSTEM, shop=shop, name="报表", scopes=["*"], role=Role.ANALYST)

    response = client.post("/api/accounts/reveal", data="{}", content_type="application/json",
                           headers=_bearer(issued.secret))

    assert response.status_code == 403


def test_revoked_or_wrong_token_is_401_in_chinese(client, shop):
    issued = token_issue(actor=SYSTEM, shop=shop, name="旧令牌", scopes=["*"])
    token_revoke(actor=SYSTEM, token=issued.token)

    revoked = client.get("/api/accounts/me", headers=_bearer(issued.secret))
    wrong = client.get("/api/accounts/me", headers=_bearer(issued.token.prefix + ".nope"))

    assert (revoked.status_code, wrong.status_code) == (401, 401)
    assert revoked.json()["detail"] == "未登录或令牌无效"


def test_a_token_with_an_expiry_works_until_then_and_is_refused_after(client, shop, shop_admin):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    t0 = timezone.now()
    with time_machine.travel(t0, tick=False):
        client.force_login(shop_admin)
        created = client.post("/api/accounts/tokens", content_type="application/json",
                              data=json.dumps({"name": "双十一活动对接", "scopes": ["*"], "expires_in_days": 30}))
        client.logout()
        assert created.status_code == 201
        assert created.json()["expires_at"].startswith((t0 + dt.timedelta(days=30)).strftime("%Y-%m-%d"))
        secret = created.json()["secret"]
        assert client.get("/api/accounts/me", headers=_bearer(secret)).status_code == 200
    with time_machine.travel(t0 + dt.timedelta(days=29, hours=23), tick=False):
        assert client.get("/api/accounts/me", headers=_bearer(secret)).status_code == 200
    with time_machine.travel(t0 + dt.timedelta(days=30, seconds=1), tick=False):
        late = client.get("/api/accounts/me", headers=_bearer(secret))
    assert late.status_code == 401 and late.json()["detail"] == "未登录或令牌无效"
    assert_audited("token.issue", ApiToken.objects.get(), actor=shop_admin)


@pytest.mark.parametrize("days", [0, 3651])
def test_token_expiry_out_of_range_is_refused(shop, days):
    with pytest.raises(DomainError, match="1 到 3650"):
        token_issue(actor=SYSTEM, shop=shop, name="x", scopes=["cases"], expires_in_days=days)


def test_token_secret_is_stored_only_as_a_hash_and_issue_revoke_are_audited(shop, shop_admin):
    issued = token_issue(shop=shop, name="ERP 对接", scopes=["cases", "inbox:read"], role=Role.AGENT, actor=shop_admin)
    token = ApiToken.objects.get()

    assert issued.secret.startswith(f"{token.prefix}.")
    assert issued.secret.split(".", 1)[1] not in (token.key_hash, token.name)
    assert_audited("token.issue", token, actor=shop_admin, after={"scopes": "cases,inbox:read", "role": "agent"})
    token_revoke(token=token, actor=shop_admin)
    token_revoke(token=token, actor=shop_admin)  # twice: one event
    assert_audited("token.revoke", token, actor=shop_admin)


@pytest.mark.parametrize(("scopes", "message"), [(["payments"], "未知的权限范围"), ([], "至少需要一个"),
                                                 (["cases:delete"], "未知的权限范围")])
def test_token_issue_refuses_unknown_scopes(shop, scopes, message):
    with pytest.raises(DomainError, match=message):
        token_issue(actor=SYSTEM, shop=shop, name="x", scopes=scopes)


def test_token_api_issue_shows_secret_once_then_lists_and_revokes(client, shop, shop_admin):
    client.force_login(shop_admin)

    created = client.post("/api/accounts/tokens", data=json.dumps({"name": "客服系统", "scopes": ["cases"]}),
                          content_type="application/json")
    listed = client.get("/api/accounts/tokens")
    token_id = created.json()["id"]
    revoked = client.delete(f"/api/accounts/tokens/{token_id}")
    used = client.get("/api/accounts/me", headers=_bearer(created.json()["secret"]))

    assert created.status_code == 201 and "." in created.json()["secret"]
    assert listed.status_code == 200 and [t["name"] for t in listed.json()] == ["客服系统"]
    assert "secret" not in listed.json()[0]
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert used.status_code == 401


def test_agent_may_not_manage_tokens(agent_client):
    assert agent_client.get("/api/accounts/tokens").status_code == 403


def test_cli_token_create_prints_a_working_secret(client, shop):
    out, err = StringIO(), StringIO()
    call_command("token", "create", "--shop", shop.code, "--name", "仓库系统", "--scopes", "cases,inbox",
                 "--role", "agent", "--system", stdout=out, stderr=err)
    secret = out.getvalue().strip()

    me = client.get("/api/accounts/me", headers=_bearer(secret))

    assert "不会再显示" in err.getvalue()
    assert me.status_code == 403  # scopes cases,inbox do not include accounts
    token = ApiToken.objects.get(shop=shop)
    assert (token.name, token.scopes, token.role) == ("仓库系统", ["cases", "inbox"], "agent")
    listing = StringIO()
    call_command("token", "list", "--shop", shop.code, stdout=listing)
    assert "仓库系统" in listing.getvalue() and "有效" in listing.getvalue()
    call_command("token", "revoke", token.prefix, "--system", stdout=StringIO())
    assert ApiToken.objects.get().revoked_at is not None


def test_cli_token_create_unknown_shop_or_scope(shop):
    with pytest.raises(CommandError, match="未找到店铺"):
        call_command("token", "create", "--shop", "nope", "--name", "n", "--scopes", "cases", "--system")
    with pytest.raises(CommandError, match="未知的权限范围"):
        call_command("token", "create", "--shop", shop.code, "--name", "n", "--scopes", "money", "--system")


def test_user_in_two_shops_switches_with_the_session_and_x_shop_id(client, shop, other_shop):
    user = UserFactory(username="two-shops")
    MembershipFactory(user=user, shop=shop, role=Role.AGENT)
    MembershipFactory(user=user, shop=other_shop, role=Role.SUPERVISOR)
    client.force_login(user)

    default = client.get("/api/accounts/me").json()
    by_header = client.get("/api/accounts/me", headers={"X-Shop-Id": str(other_shop.pk)}).json()
    switched = client.post("/accounts/shop/", {"shop_id": other_shop.pk, "next": "/accounts/audit/"})
    after_switch = client.get("/api/accounts/me").json()

    assert (default["shop_id"], default["role"]) == (shop.pk, "agent")
    assert (by_header["shop_id"], by_header["role"]) == (other_shop.pk, "supervisor")
    assert switched.status_code == 302 and switched["Location"] == "/accounts/audit/"
    assert after_switch["shop_id"] == other_shop.pk


def test_shop_switcher_refuses_a_shop_the_user_is_not_in(client, agent, other_shop):
    client.force_login(agent)

    response = client.post("/accounts/shop/", {"shop_id": other_shop.pk})
    header = client.get("/api/accounts/me", headers={"X-Shop-Id": str(other_shop.pk)})
    junk = client.get("/api/accounts/me", headers={"X-Shop-Id": "abc"})

    assert response.status_code == 403
    assert (header.status_code, junk.status_code) == (403, 403)
    assert "无权访问该店铺" in header.json()["detail"]


@pytest.mark.parametrize("typed", ["²", "¹", "1²", "１", "٣", "9" * 40])
def test_a_shop_id_of_other_digits_is_refused_not_a_500(client, agent, shop, typed):
    """「²」 is a digit to str.isdigit() but not to int(): the shop switcher, the API's X-Shop-Id and the link
    revocation page answered 500 to it. Only ASCII digits name a shop (full-width and other scripts' digits,
    which int() reads, are refused as well rather than read as another number)."""
    client.force_login(agent)

    switched = client.post("/accounts/shop/", {"shop_id": typed})
    header = client.get("/api/accounts/me", headers={"X-Shop-Id": typed})
    revoke = client.post("/links/revoke/", {"kind": "web_chat", "object_id": typed})

    assert switched.status_code == 403
    assert header.status_code == 403 and "无权访问该店铺" in header.json()["detail"]
    assert revoke.status_code == 404


def test_membership_changes_are_audited(shop, shop_admin):
    user = UserFactory(username="newbie")

    row = membership_set(user=user, shop=shop, role=Role.AGENT, actor=shop_admin)
    membership_set(user=user, shop=shop, role=Role.AGENT, actor=shop_admin)  # no change: no event
    promoted = membership_set(user=user, shop=shop, role=Role.SUPERVISOR, actor=shop_admin)
    assert_audited("membership.add", row, actor=shop_admin, after={"role": "agent", "user": "newbie"})
    assert_audited("membership.change", row, actor=shop_admin, before={"role": "agent"},
                   after={"role": "supervisor"})
    membership_remove(membership=promoted, actor=shop_admin)
    assert_audited("membership.remove", before={"role": "supervisor", "user": "newbie"})
    assert not Membership.objects.filter(user=user).exists()


def test_api_rate_limit_answers_429_with_retry_after(client, shop, settings, one_rate_window):
    from django.core.cache import cache

    cache.clear()
    settings.SHOUHOU = {**settings.SHOUHOU, "API_RATE_LIMIT": "3/m"}
    issued = token_issue(actor=SYSTEM, shop=shop, name="脚本", scopes=["*"])

    codes = [client.get("/api/accounts/me", headers=_bearer(issued.secret)).status_code for _ in range(4)]
    last = client.get("/api/accounts/me", headers=_bearer(issued.secret))

    assert codes == [200, 200, 200, 429]
    assert "请求过于频繁" in last.json()["detail"] and int(last["Retry-After"]) >= 1
