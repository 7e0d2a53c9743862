"""Official account (公众号) photos both ways over real HTTP: a customer's image push (MediaId) is fetched from
a local api.weixin.qq.com (channels/kf_sandbox.py answers the official-account paths too) with media/get
after the push is answered, checked like a web-chat upload and kept on the message; an agent's photo goes
up with media/upload and out as a customer-service image message. PDFs and other formats are refused
before anything is sent (the customer-service API has no file message)."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shouhou.core.testing import images
from shouhou.inbox.channels import deliver_outbound, testing
from shouhou.inbox.channels.kf_sandbox import KfSandbox
from shouhou.inbox.choices import Channel, Direction
from shouhou.inbox.models import ChannelAccount, Message, Ticket
from shouhou.inbox.services import TicketError, ticket_reply

pytestmark = pytest.mark.django_db

TOKEN = "tok-gh"  # noqa: S105 - a test fixture
JPEG, PNG = images.JPEG, images.PNG  # real pictures: uploads are decoded
PDF = b"%PDF-1.4\n" + b"0" * 100
EXE = b"MZ\x90\x00" + b"\x00" * 100


@pytest.fixture
def api(settings):
    sandbox = KfSandbox(corp_id="wxAPPMEDIA1", secret="app-secret-1").start()  # noqa: S106 - a local fake
    settings.SHOUHOU_INBOX_API_BASES = {"wechat": sandbox.url}
    yield sandbox
    sandbox.stop()


@pytest.fixture
def account(shop, api):
    shop.settings = {**(shop.settings or {}), "bot_enabled": False}
    shop.save(update_fields=["settings"])
    return ChannelAccount.objects.create(shop=shop, channel=Channel.WECHAT, name="小鹿公众号", key="gh-media",
                                         app_id=api.corp_id, token=TOKEN, secret=api.secret)


def _push_image(client, capture, *, media_id: str, msg_id: str, openid: str = "oPhoto"):
    xml = testing.wechat_text_xml(openid=openid, content="", msg_id=msg_id, msg_type="image",
                                  extra=f"<PicUrl><![CDATA[http://mmbiz.qpic.cn/{msg_id}.jpg]]></PicUrl>"
                                        f"<MediaId><![CDATA[{media_id}]]></MediaId>")
    query = testing.wechat_query(token=TOKEN, timestamp=str(int(time.time())))
    with capture(execute=True):
        return client.post(f"/inbox/hooks/wechat/gh-media/?{query}", data=xml.encode(), content_type="text/xml")


def test_customer_photo_is_fetched_checked_and_kept(client, api, account, django_capture_on_commit_callbacks):
    media_id = api.put_media("image", "MEDIA.jpg", JPEG)
    response = _push_image(client, django_capture_on_commit_callbacks, media_id=media_id, msg_id="70001")
    assert (response.status_code, response.content) == (200, b"success")
    message = Message.objects.get(external_id="wechat:gh-media:70001")
    assert message.body == "[图片]" and message.attachment.name.endswith(".jpg")
    assert message.attachment.read() == JPEG
    paths = [p for p, _ in api.calls]
    assert paths == ["/cgi-bin/token", "/cgi-bin/media/get"]
    # the same push again (WeChat retries when slow) fetches nothing more
    _push_image(client, django_capture_on_commit_callbacks, media_id=media_id, msg_id="70001")
    assert [p for p, _ in api.calls] == paths and Message.objects.count() == 1


def test_a_media_that_is_not_a_photo_is_left_out_with_the_reason(client, api, account,
                                                                  django_capture_on_commit_callbacks):
    media_id = api.put_media("image", "x.exe", EXE)
    _push_image(client, django_capture_on_commit_callbacks, media_id=media_id, msg_id="70002")
    message = Message.objects.get()
    assert not message.attachment and message.body.startswith("[图片]（未保存：")


def test_an_unknown_media_id_keeps_the_picture_url(client, api, account, django_capture_on_commit_callbacks):
    _push_image(client, django_capture_on_commit_callbacks, media_id="gone", msg_id="70003")
    message = Message.objects.get()
    assert not message.attachment and message.body == "[图片] http://mmbiz.qpic.cn/70003.jpg"


def test_agent_photo_is_uploaded_and_sent_as_an_image_message(client, api, account, agent,
                                                              django_capture_on_commit_callbacks):
    _push_image(client, django_capture_on_commit_callbacks, media_id=api.put_media("image", "a.jpg", JPEG),
                msg_id="70004")
    ticket = Ticket.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_reply(ticket=ticket, author=agent, body="这是正确的尺码表",
                             attachment=SimpleUploadedFile("尺码表.png", PNG, content_type="image/png"))
    reply.refresh_from_db()
    assert reply.delivery_status == "sent", reply.delivery_error
    ((kind, name, data),) = api.uploads
    assert (kind, data) == ("image", PNG) and name.endswith(".png")
    image, text = api.sent
    assert image == {"touser": "oPhoto", "msgtype": "image", "image": {"media_id": image["image"]["media_id"]}}
    assert image["image"]["media_id"] in api.media
    assert text == {"touser": "oPhoto", "msgtype": "text", "text": {"content": "这是正确的尺码表"}}
    # a photo alone goes as the image only
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, author=agent, body="", attachment=SimpleUploadedFile("b.jpg", JPEG))
    assert [s["msgtype"] for s in api.sent] == ["image", "text", "image"]


def test_a_pdf_or_a_big_photo_is_refused_for_the_official_account(client, api, account, agent,
                                                                  django_capture_on_commit_callbacks):
    _push_image(client, django_capture_on_commit_callbacks, media_id=api.put_media("image", "a.jpg", JPEG),
                msg_id="70005")
    ticket = Ticket.objects.get()
    with pytest.raises(TicketError, match="不能发送文件"):
        ticket_reply(ticket=ticket, author=agent, body="退货单", attachment=SimpleUploadedFile("a.pdf", PDF))
    big = images.big_picture(2 * 1024 * 1024 + 10)
    with pytest.raises(TicketError, match="2 MB"):
        ticket_reply(ticket=ticket, author=agent, body="", attachment=SimpleUploadedFile("big.png", big))
    assert not api.uploads and not Message.objects.filter(direction=Direction.OUTBOUND).exists()


def test_an_expired_token_on_upload_is_refreshed_once(client, api, account, agent,
                                                      django_capture_on_commit_callbacks):
    _push_image(client, django_capture_on_commit_callbacks, media_id=api.put_media("image", "a.jpg", JPEG),
                msg_id="70006")
    api.expire_access_token()
    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_reply(ticket=Ticket.objects.get(), author=agent, body="",
                             attachment=SimpleUploadedFile("c.png", PNG))
    reply.refresh_from_db()
    assert reply.delivery_status == "sent" and api.tokens_issued == 2 and len(api.sent) == 1
    api.fail_next("/cgi-bin/media/upload", "outage")
    with django_capture_on_commit_callbacks(execute=True):
        second = ticket_reply(ticket=Ticket.objects.get(), author=agent, body="",
                              attachment=SimpleUploadedFile("d.png", PNG))
    second.refresh_from_db()
    assert second.delivery_status == "failed" and second.delivery_retry_at is not None
    deliver_outbound(message_id=second.pk)
    second.refresh_from_db()
    assert second.delivery_status == "sent" and len(api.sent) == 2


def test_an_agent_photo_goes_up_under_its_own_name(client, api, account, agent, django_capture_on_commit_callbacks):
    _push_image(client, django_capture_on_commit_callbacks, media_id=api.put_media("image", "a.jpg", JPEG),
                msg_id="70011")
    ticket = Ticket.objects.get()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            ticket_reply(ticket=ticket, author=agent, body="",
                         attachment=SimpleUploadedFile("尺码表.png", PNG, content_type="image/png"))
    assert [name for _, name, _ in api.uploads] == ["尺码表.png", "尺码表.png"]
