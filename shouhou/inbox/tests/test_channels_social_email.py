"""Signed JSON webhooks: social comments / private messages and inbound email, through real HTTP requests.
Signature (HMAC-SHA256 over "<timestamp>." + body, shouhou.core.webhooks), replays, idempotency on the
platform's message id, email threading by In-Reply-To / References / subject, attachments."""

from __future__ import annotations

import base64
import json
import re
import time

import pytest
from django.core.cache import cache

from shouhou.core.testing import images
from shouhou.core.testing.factories import CustomerFactory, OrderFactory
from shouhou.core.webhooks import signed_headers
from shouhou.inbox.channels import deliver_outbound
from shouhou.inbox.choices import Channel, Direction
from shouhou.inbox.models import ChannelAccount, Conversation, Message, Ticket
from shouhou.inbox.services import ticket_reply

pytestmark = pytest.mark.django_db

SECRET = "social-secret"  # noqa: S105 - a test fixture
PNG = images.PNG  # a real picture: uploads are decoded


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def social_account(shop):
    return ChannelAccount.objects.create(shop=shop, channel=Channel.SOCIAL_DM, name="抖音店铺号", key="douyin-xiaolu",
                                         secret=SECRET)


@pytest.fixture
def email_account(shop):
    return ChannelAccount.objects.create(shop=shop, channel=Channel.EMAIL, name="客服邮箱", key="mail-xiaolu",
                                         app_id="kefu@xiaolu.example", secret=SECRET)


def _post(client, url: str, payload, *, secret=SECRET, nonce=None, headers=None, later=0):
    """`later`: seconds after now the sender signs (a retry is signed anew, at its own time)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    stamp = int(time.time()) + later
    return client.post(url, data=body, content_type="application/json",
                       headers=headers if headers is not None else signed_headers(secret, body, nonce=nonce,
                                                                                  timestamp=stamp))


def _social(client, payload, **kw):
    return _post(client, "/inbox/hooks/social/douyin-xiaolu/", payload, **kw)


def _email(client, payload, **kw):
    return _post(client, "/inbox/hooks/email/mail-xiaolu/", payload, **kw)


# --- social -----------------------------------------------------------------------------------------

def test_social_batch_stores_a_comment_and_a_private_message_on_their_channels(client, shop, social_account):
    order = OrderFactory(shop=shop, order_no="DY20261101001")
    payload = {"platform": "douyin", "messages": [
        {"id": "c-1", "kind": "comment", "user_id": "MS4wLjAB-u1", "nickname": "小鹿粉丝", "text": "衣服掉色严重",
         "sent_at": 1764576000, "post_title": "双11直播"},
        {"id": "d-1", "kind": "dm", "user_id": "MS4wLjAB-u2", "nickname": "买家二", "text": "我的订单还没发货",
         "order_no": "DY20261101001"},
    ]}
    response = _social(client, payload)
    assert response.status_code == 200
    assert response.json() == {"ok": True, "stored": 2, "duplicates": 0}
    comment = Message.objects.get(external_id="douyin:c-1")
    assert comment.body == "衣服掉色严重"
    assert comment.conversation.channel == Channel.SOCIAL_COMMENT
    assert comment.conversation.contact_handle == "douyin:MS4wLjAB-u1"
    assert comment.conversation.subject == "评论：双11直播"
    dm = Message.objects.get(external_id="douyin:d-1")
    assert dm.conversation.channel == Channel.SOCIAL_DM
    assert list(dm.conversation.orders.all()) == [order]
    assert Ticket.objects.get(conversation=dm.conversation).order == order


def test_a_single_message_object_is_accepted_too(client, social_account):
    response = _social(client, {"platform": "kuaishou", "id": "k-9", "kind": "dm", "user_id": "ks-1", "text": "在吗"})
    assert response.status_code == 200
    assert Message.objects.get().external_id == "kuaishou:k-9"


def test_the_same_social_message_pushed_twice_is_stored_once(client, social_account):
    payload = {"platform": "douyin", "messages": [{"id": "d-2", "kind": "dm", "user_id": "u", "text": "退货地址是哪"}]}
    first = _social(client, payload, nonce="push-1")
    # the platform retries with a fresh signature and nonce: the message id still identifies it
    second = _social(client, payload, nonce="push-2", later=2)
    assert first.json()["stored"] == 1
    assert second.status_code == 200
    assert second.json() == {"ok": True, "stored": 0, "duplicates": 1}
    assert Message.objects.filter(external_id="douyin:d-2").count() == 1


def test_a_replayed_signed_request_is_answered_from_memory(client, social_account):
    body = json.dumps({"platform": "douyin", "id": "d-3", "kind": "dm", "user_id": "u", "text": "hi"}).encode()
    headers = signed_headers(SECRET, body)
    first = _social(client, body, headers=headers)
    again = _social(client, body, headers=headers)
    assert first.json()["stored"] == 1
    assert again.status_code == 200
    assert again.json()["replayed"] is True
    assert Message.objects.count() == 1


@pytest.mark.parametrize("kind", ["unsigned", "wrong-secret", "stale"])
def test_social_push_without_a_valid_signature_is_refused_401(client, social_account, kind):
    body = json.dumps({"platform": "douyin", "id": "d-4", "kind": "dm", "user_id": "u", "text": "hi"}).encode()
    headers = {"unsigned": {}, "wrong-secret": signed_headers("other", body),
               "stale": signed_headers(SECRET, body, timestamp=1_000_000_000)}[kind]
    response = _social(client, body, headers=headers)
    assert response.status_code == 401
    assert response.json()["ok"] is False
    assert response.json()["error"].startswith("签名校验失败")
    assert not Message.objects.exists()


def test_an_account_without_a_secret_refuses_every_push(client, social_account):
    social_account.secret = ""
    social_account.save()
    response = _social(client, {"platform": "douyin", "id": "x", "user_id": "u", "text": "hi"})
    assert response.status_code == 403
    assert response.json()["error"] == "该渠道账号未配置签名密钥"


@pytest.mark.parametrize(("payload", "error"), [
    ({"messages": []}, "缺少 platform"),
    ({"platform": "douyin", "messages": []}, "messages 应为非空数组"),
    ({"platform": "douyin", "messages": [{"id": "1", "user_id": "u", "text": "a"}, {"user_id": "u", "text": "b"}]},
     "第 2 条消息缺少 id"),
    ({"platform": "douyin", "id": "1", "user_id": "u", "text": "a", "kind": "like"}, "kind 应为 comment 或 dm"),
    ([1, 2], "请求体应为 JSON 对象"),
])
def test_bad_social_shapes_answer_400_and_store_nothing(client, social_account, payload, error):
    response = _social(client, payload)
    assert response.status_code == 400
    assert error in response.json()["error"]
    assert not Message.objects.exists()


def test_a_bad_row_rolls_back_the_whole_batch_and_a_corrected_retry_is_applied(client, social_account):
    bad = {"platform": "douyin", "messages": [{"id": "1", "user_id": "u", "text": "a"}, {"id": "2", "user_id": "u"}]}
    assert _social(client, bad).status_code == 400
    good = {"platform": "douyin", "messages": [{"id": "1", "user_id": "u", "text": "a"},
                                              {"id": "2", "user_id": "u", "text": "b"}]}
    assert _social(client, good).json()["stored"] == 2


def test_not_json_answers_400(client, social_account):
    response = _social(client, b"{not json")
    assert response.status_code == 400
    assert response.json()["error"] == "请求体不是合法的 JSON"


# --- email ------------------------------------------------------------------------------------------

def _mail(**over):
    return {"from": "张三 <Zhang@Example.com>", "to": "kefu@xiaolu.example", "subject": "订单问题",
            "text": "衣服收到有破洞，怎么处理？", "message_id": "<m1@mail.example>", **over}


def test_inbound_email_opens_a_conversation_for_the_sender(client, shop, email_account):
    customer = CustomerFactory(shop=shop, email="zhang@example.com")
    response = _email(client, _mail())
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] is True
    assert data["duplicate"] is False
    assert data["threaded"] is False
    message = Message.objects.get()
    assert message.external_id == "email:m1@mail.example"
    assert message.body == "衣服收到有破洞，怎么处理？"
    conversation = message.conversation
    assert conversation.pk == data["conversation"]
    assert conversation.channel == Channel.EMAIL
    assert conversation.contact_handle == "zhang@example.com"
    assert conversation.customer == customer
    assert Ticket.objects.get(conversation=conversation).customer == customer


def test_the_same_email_pushed_twice_is_stored_once(client, email_account):
    first = _email(client, _mail(), nonce="a")
    second = _email(client, _mail(), nonce="b", later=2)
    assert second.status_code == 200
    assert second.json()["duplicate"] is True
    assert second.json()["conversation"] == first.json()["conversation"]
    assert Message.objects.count() == 1


def test_a_reply_threads_by_in_reply_to_even_with_another_subject(client, email_account):
    first = _email(client, _mail()).json()
    reply = _email(client, _mail(message_id="<m2@mail.example>", subject="补充照片", text="另外袖口也有线头",
                                 in_reply_to="<m1@mail.example>")).json()
    assert reply["threaded"] is True
    assert reply["conversation"] == first["conversation"]
    assert Conversation.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_a_reply_to_our_outbound_mail_threads_into_the_same_conversation(client, shop, agent, email_account,
                                                                         mailoutbox):
    # given a customer email and the agent's reply sent through Django's mail backend
    conv_id = _email(client, _mail()).json()["conversation"]
    ticket = Ticket.objects.get(conversation_id=conv_id)
    reply = ticket_reply(ticket=ticket, author=agent, body="非常抱歉，给您补发一件，请问换货还是退款？")
    deliver_outbound(message_id=reply.pk)
    reply.refresh_from_db()
    assert reply.delivery_status == "sent"
    sent = mailoutbox[0]
    assert sent.to == ["zhang@example.com"]
    assert sent.from_email == "kefu@xiaolu.example"
    assert sent.subject == "Re: 订单问题"
    assert sent.extra_headers["In-Reply-To"] == "<m1@mail.example>"
    our_id = sent.extra_headers["Message-ID"]
    assert reply.external_id == "email:" + our_id.strip("<>")
    # when the customer answers our mail (References names it, subject changed)
    answer = _email(client, _mail(message_id="<m3@mail.example>", subject="Re: 回复", text="换货吧",
                                  in_reply_to=our_id, references=f"<m1@mail.example> {our_id}")).json()
    # then it continues the same conversation and ticket
    assert answer["threaded"] is True
    assert answer["conversation"] == conv_id
    assert Ticket.objects.count() == 1


def test_same_sender_and_subject_without_headers_threads_by_subject(client, email_account):
    first = _email(client, _mail()).json()
    again = _email(client, _mail(message_id="<m4@mail.example>", subject="回复：订单问题", text="还在吗")).json()
    assert again["conversation"] == first["conversation"]
    other = _email(client, _mail(message_id="<m5@mail.example>", subject="发票", text="要开发票")).json()
    assert other["conversation"] != first["conversation"]


def test_email_attachments_are_stored_and_unsupported_files_are_named_in_the_message(client, email_account):
    pdf = b"%PDF-1.4 test"
    files = [{"filename": "破洞.png", "content_type": "image/png", "content": base64.b64encode(PNG).decode()},
             {"filename": "../../发票.pdf", "content_type": "application/pdf", "content": base64.b64encode(pdf).decode()},
             {"filename": "run.html", "content_type": "text/html",
              "content": base64.b64encode(b"<script>alert(1)</script>").decode()}]
    response = _email(client, _mail(attachments=files))
    assert response.status_code == 200
    main = Message.objects.get(external_id="email:m1@mail.example")
    assert main.attachment.name.startswith("inbox/")
    assert main.attachment.name.endswith(".png")
    assert main.attachment.read() == PNG
    assert "run.html 不是图片或 PDF" in main.body
    second = Message.objects.get(external_id="email:m1@mail.example#2")
    assert second.direction == Direction.INBOUND
    assert second.conversation_id == main.conversation_id
    assert second.body == "[附件] 发票.pdf"
    assert second.attachment.read() == pdf
    assert Message.objects.count() == 2
    # replayed with a fresh signature: nothing new
    _email(client, _mail(attachments=files), nonce="again")
    assert Message.objects.count() == 2


def test_email_attachments_are_stored_under_a_generated_name_with_the_extension_of_their_bytes(
        client, email_account):
    """The sender names the files: 「../../发票.html」 holding a PDF, 「照片.pdf」 holding a PNG. Stored under those
    names, the PDF would be served as a page and the photo mislabelled; each is stored as mail-F….<what it is>,
    the sender's name kept only as a label (Message.attachment_name) with the extension of what the file is."""
    pdf = b"%PDF-1.4 test"
    files = [{"filename": "照片.pdf", "content": base64.b64encode(PNG).decode()},
             {"filename": "../../发票.html", "content": base64.b64encode(pdf).decode()}]
    assert _email(client, _mail(attachments=files)).status_code == 200
    main = Message.objects.get(external_id="email:m1@mail.example")
    assert re.fullmatch(r"inbox/mail-F[0-9A-Z]+\.png", main.attachment.name), main.attachment.name
    second = Message.objects.get(external_id="email:m1@mail.example#2")
    assert re.fullmatch(r"inbox/mail-F[0-9A-Z]+\.pdf", second.attachment.name), second.attachment.name
    assert second.attachment.read() == pdf
    assert second.body == "[附件] 发票.pdf"  # the sender's name, as a label only, named for what it is
    assert "发票" not in second.attachment.name and "照片" not in main.attachment.name
    # the names are kept as labels, the first file's too, each with the extension of its bytes
    assert (main.attachment_name, second.attachment_name) == ("照片.png", "发票.pdf")


def test_an_email_attachment_without_a_name_keeps_none(client, email_account):
    files = [{"content": base64.b64encode(PNG).decode()}, {"filename": "", "content": base64.b64encode(PNG).decode()}]
    assert _email(client, _mail(attachments=files)).status_code == 200
    main = Message.objects.get(external_id="email:m1@mail.example")
    second = Message.objects.get(external_id="email:m1@mail.example#2")
    assert (main.attachment_name, second.attachment_name) == ("", "")
    assert second.body == f"[附件] {second.attachment.name.rsplit('/', 1)[-1]}"  # the stored name


def test_email_attachment_with_bad_base64_is_refused(client, email_account):
    response = _email(client, _mail(attachments=[{"filename": "a.png", "content": "@@@"}]))
    assert response.status_code == 400
    assert "a.png" in response.json()["error"]
    assert not Message.objects.exists()


@pytest.mark.parametrize(("over", "error"), [
    ({"from": "not an address"}, "from 不是有效的邮箱地址"),
    ({"message_id": ""}, "缺少 message_id"),
    ({"text": "", "subject": ""}, "邮件没有正文"),
])
def test_bad_emails_answer_400(client, email_account, over, error):
    response = _email(client, _mail(**over))
    assert response.status_code == 400
    assert error in response.json()["error"]


def test_email_with_a_bad_signature_is_refused(client, email_account):
    response = _email(client, _mail(), secret="forged")
    assert response.status_code == 401
    assert not Message.objects.exists()
