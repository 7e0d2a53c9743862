"""Attacker, round nine: defects found in apps this round did not own, each fixed in its app (the comment above
each test says what was wrong)."""

from __future__ import annotations

import json

import pytest
import time_machine

from shouhou.core.signatures import sign
from shouhou.inbox.choices import Channel
from shouhou.inbox.models import ChannelAccount, Message
from shouhou.platforms.tests.conftest import (  # noqa: F401 - fixtures used by name
    claim_clock,
    connect,
    local_platform_gateways,
    order_line,
    sandbox,
)

NOW = 1764576060
SECRET = "a-long-webhook-secret-for-round-nine"


@pytest.mark.django_db
# Was: inbox/views.py _signed_json: json.loads(body or 'null') gives None for an empty or `null` body, and None is
# also how it says 'replay'; the social and email hooks then answer 200 {'replayed': true} to a first delivery they
# did not apply (the sender stops retrying) and the signature is spent. Fix: return a separate replay flag (or
# refuse a payload that is not a JSON object with ChannelRejected 400) before the replay answer.
@pytest.mark.parametrize("body", [b"", b"null"])
def test_a_signed_empty_push_to_a_channel_hook_is_refused_not_acknowledged_as_a_replay(client, shop, body):
    for kind, channel in (("social", Channel.SOCIAL_COMMENT), ("email", Channel.EMAIL)):
        ChannelAccount.objects.create(shop=shop, channel=channel, name=kind, key=f"{kind}-r9", secret=SECRET)
    answers = {}
    with time_machine.travel(NOW, tick=False):
        for path in ("/inbox/hooks/social/social-r9/", "/inbox/hooks/email/email-r9/"):
            response = client.post(path, data=body, content_type="application/json",
                                   HTTP_X_SHOUHOU_TIMESTAMP=str(NOW),
                                   HTTP_X_SHOUHOU_SIGNATURE=sign(SECRET, str(NOW), body))
            answers[path] = (response.status_code, response.json().get("replayed", False))
    assert Message.objects.count() == 0
    assert all(status == 400 and not replayed for status, replayed in answers.values()), answers


@pytest.mark.django_db(transaction=True)
# Was: platforms/services.py push_receive: candidates are every PlatformConnection of the platform, enabled or not,
# and `_wake` → events_apply_task → events_apply_pending applies the stored messages of a disabled connection (read
# the platform with its credentials, open or change cases), while events_retry and the syncs skip disabled
# connections. Fix: store the push of a disabled connection (acknowledged, so the platform does not retry) but
# neither wake nor apply it (filter connection__enabled=True in events_apply_pending / do not add it to `wake`), so
# re-enabling it lets events_retry apply what arrived meanwhile.
def test_a_push_for_a_disabled_connection_opens_no_case(client, connect, sandbox, order_line, claim_clock):  # noqa: F811
    from shouhou.platforms.models import PlatformEvent

    conn = connect()
    conn.enabled = False
    conn.save(update_fields=["enabled"])
    record = sandbox.add_aftersale(order_id="6920000000000001", sku_order_id="6920000000000002", push=False)
    body = json.dumps([sandbox.message("200", record)], ensure_ascii=False).encode()
    headers = {k: v for k, v in sandbox.signed_headers(body).items() if k != "Content-Type"}
    response = client.post("/platforms/doudian/push/", data=body, content_type="application/json", headers=headers)
    assert response.status_code == 200  # acknowledged: the platform must not retry for ever
    assert order_line.cases.count() == 0
    assert PlatformEvent.objects.get().status == "received"
    # re-enabled, the next retry applies what arrived meanwhile
    from shouhou.platforms.services import events_retry

    conn.enabled = True
    conn.save(update_fields=["enabled"])
    assert events_retry() == 1
    assert order_line.cases.count() == 1 and PlatformEvent.objects.get().status == "applied"


@pytest.mark.django_db(transaction=True)
# Was: live/consumers.py LiveConsumer: AsyncJsonWebsocketConsumer.receive decodes every text frame with json.loads
# and raises on a binary frame, before receive_json; a frame of '{not json' (or bytes) raises JSONDecodeError /
# ValueError out of the ASGI app: a traceback in the log and the socket dropped with 1011, from anyone who can open
# a socket (a customer's chat link). Fix: override `receive(text_data=None, bytes_data=None)` in LiveConsumer to
# answer {'type': 'error', 'detail': '不支持的消息类型'} when the frame is not text or not JSON, as receive_json already
# does for unknown types.
@pytest.mark.parametrize("frame", [{"text": "{not json"}, {"bytes": b"\x00\x01"}])
def test_a_socket_frame_that_is_not_json_is_answered_not_a_consumer_error(agent, client, frame):
    from shouhou.core.tests.test_websocket_attack import TIMEOUT, run, session_cookie, socket

    cookie = session_cookie(client, agent)

    async def scenario():
        communicator = socket("/ws/desk/", cookie=cookie)
        await communicator.send_input({"type": "websocket.connect"})
        await communicator.receive_output(TIMEOUT)  # accept
        await communicator.receive_output(TIMEOUT)  # hello
        await communicator.send_input({"type": "websocket.receive", **frame})
        try:
            answer = await communicator.receive_output(TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - the consumer raised: named in the failure
            return f"{type(exc).__name__}: {exc}"
        await communicator.send_input({"type": "websocket.disconnect", "code": 1000})
        await communicator.wait(TIMEOUT)
        return answer

    answer = run(scenario)
    assert isinstance(answer, dict) and answer["type"] == "websocket.send", answer
    assert json.loads(answer["text"])["type"] == "error"


@pytest.mark.django_db(transaction=True)
# Was: live/consumers.py ChatConsumer: a revoked chat link is noticed only by the backstop's re-check every
# REAUTHORIZE_SECONDS (60 s), so a customer socket opened with a leaked link keeps hearing the agent's replies for
# up to a minute after 收回顾客链接 (a logout or a member leaving the shop closes the desk at once through the login/user
# groups). Fix: core.links.link_revoke sends, after commit, a `link.revoked` message to the conversation's chat
# stream group (live.services.chat_stream) and ChatConsumer handles it like DeskConsumer.login_changed (authorize
# again, refuse). The helper that sends is core's; the handler is live's.
def test_a_revoked_chat_link_closes_its_open_socket_at_once(agent, shop):
    import asyncio

    from channels.db import database_sync_to_async

    from shouhou.core import links
    from shouhou.core.testing.factories import CustomerFactory, OrderFactory
    from shouhou.core.tests.test_websocket_attack import TIMEOUT, run, socket
    from shouhou.inbox.channels import webchat

    conversation = webchat.webchat_start(order=OrderFactory(shop=shop, customer=CustomerFactory(shop=shop)))
    token = webchat.chat_token(conversation)
    revoke = database_sync_to_async(lambda: links.link_revoke(shop=shop, kind=links.Kind.WEB_CHAT,
                                                              object_id=conversation.pk, actor=agent))

    async def scenario():
        communicator = socket(f"/ws/chat/{token}/")
        await communicator.send_input({"type": "websocket.connect"})
        assert (await communicator.receive_output(TIMEOUT))["type"] == "websocket.accept"
        await communicator.receive_output(TIMEOUT)  # hello
        await revoke()
        try:
            return await communicator.receive_output(3)
        except (TimeoutError, asyncio.CancelledError):
            return None  # still open 3 s later (asgiref has cancelled the consumer on the timeout)

    assert run(scenario) == {"type": "websocket.close", "code": 4403}
