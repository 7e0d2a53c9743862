"""The customer's chat read (the fallback polling, `?after=<cursor>`) skips nothing a transaction commits late
(docs/live.md, "Cursors of the timeline read"): on PostgreSQL two real transactions commit out of order, the
newer reply read first; on SQLite the late one is read late all the same."""

from __future__ import annotations

import re
import threading

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client

from shouhou.core.testing.factories import CustomerFactory, OrderFactory
from shouhou.inbox.channels import webchat
from shouhou.inbox.choices import Direction
from shouhou.inbox.models import Message


class _LateReply:
    """Another connection that stores an agent's reply in the chat and holds its transaction open until told."""

    def __init__(self, conversation, body: str):
        self.conversation, self.body = conversation, body
        self.ready, self.go, self.done = threading.Event(), threading.Event(), threading.Event()
        self.pk = 0
        self.error = ""
        self.thread = threading.Thread(target=self._run)

    def _run(self):
        try:
            with transaction.atomic():
                self.pk = Message.objects.create(shop_id=self.conversation.shop_id, conversation=self.conversation,
                                                 direction=Direction.OUTBOUND, body=self.body).pk
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


def _read(client, token, after):
    answer = client.get(f"/inbox/chat/{token}/messages/", {"after": after})
    assert answer.status_code == 200
    return answer.json()


@pytest.mark.django_db(transaction=True)
def test_a_reply_committed_after_a_newer_one_was_read_still_reaches_the_customers_chat(shop):
    cache.clear()
    customer = CustomerFactory(shop=shop, phone="13812345678")
    conversation = webchat.webchat_start(order=OrderFactory(shop=shop, customer=customer, order_no="XL1"))
    token = webchat.chat_token(conversation)
    client = Client()
    Message.objects.create(shop=shop, conversation=conversation, direction=Direction.INBOUND, body="在吗？")
    first = _read(client, token, 0)
    assert [m["body"] for m in first["messages"]] == ["在吗？"]
    late_body = "这条回复的事务最后才提交"
    pg = connection.vendor == "postgresql"
    with _LateReply(conversation, late_body) as late:
        if pg:  # a newer reply committed first: the reads below see it but not the older, still open one
            newer = Message.objects.create(shop=shop, conversation=conversation, direction=Direction.OUTBOUND,
                                           body="后写入却先提交")
            assert newer.pk > late.pk
        else:
            # SQLite writes one transaction at a time, and the chat's read counts its rate limit (a write), so it
            # would wait for the open writer: nothing commits out of order there; the reads come after it
            late.commit()
        racing = _read(client, token, first["cursor"])
        page = client.get(f"/inbox/chat/{token}/").content.decode()  # a chat page opened at that moment
        page_cursor = re.search(r'data-cursor="([0-9.]+)"', page)
        assert page_cursor, "the page carries its cursor"
        if pg:
            bodies = [m["body"] for m in racing["messages"]]
            assert late_body not in bodies and "后写入却先提交" in bodies
            late.commit()
    cursors = [racing["cursor"], page_cursor.group(1)]
    if not pg:  # the reads came after the commit: the page shows the reply, and a read from before it gets it
        assert late_body in page
        cursors = [first["cursor"]]
    for cursor in cursors:
        later = _read(client, token, cursor)
        assert late_body in [m["body"] for m in later["messages"]]
        # once the late writer has ended the cursor settles past it: the next read repeats nothing
        again = _read(client, token, later["cursor"])
        assert again["messages"] == [], again


@pytest.mark.django_db
def test_an_old_page_polling_with_a_plain_id_still_reads_what_is_newer(shop):
    cache.clear()
    conversation = webchat.webchat_start(order=OrderFactory(shop=shop, customer=CustomerFactory(shop=shop),
                                                            order_no="XL2"))
    token = webchat.chat_token(conversation)
    a = Message.objects.create(shop=shop, conversation=conversation, direction=Direction.INBOUND, body="一")
    Message.objects.create(shop=shop, conversation=conversation, direction=Direction.OUTBOUND, body="二")
    data = _read(Client(), token, a.pk)
    assert [m["body"] for m in data["messages"]] == ["二"]
    assert data["cursor"] == str(data["messages"][-1]["id"])  # nothing open: settled at once
