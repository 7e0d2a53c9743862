"""Live push: numbered, stored events, sent to the connected pages after the change commits.

A change (a message, a ticket event) writes its LiveEvent row in the same transaction, numbered per stream
under the stream row's lock, so the numbers of a stream have no holes and commit in order. After commit
the event goes to the channel layer group of the stream (in-memory in one process, Redis across processes
and machines). A page that missed something (a dropped connection, another process without Redis) reads
the stored rows after the last number it has: consumers.LiveConsumer.catch_up.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from asgiref.sync import async_to_sync
from django.db import IntegrityError, transaction
from django.db.models import F

from shouhou.core.clock import now
from shouhou.live.models import LiveEvent, LiveStream

log = logging.getLogger(__name__)

# Kept for replay; older events are pruned (live_prune) and a page that far behind reloads its state.
KEEP_DAYS = 3


def desk_stream(shop_id: int) -> str:
    """Everything agents of one shop see live: messages, notes, ticket changes."""
    return f"shop.{shop_id}"


def chat_stream(conversation_id: int) -> str:
    """What one customer's chat page sees: their messages and the replies, never internal notes."""
    return f"conv.{conversation_id}"


def _next_seq(*, shop_id: int, stream: str) -> int:
    if not LiveStream.objects.filter(key=stream).update(last_seq=F("last_seq") + 1):
        try:
            with transaction.atomic():
                LiveStream.objects.create(shop_id=shop_id, key=stream, last_seq=1)
            return 1
        except IntegrityError:  # another transaction created it first
            LiveStream.objects.filter(key=stream).update(last_seq=F("last_seq") + 1)
    return LiveStream.objects.values_list("last_seq", flat=True).get(key=stream)


def _group_send(frame: dict) -> None:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        # A synchronous caller inside a running loop in this very thread (Playwright's sync API in tests; the
        # server runs views in threads) cannot wait for the layer; the stored event reaches pages by catch-up.
        log.debug("live push to %s left to catch-up: called inside a running event loop", frame["stream"])
        return
    try:
        async_to_sync(layer.group_send)(frame["stream"], {"type": "live.event", "frame": frame})
    except Exception:  # the event is stored: pages get it from the table (backstop or reconnect)
        log.warning("live push to %s failed; pages will read it from the table", frame["stream"], exc_info=True)


def live_publish(*, shop_id: int, stream: str, kind: str, data: dict) -> int:
    """Store an event in the caller's transaction and push it after commit. Returns its number."""
    with transaction.atomic():
        seq = _next_seq(shop_id=shop_id, stream=stream)
        LiveEvent.objects.create(shop_id=shop_id, stream=stream, seq=seq, kind=kind, data=data)
    frame = {"type": "event", "stream": stream, "seq": seq, "kind": kind, "data": data}
    transaction.on_commit(lambda: _group_send(frame))
    return seq


def live_prune(*, days: int = KEEP_DAYS) -> int:
    """Drop events older than `days` (a page that far behind gets a reset and reloads its state)."""
    deleted, _ = LiveEvent.objects.filter(created_at__lt=now() - timedelta(days=days)).delete()
    return deleted
