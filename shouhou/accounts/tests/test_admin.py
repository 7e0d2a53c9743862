"""The Django admin changes memberships only through the audited accounts services."""

from __future__ import annotations

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.accounts.models import ApiToken, Membership
from shouhou.accounts.services import token_issue
from shouhou.core.testing.audit import assert_audited, assert_not_audited
from shouhou.core.testing.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(shop):
    return MembershipFactory(shop=shop, role=Role.AGENT, user=UserFactory(username="kefu9"))


def test_changing_a_role_in_the_admin_is_audited_with_before_and_after(admin_client, admin_user, shop, member):
    # when staff promote the agent and raise the limit on the admin change form
    response = admin_client.post(f"/admin/accounts/membership/{member.pk}/change/",
                                 {"role": Role.SUPERVISOR, "approval_limit": "80"})
    # then the row changed and the audit log says who, from what, to what
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.role, str(member.approval_limit)) == ("supervisor", "80.00")
    assert_audited("membership.change", member, actor=admin_user, shop=shop,
                   before={"role": "agent", "approval_limit": "50.00"},
                   after={"role": "supervisor", "approval_limit": "80.00", "user": "kefu9"})


def test_saving_the_admin_form_unchanged_writes_no_event(admin_client, member):
    # "50" typed for a limit of 50.00 is the same value, not a change
    admin_client.post(f"/admin/accounts/membership/{member.pk}/change/", {"role": Role.AGENT, "approval_limit": "50"})
    assert_not_audited("membership.change", member)


def test_user_and_shop_of_a_membership_cannot_be_moved_in_the_admin(admin_client, member, other_shop):
    page = admin_client.get(f"/admin/accounts/membership/{member.pk}/change/").content.decode()
    assert 'name="role"' in page and 'name="shop"' not in page and 'name="user"' not in page
    admin_client.post(f"/admin/accounts/membership/{member.pk}/change/",
                      {"role": Role.AGENT, "approval_limit": "50", "shop": other_shop.pk})
    assert Membership.objects.get(pk=member.pk).shop_id == member.shop_id


def test_adding_a_member_in_the_admin_is_audited(admin_client, admin_user, shop):
    user = UserFactory(username="xinren")
    response = admin_client.post("/admin/accounts/membership/add/", {"user": user.pk, "shop": shop.pk,
                                                                     "role": Role.ANALYST, "approval_limit": "0"})
    assert response.status_code == 302
    row = Membership.objects.get(user=user, shop=shop)
    assert_audited("membership.add", row, actor=admin_user, after={"role": "analyst", "user": "xinren"})


def test_deleting_members_in_the_admin_is_audited_one_by_one(admin_client, admin_user, shop, member):
    second = MembershipFactory(shop=shop, role=Role.SUPERVISOR, user=UserFactory(username="zhuguan9"))
    # one from its delete page
    admin_client.post(f"/admin/accounts/membership/{member.pk}/delete/", {"post": "yes"})
    # one with the list's bulk delete action
    admin_client.post("/admin/accounts/membership/", {"action": "delete_selected", "_selected_action": [second.pk],
                                                      "post": "yes"})
    assert not Membership.objects.filter(pk__in=[member.pk, second.pk]).exists()
    assert_audited("membership.remove", member, actor=admin_user, before={"role": "agent", "user": "kefu9"})
    assert_audited("membership.remove", second, actor=admin_user, before={"role": "supervisor", "user": "zhuguan9"})


def test_a_tokens_role_and_scopes_cannot_be_changed_or_deleted_in_the_admin(admin_client, admin_user, shop):
    token = token_issue(actor=SYSTEM, shop=shop, name="ERP", scopes=["cases:read"], role=Role.AGENT).token
    url = f"/admin/accounts/apitoken/{token.pk}/"
    page = admin_client.get(f"{url}change/").content.decode()
    assert 'name="role"' not in page and 'name="scopes"' not in page
    admin_client.post(f"{url}change/", {"name": "ERP", "shop": shop.pk, "role": Role.ADMIN, "scopes": '["*"]'})
    token.refresh_from_db()
    assert (token.role, token.scopes) == ("agent", ["cases:read"])
    assert admin_client.post(f"{url}delete/", {"post": "yes"}).status_code == 403
    # revoking stays possible, and is audited
    admin_client.post("/admin/accounts/apitoken/", {"action": "revoke_tokens", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None and ApiToken.objects.filter(pk=token.pk).exists()
    assert_audited("token.revoke", token, actor=admin_user)
