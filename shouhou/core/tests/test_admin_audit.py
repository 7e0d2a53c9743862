"""Changes made in the Django admin are audited like the app's own: add, change (fields before/after),
delete, inline rows, and a user's staff/superuser flags; passwords never reach the log."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from shouhou.commerce.models import Host, Shop
from shouhou.core.models import AuditEvent
from shouhou.core.testing.factories import HostFactory, ShopFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("ops", "ops@example.com", "ops-pass-123")
    client.force_login(user)
    return user


def test_changing_a_row_in_the_admin_records_the_fields_before_and_after(client, staff, shop):
    host = HostFactory(shop=shop, name="小鹿")
    response = client.post(f"/admin/commerce/host/{host.pk}/change/", {"name": "小鹿姐姐", "shop": shop.pk})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.change")
    assert (event.object_type, event.object_id, event.shop_id, event.actor_id) == (
        "commerce.host", str(host.pk), shop.pk, staff.pk)
    assert event.before == {"name": "小鹿"} and event.after == {"name": "小鹿姐姐"}
    assert event.note == "管理后台"


def test_saving_unchanged_writes_nothing_and_add_and_delete_are_recorded(client, staff, shop):
    host = HostFactory(shop=shop, name="阿杰")
    client.post(f"/admin/commerce/host/{host.pk}/change/", {"name": "阿杰", "shop": shop.pk})
    assert not AuditEvent.objects.exists()

    client.post("/admin/commerce/host/add/", {"name": "新主播", "shop": shop.pk})
    added = Host.objects.get(name="新主播")
    assert AuditEvent.objects.get(action="admin.add").object_id == str(added.pk)

    client.post(f"/admin/commerce/host/{added.pk}/delete/", {"post": "yes"})
    assert not Host.objects.filter(pk=added.pk).exists()
    deleted = AuditEvent.objects.get(action="admin.delete")
    assert deleted.object_id == str(added.pk) and deleted.before == {"object": "新主播"}


def test_deleting_a_shop_keeps_its_deletion_in_the_log(client, staff):
    gone = ShopFactory(name="要关掉的店")
    client.post(f"/admin/commerce/shop/{gone.pk}/delete/", {"post": "yes"})
    assert not Shop.objects.filter(pk=gone.pk).exists()
    event = AuditEvent.objects.get(action="admin.delete", object_type="commerce.shop")
    assert event.shop_id is None and event.before == {"object": str(gone)}


def test_user_flags_are_audited_and_passwords_never_logged(client, staff):
    client.post("/admin/auth/user/add/", {"username": "kefu9", "password1": "Xy7-long-secret",
                                          "password2": "Xy7-long-secret", "usable_password": "true"})
    user = get_user_model().objects.get(username="kefu9")
    added = AuditEvent.objects.get(action="admin.add", object_type="auth.user")
    assert "Xy7-long-secret" not in str(added.before) + str(added.after)
    assert added.after.get("password1") == "***"

    form = {"username": "kefu9", "is_active": "on", "is_staff": "on", "is_superuser": "on",
            "date_joined_0": "2026-12-01", "date_joined_1": "10:00:00", "initial-date_joined_0": "2026-12-01",
            "initial-date_joined_1": "10:00:00"}
    response = client.post(f"/admin/auth/user/{user.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    change = AuditEvent.objects.get(action="admin.change", object_type="auth.user")
    assert change.before["is_superuser"] is False and change.after["is_superuser"] is True
    assert change.before["is_staff"] is False and change.after["is_staff"] is True


def test_the_admin_speaks_the_users_language(client, staff):
    client.cookies["django_language"] = "en"
    page = client.get("/admin/").content.decode()
    assert "shouhou after-sales administration" in page and "管理后台" not in page
    client.cookies["django_language"] = "zh-hans"
    assert "shouhou 售后 管理后台" in client.get("/admin/").content.decode()
