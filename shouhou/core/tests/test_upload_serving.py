"""Stored uploads are served named for what their bytes are (core/uploads.py: file_response): a name that came
from outside — an email attachment's — cannot make a page out of a download."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from shouhou.core.testing.factories import CustomerFactory
from shouhou.core.uploads import download_name, file_label
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


@pytest.mark.parametrize(("raw", "kind", "label"), [
    ("发票.pdf", "pdf", "发票.pdf"),
    ("../../发票.html", "pdf", "发票.pdf"),  # no folders, and the extension of what the bytes are
    ("C:\\Users\\李\\报告.PDF", "pdf", "报告.pdf"),
    ("照片.pdf", "png", "照片.png"),
    ("a\x00b\r\n\u202ec.pdf", "pdf", "abc.pdf"),  # control and direction characters are not kept
    ("发票\u3000二月.pdf", "pdf", "发票 二月.pdf"),
    ("<img src=x onerror=alert(1)>.pdf", "pdf", "<img src=x onerror=alert(1)>.pdf"),  # text: escaped when shown
    ("说明书.pdf", None, "说明书.pdf"),  # no kind: the sender's extension stays
    ("", "pdf", ""),
    ("../", "pdf", ""),
    (". .", "pdf", ""),
    (None, "png", ""),
])
def test_the_senders_file_name_is_cleaned_into_a_label(raw, kind, label):
    assert file_label(raw, kind) == label


def test_a_long_file_name_is_cut_and_keeps_its_extension():
    label = file_label("很长的名字" * 100 + ".html", "pdf")
    assert len(label) == 200 and label.startswith("很长的名字") and label.endswith(".pdf")
    assert len(file_label("x" * 500)) == 200


@pytest.mark.django_db
def test_a_file_is_downloaded_under_the_name_the_sender_gave_it_with_the_extension_of_its_bytes(
        stored_files, agent_client, shop):
    message = stored_files["发票.html"]
    Message.objects.filter(pk=message.pk).update(attachment_name="十二月发票.html")  # as if stored so
    served = agent_client.get(f"/desk/m/{message.pk}/file/")
    assert served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"].endswith("filename*=utf-8''%E5%8D%81%E4%BA%8C%E6%9C%88%E5%8F%91%E7%A5%A8.pdf")
    Message.objects.filter(pk=message.pk).update(attachment_name="")  # no name kept: the stored one
    assert agent_client.get(f"/desk/m/{message.pk}/file/")["Content-Disposition"].endswith("%E5%8F%91%E7%A5%A8.pdf")
