"""Request bodies over the ceiling are refused before the application reads them (core/bodylimit.py)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings

from shouhou.core.bodylimit import BodyLimit


class App:
    """Reads the whole body, as Django's ASGI handler does, then answers 200 with its length."""

    def __init__(self):
        self.called = False
        self.disconnected = False

    async def __call__(self, scope, receive, send):
        self.called = True
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.disconnected = True
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(len(body)).encode()})


def _run(app, chunks: list[bytes], headers: list[tuple[bytes, bytes]]):
    sent, received = [], 0

    async def receive():
        nonlocal received
        i = received
        received += 1
        if i < len(chunks):
            return {"type": "http.request", "body": chunks[i], "more_body": i < len(chunks) - 1}
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    # a loop of its own in a thread of its own: another test in this process (a browser test) may leave one running
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    return sent, received


def test_an_announced_large_body_is_refused_unread():
    inner = App()
    sent, received = _run(BodyLimit(inner, 1024), [b"x" * 10], [(b"content-length", b"209715200")])
    assert sent[0]["status"] == 413 and "请求过大" in sent[1]["body"].decode()
    assert inner.called is False and received == 0


def test_an_unannounced_body_is_cut_off_as_it_passes_the_ceiling():
    inner = App()
    sent, received = _run(BodyLimit(inner, 1024), [b"x" * 600, b"x" * 600, b"x" * 600], [])
    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [413]
    assert inner.disconnected is True and received == 2  # the third chunk was never asked for


def test_a_body_within_the_ceiling_goes_through():
    inner = App()
    sent, _ = _run(BodyLimit(inner, 1024), [b"x" * 500, b"x" * 500], [(b"content-length", b"1000")])
    assert sent[0]["status"] == 200 and sent[1]["body"] == b"1000"


def test_the_served_application_has_the_ceiling():
    from shouhou.config.asgi import application

    http = application.application_mapping["http"]
    assert isinstance(http, BodyLimit) and http.max_bytes == settings.MAX_REQUEST_BYTES == 64 * 1024 * 1024
