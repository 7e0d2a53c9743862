"""A huge file and a file of the wrong type, each way in web chat: the customer's upload and the agent's reply from the
one-screen desk (a fetch with X-Desk-Fetch). Each is refused with the Chinese reason, nothing is stored, nothing is
sent, and the SLA and reply clocks keep running (docs/workbench.md, "Photos and files in web chat")."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from shouhou.core.testing.factories import CustomerFactory, OrderFactory
from shouhou.core.uploads import MAX_ATTACHMENT_BYTES
from shouhou.inbox.channels import webchat
from shouhou.inbox.choices import Direction
from shouhou.inbox.models import Message

pytestmark = pytest.mark.django_db

PNG_HEAD = b"\x89PNG\r\n\x1a\n"
HUGE = PNG_HEAD + b"\0" * (MAX_ATTACHMENT_BYTES + 1 - len(PNG_HEAD))
EXE = b"MZ\x90\x00\x03\x00\x00\x00 this program cannot be run"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def chat(shop):
    customer = CustomerFactory(shop=shop, phone="13812345678")
    conversation = webchat.webchat_start(order=OrderFactory(shop=shop, customer=customer))
    conversation.bot_active = False
    conversation.save(update_fields=["bot_active"])
    return conversation


def _upload(name, data):
    return SimpleUploadedFile(name, data)


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("大图.png", HUGE, "文件太大（10.0 MB），请发送不超过 10 MB 的图片或文件。"),
    ("照片.jpg", EXE, "只能发送图片（JPG、PNG、WebP、GIF）或 PDF 文件。"),
])
def test_the_customer_is_told_why_and_nothing_is_stored(chat, name, data, reason):
    client = Client()
    token = webchat.chat_token(chat)
    r = client.post(f"/inbox/chat/{token}/send/", {"file": _upload(name, data), "client_id": "f1"})
    assert r.status_code == 400 and r.json()["error"] == reason
    assert not Message.objects.filter(conversation=chat).exists()


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("大图.png", HUGE, "文件太大（10.0 MB），请发送不超过 10 MB 的图片或文件。"),
    ("发票.pdf", EXE, "只能发送图片（JPG、PNG、WebP、GIF）或 PDF 文件。"),
])
def test_the_agent_is_told_why_the_clock_keeps_running_and_the_customer_gets_nothing(chat, agent, name, data, reason):
    ticket = webchat.webchat_post(conversation=chat, body="能发一下发票吗", client_id="q1").ticket
    staff = Client()
    staff.force_login(agent)
    r = staff.post(f"/desk/t/{ticket.pk}/act/reply/", {"body": "发票在这里", "file": _upload(name, data)},
                   headers={"X-Desk-Fetch": "1"})
    assert r.status_code == 400, r.content
    assert r.json()["error"] == reason
    assert not Message.objects.filter(conversation=chat, direction=Direction.OUTBOUND).exists()
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None
    waiting = Message.objects.get(conversation=chat, direction=Direction.INBOUND)
    assert waiting.awaits_human and waiting.human_reply_at is None


def test_each_side_is_told_in_its_own_language(chat, agent):
    """The refusal is the reader's: a customer on the English chat page, an agent on the English desk (before
    2026-12-07 both read the Chinese)."""
    from django.conf import settings

    customer = Client()
    customer.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    token = webchat.chat_token(chat)
    r = customer.post(f"/inbox/chat/{token}/send/", {"file": _upload("照片.jpg", EXE), "client_id": "f1"})
    assert r.json()["error"] == "Only pictures (JPG, PNG, WebP, GIF) or PDF files can be sent."
    ticket = webchat.webchat_post(conversation=chat, body="can you send the invoice?", client_id="q1").ticket
    staff = Client()
    staff.force_login(agent)
    staff.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    r = staff.post(f"/desk/t/{ticket.pk}/act/reply/", {"body": "here it is", "file": _upload("大图.png", HUGE)},
                   headers={"X-Desk-Fetch": "1"})
    assert r.json()["error"] == "The file is too large (10.0 MB); send a picture or file of at most 10 MB."
