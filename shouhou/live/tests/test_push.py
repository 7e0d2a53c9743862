"""Live push over real WebSocket consumers (Channels' communicator, in-memory layer): numbered events,
what each stream may carry, replay after a dropped connection with no gap and no duplicate, refusals."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from shouhou.core.testing.factories import CustomerFactory
from shouhou.inbox.channels import webchat
from shouhou.inbox.choices import Channel
from shouhou.inbox.models import Ticket
from shouhou.inbox.services import message_receive, ticket_note, ticket_reply
from shouhou.live.consumers import ChatConsumer, DeskConsumer
from shouhou.live.models import LiveEvent
from shouhou.live.selectors import live_events_after, live_last_seq
from shouhou.live.services import chat_stream, desk_stream, live_prune
from shouhou.live.tests.ws import WebsocketCommunicator

TIMEOUT = 5


def run(scenario):
    """Run an async scenario on its own loop in its own thread (Playwright's sync API, if a browser test ran
    earlier in the session, keeps a loop running in the main thread)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, scenario()).result()


def _customer_says(conversation, text, client_id=""):
    return webchat.webchat_post(conversation=conversation, body=text, client_id=client_id)


@pytest.mark.django_db(transaction=True)  # events are numbered after their change commits
def test_messages_and_ticket_changes_are_numbered_per_stream_and_notes_stay_on_the_desk(chat, agent):
    # when the customer writes, the agent replies and adds an internal note
    received = _customer_says(chat, "面霜漏了怎么办")
    ticket = received.ticket
    ticket_reply(ticket=ticket, author=agent, body="非常抱歉，马上为您处理")
    ticket_note(ticket=ticket, author=agent, body="内部：仓库核实批次")

    # then the chat stream holds exactly the two customer-visible messages, numbered 1, 2
    frames = live_events_after(chat_stream(chat.pk), 0)
    assert [(f["seq"], f["data"]["who"], f["data"]["body"]) for f in frames] == [
        (1, "me", "面霜漏了怎么办"), (2, "agent", "非常抱歉，马上为您处理")]
    # and the desk stream has every message (the note too) and the ticket changes, numbered without holes
    desk = live_events_after(desk_stream(chat.shop_id), 0)
    assert [f["seq"] for f in desk] == list(range(1, len(desk) + 1))
    previews = [f["data"]["preview"] for f in desk if f["kind"] == "message"]
    assert previews == ["面霜漏了怎么办", "非常抱歉，马上为您处理", "内部：仓库核实批次"]
    assert {f["data"]["ticket_id"] for f in desk if f["kind"] == "ticket"} == {ticket.pk}
    assert "内部" not in str(frames)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_event_and_no_hole(chat):
    from django.db import transaction

    _customer_says(chat, "第一条")
    with pytest.raises(RuntimeError), transaction.atomic():
        _customer_says(chat, "不会保存")
        raise RuntimeError("rolled back")
    _customer_says(chat, "第二条")
    frames = live_events_after(chat_stream(chat.pk), 0)
    assert [(f["seq"], f["data"]["body"]) for f in frames] == [(1, "第一条"), (2, "第二条")]
    assert not LiveEvent.objects.filter(seq__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_the_stream_is_numbered_after_commit_and_not_locked_while_the_sender_works(chat):
    """The sender's transaction stores its events unnumbered and never touches the stream row, so the
    senders of one shop do not wait for each other's whole transactions; the numbers come after commit."""
    import threading

    from django.db import connection, transaction

    from shouhou.live.models import LiveStream

    _customer_says(chat, "第一条")
    desk = desk_stream(chat.shop_id)
    before = live_last_seq(desk)
    seen = {}

    def other_connection():  # what another sender sees while this transaction is still open
        try:
            if connection.vendor == "postgresql":  # NOWAIT fails at once if the stream row is locked
                with transaction.atomic():
                    seen["last"] = LiveStream.objects.select_for_update(nowait=True).get(key=desk).last_seq
            else:  # SQLite's test database (shared cache) refuses to read a table an open transaction wrote
                seen["last"] = LiveStream.objects.get(key=desk).last_seq
        except Exception as exc:  # noqa: BLE001 - the assertion below names it
            seen["error"] = repr(exc)
        finally:
            connection.close()

    with transaction.atomic():
        _customer_says(chat, "第二条")
        pending = list(LiveEvent.objects.filter(seq__isnull=True).values_list("stream", flat=True))
        assert set(pending) == {desk, chat_stream(chat.pk)}  # stored in the sender's transaction, no number yet
        thread = threading.Thread(target=other_connection)
        thread.start()
        thread.join(10)
    assert seen == {"last": before}
    # after commit: numbered, continuing the stream without a hole
    assert not LiveEvent.objects.filter(seq__isnull=True).exists()
    desk_frames = live_events_after(desk, 0)
    assert [f["seq"] for f in desk_frames] == list(range(1, len(desk_frames) + 1)) and len(desk_frames) > before
    assert [f["data"]["body"] for f in live_events_after(chat_stream(chat.pk), 0)] == ["第一条", "第二条"]


@pytest.mark.django_db(transaction=True)
def test_an_event_left_unnumbered_is_numbered_by_the_next_one_or_the_task(chat, time_machine):
    """A process that stopped between the change's commit and the numbering leaves an unnumbered event:
    the next event of the stream numbers it first, and the live.number task numbers a quiet stream's."""
    import datetime as dt

    from shouhou.live.tasks import live_number_task

    time_machine.move_to(dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.UTC), tick=False)
    stream = chat_stream(chat.pk)

    def store_only(**kwargs):  # stored with its change, but the numbering after commit never ran
        return LiveEvent.objects.create(seq=None, **kwargs).pk

    store_only(shop_id=chat.shop_id, stream=stream, kind="message", data={"body": "先存的"})
    assert live_events_after(stream, 0) == []
    _customer_says(chat, "后来的")
    assert [(f["seq"], f["data"]["body"]) for f in live_events_after(stream, 0)] == [(1, "先存的"), (2, "后来的")]

    # a quiet stream: only the task numbers it, once the event is older than STALE_SECONDS
    store_only(shop_id=chat.shop_id, stream=stream, kind="message", data={"body": "没人接着发"})
    assert live_number_task() == 0
    time_machine.move_to(dt.datetime(2026, 12, 5, 10, 1, tzinfo=dt.UTC), tick=False)
    assert live_number_task() == 1
    assert [f["data"]["body"] for f in live_events_after(stream, 2)] == ["没人接着发"]
    assert live_last_seq(stream) == 3


def _connect(consumer, path, scope_extra=None):
    communicator = WebsocketCommunicator(consumer.as_asgi(), path)
    communicator.scope.update(scope_extra or {})
    return communicator


@pytest.mark.django_db(transaction=True)
def test_the_chat_page_gets_a_reply_live_and_the_missed_ones_after_reconnecting(chat, agent):
    token = webchat.chat_token(chat)
    ticket = _customer_says(chat, "在吗").ticket
    say = database_sync_to_async(_customer_says)
    reply = database_sync_to_async(lambda text: ticket_reply(ticket=Ticket.objects.get(pk=ticket.pk),
                                                             author=agent, body=text))

    async def scenario():
        # the page connects having seen event 1 (its own first message)
        first = _connect(ChatConsumer, f"/ws/chat/{token}/?after=1", {"url_route": {"kwargs": {"token": token}}})
        connected, _ = await first.connect()
        assert connected
        hello = await first.receive_json_from(TIMEOUT)
        assert hello == {"type": "hello", "stream": chat_stream(chat.pk), "seq": 1}
        # an agent's reply arrives live as event 2
        await reply("您好，在的")
        frame = await first.receive_json_from(TIMEOUT)
        assert (frame["seq"], frame["data"]["who"], frame["data"]["body"]) == (2, "agent", "您好，在的")
        # the connection drops; meanwhile two more replies and a message from another tab are stored
        await first.disconnect()
        await reply("请问订单号是多少？")
        await say(chat, "XL20261101001", "tab-2")
        await reply("好的，已查到")
        # the page reconnects with the last number it has: it gets 3, 4, 5 in order, nothing twice
        second = _connect(ChatConsumer, f"/ws/chat/{token}/?after=2", {"url_route": {"kwargs": {"token": token}}})
        assert (await second.connect())[0]
        assert (await second.receive_json_from(TIMEOUT))["type"] == "hello"
        got = [await second.receive_json_from(TIMEOUT) for _ in range(3)]
        assert [(f["seq"], f["data"]["body"]) for f in got] == [
            (3, "请问订单号是多少？"), (4, "XL20261101001"), (5, "好的，已查到")]
        # and then live again, continuing the numbers
        await reply("已为您补发")
        frame = await second.receive_json_from(TIMEOUT)
        assert (frame["seq"], frame["data"]["body"]) == (6, "已为您补发")
        assert await second.receive_nothing(0.3)
        await second.disconnect()

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_an_agent_desk_hears_every_message_of_its_shop_and_nothing_of_another(chat, agent, other_shop):
    other_customer = CustomerFactory(shop=other_shop, phone="13900001111")
    receive = database_sync_to_async(lambda shop, text, customer: message_receive(
        shop=shop, channel=Channel.WEB_CHAT, body=text, customer=customer))

    async def scenario():
        desk = _connect(DeskConsumer, "/ws/desk/", {"user": agent, "session": {}})
        assert (await desk.connect())[0]
        hello = await desk.receive_json_from(TIMEOUT)
        assert hello["stream"] == desk_stream(chat.shop_id)
        await receive(other_shop, "别的店的顾客", other_customer)
        await receive(chat.shop, "我的快递到哪了", chat.customer)
        frames = []
        while True:
            frame = await desk.receive_json_from(TIMEOUT)
            frames.append(frame)
            if frame["kind"] == "message":
                break
        assert frame["data"]["preview"] == "我的快递到哪了" and frame["data"]["who"] == "me"
        assert "别的店" not in str(frames)
        await desk.disconnect()

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_refused_without_a_valid_link_or_login(chat):
    from django.contrib.auth.models import AnonymousUser

    async def scenario():
        bad = _connect(ChatConsumer, "/ws/chat/forged/", {"url_route": {"kwargs": {"token": "forged"}}})
        connected, code = await bad.connect()
        assert not connected and code == 4403
        anon = _connect(DeskConsumer, "/ws/desk/", {"user": AnonymousUser(), "session": {}})
        connected, code = await anon.connect()
        assert not connected and code == 4403

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_a_page_too_far_behind_is_told_to_reload_its_state(chat, time_machine):
    import datetime as dt

    time_machine.move_to(dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC), tick=False)
    _customer_says(chat, "很早的消息")
    time_machine.move_to(dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.UTC), tick=False)
    _customer_says(chat, "今天的消息")
    early = LiveEvent.objects.filter(created_at__lt=dt.datetime(2026, 12, 2, tzinfo=dt.UTC)).count()
    assert early >= 2 and live_prune() == early  # three days kept: the first message's events are gone
    assert [f["seq"] for f in live_events_after(chat_stream(chat.pk), 0)] == [2]
    assert live_last_seq(chat_stream(chat.pk)) == 2
    token = webchat.chat_token(chat)

    async def scenario():
        page = _connect(ChatConsumer, f"/ws/chat/{token}/?after=0", {"url_route": {"kwargs": {"token": token}}})
        assert (await page.connect())[0]
        assert (await page.receive_json_from(TIMEOUT))["type"] == "hello"
        assert await page.receive_json_from(TIMEOUT) == {"type": "reset", "stream": chat_stream(chat.pk), "seq": 2}
        await page.disconnect()

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_a_connection_is_closed_when_its_chat_link_is_revoked(chat, agent, settings, monkeypatch):
    from shouhou.core import links
    from shouhou.live import consumers

    settings.LIVE_BACKSTOP_SECONDS = 0.05
    monkeypatch.setattr(consumers, "REAUTHORIZE_SECONDS", 0.1)
    token = webchat.chat_token(chat)
    revoke = database_sync_to_async(lambda: links.link_revoke(shop=chat.shop, kind=links.Kind.WEB_CHAT,
                                                              object_id=chat.pk, actor=agent))

    async def scenario():
        page = _connect(ChatConsumer, f"/ws/chat/{token}/", {"url_route": {"kwargs": {"token": token}}})
        assert (await page.connect())[0]
        assert (await page.receive_json_from(TIMEOUT))["type"] == "hello"
        await revoke()
        closed = await page.receive_output(TIMEOUT)
        assert closed == {"type": "websocket.close", "code": 4403}

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_pushes_out_of_order_reach_the_page_in_order_and_a_missing_push_is_read_from_the_table(chat):
    """Two web processes numbering one stream may push in the other order: the page still gets every
    number once, in order; a number whose push never comes is read from the table after GAP_WAIT_SECONDS."""
    from channels.layers import get_channel_layer

    from shouhou.live.services import live_number

    stream = chat_stream(chat.pk)
    token = webchat.chat_token(chat)
    _customer_says(chat, "第一条")

    def stored(*bodies):  # committed and numbered, not pushed (as when another process's push is slow)
        for body in bodies:
            LiveEvent.objects.create(shop_id=chat.shop_id, stream=stream, seq=None, kind="message",
                                     data={"body": body})
        return live_number(stream)

    number = database_sync_to_async(stored)

    async def scenario():
        layer = get_channel_layer()
        page = _connect(ChatConsumer, f"/ws/chat/{token}/?after=1", {"url_route": {"kwargs": {"token": token}}})
        assert (await page.connect())[0]
        assert (await page.receive_json_from(TIMEOUT))["seq"] == 1
        two, three = await number("二", "三")
        await layer.group_send(stream, {"type": "live.event", "frames": [three]})
        await layer.group_send(stream, {"type": "live.event", "frames": [two]})
        await layer.group_send(stream, {"type": "live.event", "frames": [three]})  # twice: sent once
        got = [await page.receive_json_from(TIMEOUT) for _ in range(2)]
        assert [(f["seq"], f["data"]["body"]) for f in got] == [(2, "二"), (3, "三")]
        assert await page.receive_nothing(0.2)
        four, five = await number("四", "五")
        await layer.group_send(stream, {"type": "live.event", "frames": [five]})  # four's push is lost
        got = [await page.receive_json_from(TIMEOUT) for _ in range(2)]
        assert [(f["seq"], f["data"]["body"]) for f in got] == [(4, "四"), (5, "五")]
        assert await page.receive_nothing(0.2)
        await page.disconnect()

    run(scenario)


def _logged_in_scope(client, user) -> dict:
    """The scope Channels' AuthMiddlewareStack builds for a browser logged in as `user`: its session read from
    the session store by the cookie's key, and the user that session named at connect."""
    from importlib import import_module

    from django.conf import settings

    client.force_login(user)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"user": user, "session": import_module(settings.SESSION_ENGINE).SessionStore(key)}


@pytest.mark.parametrize("ending", ["logout", "password_change", "deactivated"])
@pytest.mark.django_db(transaction=True)
def test_an_open_desk_stops_hearing_the_shop_once_its_login_ends(ending, chat, agent, client, settings, monkeypatch):
    """The desk's right is checked again with the session read afresh: an agent logged out (or whose password
    was changed, or whose account was deactivated) no longer gets the shop's messages on a desk left open.
    Before, the check reused the user Channels loaded at connect, and the socket heard the shop for good."""
    from shouhou.live import consumers

    settings.LIVE_BACKSTOP_SECONDS = 0.05
    monkeypatch.setattr(consumers, "REAUTHORIZE_SECONDS", 0.1)
    scope = _logged_in_scope(client, agent)

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
        assert (await desk.connect())[0]
        assert (await desk.receive_json_from(TIMEOUT))["stream"] == desk_stream(chat.shop_id)
        await database_sync_to_async(end_login)()
        closed = await desk.receive_output(TIMEOUT)
        assert closed == {"type": "websocket.close", "code": 4403}

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_a_desk_with_a_live_session_keeps_its_stream_when_its_right_is_checked_again(chat, agent, client, settings,
                                                                                  monkeypatch):
    from shouhou.live import consumers

    settings.LIVE_BACKSTOP_SECONDS = 0.05
    monkeypatch.setattr(consumers, "REAUTHORIZE_SECONDS", 0.1)
    scope = _logged_in_scope(client, agent)

    async def scenario():
        import asyncio

        desk = _connect(DeskConsumer, "/ws/desk/", scope)
        assert (await desk.connect())[0]
        assert (await desk.receive_json_from(TIMEOUT))["type"] == "hello"
        await asyncio.sleep(0.5)  # several checks
        await database_sync_to_async(_customer_says)(chat, "还在吗")
        frame = await desk.receive_json_from(TIMEOUT)
        assert frame["kind"] == "message" and frame["data"]["preview"] == "还在吗"
        await desk.disconnect()

    run(scenario)


@pytest.mark.parametrize(("query", "after"), [(b"after=41", 41), (b"after=%C2%B2", None), (b"after=%EF%BC%91", None),
                                              (b"after=-1", None), (b"after=" + b"9" * 40, None), (b"", None)])
def test_the_page_number_is_read_from_ascii_digits_only(query, after):
    """「²」 (after=%C2%B2) passed str.isdigit() and made int() raise inside connect: the socket failed with an
    error instead of being answered from the current number."""
    from shouhou.live.consumers import _after

    assert _after({"query_string": query}) == after


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 40, 40)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_file_is_pushed_with_the_name_the_sender_gave_it(chat, agent):
    from django.core.files.uploadedfile import SimpleUploadedFile

    # when the customer sends 「../发票.html」 holding a PDF, and the agent answers with a photo
    received = webchat.webchat_post(conversation=chat, body="", client_id="f1",
                                    upload=SimpleUploadedFile("../发票.html", b"%PDF-1.4\n"))
    ticket_reply(ticket=received.ticket, author=agent, body="", attachment=SimpleUploadedFile(
        "回执.png", _png()))  # a real picture: uploads are decoded (core/uploads.py), a bare signature is refused

    # then both streams carry each file's name (with the extension of what it is) for live pages to show
    frames = live_events_after(chat_stream(chat.pk), 0)
    assert [f["data"]["attachment"] for f in frames] == [{"name": "发票.pdf", "image": False},
                                                         {"name": "回执.png", "image": True}]
    desk = [f for f in live_events_after(desk_stream(chat.shop_id), 0) if f["kind"] == "message"]
    assert [f["data"]["attachment"]["name"] for f in desk] == ["发票.pdf", "回执.png"]
