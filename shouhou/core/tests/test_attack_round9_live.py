"""Attacker, round nine: the push channel (live/consumers.py) through the whole ASGI stack, beyond round six's
probes (test_websocket_attack.py: no session, another shop in the session, a forged Origin, a forged chat link).

- The desk names its shop in the address (`/ws/desk/?shop=<id>`): a shop the agent is no member of is refused,
  whatever the session says; junk there is refused, never a server error.
- A forged sequence number (`?after=`: negative, past any integer, not digits, fullwidth digits) starts the page
  at the stream's current number, never replays another page's or a negative range, never a server error.
- Frames the client sends that imitate the server's (an "event", a "hello", a "reset") or that are not JSON
  objects are answered with an error frame; nothing is relayed to the stream's other listeners. (A frame that is
  not JSON at all is a consumer error today: test_attack_round9_other_apps.py.)
"""

from __future__ import annotations

import json

import pytest

from shouhou.core.tests.test_websocket_attack import TIMEOUT, run, session_cookie, socket

pytestmark = pytest.mark.django_db(transaction=True)


async def _open(communicator):
    await communicator.send_input({"type": "websocket.connect"})
    answer = await communicator.receive_output(TIMEOUT)
    if answer["type"] != "websocket.accept":
        return None
    return json.loads((await communicator.receive_output(TIMEOUT))["text"])


async def _close(communicator):
    await communicator.send_input({"type": "websocket.disconnect", "code": 1000})
    await communicator.wait(TIMEOUT)


def test_a_desk_socket_naming_a_shop_of_which_the_agent_is_no_member_is_refused(agent, shop, other_shop, client):
    from shouhou.live.services import desk_stream

    cookie = session_cookie(client, agent)

    async def scenario(query):
        communicator = socket(f"/ws/desk/?shop={query}", cookie=cookie)
        hello = await _open(communicator)
        if hello is not None:
            await _close(communicator)
        return hello

    assert run(lambda: scenario(shop.pk))["stream"] == desk_stream(shop.pk)
    for query in (other_shop.pk, "9" * 25, "-1", "abc", f"{other_shop.pk}%00", f"{shop.pk}&shop={other_shop.pk}"):
        hello = run(lambda query=query: scenario(query))
        assert hello is None or hello["stream"] == desk_stream(shop.pk), query
    assert run(lambda: scenario(other_shop.pk)) is None


@pytest.mark.parametrize("after", ["-1", "9" * 25, "1e3", "0x10", "１２", "", "3%00"])
def test_a_forged_sequence_number_starts_at_the_streams_own(agent, shop, client, after):
    from shouhou.live.services import desk_stream

    cookie = session_cookie(client, agent)

    async def scenario():
        communicator = socket(f"/ws/desk/?after={after}", cookie=cookie)
        hello = await _open(communicator)
        await communicator.send_input({"type": "websocket.receive", "text": json.dumps({"type": "ping"})})
        pong = json.loads((await communicator.receive_output(TIMEOUT))["text"])
        await _close(communicator)
        return hello, pong

    hello, pong = run(scenario)
    assert hello["type"] == "hello" and hello["stream"] == desk_stream(shop.pk) and hello["seq"] >= 0
    assert pong == {"type": "pong", "seq": hello["seq"]}  # nothing replayed, no negative range


def test_frames_imitating_the_server_are_refused_and_never_relayed(agent, supervisor, shop, client):
    from django.test import Client

    watcher = Client()
    cookie_a, cookie_b = session_cookie(client, agent), session_cookie(watcher, supervisor)

    async def scenario():
        sender, listener = socket("/ws/desk/", cookie=cookie_a), socket("/ws/desk/", cookie=cookie_b)
        await _open(sender)
        await _open(listener)
        answers = []
        for frame in ({"type": "event", "stream": "x", "seq": 999, "kind": "message", "data": {"body": "假消息"}},
                      {"type": "hello", "seq": 0}, {"type": "reset", "seq": 0}, [1, 2], "ping", 7, None):
            await sender.send_input({"type": "websocket.receive", "text": json.dumps(frame)})
            answers.append(json.loads((await sender.receive_output(TIMEOUT))["text"]))
        heard = await listener.receive_nothing(timeout=0.5)
        await _close(sender)
        await _close(listener)
        return answers, heard

    answers, heard_nothing = run(scenario)
    assert all(a["type"] == "error" for a in answers), answers
    assert heard_nothing is True
