"""WebSocket consumers (Django Channels): one numbered stream per connection, replay on reconnect.

Protocol (JSON frames, docs/live.md):
  client connects to /ws/desk/?after=<seq> or /ws/chat/<token>/?after=<seq>
  server → {"type": "hello", "stream": …, "seq": <last number now>}
  server → {"type": "event", "stream": …, "seq": n, "kind": …, "data": {…}}   n = previous + 1, always
  server → {"type": "reset", "seq": n}   the gap is too old or too long to replay: reload state, go on from n
    (too long: more than REPLAY_LIMIT events after the page's number when it connects, more than
    CATCH_UP_LIMIT while it is connected — a connected page that fell behind, e.g. after the channel layer
    dropped pushes to its full channel, is sent the events from the table, not told to reload)
  client → {"type": "ping"}  ← {"type": "pong"}
A page may receive numbers out of order from the layer (two web processes pushing one stream): a frame
ahead of the next number waits up to GAP_WAIT_SECONDS for the missing ones before the table is read.
Other client frame types are refused with {"type": "error"} for now; call signalling (offer / answer /
candidates for video calls) will be new types on the same connection, relayed to the stream's group.
"""

from __future__ import annotations

import asyncio
import contextlib
from concurrent.futures import ThreadPoolExecutor
from importlib import import_module
from types import SimpleNamespace
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db import connections

from shouhou.live.selectors import REPLAY_LIMIT, live_events_after, live_last_seq

FORBIDDEN = 4403
REAUTHORIZE_SECONDS = 60
GAP_WAIT_SECONDS = 0.5
CATCH_UP_LIMIT = 10 * REPLAY_LIMIT

_reads: ThreadPoolExecutor | None = None


def _read(func):
    """Run a read-only query off the event loop on the process's small pool of reading threads
    (settings.LIVE_READ_THREADS, each with its own database connection, closed or kept as
    CONN_MAX_AGE says), not on the one thread that Channels' thread-sensitive default shares with
    every consumer of the process: during a surge, one page's catch-up must not queue behind another's.
    SQLite (the embedded one-process default) keeps them on that shared thread: it writes one transaction at
    a time anyway, and its shared in-memory test database refuses a read while another connection writes."""
    global _reads
    if connections["default"].vendor == "sqlite":
        return database_sync_to_async(func)
    if _reads is None:
        _reads = ThreadPoolExecutor(max_workers=settings.LIVE_READ_THREADS, thread_name_prefix="live-read")
    return database_sync_to_async(func, thread_sensitive=False, executor=_reads)


def _after(scope) -> int | None:
    raw = parse_qs(scope.get("query_string", b"").decode()).get("after", [""])[0]
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None  # not 「²」: int() refuses it


class LiveConsumer(AsyncJsonWebsocketConsumer):
    stream: str = ""
    last: int = 0

    async def authorize(self) -> str | None:
        """The stream this connection may read, or None to refuse it."""
        raise NotImplementedError

    async def connect(self):
        self.stream = await self.authorize() or ""
        if not self.stream:
            await self.close(code=FORBIDDEN)
            return
        self.lock = asyncio.Lock()
        self.ahead: dict[int, dict] = {}  # frames pushed ahead of the next number, by number
        self.gap_check: asyncio.Future | None = None
        # Join the group before reading the table: an event committed after this read still arrives.
        for group in [self.stream, *self.extra_groups()]:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        current = await _read(live_last_seq)(self.stream)
        after = _after(self.scope)
        self.last = current if after is None or after > current else after
        await self.send_json({"type": "hello", "stream": self.stream, "seq": current})
        await self.catch_up(limit=REPLAY_LIMIT, known=current)
        self.backstop = asyncio.ensure_future(self._backstop())

    async def disconnect(self, code):
        for task in (getattr(self, "backstop", None), getattr(self, "gap_check", None)):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        for group in [self.stream, *self.extra_groups()] if self.stream else []:
            await self.channel_layer.group_discard(group, self.channel_name)

    def extra_groups(self) -> list[str]:
        """Groups besides the stream's that this connection listens to (the desk: its login's and its user's)."""
        return []

    async def refuse(self):
        """The right to the stream is gone: nothing more is sent (a push already queued is dropped), closed 4403."""
        stream, self.stream = self.stream, ""
        if stream:
            for group in [stream, *self.extra_groups()]:
                await self.channel_layer.group_discard(group, self.channel_name)
        self.ahead = {}
        await self.close(code=FORBIDDEN)

    async def _backstop(self):
        """Read the table now and then: events from processes this layer does not reach (the in-memory
        layer with several web processes or the worker) and any push the layer dropped. Check the right to
        the stream again every REAUTHORIZE_SECONDS (a member removed from the shop, a chat link revoked), and join
        the group again then: the layer forgets a member after its group_expiry (channels-redis: a day), and a
        desk left open longer would then get every event only from these reads."""
        loop = asyncio.get_running_loop()
        checked = loop.time()
        while True:
            await asyncio.sleep(settings.LIVE_BACKSTOP_SECONDS)
            if loop.time() - checked >= REAUTHORIZE_SECONDS:
                checked = loop.time()
                if await self.authorize() != self.stream:
                    await self.refuse()
                    return
                for group in [self.stream, *self.extra_groups()]:
                    await self.channel_layer.group_add(group, self.channel_name)
            await self.catch_up()

    async def catch_up(self, limit: int | None = None, known: int = 0):
        """Send the stored events after the last number sent, in order, read in pages of REPLAY_LIMIT; a
        reset instead when the next number is gone (pruned) or more than `limit` events are missing.
        `known`: a number read before this catch-up (the stream's last at connect): every event up to it was
        committed before the read, so when none after the page's number is stored they were all pruned — a quiet
        stream's whole gap gone, which the check on the first stored event cannot see (before 2026-12-07 the page
        was then left on its stale number without a reset, and the next event arrived as a reset, unalerted)."""
        limit = CATCH_UP_LIMIT if limit is None else limit
        async with self.lock:
            if not self.stream:  # refused meanwhile
                return
            sent = 0
            while True:
                page = min(REPLAY_LIMIT, limit - sent)
                frames = await _read(live_events_after)(self.stream, self.last, limit=page + 1)
                gone = frames[0]["seq"] != self.last + 1 if frames else self.last < known
                if gone or (len(frames) > page and sent + page >= limit):
                    current = await _read(live_last_seq)(self.stream)
                    self.last = current
                    self.ahead.clear()
                    await self.send_json({"type": "reset", "stream": self.stream, "seq": current})
                    return
                for frame in frames[:page]:
                    await self.send_json(frame)
                    self.last = frame["seq"]
                sent += len(frames[:page])
                if len(frames) <= page:
                    break
            await self._send_ahead()

    async def _send_ahead(self):
        """Send the frames held back that now follow the last number sent (call with the lock held)."""
        while self.last + 1 in self.ahead:
            frame = self.ahead.pop(self.last + 1)
            await self.send_json(frame)
            self.last = frame["seq"]
        for seq in [seq for seq in self.ahead if seq <= self.last]:
            del self.ahead[seq]

    async def live_event(self, message):
        """Pushes from the channel layer (one numbering's frames, in order): sent when they follow the last
        number sent; a frame ahead waits for the missing numbers' push, then (GAP_WAIT_SECONDS) the table."""
        frames = message.get("frames") or [message["frame"]]
        if not self.stream:  # refused meanwhile
            return
        async with self.lock:
            for frame in frames:
                if frame["seq"] > self.last:
                    self.ahead[frame["seq"]] = frame
            await self._send_ahead()
        if self.ahead and (self.gap_check is None or self.gap_check.done()):
            self.gap_check = asyncio.ensure_future(self._fill_gap())

    async def _fill_gap(self):
        await asyncio.sleep(GAP_WAIT_SECONDS)
        if self.ahead:
            await self.catch_up()

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """A frame that is not JSON text (binary, malformed, nested past the parser's depth) is answered like an
        unknown frame: it used to raise out of the app (a traceback, the socket dropped with 1011), from anyone
        holding a chat link."""
        try:
            content = await self.decode_json(text_data) if text_data is not None else None
        except (ValueError, RecursionError):
            content = None
        if content is None:
            await self.send_json({"type": "error", "detail": "不支持的消息类型"})
            return
        await self.receive_json(content, **kwargs)

    async def link_revoked(self, message):
        """The shop revoked the chat's links (live.services.chat_link_revoked): check the right now."""
        if self.stream and await self.authorize() != self.stream:
            await self.refuse()

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.send_json({"type": "pong", "seq": self.last})
        else:
            await self.send_json({"type": "error", "detail": "不支持的消息类型"})


def session_user(scope):
    """The user the connection's session names *now*, read again from the session store (not the user and
    session Channels loaded once at connect): a session logged out, flushed, expired or invalidated by a
    password change, and a deactivated user, name nobody (AnonymousUser), as they would for a page.
    A scope without a session store (a test's plain dict) keeps its user while that user is still active."""
    from django.contrib import auth
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.base import SessionBase

    session, user = scope.get("session"), scope.get("user")
    if not isinstance(session, SessionBase):
        if user is None or not getattr(user, "is_authenticated", False):
            return AnonymousUser()
        return type(user)._default_manager.filter(pk=user.pk, is_active=True).first() or AnonymousUser()
    if not session.session_key:
        return AnonymousUser()
    store = import_module(settings.SESSION_ENGINE).SessionStore(session.session_key)
    return auth.get_user(SimpleNamespace(session=store))


class DeskConsumer(LiveConsumer):
    """An agent's desk: the stream of the shop chosen in the session (as the pages choose it). Asked again
    every REAUTHORIZE_SECONDS with the session read afresh: after a logout, a password change or the
    account's deactivation an open desk stops hearing the shop."""

    async def authorize(self) -> str | None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return None
        return await _read(self._shop_stream)()

    def extra_groups(self) -> list[str]:
        """Its login's group (a logout closes the desk at once, live.services.login_ended) and its user's (a
        saved user — new password, deactivated — makes it check its right at once, login_changed)."""
        from shouhou.live.services import login_group, user_group

        user, session = self.scope.get("user"), self.scope.get("session")
        key = getattr(session, "session_key", None) or ""
        groups = [login_group(key)] if key else []
        if user is not None and getattr(user, "is_authenticated", False):
            groups.append(user_group(user.pk))
        return groups

    async def login_ended(self, message):
        if self.stream:
            await self.refuse()

    async def login_changed(self, message):
        if self.stream and await self.authorize() != self.stream:
            await self.refuse()

    def _shop_stream(self) -> str | None:
        from shouhou.accounts.access import current_shop_for_request
        from shouhou.live.services import desk_stream

        user = session_user(self.scope)
        if not user.is_authenticated or user.pk != self.scope["user"].pk:
            return None
        # the shop the page was drawn for (`?shop=`, one of the user's: an agent of two shops keeps a tab per shop,
        # and a reconnect after another tab chose the other shop stays on this one), else the session's choice
        raw = parse_qs(self.scope.get("query_string", b"").decode()).get("shop", [""])[0]
        if raw:
            from shouhou.accounts.access import shop_named

            shop = shop_named(user, raw)
            return desk_stream(shop.pk) if shop is not None else None
        request = SimpleNamespace(user=user, session=self.scope.get("session") or {})
        shop = current_shop_for_request(request)
        return desk_stream(shop.pk) if shop is not None else None


class ChatConsumer(LiveConsumer):
    """A customer's web chat: the signed chat link names the conversation (expired or revoked: refused)."""

    async def authorize(self) -> str | None:
        token = self.scope["url_route"]["kwargs"]["token"]
        return await _read(self._conversation_stream)(token)

    @staticmethod
    def _conversation_stream(token: str) -> str | None:
        from shouhou.inbox.channels.webchat import chat_link
        from shouhou.live.services import chat_stream

        conversation, _state = chat_link(token)
        return chat_stream(conversation.pk) if conversation is not None else None
