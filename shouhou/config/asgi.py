"""ASGI entry: Django's pages and API over HTTP, live pushes over WebSocket (shouhou.live, docs/live.md)."""

import asyncio
import os

from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouhou.config.settings")
django_application = get_asgi_application()  # first: sets up Django before the consumers import models

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator, WebsocketDenier  # noqa: E402
from django.core.signals import request_finished  # noqa: E402
from django.db import connections  # noqa: E402
from django.urls import re_path  # noqa: E402

from shouhou.core.bodylimit import BodyLimit  # noqa: E402
from shouhou.core.runtime import SERVING_ENV, settle_for_serving  # noqa: E402
from shouhou.live.routing import websocket_urlpatterns  # noqa: E402


class HttpThreads:
    """At most settings.WEB_THREADS HTTP requests of this process inside Django at once; the others wait
    here, in the event loop, for a free place. Each request inside holds a thread and a database
    connection (Django's ASGI handler), so this bounds both: without it a burst of requests opened more
    connections than PostgreSQL allows and was answered 503 (docs/benchmarks.md, the surge)."""

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit
        self.places: asyncio.Semaphore | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, scope, receive, send):
        loop = asyncio.get_running_loop()
        if self.loop is not loop:  # one per server loop (tests start several servers in one process)
            self.places, self.loop = asyncio.Semaphore(self.limit), loop
        async with self.places:
            await self.app(scope, receive, send)


def _close_request_connections(**kwargs) -> None:
    """Close the request thread's database connections when its response is done. Django's ASGI handler
    runs each request in a thread of its own that ends with it, so a connection kept for CONN_MAX_AGE
    could never be reused, and being part of reference cycles it stayed open until the garbage collector
    ran: during the surge that left 86 connections open with the requests capped at 8 per process. The
    worker and the live pages' reading threads keep CONN_MAX_AGE. A connection inside a transaction is left
    alone: the request did not open it (a test's transaction around Django's test client, whose requests send
    this signal too once this module is imported)."""
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close()


request_finished.connect(_close_request_connections, dispatch_uid="shouhou.asgi.close_request_connections")

_http = HttpThreads(django_application, settings.WEB_THREADS) if settings.WEB_THREADS > 0 else django_application
application = ProtocolTypeRouter({
    "http": BodyLimit(_http, settings.MAX_REQUEST_BYTES),
    # Same-site pages only (Origin checked against ALLOWED_HOSTS); the session cookie names the agent.
    # A socket to any other path is refused (403) like a wrong origin: Channels' router raised "No route found" for
    # it, a server error with a traceback in the log for each such handshake (a probe could fill the log).
    "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(
        [*websocket_urlpatterns, re_path(r"", WebsocketDenier.as_asgi())]))),
})

# In a server process (`shouhou serve` says so): everything above lives as long as the process, out of the garbage
# collector's reach (core/runtime.py). Not in a test process that serves pages from a thread beside its tests.
if os.environ.get(SERVING_ENV) == "1":
    settle_for_serving()
    import multiprocessing

    if multiprocessing.parent_process() is not None:  # one of `serve --processes N`'s: it ends with serve
        from shouhou.config.serve_lock import end_with_parent

        end_with_parent(multiprocessing.parent_process().pid)
