"""A ceiling on request bodies, before Django reads them. `shouhou serve` (uvicorn) has none of its own and
Django's ASGI handler spools the whole body to disk before any view or middleware runs, so without this an
anonymous 200 MB POST was received, written out and parsed before being refused. nginx, where used, has its own
(deploy/nginx.conf); this holds without it."""

from __future__ import annotations

import json


class BodyLimit:
    """ASGI middleware: an HTTP request announcing more than `max_bytes` (Content-Length) is answered 413 at
    once, unread; one that sends more than that without announcing it (chunked) is answered 413 as soon as it
    passes the limit, and the application sees the client disconnect."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or self.max_bytes <= 0:
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                too_big = False  # a malformed header is the server's and Django's to refuse
            if too_big:
                return await self._refuse(send)
        seen = 0
        refused = False
        started = False

        async def limited_receive():
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    refused = True
                    if not started:
                        await self._refuse(send)
                    return {"type": "http.disconnect"}
            return message

        async def tracked_send(message):
            nonlocal started
            if refused:
                return  # the 413 is the answer; whatever the application sends after the disconnect is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        return await self.app(scope, limited_receive, tracked_send)

    async def _refuse(self, send) -> None:
        mb = self.max_bytes // (1024 * 1024)
        body = json.dumps({"detail": f"请求过大（上限 {mb} MB）"}, ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json; charset=utf-8"),
                                (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
