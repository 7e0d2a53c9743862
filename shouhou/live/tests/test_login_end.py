"""A login that ends closes its open desks at once (docs/live.md, "Who may connect"): the logout, a new
password and a deactivated account are pushed to the desk's connection, which closes (4403) before the next
message of the shop — not at its periodic check (REAUTHORIZE_SECONDS, a minute) with the shop's messages
still arriving meanwhile. Another login of the same agent (another browser) is not closed by this one's logout."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from shouhou.live.consumers import DeskConsumer
from shouhou.live.services import desk_stream
from shouhou.live.tests.test_push import TIMEOUT, _connect, _customer_says, _logged_in_scope, run


@pytest.mark.parametrize("ending", ["logout", "password_change", "deactivated"])
@pytest.mark.django_db(transaction=True)
def test_an_open_desk_closes_the_moment_its_login_ends(ending, chat, agent, client, settings):
    from django.test import Client

    settings.LIVE_BACKSTOP_SECONDS = 30  # no periodic read or check during the test: only the push can close it
    scope = _logged_in_scope(client, agent)
    elsewhere = _logged_in_scope(Client(), agent)  # the same agent logged in on another computer

    def end_login():
        if ending == "logout":
            client.logout()
        elif ending == "password_change":
            agent.set_password("a-new-long-passphrase-2026")
            agent.save()
        else:
            agent.is_active = False
            agent.save(update_fields=["is_active"])

    async def scenario():
        desk = _connect(DeskConsumer, "/ws/desk/", scope)
        other = _connect(DeskConsumer, "/ws/desk/", elsewhere)
        for page in (desk, other):
            assert (await page.connect())[0]
            assert (await page.receive_json_from(TIMEOUT))["stream"] == desk_stream(chat.shop_id)
        await database_sync_to_async(end_login)()
        assert await desk.receive_output(2) == {"type": "websocket.close", "code": 4403}
        await database_sync_to_async(_customer_says)(chat, "登出后的消息")
        assert await desk.receive_nothing(0.5)
        if ending == "logout":  # the other login is still valid: it keeps hearing the shop
            frame = await other.receive_json_from(TIMEOUT)
            assert frame["kind"] == "message" and frame["data"]["preview"] == "登出后的消息"
            await other.disconnect()
        else:  # a new password or a deactivated account ends every login of the agent
            assert await other.receive_output(2) == {"type": "websocket.close", "code": 4403}

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_an_open_desk_closes_the_moment_its_agent_leaves_the_shop(chat, agent, client, settings):
    from shouhou.accounts.models import Membership

    settings.LIVE_BACKSTOP_SECONDS = 30  # only the push can close it within the test
    scope = _logged_in_scope(client, agent)

    async def scenario():
        desk = _connect(DeskConsumer, "/ws/desk/", scope)
        assert (await desk.connect())[0]
        assert (await desk.receive_json_from(TIMEOUT))["stream"] == desk_stream(chat.shop_id)
        await database_sync_to_async(lambda: Membership.objects.get(user=agent, shop_id=chat.shop_id).delete())()
        assert await desk.receive_output(2) == {"type": "websocket.close", "code": 4403}
        await database_sync_to_async(_customer_says)(chat, "离开店铺后的消息")
        assert await desk.receive_nothing(0.5)

    run(scenario)
