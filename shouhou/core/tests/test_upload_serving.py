"""Stored uploads are served named for what their bytes are (core/uploads.py: file_response): a name that came
from outside — an email attachment's — cannot make a page out of a download."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from shouhou.core.testing.factories import CustomerFactory
from shouhou.core.uploads import download_name
from shouhou.inbox.choices import Channel, Direction
from shouhou.inbox.models import Conversation, Message

POLYGLOT_PDF = b"%PDF-1.4\n<html><body><script>alert(document.domain)</script></body></html>"
POLYGLOT_GIF = b"GIF89a<html><script>alert(1)</script></html>"


@pytest.mark.parametrize(("stored", "kind", "served"), [
    ("inbox/发票.pdf", "pdf", "发票.pdf"),
    ("inbox/发票.html", "pdf", "发票.pdf"),
    ("inbox/pic.svg", "gif", "pic.gif"),
    ("inbox/chat-F123.jpg", "jpeg", "chat-F123.jpg"),
    ("inbox/noextension", "png", "noextension.png"),
    ("inbox/run.html", None, "run.bin"),
    ("inbox/.htaccess", None, "file.bin"),
    ("inbox/a.tar.html", "pdf", "a.tar.pdf"),
])
def test_the_download_name_takes_the_extension_of_the_bytes(stored, kind, served):
    assert download_name(stored, kind) == served


@pytest.fixture
def stored_files(shop):
    """Two files an email brought in, stored under the names the sender gave them."""
    customer = CustomerFactory(shop=shop)
    conversation = Conversation.objects.create(shop=shop, channel=Channel.EMAIL, customer=customer,
                                               contact_handle="eve@example.com")
    made = {}
    for name, data in (("发票.html", POLYGLOT_PDF), ("pic.svg", POLYGLOT_GIF)):
        message = Message(shop=shop, conversation=conversation, direction=Direction.INBOUND, body=f"[附件] {name}")
        message.attachment.save(name, ContentFile(data), save=True)
        made[name] = message
    return made


@pytest.mark.django_db
def test_an_email_attachment_named_html_is_downloaded_as_what_it_is(stored_files, agent_client):
    page = stored_files["发票.html"]
    assert page.attachment.name.endswith(".html")  # as the sender named it
    served = agent_client.get(f"/desk/m/{page.pk}/file/")
    assert served.status_code == 200 and served["Content-Type"] == "application/pdf"
    disposition = served["Content-Disposition"]
    assert disposition.startswith("attachment") and ".html" not in disposition
    assert disposition.endswith("%E5%8F%91%E7%A5%A8.pdf")  # 发票.pdf
    picture = agent_client.get(f"/desk/m/{stored_files['pic.svg'].pk}/file/")
    assert picture["Content-Type"] == "image/gif" and picture["X-Content-Type-Options"] == "nosniff"
    assert picture["Content-Disposition"] == 'inline; filename="pic.gif"'
