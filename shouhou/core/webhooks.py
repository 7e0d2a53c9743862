"""One verifier for every inbound webhook: HMAC signature + timestamp window + replay refusal.

Headers: `X-Shouhou-Timestamp` (unix seconds), `X-Shouhou-Signature` (hex HMAC-SHA256 of
"<timestamp>." + raw body, see core.signatures), optional `X-Shouhou-Nonce` (defaults to the
signature itself, so the same signed request can never be applied twice).

Call it INSIDE the transaction that applies the webhook:

    with transaction.atomic():
        delivery = webhook_verify(request, secret=..., scope="logistics.kuaidi100", shop=shop)
        if not delivery.first:
            return JsonResponse(delivery.result or {"ok": True, "duplicate": True})
        ... apply the event ...
        delivery.remember({"ok": True, "id": row.pk})

If the transaction rolls back (the database went away, a bug), the nonce is released with it and
the sender's retry is applied; once committed, the same signature/nonce is a replay: it changes
nothing (`first=False`), or raises `WebhookReplay` with `reject_replays=True`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from shouhou.core.idempotency import idempotency_claim, idempotency_store_result
from shouhou.core.models import IdempotencyKey
from shouhou.core.signatures import SignatureError, verify

TIMESTAMP_HEADER = "X-Shouhou-Timestamp"
SIGNATURE_HEADER = "X-Shouhou-Signature"
NONCE_HEADER = "X-Shouhou-Nonce"


class WebhookReplay(SignatureError):
    pass


@dataclass
class WebhookDelivery:
    row: IdempotencyKey
    first: bool

    @property
    def result(self) -> dict:
        return self.row.result or {}

    def remember(self, result: dict) -> None:
        idempotency_store_result(self.row, result)


def webhook_verify(
    request: HttpRequest,
    *,
    secret: str,
    scope: str,
    shop=None,
    tolerance: int = 300,
    reject_replays: bool = False,
) -> WebhookDelivery:
    """Raise SignatureError (answer 401) unless the request is signed and fresh; claim its nonce."""
    timestamp = request.headers.get(TIMESTAMP_HEADER)
    signature = request.headers.get(SIGNATURE_HEADER)
    verify(secret, timestamp, request.body, signature, tolerance=tolerance)
    # The replay key is the signature (it covers the timestamp and the body). The optional nonce header is not
    # signed: keyed on it, a replay with another nonce was a first delivery again.
    key = f"{timestamp}:{(signature or '').strip().lower()}"
    row, first = idempotency_claim(scope=f"webhook:{scope}"[:64], key=key, shop=shop)
    if not first and reject_replays:
        raise WebhookReplay("重复的请求（签名或随机串已使用过）")
    return WebhookDelivery(row=row, first=first)


NONCE_KEEP_DAYS = 2  # far beyond the 5-minute window: an older nonce can never be replayed anyway


def webhook_nonces_purge(*, keep_days: int = NONCE_KEEP_DAYS) -> int:
    """Delete webhook nonces (scope `webhook:*`) older than `keep_days`. A replay of such a request is
    already refused by its stale timestamp, so keeping them only grows the table. Content keys of other
    scopes (event ids, message ids, imports) are kept."""
    from datetime import timedelta

    from shouhou.core.clock import now

    deleted, _ = IdempotencyKey.objects.filter(scope__startswith="webhook:",
                                               created_at__lt=now() - timedelta(days=keep_days)).delete()
    return deleted


def signed_headers(secret: str, body: bytes, *, timestamp: int | None = None, nonce: str | None = None) -> dict:
    """Headers a sender (or a test) attaches; the Django test client wants them as `headers=`."""
    import time

    from shouhou.core.signatures import sign

    ts = str(int(time.time()) if timestamp is None else timestamp)
    headers = {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign(secret, ts, body)}
    if nonce:
        headers[NONCE_HEADER] = nonce
    return headers
