"""The real ASGI application (HTTP and WebSocket) on uvicorn in a thread, for browser tests of live pages
(pytest-django's live_server is WSGI: no WebSocket)."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass


@dataclass
class AsgiServer:
    url: str
    port: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def asgi_server_run():
    """Start the server; yields an AsgiServer and stops it afterwards (use from a fixture)."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config("shouhou.config.asgi:application", host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off", proxy_headers=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True, name="asgi-test-server")
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("ASGI test server did not start")
        time.sleep(0.05)
    try:
        yield AsgiServer(url=f"http://127.0.0.1:{port}", port=port)
    finally:
        server.should_exit = True
        thread.join(10)
