from django.contrib import admin

from shouhou.policies.models import PolicyVersion


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    list_display = ["shop", "version", "is_active", "note", "created_at"]
    list_filter = ["shop", "is_active"]
