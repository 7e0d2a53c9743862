"""Idempotency keys for webhooks and imports: the first caller wins, repeats get the stored result."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from shouhou.core.models import IdempotencyKey


def idempotency_claim(*, scope: str, key: str, shop=None) -> tuple[IdempotencyKey, bool]:
    """Claim (scope, key). Returns (row, created). Call inside the transaction doing the work,
    so a rolled-back attempt releases the key and the sender's retry is processed."""
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(scope=scope, key=key[:200], shop=shop), True
    except IntegrityError:
        return IdempotencyKey.objects.get(scope=scope, key=key[:200]), False


def idempotency_store_result(row: IdempotencyKey, result: dict) -> None:
    row.result = result
    row.save(update_fields=["result"])
