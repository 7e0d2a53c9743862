"""Pushes the channel layer dropped: a page's full channel, a dropped last push, a connected page far behind.
Each still gets every number once, in order, from the table — without being told to reload (docs/live.md)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull

from shouhou.inbox.channels import webchat
from shouhou.live import consumers
from shouhou.live.consumers import ChatConsumer
from shouhou.live.models import LiveEvent
from shouhou.live.selectors import REPLAY_LIMIT
from shouhou.live.services import chat_stream, live_number
from shouhou.live.tests.test_push import _connect, _customer_says, run

TIMEOUT = 5


def _stored(conversation, count: int) -> list[dict]:
    """`count` events committed and numbered but not pushed; their frames."""
    stream = chat_stream(conversation.pk)
    LiveEvent.objects.bulk_create([LiveEvent(shop_id=conversation.shop_id, stream=stream, seq=None, kind="message",
                                             data={"body": f"第{n}条"}) for n in range(count)])
    return live_number(stream)


def _page(conversation, after: int):
    token = webchat.chat_token(conversation)
    return _connect(ChatConsumer, f"/ws/chat/{token}/?after={after}", {"url_route": {"kwargs": {"token": token}}})


def test_the_layer_capacity_comes_from_the_setting(settings):
    """The layers that bound a channel (in-memory, and channels-redis' list-based one, SHOUHOU_LIVE_LAYER=lists)
    get LIVE_CHANNEL_CAPACITY, not their own default of 100, which dropped pushes in a surge bench (docs/live.md
    "Channel layer capacity"; the choice of layer: test_layer_choice.py)."""
    from channels.layers import get_channel_layer

    assert settings.LIVE_CHANNEL_CAPACITY == 1000
    assert get_channel_layer().capacity == settings.LIVE_CHANNEL_CAPACITY


@pytest.mark.django_db(transaction=True)
def test_a_full_channel_drops_pushes_and_the_page_still_gets_every_event_from_the_table(chat, settings):
    """A page's channel holds `capacity` undelivered pushes; the layer drops the rest (as channels-redis and the
    in-memory layer do). The last pushes dropped, no later event: the backstop read sends them, in order, once."""
    from channels.layers import get_channel_layer

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer",
                                           "CONFIG": {"capacity": 2}}}
    settings.LIVE_BACKSTOP_SECONDS = 0.3
    stream = chat_stream(chat.pk)
    _customer_says(chat, "第一条")
    number = database_sync_to_async(_stored)

    async def scenario():
        layer = get_channel_layer()
        page = _page(chat, 1)
        assert (await page.connect())[0]
        assert (await page.receive_json_from(TIMEOUT))["seq"] == 1
        frames = await number(chat, 5)
        assert [f["seq"] for f in frames] == [2, 3, 4, 5, 6]
        (channel,) = layer.groups[stream]
        dropped = []
        for frame in frames:  # no await point between the sends: the page cannot read its channel meanwhile
            try:
                await layer.send(channel, {"type": "live.event", "frames": [frame]})
            except ChannelFull:
                dropped.append(frame["seq"])
        assert dropped == [4, 5, 6]
        got = [await page.receive_json_from(TIMEOUT) for _ in range(5)]
        assert [(f["type"], f["seq"]) for f in got] == [("event", n) for n in (2, 3, 4, 5, 6)]
        assert await page.receive_nothing(0.5)
        await page.disconnect()

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_a_connected_page_far_behind_is_sent_the_events_and_one_connecting_that_far_behind_reloads(
        chat, monkeypatch):
    """More than REPLAY_LIMIT events whose pushes were dropped: the connected page gets them all from the table
    in order (pages of REPLAY_LIMIT), no reset; a page connecting with an older number gets a reset (it reloads
    its state); so does a connected page more than CATCH_UP_LIMIT behind."""
    from channels.layers import get_channel_layer

    stream = chat_stream(chat.pk)
    _customer_says(chat, "第一条")
    behind = 2 * REPLAY_LIMIT + 100
    number = database_sync_to_async(_stored)

    async def scenario():
        layer = get_channel_layer()
        page = _page(chat, 1)
        assert (await page.connect())[0]
        assert (await page.receive_json_from(TIMEOUT))["seq"] == 1
        frames = await number(chat, behind)
        await layer.group_send(stream, {"type": "live.event", "frames": [frames[-1]]})  # only the last arrives
        got = [await page.receive_json_from(TIMEOUT) for _ in range(behind)]
        assert [(f["type"], f["seq"]) for f in got] == [("event", n) for n in range(2, behind + 2)]
        assert await page.receive_nothing(0.3)
        await page.disconnect()

        late = _page(chat, 1)
        assert (await late.connect())[0]
        assert (await late.receive_json_from(TIMEOUT))["seq"] == behind + 1
        assert await late.receive_json_from(TIMEOUT) == {"type": "reset", "stream": stream, "seq": behind + 1}
        await late.disconnect()

        monkeypatch.setattr(consumers, "CATCH_UP_LIMIT", REPLAY_LIMIT)
        far = _page(chat, behind + 1)
        assert (await far.connect())[0]
        assert (await far.receive_json_from(TIMEOUT))["seq"] == behind + 1
        more = await number(chat, REPLAY_LIMIT + 1)
        await layer.group_send(stream, {"type": "live.event", "frames": [more[-1]]})
        frame = await far.receive_json_from(TIMEOUT)
        assert frame == {"type": "reset", "stream": stream, "seq": behind + REPLAY_LIMIT + 2}
        await far.disconnect()

    run(scenario)


@pytest.mark.django_db
def test_several_streams_are_numbered_together_each_from_its_own_last_number():
    """A customer's message publishes to the desk's stream and the chat's: both are numbered in one short
    transaction (live_number_streams), each continuing its own numbers; a stream seen for the first time is
    created; one without a shop is not; numbering again finds nothing left."""
    from shouhou.core.testing.factories import ShopFactory
    from shouhou.live.models import LiveStream
    from shouhou.live.services import desk_stream, live_number_streams

    shop = ShopFactory()
    desk, chat = desk_stream(shop.pk), "conv.990001"
    LiveEvent.objects.bulk_create([LiveEvent(shop_id=shop.pk, stream=desk, seq=None, kind="message", data={"n": n})
                                   for n in range(3)])
    assert [f["seq"] for f in live_number(desk, shop_id=shop.pk)] == [1, 2, 3]
    LiveEvent.objects.bulk_create([LiveEvent(shop_id=shop.pk, stream=s, seq=None, kind="message", data={"n": n})
                                   for s in (desk, chat) for n in range(2)])
    numbered = live_number_streams({desk: shop.pk, chat: shop.pk, "conv.990002": None})
    assert [f["seq"] for f in numbered[desk]] == [4, 5] and [f["data"]["n"] for f in numbered[desk]] == [0, 1]
    assert [f["seq"] for f in numbered[chat]] == [1, 2] and {f["stream"] for f in numbered[chat]} == {chat}
    assert "conv.990002" not in numbered and not LiveStream.objects.filter(key="conv.990002").exists()
    assert dict(LiveStream.objects.filter(key__in=[desk, chat]).values_list("key", "last_seq")) == {desk: 5, chat: 2}
    assert live_number_streams({desk: shop.pk, chat: shop.pk}) == {desk: [], chat: []}
