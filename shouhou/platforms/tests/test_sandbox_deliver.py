"""The sandboxes deliver a push as the platforms do: an answer of 5xx is tried again (the demos set three tries;
the tests keep none, so a test sees the first answer). Real HTTP against a local server."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shouhou.platforms.sandbox import deliver


@pytest.fixture
def flaky_server():
    answers: list[int] = []
    seen: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            seen.append(self.rfile.read(int(self.headers["Content-Length"])))
            code = answers.pop(0) if answers else 200
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/push/", answers, seen
    finally:
        server.shutdown()


def test_a_push_answered_503_is_tried_again_until_it_is_taken(flaky_server):
    url, answers, seen = flaky_server
    answers += [503, 503]
    response = deliver(url, retries=3, content=b"{}", timeout=5)
    assert response.status_code == 200 and len(seen) == 3 and set(seen) == {b"{}"}


def test_without_retries_the_first_answer_is_returned(flaky_server):
    url, answers, seen = flaky_server
    answers += [503]
    assert deliver(url, content=b"{}", timeout=5).status_code == 503 and len(seen) == 1


def test_a_4xx_is_not_tried_again_and_the_last_5xx_is_returned(flaky_server):
    url, answers, seen = flaky_server
    answers += [400]
    assert deliver(url, retries=3, content=b"x", timeout=5).status_code == 400 and len(seen) == 1
    answers += [502, 502]
    assert deliver(url, retries=1, content=b"y", timeout=5).status_code == 502 and len(seen) == 3


def test_the_demo_sandboxes_retry(db):
    from shouhou.platforms import demo

    for platform in ("doudian", "kuaishou", "wechat_shop", "youzan"):
        kind = demo.demo_platform(platform)
        kind.start(port=0, push_url="http://127.0.0.1:9/push/")
        try:
            assert kind.box.push_retries == demo.PUSH_RETRIES == 3
        finally:
            kind.box.stop()
