"""Live push: numbered, stored events, sent to the connected pages after the change commits.

A change (a message, a ticket event) writes its LiveEvent row in the same transaction, without a number.
Right after that transaction commits, a short transaction of its own takes the stream row's lock, gives
every committed unnumbered event of the stream the next numbers (in the order they were stored), commits,
and sends those events to the channel layer group of the stream (in-memory in one process, Redis across
processes and machines). So the numbers of a stream have no holes and commit in order, and the stream's
lock is held for a few statements, not for the whole of every sender's transaction (which serialised all
the messages of a shop during a surge: docs/benchmarks.md). An event is numbered only once its change is
committed; one whose numbering did not run (the process died between the two commits) is numbered by the
next event of its stream or by the `live.number` task within a minute. A page that missed something (a
dropped connection, another process without Redis) reads the stored rows after the last number it has:
consumers.LiveConsumer.catch_up.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta

from asgiref.sync import async_to_sync
from django.db import IntegrityError, transaction

from shouhou.core.clock import now
from shouhou.live.models import LiveEvent, LiveStream

log = logging.getLogger(__name__)

# Kept for replay; older events are pruned (live_prune) and a page that far behind reloads its state.
KEEP_DAYS = 3
# Unnumbered events older than this are numbered by the live.number task (their own numbering never ran).
STALE_SECONDS = 10


def desk_stream(shop_id: int) -> str:
    """Everything agents of one shop see live: messages, notes, ticket changes."""
    return f"shop.{shop_id}"


def chat_stream(conversation_id: int) -> str:
    """What one customer's chat page sees: their messages and the replies, never internal notes."""
    return f"conv.{conversation_id}"


def _frame(stream: str, seq: int, kind: str, data: dict) -> dict:
    return {"type": "event", "stream": stream, "seq": seq, "kind": kind, "data": data}


# PostgreSQL: the unnumbered events numbered and the stream moved on in one statement, run after the stream
# row's lock is held (so its snapshot includes every numbering committed before).
_NUMBER_SQL = """
WITH pending AS (
    SELECT id, %(last)s + row_number() OVER (ORDER BY id) AS n
    FROM live_liveevent WHERE stream = %(stream)s AND seq IS NULL
), numbered AS (
    UPDATE live_liveevent e SET seq = pending.n FROM pending WHERE e.id = pending.id
    RETURNING e.seq, e.kind, e.data
), moved AS (
    UPDATE live_livestream SET last_seq = %(last)s + (SELECT count(*) FROM pending)
    WHERE id = %(head)s AND EXISTS (SELECT 1 FROM pending)
)
SELECT seq, kind, data FROM numbered ORDER BY seq
"""


def _number_locked(stream: str, head_pk: int, last: int) -> list[dict]:
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_NUMBER_SQL, {"last": last, "stream": stream, "head": head_pk})
            rows = cursor.fetchall()
        return [_frame(stream, seq, kind, data if isinstance(data, dict) else json.loads(data))
                for seq, kind, data in rows]
    pending = list(LiveEvent.objects.filter(stream=stream, seq__isnull=True).order_by("pk").only("pk", "kind", "data"))
    if not pending:
        return []
    for n, event in enumerate(pending, start=last + 1):
        event.seq = n
    LiveEvent.objects.bulk_update(pending, ["seq"])
    LiveStream.objects.filter(pk=head_pk).update(last_seq=last + len(pending))
    return [_frame(stream, e.seq, e.kind, e.data) for e in pending]


def live_number(stream: str, *, shop_id: int | None = None) -> list[dict]:
    """Number the committed, unnumbered events of `stream` in one short transaction under the stream row's
    lock, oldest stored first, continuing from the stream's last number. Returns their frames, in order.
    A stream seen for the first time is created (for `shop_id`)."""
    return live_number_streams({stream: shop_id}).get(stream, [])


def live_number_streams(streams: dict[str, int | None]) -> dict[str, list[dict]]:
    """live_number for each of several streams (stream → shop id, None: do not create it) in one short
    transaction: a customer's message numbers the desk's stream and the chat's together, one commit instead
    of two. The rows are locked in key order, so two such transactions never wait for each other in a cycle."""
    keys = sorted(streams)

    def locked_heads() -> dict[str, tuple[int, int]]:
        # The locks first, in their own statement: each numbering statement then sees every numbering
        # committed while this one waited (a fresh snapshot per statement, READ COMMITTED).
        rows = LiveStream.objects.select_for_update().filter(key__in=keys).order_by("key") \
            .values_list("key", "pk", "last_seq")
        return {key: (pk, last) for key, pk, last in rows}

    with transaction.atomic():
        heads = locked_heads()
        missing = [key for key in keys if key not in heads and streams[key] is not None]
        if not missing:
            return {key: _number_locked(key, *heads[key]) for key in streams if key in heads}
    for key in missing:  # streams seen for the first time
        try:
            with transaction.atomic():
                LiveStream.objects.create(shop_id=streams[key], key=key, last_seq=0)
        except IntegrityError:  # another transaction created it first
            pass
    with transaction.atomic():
        heads = locked_heads()
        return {key: _number_locked(key, *heads[key]) for key in streams if key in heads}


def _group_send(stream: str, frames: list[dict]) -> None:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None or not frames:
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        # This thread runs an event loop and calls synchronously (Playwright's sync API in tests; the server
        # runs views in threads of their own): it cannot wait for the layer, the pages read the table.
        log.debug("live push to %s left to catch-up: called inside a running event loop", stream)
        return
    try:
        async_to_sync(layer.group_send)(stream, {"type": "live.event", "frames": frames})
    except Exception:  # the events are stored: pages get them from the table (backstop or reconnect)
        log.warning("live push to %s failed; pages will read it from the table", stream, exc_info=True)


def _number_and_push(streams: dict[str, int]) -> None:
    """After commit: the streams the transaction published to, numbered together in a short transaction of
    their own and pushed at once (in the order first published: the desk's before the chat's)."""
    try:
        numbered = live_number_streams(streams)
    except Exception:  # the change is committed; its events wait for the next numbering of their streams
        log.warning("live numbering of %s failed; the next event or the live.number task numbers it",
                    ", ".join(streams), exc_info=True)
        return
    for stream in streams:
        _group_send(stream, numbered.get(stream, []))


def live_publish(*, shop_id: int, stream: str, kind: str, data: dict) -> int:
    """Store an event in the caller's transaction; number and push it right after commit (rolled back:
    no event, no number). Returns the stored event's id."""
    event = LiveEvent.objects.create(shop_id=shop_id, stream=stream, seq=None, kind=kind, data=data)
    connection = transaction.get_connection()
    # One callback per transaction numbers every stream it published to. A callback of a rolled-back
    # savepoint leaves Django's list with it, so a later event registers a new one.
    for entry in connection.run_on_commit:
        streams = getattr(entry[1], "live_streams", None)
        if streams is not None:
            streams.setdefault(stream, shop_id)
            return event.pk
    streams = {stream: shop_id}

    def after_commit():
        _number_and_push(streams)

    after_commit.live_streams = streams
    after_commit.live_memo = {}
    transaction.on_commit(after_commit)
    return event.pk


def live_memo() -> dict | None:
    """A dict that lives as long as the current transaction's live events (kept on the callback that numbers them;
    gone with it when the transaction or its savepoint rolls back): a publisher notes there an event that a later
    change of the same transaction completes (live_event_amend). None before the transaction's first event."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return None
    for entry in connection.run_on_commit:
        if getattr(entry[1], "live_streams", None) is not None:
            return entry[1].live_memo
    return None


def live_event_amend(event_id: int, data: dict) -> bool:
    """Add `data` to an event this transaction stored and that is not numbered yet (nobody has read it): a change
    later in the same transaction completes what the event says (inbox.live: a new chat's message learns the ticket
    and the agent the routing gave it). Only the caller's own uncommitted row is written, never another
    transaction's, so no numbering waits for it. Returns whether it was amended."""
    event = LiveEvent.objects.filter(pk=event_id, seq__isnull=True).only("pk", "data").first()
    if event is None:
        return False
    event.data = {**event.data, **data}
    event.save(update_fields=["data"])
    return True


def live_number_stale(*, seconds: int = STALE_SECONDS) -> int:
    """Number (and push) the events whose numbering never ran (the process stopped between the change's
    commit and the numbering). Returns how many were numbered."""
    streams = (LiveEvent.objects.filter(seq__isnull=True, created_at__lt=now() - timedelta(seconds=seconds))
               .values_list("shop_id", "stream").distinct())
    total = 0
    for shop_id, stream in list(streams):
        frames = live_number(stream, shop_id=shop_id)
        _group_send(stream, frames)
        total += len(frames)
    return total


def live_prune(*, days: int = KEEP_DAYS) -> int:
    """Drop events older than `days` (a page that far behind gets a reset and reloads its state)."""
    deleted, _ = LiveEvent.objects.filter(created_at__lt=now() - timedelta(days=days)).delete()
    return deleted


# --- a login that ends closes its open desks at once (docs/live.md, "Who may connect") ---

def login_group(session_key: str) -> str:
    """The channel-layer group of the desks opened with one login (session). Named by a hash: the session key
    is a credential and must not be written into Redis' channel names."""
    import hashlib

    return "login." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def user_group(user_id: int) -> str:
    return f"user.{int(user_id)}"


def _layer_send(group: str, message: dict) -> None:
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:  # a thread running a loop (see _group_send): the desks' periodic check (REAUTHORIZE_SECONDS) closes them
        log.debug("live %s to %s left to the periodic check: called inside a running event loop",
                  message.get("type"), group)
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:  # the periodic check (REAUTHORIZE_SECONDS) still closes them
        log.warning("live %s to %s failed; the periodic check will close the desks", message.get("type"), group,
                    exc_info=True)


def login_ended(*, session_key: str) -> None:
    """A logout: the desks opened with that session stop at once (closed 4403), not at their next periodic
    check up to a minute later."""
    if session_key:
        _layer_send(login_group(session_key), {"type": "login.ended"})


def login_changed(*, user_id: int) -> None:
    """The user was saved (a new password, the active flag): each of the user's open desks checks its right
    again now (a session invalidated by a new password, a deactivated account: closed)."""
    _layer_send(user_group(user_id), {"type": "login.changed"})


def _on_logged_out(sender, request=None, user=None, **kwargs) -> None:
    session = getattr(request, "session", None)
    login_ended(session_key=getattr(session, "session_key", None) or "")


def _on_user_saved(sender, instance, created: bool = False, update_fields=None, raw: bool = False, **kwargs) -> None:
    if created or raw or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return  # a login's last_login stamp changes no right
    user_id = instance.pk
    transaction.on_commit(lambda: login_changed(user_id=user_id))


def _on_membership_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    """A member removed from a shop (or given another role): that user's desks check their right now — a removed
    agent's open desk kept hearing the shop's customers until its periodic check, up to a minute later."""
    if raw:
        return
    user_id = instance.user_id
    transaction.on_commit(lambda: login_changed(user_id=user_id))


def chat_link_revoked(*, conversation_id: int) -> None:
    """The shop took a customer's chat links back: the chat pages open on them stop hearing the conversation now
    (closed 4403), not at their next periodic check up to a minute later."""
    _layer_send(chat_stream(conversation_id), {"type": "link.revoked"})


def _on_link_revoked(sender, instance, created: bool = False, raw: bool = False, **kwargs) -> None:
    if not created or raw or instance.kind != instance.Kind.WEB_CHAT:
        return
    conversation_id = instance.object_id
    transaction.on_commit(lambda: chat_link_revoked(conversation_id=conversation_id))


def connect() -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.signals import user_logged_out
    from django.db.models.signals import post_delete, post_save

    from shouhou.accounts.models import Membership
    from shouhou.core.models import LinkRevocation

    user_logged_out.connect(_on_logged_out, dispatch_uid="live.login_ended")
    post_save.connect(_on_user_saved, sender=get_user_model(), dispatch_uid="live.login_changed")
    post_save.connect(_on_membership_changed, sender=Membership, dispatch_uid="live.membership_saved")
    post_delete.connect(_on_membership_changed, sender=Membership, dispatch_uid="live.membership_deleted")
    post_save.connect(_on_link_revoked, sender=LinkRevocation, dispatch_uid="live.link_revoked")
