"""Policy writes: publish a new validated version (old ones are kept; cases keep theirs)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from shouhou.accounts.actors import acting_user, require_role
from shouhou.accounts.permissions import POLICY_EDIT
from shouhou.core.audit import audit_record
from shouhou.policies.document import parse
from shouhou.policies.models import PolicyVersion


@transaction.atomic
def policy_publish(*, shop, source: str, actor, note: str = "") -> PolicyVersion:
    """Validate `source` (raises PolicyError with located errors) and make it the active version."""
    require_role(actor, shop, POLICY_EDIT)
    parse(source)
    previous = PolicyVersion.objects.select_for_update().filter(shop=shop, is_active=True).first()
    number = (PolicyVersion.objects.filter(shop=shop).aggregate(m=Max("version"))["m"] or 0) + 1
    PolicyVersion.objects.filter(shop=shop, is_active=True).update(is_active=False)
    version = PolicyVersion.objects.create(
        shop=shop, version=number, source=source, is_active=True, note=note,
        created_by=acting_user(actor),
    )
    audit_record(action="policy.publish", obj=version, actor=actor,
                 before={"version": previous.version if previous else None}, after={"version": number, "note": note})
    return version
