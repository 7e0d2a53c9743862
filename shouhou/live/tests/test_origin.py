"""A live socket only from the site's own pages: the Origin's host *and port* must be the ones the request went
to (or a trusted origin), as Django's CSRF check asks of a form. Channels' host-name check alone let a page on
another port of the same host (same site: the agent's session cookie rides along) read the shop's desk."""

from __future__ import annotations

import pytest
from channels.routing import URLRouter

from shouhou.live.origin import same_origin
from shouhou.live.routing import websocket_urlpatterns
from shouhou.live.tests.test_push import TIMEOUT, run
from shouhou.live.tests.ws import WebsocketCommunicator


def _scope(origin: str | None, host: str = "shop.example.com") -> dict:
    headers = [(b"host", host.encode())] if host else []
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return {"type": "websocket", "headers": headers}


@pytest.mark.parametrize(("origin", "host", "allowed"), [
    ("https://shop.example.com", "shop.example.com", True),
    ("http://shop.example.com", "shop.example.com", True),
    ("https://shop.example.com:443", "shop.example.com", True),
    ("http://127.0.0.1:8711", "127.0.0.1:8711", True),
    ("HTTP://LOCALHOST:8000", "localhost:8000", True),
    ("http://[::1]:8000", "[::1]:8000", True),
    ("http://127.0.0.1:9999", "127.0.0.1:8711", False),  # another port of the same host
    ("https://shop.example.com:8443", "shop.example.com", False),
    ("http://shop.example.com.evil.cn", "shop.example.com", False),
    ("http://evil.cn", "shop.example.com", False),
    ("null", "shop.example.com", False),  # a sandboxed frame or a file
    ("file://", "shop.example.com", False),
    ("http://127.0.0.1:99999", "127.0.0.1:8711", False),
    (None, "shop.example.com", False),
    ("https://shop.example.com", "", False),
])
def test_the_origin_must_be_the_pages_own(origin, host, allowed, settings):
    settings.CSRF_TRUSTED_ORIGINS = []
    assert same_origin(_scope(origin, host)) is allowed


def test_a_trusted_origin_is_accepted_as_csrf_accepts_it(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://desk.example.com"]
    assert same_origin(_scope("https://desk.example.com", host="127.0.0.1:8000"))
    assert not same_origin(_scope("https://other.example.com", host="127.0.0.1:8000"))


@pytest.mark.django_db(transaction=True)
def test_a_desk_socket_from_another_port_of_the_host_is_refused(agent, settings):
    settings.CSRF_TRUSTED_ORIGINS = []
    app = URLRouter(websocket_urlpatterns)

    def desk(origin: str) -> WebsocketCommunicator:
        communicator = WebsocketCommunicator(app, "/ws/desk/")
        communicator.scope.update({"user": agent, "session": {},
                                   "headers": [(b"host", b"127.0.0.1:8711"), (b"origin", origin.encode())]})
        return communicator

    async def scenario():
        other = desk("http://127.0.0.1:9999")
        connected, _code = await other.connect(TIMEOUT)
        assert not connected
        own = desk("http://127.0.0.1:8711")
        assert (await own.connect(TIMEOUT))[0]
        assert (await own.receive_json_from(TIMEOUT))["type"] == "hello"
        await own.disconnect()

    run(scenario)
