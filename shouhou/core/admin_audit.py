"""Every save and delete made in the Django admin leaves an audit event, as the services do for the app's
own paths: who, when, and the changed fields before and after (docs/security.md, "Audit log").

    class ProductAdmin(AuditedModelAdmin): ...
    class UserAdmin(AuditedAdminMixin, auth_admin.UserAdmin): ...

The admin runs each save and delete in a transaction, so the event is kept exactly when the change is.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models

from shouhou.core.audit import audit_record

NOTE = "管理后台"


def _secret(field: str) -> bool:
    # Password fields of the user forms: the fact of a change is recorded, never the value.
    return "password" in field


def _shop_of(obj: models.Model, *, deleting: bool = False):
    from shouhou.commerce.models import Shop

    if isinstance(obj, Shop):
        return None if deleting else obj  # the event must outlive a deleted shop
    return getattr(obj, "shop", None) if any(f.name == "shop" for f in obj._meta.fields) else None


def _shown(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set) or hasattr(value, "all"):
        items = value.all() if hasattr(value, "all") else value
        return ", ".join(str(getattr(v, "pk", v)) for v in items)
    return value


class AuditedAdminMixin:
    # Fields whose values are never written into the audit (webhook tokens, API secrets): only the fact of
    # the change is, as for passwords.
    secret_fields: tuple[str, ...] = ()

    def _masked(self, field: str) -> bool:
        return _secret(field) or field in self.secret_fields

    def save_model(self, request, obj, form, change):
        fields = list(form.changed_data)
        before = {f: "***" if self._masked(f) else _shown(form.initial.get(f)) for f in fields} if change else {}
        super().save_model(request, obj, form, change)
        if change and not fields:
            return
        after = {f: "***" if self._masked(f) else _shown(form.cleaned_data.get(f)) for f in fields}
        audit_record(action="admin.change" if change else "admin.add", obj=obj, actor=request.user,
                     shop=_shop_of(obj), before=before, after=after, note=NOTE)

    def save_formset(self, request, form, formset, change):
        # inline rows about to be deleted are recorded while they still have their ids
        for inline in formset.deleted_forms:
            if inline.instance.pk is not None:
                self._audit_delete(request, inline.instance)
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            audit_record(action="admin.add", obj=obj, actor=request.user, shop=_shop_of(obj), note=NOTE)
        for obj, fields in formset.changed_objects:
            audit_record(action="admin.change", obj=obj, actor=request.user, shop=_shop_of(obj),
                         after={f: "***" if self._masked(f) else _shown(getattr(obj, f, None)) for f in fields},
                         note=NOTE)

    def _audit_delete(self, request, obj):
        audit_record(action="admin.delete", obj=obj, actor=request.user, shop=_shop_of(obj, deleting=True),
                     before={"object": str(obj)}, note=NOTE)

    def delete_model(self, request, obj):
        self._audit_delete(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self._audit_delete(request, obj)
        super().delete_queryset(request, queryset)


class AuditedModelAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """The project's ModelAdmin: use it for every model a person can change in the admin."""
