"""A tiny app for the fault tests (run in subprocesses against a private PostgreSQL):

- `credit_once(key, marker_dir)`: a task idempotent by design (claims an idempotency key in the same
  transaction as its effect). On its first attempt it pauses — inside the transaction or just after
  commit — so a test can SIGKILL the worker at that point.
- `fault_hook`: a signed webhook that writes two rows in one transaction (nothing half-written).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from django.db import transaction
from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from shouhou.core.audit import audit_record
from shouhou.core.idempotency import idempotency_claim
from shouhou.core.models import AuditEvent, IdempotencyKey
from shouhou.core.signatures import SignatureError
from shouhou.core.webhooks import webhook_verify

FAULT_SECRET = "fault-test-secret"  # noqa: S105 (a test fixture, not a credential)


def credit_once(key: str, marker_dir: str, pause_where: str = "inside", pause: float = 4.0) -> str:
    marker = Path(marker_dir) / f"{key}.started"
    first_attempt = not marker.exists()
    with transaction.atomic():
        row, first = idempotency_claim(scope="fault.credit", key=key)
        if not first:
            return "already done"
        AuditEvent.objects.create(action="fault.credit", object_type="fault", object_id=key)
        if first_attempt and pause_where == "inside":
            marker.write_text("inside")
            time.sleep(pause)  # SIGKILL lands here: the transaction is rolled back
    if first_attempt and pause_where == "after":
        marker.write_text("after")
        time.sleep(pause)  # SIGKILL lands here: effect committed, task not acknowledged
    return "done"


@csrf_exempt
def fault_hook(request):
    try:
        with transaction.atomic():
            delivery = webhook_verify(request, secret=FAULT_SECRET, scope="fault")
            if not delivery.first:
                return JsonResponse({"ok": True, "duplicate": True})
            event = json.loads(request.body)
            parent = AuditEvent.objects.create(action="fault.hook.parent", object_type="fault",
                                               object_id=str(event["id"]))
            time.sleep(float(event.get("slow", 0)))
            audit_record(action="fault.hook.child", obj=parent, after={"id": event["id"]})
            delivery.remember({"ok": True, "id": event["id"]})
    except SignatureError as exc:
        return JsonResponse({"detail": str(exc)}, status=401, json_dumps_params={"ensure_ascii": False})
    return JsonResponse({"ok": True, "id": event["id"]})


urlpatterns = [
    path("fault-hook/", fault_hook),
    path("", include("shouhou.config.urls")),
]

__all__ = ["IdempotencyKey", "credit_once", "fault_hook"]
