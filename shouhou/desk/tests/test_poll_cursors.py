"""The timeline read's cursors skip nothing a transaction commits late (docs/live.md, "Cursors of the timeline
read"). On PostgreSQL ids are taken at INSERT and transactions commit in any order: two real transactions here
commit out of order, the second's row read first."""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connection, transaction

from shouhou.core.testing.factories import CustomerFactory
from shouhou.inbox.choices import Channel, Direction, TicketEventKind
from shouhou.inbox.models import Message, TicketEvent
from shouhou.inbox.selectors import CommitHorizon, Cursor
from shouhou.inbox.services import message_receive


class _LateWriter:
    """Another connection that stores a message and a ticket event and holds its transaction open until told."""

    def __init__(self, ticket, body: str, note: str):
        self.ticket, self.body, self.note = ticket, body, note
        self.ready, self.go, self.done = threading.Event(), threading.Event(), threading.Event()
        self.ids: dict[str, int] = {}
        self.error = ""
        self.thread = threading.Thread(target=self._run)

    def _run(self):
        try:
            with transaction.atomic():
                m = Message.objects.create(shop_id=self.ticket.shop_id, conversation_id=self.ticket.conversation_id,
                                           direction=Direction.INBOUND, body=self.body)
                e = TicketEvent.objects.create(shop_id=self.ticket.shop_id, ticket=self.ticket,
                                               kind=TicketEventKind.NOTE, note=self.note)
                self.ids = {"message": m.pk, "event": e.pk}
                self.ready.set()
                self.go.wait(20)
        except Exception as exc:  # noqa: BLE001 - the test names it
            self.error = repr(exc)
            self.ready.set()
        finally:
            connection.close()
            self.done.set()

    def __enter__(self):
        self.thread.start()
        assert self.ready.wait(20) and not self.error, self.error
        return self

    def commit(self):
        self.go.set()
        self.thread.join(20)
        assert self.done.is_set() and not self.error, self.error

    def __exit__(self, *exc):
        self.go.set()
        self.thread.join(20)


def _poll(client, ticket, m, e):
    return client.get(f"/desk/t/{ticket.pk}/poll/", {"m": m, "e": e}).json()


def _pane_cursors(client, ticket) -> tuple[str, str]:
    html = client.get(f"/desk/im/t/{ticket.pk}/").content.decode()
    found = re.search(r'data-m="([0-9.]+)" data-e="([0-9.]+)"', html)
    assert found, "the pane carries its cursors"
    return found.group(1), found.group(2)


@pytest.mark.django_db(transaction=True)
def test_a_message_and_an_event_committed_after_newer_ones_were_read_are_still_read(agent_client, shop):
    ticket = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="在吗？",
                             customer=CustomerFactory(shop=shop)).ticket
    first = _poll(agent_client, ticket, 0, 0)
    late_body, late_note = "这条消息的事务最后才提交" + "，" * 250, "晚提交的工单记录"
    with _LateWriter(ticket, late_body, late_note) as late:
        if connection.vendor == "postgresql":
            # a newer id committed first: the reads below see it but not the older, still open one
            newer = Message.objects.create(shop=shop, conversation_id=ticket.conversation_id,
                                           direction=Direction.INBOUND, body="后写入却先提交")
            newer_event = TicketEvent.objects.create(shop=shop, ticket=ticket, kind=TicketEventKind.NOTE,
                                                     note="先提交的记录")
            assert newer.pk > late.ids["message"] and newer_event.pk > late.ids["event"]
        # SQLite writes one transaction at a time: nothing can commit before the open one; it is read late all the same
        racing = _poll(agent_client, ticket, first["m"], first["e"])
        pane_m, pane_e = _pane_cursors(agent_client, ticket)  # a page opened at that moment
        assert late_body not in racing["html"]
        if connection.vendor == "postgresql":
            assert "后写入却先提交" in racing["html"] and "先提交的记录" in racing["html"]
        late.commit()
    for m, e in ((racing["m"], racing["e"]), (pane_m, pane_e)):
        later = _poll(agent_client, ticket, m, e)
        assert late_body in later["html"] and late_note in later["html"]
        # once the late writer has ended, the cursor settles past it: the next read repeats nothing
        again = _poll(agent_client, ticket, later["m"], later["e"])
        assert again["count"] == 0, again["html"]


def _horizon(now_ms, oldest=None):
    return CommitHorizon(now_ms=now_ms, oldest_writer_ms=oldest)


def test_the_cursor_waits_for_the_writers_open_when_it_read_and_only_for_them():
    # a read at 1000 ms saw up to id 102 while a writer that started at 900 ms was open: 102 is not settled
    c = Cursor(settled=100).advance(newest=102, horizon=_horizon(1000, oldest=900))
    assert (c.settled, c.seen, c.at_ms) == (100, 102, 1000) and c.token() == "100.102.1000"
    assert Cursor.parse(c.token()) == c
    # later reads: that writer still open (newer ids keep being read above 100, the wait stays on 102's moment)
    c = c.advance(newest=105, horizon=_horizon(2000, oldest=900))
    assert (c.settled, c.seen, c.at_ms) == (100, 102, 1000)
    # it ended; a writer that started after 1000 ms is open: 102 is settled, 105 (read at 3000 ms) waits for it
    c = c.advance(newest=105, horizon=_horizon(3000, oldest=2500))
    assert (c.settled, c.seen, c.at_ms) == (102, 105, 3000)
    # no writer open: settled at once
    c = c.advance(newest=106, horizon=_horizon(4000))
    assert c == Cursor(106, 106, 0) and c.token() == "106"


def test_a_writer_that_started_in_the_same_millisecond_counts_as_open():
    assert not _horizon(1000, oldest=1000).settles(1000)
    assert _horizon(1000, oldest=1001).settles(1000)


@pytest.mark.parametrize("value, cursor", [
    ("", Cursor()), ("0", Cursor()), ("57", Cursor(57, 57, 0)), ("3.9.1700000000000", Cursor(3, 9, 1700000000000)),
    ("9.3.17", Cursor(9, 9, 0)), ("4.8.0", Cursor(4, 4, 0)), ("x", Cursor()), ("1.2", Cursor()), ("-5", Cursor()),
    ("9" * 40, Cursor()),
])
def test_a_cursor_from_the_page_is_read_strictly(value, cursor):
    assert Cursor.parse(value) == cursor
