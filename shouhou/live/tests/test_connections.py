"""The connection budget of a web process (docs/deploy.md): at most WEB_THREADS HTTP requests inside Django at
once, the others waiting in the event loop; a finished request's database connection closed with it."""

from __future__ import annotations

import asyncio
import time

import pytest

from shouhou.live.tests.test_push import run


def test_at_most_web_threads_requests_are_inside_at_once_and_the_rest_wait_their_turn():
    from shouhou.config.asgi import HttpThreads

    inside, most, done = 0, 0, []

    async def app(scope, receive, send):  # a request that holds its place for a while
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        await asyncio.sleep(0.05)
        inside -= 1
        done.append(scope["n"])

    limited = HttpThreads(app, 3)

    async def burst():
        await asyncio.gather(*(limited({"type": "http", "n": n}, None, None) for n in range(10)))

    run(burst)
    assert most == 3 and sorted(done) == list(range(10))  # every request served, never more than 3 inside
    run(burst)  # a new server loop (tests start several) gets places of its own
    assert most == 3 and len(done) == 20


@pytest.mark.django_db(transaction=True)
def test_a_request_threads_connection_is_closed_when_its_response_is_done(asgi_server, monkeypatch):
    """Under the ASGI server each request runs in a thread that ends with it: a connection kept for
    CONN_MAX_AGE could never be reused and stayed open until the garbage collector ran. (Checked through the
    close calls: SQLite's in-memory test database ignores close, so the connection itself cannot show it.)"""
    import threading

    import httpx
    from django.core.signals import request_finished
    from django.db import connection, connections

    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)  # Django alone would keep it open
    closed, finished = [], []
    wrapper = type(connections["default"])
    original_close = wrapper.close

    def close(self):
        closed.append(threading.get_ident())
        return original_close(self)

    def after(**kwargs):  # runs after the project's receiver, in the request's thread
        finished.append(threading.get_ident())

    monkeypatch.setattr(wrapper, "close", close)
    request_finished.connect(after, dispatch_uid="test.after")
    try:
        with httpx.Client(base_url=asgi_server.url, timeout=20) as client:
            client.get("/accounts/login/")
            deadline = time.monotonic() + 10
            while not finished and time.monotonic() < deadline:
                time.sleep(0.05)
            finished.clear()
            closed.clear()
            # a failed login: the view reads the user and django-axes records the attempt (a connection is used)
            r = client.post("/accounts/login/", data={"username": "nobody", "password": "wrong-password",
                                                      "csrfmiddlewaretoken": client.cookies["csrftoken"]})
            assert r.status_code == 200
            deadline = time.monotonic() + 10
            while not finished and time.monotonic() < deadline:  # the signal fires after the response is sent
                time.sleep(0.05)
    finally:
        request_finished.disconnect(dispatch_uid="test.after")
    assert finished and finished[0] != threading.get_ident()
    assert finished[0] in closed  # the request's own thread closed its connection


@pytest.mark.django_db
def test_requests_of_the_test_client_leave_a_connection_inside_a_transaction_open(client):
    """The receiver is connected for the whole process once the ASGI module is imported; the test client's
    requests send the same signal inside the test's transaction, which must survive them (on PostgreSQL a
    closed connection there turned the next request into a 503)."""
    from django.db import connection

    import shouhou.config.asgi  # noqa: F401 - connects the receiver, as the live tests' server does
    from shouhou.commerce.models import Shop
    from shouhou.core.testing.factories import ShopFactory

    shop = ShopFactory()
    assert [client.get("/insight/s/no-such-token/").status_code for _ in range(3)] == [404] * 3
    assert connection.in_atomic_block and Shop.objects.filter(pk=shop.pk).exists()
