"""微信客服 (kf) as an inbox channel, over real HTTP: WeCom's encrypted kf_msg_or_event callback (Django test
client) → kf/sync_msg read from a local qyapi sandbox (channels/kf_sandbox.py) → messages on the desk →
an agent's reply (text, photo, PDF) → kf/send_msg received by the sandbox. Plus the cursor (pages,
resume after an outage, nothing read or stored twice), servicer replies typed in WeCom, the welcome on
enter_session, and the failures: wrong signature, empty token or secret, expired token, 95018, 45009."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shouhou.core.testing import images
from shouhou.inbox.channels import deliver_outbound
from shouhou.inbox.channels.kf_sandbox import KfSandbox
from shouhou.inbox.channels.wechat_kf import KfError, kf_fetch
from shouhou.inbox.choices import Channel, Direction
from shouhou.inbox.models import ChannelAccount, Conversation, KfCursor, Message, Ticket
from shouhou.inbox.services import ticket_reply

pytestmark = pytest.mark.django_db

KF = "wkSANDBOX01"
JPEG, PNG = images.JPEG, images.PNG  # real pictures: uploads are decoded
PDF = b"%PDF-1.4\n% invoice\n" + b"0" * 100
DOCX = b"PK\x03\x04" + b"\x00" * 100


@pytest.fixture
def kf(settings):
    sandbox = KfSandbox().start()
    settings.SHOUHOU_INBOX_API_BASES = {"wechat_kf": sandbox.url}
    yield sandbox
    sandbox.stop()


@pytest.fixture
def account(shop, kf):
    return ChannelAccount.objects.create(shop=shop, channel=Channel.WECHAT_KF, name="小鹿微信客服", key="kf-xiaolu",
                                         app_id=kf.corp_id, token=kf.callback_token, aes_key=kf.aes_key,
                                         secret=kf.secret)


@pytest.fixture
def callback(client, kf, account, django_capture_on_commit_callbacks):
    """POST the callback as WeCom does; the read it queues runs (after commit) before this returns."""
    def post(**kwargs):
        query, body = kf.callback(**kwargs)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"/inbox/hooks/wechat-kf/{account.key}/?{query}", data=body, content_type="text/xml")
    return post


def _sync_calls(kf):
    return [q for path, q in kf.calls if path == "/cgi-bin/kf/sync_msg"]


def _reply(django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return ticket_reply(**kwargs)


def test_callback_fetch_desk_reply_send_loop(kf, account, callback, agent, agent_client,
                                             django_capture_on_commit_callbacks):
    # given a WeChat customer writing to the shop's customer-service account
    kf.customer_text("wmCUSTOMER1", "衣服洗了一次就掉色了", msgid="m-001")
    # when WeCom calls back
    response = callback()
    # then the callback is answered at once with an empty 200, and the message was read and stored
    assert (response.status_code, response.content) == (200, b"")
    message = Message.objects.get(external_id="wechat_kf:kf-xiaolu:m-001")
    assert (message.direction, message.body) == (Direction.INBOUND, "衣服洗了一次就掉色了")
    conversation = message.conversation
    assert (conversation.channel, conversation.contact_handle, conversation.external_id) == \
        (Channel.WECHAT_KF, "wmCUSTOMER1", KF)
    ticket = Ticket.objects.get(conversation=conversation)
    assert ticket.channel == Channel.WECHAT_KF and ticket.first_response_due_at is not None
    # the read used the callback's token and started without a cursor; the cursor is kept
    (sync,) = [path for path, _ in kf.calls if path == "/cgi-bin/kf/sync_msg"]
    assert KfCursor.objects.get(account=account, open_kfid=KF).cursor == "c1"
    # and the agent sees it on the desk
    page = agent_client.get(f"/desk/t/{ticket.pk}/")
    assert page.status_code == 200 and "衣服洗了一次就掉色了" in page.content.decode()
    pane = agent_client.get(f"/desk/im/t/{ticket.pk}/").content.decode()
    assert "衣服洗了一次就掉色了" in pane and 'data-testid="reply-file"' in pane  # photos and PDFs can be sent

    # when the agent answers from the desk
    with django_capture_on_commit_callbacks(execute=True):
        answered = agent_client.post(f"/desk/t/{ticket.pk}/act/reply/", {"body": "抱歉给您添麻烦了，给您换一件新的"})
    assert answered.status_code in (200, 302)
    reply = Message.objects.get(conversation=conversation, direction=Direction.OUTBOUND)
    # then kf/send_msg received it, addressed to the customer on the same customer-service account
    (sent,) = kf.sent
    assert sent == {"touser": "wmCUSTOMER1", "open_kfid": KF, "msgid": f"sh{reply.pk}", "msgtype": "text",
                    "text": {"content": "抱歉给您添麻烦了，给您换一件新的"}}
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.external_id) == ("sent", f"wechat_kf:kf-xiaolu:sh{reply.pk}")
    assert kf.tokens_issued == 1  # one token for the read and the send


def test_url_check_and_wrong_signature_refused(client, kf, account):
    from urllib.parse import urlencode

    from shouhou.inbox.channels import crypto

    # the URL check WeCom makes when the callback is saved: the decrypted echostr comes back
    echostr = crypto.encrypt(kf.aes_key, "echo-42", kf.corp_id)
    stamp = str(int(time.time()))
    good = urlencode({"msg_signature": crypto.sha1_signature(kf.callback_token, stamp, "n", echostr),
                      "timestamp": stamp, "nonce": "n", "echostr": echostr})
    assert client.get(f"/inbox/hooks/wechat-kf/{account.key}/?{good}").content == b"echo-42"
    # a callback signed with another token is refused and nothing is read
    kf.customer_text("wmX", "你好")
    query, body = kf.callback(signing_token="not-the-token")
    response = client.post(f"/inbox/hooks/wechat-kf/{account.key}/?{query}", data=body, content_type="text/xml")
    assert response.status_code == 403 and "签名" in response.content.decode()
    assert not _sync_calls(kf) and not Message.objects.exists()
    # a callback for another channel's key is unknown
    query, body = kf.callback()
    assert client.post(f"/inbox/hooks/wecom/{account.key}/?{query}", data=body,
                       content_type="text/xml").status_code == 404


def test_empty_token_refused_and_empty_secret_named(client, shop, kf, django_capture_on_commit_callbacks):
    blank = ChannelAccount.objects.create(shop=shop, channel=Channel.WECHAT_KF, name="未配置", key="kf-blank",
                                          app_id=kf.corp_id, token=" ", aes_key=kf.aes_key, secret=kf.secret)
    kf.customer_text("wmX", "在吗")
    query, body = kf.callback(signing_token=" ")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/inbox/hooks/wechat-kf/{blank.key}/?{query}", data=body, content_type="text/xml")
    assert response.status_code == 403 and "Token" in response.content.decode()
    assert not _sync_calls(kf)
    # a signed callback on an account without the 微信客服 Secret: the read fails with a clear reason
    no_secret = ChannelAccount.objects.create(shop=shop, channel=Channel.WECHAT_KF, name="缺 Secret", key="kf-nosecret",
                                              app_id=kf.corp_id, token=kf.callback_token, aes_key=kf.aes_key,
                                              secret="")
    with pytest.raises(KfError, match="Secret"):
        kf_fetch(account=no_secret, open_kfid=KF, token="")
    assert not kf.calls and not Message.objects.exists()


def test_duplicate_callbacks_and_a_reread_page_store_each_message_once(kf, account, callback):
    kf.customer_text("wmA", "第一条", msgid="d-1")
    kf.customer_text("wmA", "第二条", msgid="d-2")
    assert callback().status_code == 200
    assert callback().status_code == 200  # WeCom calls again (or retries)
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 2
    # the second read went on from the stored cursor, so it read nothing again
    assert [q for q in kf.sync_bodies] == [("", KF), ("c2", KF)]
    # a page read twice (the cursor lost, e.g. restored from an old backup) changes nothing
    KfCursor.objects.filter(account=account).update(cursor="")
    result = kf_fetch(account=account, open_kfid=KF)
    assert (result.stored, result.duplicates) == (0, 2)
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 2
    assert Conversation.objects.count() == 1 and Ticket.objects.count() == 1


def test_pages_and_resume_after_an_outage(kf, account, callback):
    kf.page_size = 2
    for n in range(5):
        kf.customer_text(f"wm{n % 2}", f"消息{n}", msgid=f"p-{n}")
    # the second page fails (WeCom down): the first page is kept with its cursor, the error noted
    kf.fail_next("/cgi-bin/kf/sync_msg", "outage")
    callback()
    cursor = KfCursor.objects.get(account=account, open_kfid=KF)
    # the fault hit the first read: nothing stored, the cursor still at the start, the reason kept
    assert cursor.cursor == "" and "503" in cursor.last_error
    assert not Message.objects.exists()
    # WeCom calls back again: reading resumes and follows has_more through all pages
    callback()
    cursor.refresh_from_db()
    assert (cursor.cursor, cursor.last_error) == ("c5", "")
    assert [b[0] for b in kf.sync_bodies] == ["", "", "c2", "c4"]
    assert sorted(Message.objects.values_list("body", flat=True)) == [f"消息{n}" for n in range(5)]
    # a new message later: read from c5 only
    kf.customer_text("wm0", "还有一个问题", msgid="p-5")
    callback()
    assert kf.sync_bodies[-1][0] == "c5"
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 6


def test_a_restart_between_pages_resumes_from_the_stored_cursor(kf, account):
    kf.page_size = 2
    for n in range(4):
        kf.customer_text("wmR", f"第{n}句", msgid=f"r-{n}")
    # one page only (as if the worker stopped after it)
    first = kf_fetch(account=account, open_kfid=KF, max_pages=1)
    assert (first.pages, first.stored) == (1, 2)
    # a new worker reads on from the stored cursor: pages c2 and then nothing more
    second = kf_fetch(account=account, open_kfid=KF)
    assert (second.stored, second.duplicates) == (2, 0)
    assert [b[0] for b in kf.sync_bodies] == ["", "c2"]


def test_customer_photo_and_pdf_are_stored_and_a_refused_file_is_named(kf, account, callback, agent_client):
    kf.customer_media("wmP", "image", JPEG, name="破洞.jpg")
    kf.customer_media("wmP", "file", PDF, name="发票.pdf")
    kf.customer_media("wmP", "file", DOCX, name="说明.docx")
    callback()
    photo, pdf, docx = Message.objects.filter(direction=Direction.INBOUND).order_by("pk")
    assert photo.body == "[图片]" and photo.attachment.name.endswith(".jpg")
    assert photo.attachment.read() == JPEG
    assert pdf.body == "[文件] 发票.pdf" and pdf.attachment.name.endswith(".pdf")
    assert (photo.attachment_name, pdf.attachment_name) == ("", "发票.pdf")  # the file's name kept as its label
    assert not docx.attachment and docx.body.startswith("[文件] 说明.docx（未保存：") and "PDF" in docx.body
    # the agent opens the photo from the desk
    got = agent_client.get(f"/desk/m/{photo.pk}/file/")
    assert got.status_code == 200 and got["Content-Type"] == "image/jpeg"


def test_agent_photo_and_pdf_are_uploaded_and_sent(kf, account, callback, agent, django_capture_on_commit_callbacks):
    kf.customer_text("wmI", "能看下图片吗", msgid="i-1")
    callback()
    ticket = Ticket.objects.get()
    photo = _reply(django_capture_on_commit_callbacks, ticket=ticket, author=agent, body="",
                   attachment=SimpleUploadedFile("尺码表.png", PNG, content_type="image/png"))
    both = _reply(django_capture_on_commit_callbacks, ticket=ticket, author=agent, body="这是退货单，请打印",
                  attachment=SimpleUploadedFile("退货单.pdf", PDF, content_type="application/pdf"))
    # the photo went up as an image and out as an image message, alone (its label is not sent as text)
    (kind, name, data), (kind2, _, data2) = kf.uploads
    assert (kind, data) == ("image", PNG) and name.endswith(".png")
    assert (kind2, data2) == ("file", PDF)
    image, file, text = kf.sent
    assert image["msgtype"] == "image" and image["image"]["media_id"] in kf.media and image["msgid"] == f"sh{photo.pk}"
    assert file["msgtype"] == "file" and file["msgid"] == f"sh{both.pk}f"
    assert text == {"touser": "wmI", "open_kfid": KF, "msgid": f"sh{both.pk}", "msgtype": "text",
                    "text": {"content": "这是退货单，请打印"}}
    photo.refresh_from_db()
    assert photo.delivery_status == "sent" and photo.body == "[图片]"


def test_a_refused_upload_is_not_sent(kf, account, callback, agent):
    from shouhou.inbox.services import TicketError

    kf.customer_text("wmI", "你好", msgid="u-1")
    callback()
    with pytest.raises(TicketError, match="PDF"):
        ticket_reply(ticket=Ticket.objects.get(), author=agent, body="看这个",
                     attachment=SimpleUploadedFile("x.docx", DOCX))
    assert not kf.sent and not kf.uploads


def test_expired_token_is_refreshed_and_the_call_made_once_more(kf, account, callback, agent,
                                                                django_capture_on_commit_callbacks):
    kf.customer_text("wmT", "在吗", msgid="t-1")
    callback()
    kf.expire_access_token()
    reply = _reply(django_capture_on_commit_callbacks, ticket=Ticket.objects.get(), author=agent, body="在的")
    reply.refresh_from_db()
    assert reply.delivery_status == "sent" and len(kf.sent) == 1
    assert kf.tokens_issued == 2
    paths = [p for p, _ in kf.calls]
    assert paths[-3:] == ["/cgi-bin/kf/send_msg", "/cgi-bin/gettoken", "/cgi-bin/kf/send_msg"]


def test_closed_session_95018_is_not_retried_and_says_why(kf, account, callback, agent,
                                                          django_capture_on_commit_callbacks):
    kf.customer_text("wmC", "我要退货", msgid="c-1")
    callback()
    kf.close_session("wmC")
    reply = _reply(django_capture_on_commit_callbacks, ticket=Ticket.objects.get(), author=agent, body="好的")
    reply.refresh_from_db()
    assert reply.delivery_status == "failed" and reply.delivery_retry_at is None
    assert "95018" in reply.delivery_error and "会话已结束" in reply.delivery_error
    assert not kf.sent


def test_rate_limit_and_outage_are_retried_later(kf, account, callback, agent, django_capture_on_commit_callbacks):
    kf.customer_text("wmL", "快点回复", msgid="l-1")
    callback()
    kf.fail_next("/cgi-bin/kf/send_msg", "rate_limit")
    reply = _reply(django_capture_on_commit_callbacks, ticket=Ticket.objects.get(), author=agent, body="马上")
    reply.refresh_from_db()
    assert reply.delivery_status == "failed" and reply.delivery_retry_at is not None and "45009" in reply.delivery_error
    kf.fail_next("/cgi-bin/kf/send_msg", "outage")
    deliver_outbound(message_id=reply.pk)
    reply.refresh_from_db()
    assert reply.delivery_status == "failed" and reply.delivery_attempts == 2 and reply.delivery_retry_at is not None
    deliver_outbound(message_id=reply.pk)  # WeCom is back
    reply.refresh_from_db()
    assert reply.delivery_status == "sent" and len(kf.sent) == 1


def test_servicer_reply_typed_in_wecom_is_recorded_and_never_sent(kf, account, callback):
    kf.customer_text("wmS", "发货了吗", msgid="s-1")
    kf.servicer_text("wmS", "今天下午发出", servicer="lisi")
    callback()
    callback()
    out = Message.objects.get(direction=Direction.OUTBOUND)
    assert out.body == "【企业微信 lisi】今天下午发出" and out.delivery_status == "sent" and not out.is_bot
    assert out.external_id.startswith("wechat_kf:kf-xiaolu:")
    assert out.conversation == Message.objects.get(direction=Direction.INBOUND).conversation
    assert not kf.sent
    # a person answered: the ticket's first response is met and it is being handled
    ticket = Ticket.objects.get()
    assert ticket.first_responded_at is not None and ticket.status == "open"


def test_servicer_message_before_any_question_is_only_recorded(kf, account, callback):
    kf.servicer_text("wmS2", "您好，您的订单已发货")
    callback()
    out = Message.objects.get()
    assert out.direction == Direction.OUTBOUND and out.delivery_status == "sent"
    assert not Ticket.objects.exists() and not kf.sent


def test_enter_session_is_greeted_once_with_the_welcome_code(kf, account, callback, shop):
    shop.settings = {**(shop.settings or {}), "kf_welcome": "欢迎来到{shop}，售后问题请直接留言"}
    shop.save(update_fields=["settings"])
    code = kf.enter_session("wmW")
    callback()
    (welcome,) = kf.welcomes
    assert welcome["code"] == code and welcome["msgtype"] == "text"
    assert welcome["text"]["content"] == f"欢迎来到{shop.name}，售后问题请直接留言"
    greeting = Message.objects.get(direction=Direction.OUTBOUND)
    assert greeting.is_bot and greeting.delivery_status == "sent"
    assert not Ticket.objects.exists()  # entering is not a question
    KfCursor.objects.filter(account=account).update(cursor="")
    callback()  # the event read again: no second greeting
    assert len(kf.welcomes) == 1 and Message.objects.count() == 1


def test_msg_send_fail_event_marks_our_message_failed(kf, account, callback, agent,
                                                      django_capture_on_commit_callbacks):
    kf.customer_text("wmF", "你好", msgid="f-1")
    callback()
    reply = _reply(django_capture_on_commit_callbacks, ticket=Ticket.objects.get(), author=agent, body="您好")
    kf.send_fail("wmF", f"sh{reply.pk}")
    callback()
    reply.refresh_from_db()
    assert reply.delivery_status == "failed" and "fail_type 13" in reply.delivery_error


def _form(shop, **overrides):
    data = {"shop": shop.pk, "channel": "wechat_kf", "name": "小鹿微信客服", "key": "kf-admin", "app_id": "wwCORP9",
            "token": "kf-token-9", "aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "secret": "kf-secret-9",
            "is_active": "on"}
    return {**data, **overrides}


@pytest.mark.parametrize("field", ["secret", "token", "aes_key", "app_id"])
def test_admin_refuses_a_kf_account_with_a_blank_secret_token_or_key(admin_client, shop, field):
    response = admin_client.post("/admin/inbox/channelaccount/add/", _form(shop, **{field: "  "}))
    assert response.status_code == 200  # the form again, with the field named
    assert "不能为空" in response.content.decode()
    assert not ChannelAccount.objects.exists()


def test_admin_refuses_a_malformed_aes_key_and_keeps_secrets_out_of_the_audit(admin_client, shop):
    from shouhou.core.testing.audit import assert_audited

    bad = admin_client.post("/admin/inbox/channelaccount/add/", _form(shop, aes_key="too-short"))
    assert bad.status_code == 200 and "43" in bad.content.decode() and not ChannelAccount.objects.exists()
    ok = admin_client.post("/admin/inbox/channelaccount/add/", _form(shop))
    assert ok.status_code == 302
    account = ChannelAccount.objects.get(key="kf-admin")
    assert (account.channel, account.secret) == ("wechat_kf", "kf-secret-9")
    changed = admin_client.post(f"/admin/inbox/channelaccount/{account.pk}/change/", _form(shop, secret="new-secret"))
    assert changed.status_code == 302
    event = assert_audited("admin.change", account, after={"secret": "***"}, before={"secret": "***"})
    assert "kf-secret-9" not in str(event.before) + str(event.after)


def test_a_callback_without_open_kfid_reads_every_account_on_one_cursor(kf, account, callback):
    kf.customer_text("wmA", "问题一", open_kfid="wkONE")
    kf.customer_text("wmB", "问题二", open_kfid="wkTWO")
    callback(open_kfid=None)
    assert kf.sync_bodies == [("", "")]
    assert sorted(Conversation.objects.values_list("external_id", flat=True)) == ["wkONE", "wkTWO"]
    assert KfCursor.objects.get(account=account, open_kfid="").cursor == "c2"


def test_a_failed_read_is_tried_again_by_the_periodic_task(kf, account, callback):
    from shouhou.inbox.tasks import kf_fetch_retry_task

    kf.customer_text("wmO", "有人吗", msgid="o-1")
    kf.fail_next("/cgi-bin/kf/sync_msg", "outage")
    callback()
    assert not Message.objects.exists()
    assert kf_fetch_retry_task() == 1  # WeCom is back; no callback needed
    assert Message.objects.get().body == "有人吗"
    assert KfCursor.objects.get().last_error == ""
    assert kf_fetch_retry_task() == 0  # nothing failed any more: nothing is read
    assert kf.sync_bodies[-1] == ("", KF) and len(kf.sync_bodies) == 2


def test_a_photo_that_cannot_be_fetched_now_holds_its_page_until_it_can(kf, account, callback):
    from shouhou.inbox.tasks import kf_fetch_retry_task

    kf.customer_text("wmM", "看图", msgid="mm-1")
    kf.customer_media("wmM", "image", JPEG, name="破损.jpg")
    kf.fail_next("/cgi-bin/media/get", "outage")
    callback()
    # nothing of the page is kept while its photo is missing; the cursor did not move
    assert not Message.objects.exists()
    cursor = KfCursor.objects.get()
    assert cursor.cursor == "" and "503" in cursor.last_error
    kf_fetch_retry_task()
    text, photo = Message.objects.order_by("pk")
    assert text.body == "看图" and photo.body == "[图片]" and photo.attachment.read() == JPEG
    # a media id WeCom no longer knows (after 3 days) is noted on the message, the read goes on
    kf.messages.append({"msgid": "mm-3", "open_kfid": KF, "external_userid": "wmM", "origin": 3,
                        "send_time": int(time.time()), "msgtype": "image", "image": {"media_id": "expired"}})
    callback()
    gone = Message.objects.get(external_id="wechat_kf:kf-xiaolu:mm-3")
    assert gone.body.startswith("[图片]（未保存：") and "40007" in gone.body and not gone.attachment


def test_a_file_from_the_desk_reaches_wechat_under_its_own_name(kf, account, callback, agent,
                                                                 django_capture_on_commit_callbacks):
    """The customer sees the agent's file name (退货单.pdf), not the storage's name for it (random once two
    files share a name); a name whose extension lies about the bytes goes out with the true one."""
    kf.customer_text("wmN", "退货单在哪", msgid="n-1")
    callback()
    ticket = Ticket.objects.get()
    first = _reply(django_capture_on_commit_callbacks, ticket=ticket, author=agent, body="",
                   attachment=SimpleUploadedFile("退货单.pdf", PDF, content_type="application/pdf"))
    second = _reply(django_capture_on_commit_callbacks, ticket=ticket, author=agent, body="再发一次",
                    attachment=SimpleUploadedFile("退货单.pdf", PDF, content_type="application/pdf"))
    odd = _reply(django_capture_on_commit_callbacks, ticket=ticket, author=agent, body="",
                 attachment=SimpleUploadedFile("尺码表.html", PDF, content_type="text/html"))
    for message in (first, second, odd):
        message.refresh_from_db()
        assert message.delivery_status == "sent", message.delivery_error
    assert first.attachment.name != second.attachment.name  # the storage renamed the second file
    assert [(kind, name) for kind, name, _ in kf.uploads] == [("file", "退货单.pdf"), ("file", "退货单.pdf"),
                                                              ("file", "尺码表.pdf")]


def test_a_withdrawn_message_is_marked_on_the_desk_and_announced(kf, account, callback, agent, agent_client):
    # 微信客服 lists user_recall_msg / servicer_recall_msg events (recall_msgid = the withdrawn message's msgid); until
    # 2026-12-08 they were logged only, and the desk kept showing a message the customer had taken back
    from shouhou.live.models import LiveEvent

    kf.customer_text("wmR", "我要退款，订单号 DY123", msgid="r-1")
    kf.servicer_text("wmR", "好的，马上处理")
    callback()
    ticket = Ticket.objects.get()
    said = Message.objects.get(external_id="wechat_kf:kf-xiaolu:r-1")
    servicer = Message.objects.get(direction=Direction.OUTBOUND)
    kf.recall("wmR", "r-1")
    kf.recall("wmR", servicer.external_id.rsplit(":", 1)[1], servicer="zhangsan")
    callback()
    said.refresh_from_db()
    servicer.refresh_from_db()
    assert said.recalled_at is not None and servicer.recalled_at is not None
    assert said.body == "我要退款，订单号 DY123"  # kept for the record
    # the desk shows both as withdrawn, on the page and on its refresh
    page = agent_client.get(f"/desk/t/{ticket.pk}/").content.decode()
    assert 'data-testid="msg-recalled">顾客已撤回</span>' in page and 'data-testid="msg-recalled">已撤回</span>' in page
    poll = agent_client.get(f"/desk/t/{ticket.pk}/poll/").json()
    assert "顾客已撤回" in poll["deliveries"][str(said.pk)]
    # and a desk showing the conversation hears of it on the push (a ticket change it redraws)
    assert LiveEvent.objects.filter(kind="ticket", data__ticket_id=ticket.pk,
                                    data__kind="message_recalled").count() == 2
    # the same events read again change nothing
    stamp = said.recalled_at
    KfCursor.objects.filter(account=account).update(cursor="")
    callback()
    said.refresh_from_db()
    assert said.recalled_at == stamp
