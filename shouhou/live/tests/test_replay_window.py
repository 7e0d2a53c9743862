"""Replay after a dropped connection beyond the retention window, when *every* event the page missed is gone.

docs/live.md point 8: a page that connects with a number older than the events kept (3 days) is told to reload its
state (`reset`). Before 2026-12-07 that held only while some later event was still stored: on a quiet stream whose
last events had all been pruned (a desk left asleep over a long weekend, a customer's chat link opened days later)
the page was greeted with the current number and no reset, and the consumer went on from the page's stale number.
The page missed the pruned events without a word, and the stream's next event — the next customer message — was
held as "ahead of a gap", then delivered as a reset instead of as itself: the desk reloaded silently, with no
alert, no sound and no tab title for that message.
"""

from __future__ import annotations

import datetime as dt

import pytest
from channels.db import database_sync_to_async

from shouhou.inbox.channels import webchat
from shouhou.live.consumers import ChatConsumer
from shouhou.live.models import LiveEvent
from shouhou.live.selectors import live_last_seq
from shouhou.live.services import chat_stream, live_prune
from shouhou.live.tests.test_push import TIMEOUT, _connect, run


@pytest.mark.django_db(transaction=True)
def test_a_page_whose_missed_events_were_all_pruned_is_reset_and_then_hears_the_next_message(chat, time_machine):
    # given two customer messages on Tuesday, seen by nobody since, and three days later every event pruned
    time_machine.move_to(dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC), tick=False)
    webchat.webchat_post(conversation=chat, body="在吗")
    webchat.webchat_post(conversation=chat, body="面霜漏了")
    time_machine.move_to(dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.UTC), tick=False)
    stream = chat_stream(chat.pk)
    assert live_prune() >= 2 and not LiveEvent.objects.filter(stream=stream).exists()
    assert live_last_seq(stream) == 2
    token = webchat.chat_token(chat)
    say = database_sync_to_async(lambda text: webchat.webchat_post(conversation=chat, body=text))

    async def scenario():
        # when a page that had seen nothing of them (its number 0) connects
        page = _connect(ChatConsumer, f"/ws/chat/{token}/?after=0", {"url_route": {"kwargs": {"token": token}}})
        assert (await page.connect())[0]
        assert await page.receive_json_from(TIMEOUT) == {"type": "hello", "stream": stream, "seq": 2}
        # then it is told at once to reload its state, from number 2
        assert await page.receive_json_from(TIMEOUT) == {"type": "reset", "stream": stream, "seq": 2}
        # and the next message reaches it as itself, the next number, not as another reset
        await say("还在吗")
        frame = await page.receive_json_from(TIMEOUT)
        assert (frame["type"], frame["seq"], frame["data"]["body"]) == ("event", 3, "还在吗")
        await page.disconnect()

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_a_page_that_is_up_to_date_on_a_pruned_stream_is_not_reset(chat, time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC), tick=False)
    webchat.webchat_post(conversation=chat, body="在吗")
    time_machine.move_to(dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.UTC), tick=False)
    live_prune()
    stream = chat_stream(chat.pk)
    current = live_last_seq(stream)
    token = webchat.chat_token(chat)
    say = database_sync_to_async(lambda text: webchat.webchat_post(conversation=chat, body=text))

    async def scenario():
        page = _connect(ChatConsumer, f"/ws/chat/{token}/?after={current}", {"url_route": {"kwargs": {"token": token}}})
        assert (await page.connect())[0]
        assert (await page.receive_json_from(TIMEOUT))["type"] == "hello"
        await say("还在吗")
        frame = await page.receive_json_from(TIMEOUT)
        assert (frame["type"], frame["seq"]) == ("event", current + 1)
        await page.disconnect()

    run(scenario)
