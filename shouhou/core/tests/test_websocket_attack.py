"""Attacker probes of round six against the live socket through the whole ASGI stack (config/asgi.py: origin
check, session cookie, routing), not one consumer: no session, another shop chosen in the session, a forged
Origin (cross-site WebSocket hijacking), a forged chat link, a path that does not exist."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.testing import ApplicationCommunicator
from django.conf import settings

from shouhou.core.testing.factories import CustomerFactory, OrderFactory

TIMEOUT = 5
HOST = b"127.0.0.1:8711"
ORIGIN = b"http://127.0.0.1:8711"


def run(scenario):
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, scenario()).result()


def socket(path: str, *, origin: bytes | None = ORIGIN, cookie: str = ""):
    from shouhou.config.asgi import application

    headers = [(b"host", HOST)]
    if origin is not None:
        headers.append((b"origin", origin))
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    path, _, query = path.partition("?")
    return ApplicationCommunicator(application, {
        "type": "websocket", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
        "headers": headers, "subprotocols": [], "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8711)})


async def handshake(communicator) -> tuple[bool, dict | None]:
    """(accepted, first frame or the close message)."""
    await communicator.send_input({"type": "websocket.connect"})
    answer = await communicator.receive_output(TIMEOUT)
    if answer["type"] != "websocket.accept":
        return False, answer
    hello = json.loads((await communicator.receive_output(TIMEOUT))["text"])
    await communicator.send_input({"type": "websocket.disconnect", "code": 1000})
    await communicator.wait(TIMEOUT)
    return True, hello


def session_cookie(client, user, shop_id=None) -> str:
    client.force_login(user)
    if shop_id is not None:
        session = client.session
        session["shop_id"] = shop_id
        session.save()
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


@pytest.fixture
def conversation(shop):
    from shouhou.inbox.channels import webchat

    order = OrderFactory(shop=shop, customer=CustomerFactory(shop=shop))
    return webchat.webchat_start(order=order)


@pytest.mark.django_db(transaction=True)
def test_a_desk_socket_without_a_session_is_refused(shop):
    accepted, answer = run(lambda: handshake(socket("/ws/desk/")))
    assert not accepted


@pytest.mark.django_db(transaction=True)
def test_a_desk_socket_hears_its_own_shop_even_when_the_session_names_another(agent, other_shop, shop, client):
    from shouhou.live.services import desk_stream

    cookie = session_cookie(client, agent)
    accepted, hello = run(lambda: handshake(socket("/ws/desk/", cookie=cookie)))
    assert accepted and hello["stream"] == desk_stream(shop.pk)
    cookie = session_cookie(client, agent, shop_id=other_shop.pk)  # a shop the agent is no member of
    accepted, hello = run(lambda: handshake(socket("/ws/desk/", cookie=cookie)))
    assert accepted and hello["stream"] == desk_stream(shop.pk)  # never the other shop's


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("origin", [b"http://evil.example.com", b"http://127.0.0.1:9999", b"null", None])
def test_a_desk_socket_from_another_origin_is_refused_even_with_the_agents_cookie(agent, client, origin):
    cookie = session_cookie(client, agent)
    accepted, _answer = run(lambda: handshake(socket("/ws/desk/", origin=origin, cookie=cookie)))
    assert not accepted


@pytest.mark.django_db(transaction=True)
def test_a_chat_socket_needs_the_signed_link_not_the_conversation_number(conversation):
    from shouhou.inbox.channels.webchat import chat_token

    assert run(lambda: handshake(socket(f"/ws/chat/{chat_token(conversation)}/")))[0]
    for forged in (str(conversation.pk), f"{conversation.pk}:0:x", "..%2f..%2fws%2fdesk"):
        accepted, _answer = run(lambda forged=forged: handshake(socket(f"/ws/chat/{forged}/")))
        assert not accepted


@pytest.mark.parametrize("path", ["/ws/nothing/", "/ws/chat/", "/api/cases/", "/"])
def test_a_socket_to_an_unknown_path_is_refused_not_a_server_error(path):
    async def scenario():
        communicator = socket(path)
        await communicator.send_input({"type": "websocket.connect"})
        answer = await communicator.receive_output(TIMEOUT)
        await communicator.send_input({"type": "websocket.disconnect", "code": 1000})
        await communicator.wait(TIMEOUT)
        return answer

    answer = run(scenario)
    assert answer["type"] == "websocket.close"
