"""Policy versions are immutable in the Django admin; a new version only comes from policy_publish."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from shouhou.accounts.actors import SYSTEM
from shouhou.core.testing.audit import assert_audited
from shouhou.core.testing.factories import UserFactory
from shouhou.policies.document import default_source
from shouhou.policies.models import PolicyVersion
from shouhou.policies.services import policy_publish

pytestmark = pytest.mark.django_db
URL = "/admin/policies/policyversion/"


@pytest.fixture
def versions(shop):
    first = policy_publish(actor=SYSTEM, shop=shop, source=default_source(), note="首版")
    second = policy_publish(actor=SYSTEM, shop=shop, source=default_source().replace("max_exchanges = 2", "max_exchanges = 1"))
    return first, second


def test_a_version_cannot_be_edited_added_or_deleted_in_the_admin(admin_client, versions):
    first, second = versions
    # the change page shows the version but offers no field to edit
    page = admin_client.get(f"{URL}{first.pk}/change/")
    assert page.status_code == 200 and "max_exchanges = 2" in page.content.decode()
    assert 'name="source"' not in page.content.decode() and 'name="is_active"' not in page.content.decode()
    # a crafted POST is refused and changes nothing
    response = admin_client.post(f"{URL}{first.pk}/change/", {"shop": first.shop_id, "version": 1,
                                                             "source": "garbage", "is_active": "on"})
    assert response.status_code == 403
    assert list(PolicyVersion.objects.values_list("version", "is_active", "source")) == [
        (2, True, second.source), (1, False, first.source)]
    # no add, no delete
    assert admin_client.get(f"{URL}add/").status_code == 403
    assert admin_client.post(f"{URL}add/", {"shop": first.shop_id, "version": 3, "source": "x"}).status_code == 403
    assert admin_client.post(f"{URL}{first.pk}/delete/", {"post": "yes"}).status_code == 403
    assert PolicyVersion.objects.count() == 2


def test_going_back_to_an_old_text_publishes_a_new_audited_version(admin_client, admin_user, shop, versions):
    first, _second = versions
    response = admin_client.post(URL, {"action": "republish", "_selected_action": [first.pk]}, follow=True)
    assert "已发布 v3（内容同 v1），现为生效版本" in response.content.decode()
    active = PolicyVersion.objects.get(shop=shop, is_active=True)
    assert (active.version, active.source, active.note) == (3, first.source, "由 v1 重新发布")
    assert PolicyVersion.objects.filter(shop=shop).count() == 3
    assert_audited("policy.publish", active, actor=admin_user, before={"version": 2}, after={"version": 3})


def test_republishing_needs_exactly_one_version_and_the_add_permission(client, admin_client, shop, versions):
    first, second = versions
    response = admin_client.post(URL, {"action": "republish", "_selected_action": [first.pk, second.pk]},
                                 follow=True)
    assert "请只选择一个版本" in response.content.decode()
    # staff who may only view policy versions see them but cannot publish
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_policyversion"))
    client.force_login(viewer)
    assert client.get(URL).status_code == 200
    client.post(URL, {"action": "republish", "_selected_action": [first.pk]})
    assert PolicyVersion.objects.filter(shop=shop).count() == 2
