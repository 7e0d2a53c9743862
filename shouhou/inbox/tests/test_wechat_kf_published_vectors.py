"""微信客服's callback URL (/inbox/hooks/wechat-kf/<key>/) against WeCom's own published test vectors (the WXBizMsgCrypt
sample values, as the public SDK fudiwei/DotNetCore.SKIT.FlurlHttpClient.Wechat tests them; docs/platforms.md
"Sources"): the URL check answers the decrypted echostr, a message sealed by WeCom is verified and decrypted, and a
forged signature is refused. The clock is moved to the vectors' timestamps (replays are otherwise refused)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
import time_machine

from shouhou.inbox.choices import Channel
from shouhou.inbox.models import ChannelAccount, KfCursor

pytestmark = pytest.mark.django_db

CORP_ID, TOKEN, AES_KEY = "wx5823bf96d3bd56c7", "QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
ECHO = ("P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==")
ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3"
    "TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gs"
    "ijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUa"
    "x5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIG"
    "HBZZIs2pDBS8R07+qN+E7Q==")


@pytest.fixture
def account(shop):
    return ChannelAccount.objects.create(shop=shop, channel=Channel.WECHAT_KF, name="微信客服", key="kf-vector",
                                         app_id=CORP_ID, token=TOKEN, aes_key=AES_KEY, secret="kf-secret")


def _at(timestamp: int):
    return time_machine.travel(dt.datetime.fromtimestamp(timestamp, dt.UTC), tick=False)


def test_the_published_url_check_is_answered_with_the_decrypted_echostr(client, account):
    query = {"msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "timestamp": "1409659589",
             "nonce": "263014780", "echostr": ECHO}
    with _at(1409659589):
        answer = client.get(f"/inbox/hooks/wechat-kf/{account.key}/?{urlencode(query)}")
        forged = client.get(f"/inbox/hooks/wechat-kf/{account.key}/?{urlencode({**query, 'nonce': '1'})}")
    assert (answer.status_code, answer.content) == (200, b"1616140317555161061")
    assert forged.status_code == 403


def test_a_published_sealed_message_is_verified_decrypted_and_answered_without_a_read(client, account,
                                                                                      django_capture_on_commit_callbacks):
    """The vector is a text message (not kf_msg_or_event): accepted and answered with an empty 200, nothing read."""
    body = (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{ENCRYPT}]]></Encrypt>"
            f"<AgentID><![CDATA[218]]></AgentID></xml>").encode()
    query = {"msg_signature": "477715d11cdb4164915debcba66cb864d751f3e6", "timestamp": "1409659813",
             "nonce": "1372623149"}
    with _at(1409659813), django_capture_on_commit_callbacks(execute=True) as queued:
        answer = client.post(f"/inbox/hooks/wechat-kf/{account.key}/?{urlencode(query)}", data=body,
                             content_type="text/xml")
        forged = client.post(f"/inbox/hooks/wechat-kf/{account.key}/?{urlencode({**query, 'timestamp': '1409659814'})}",
                             data=body, content_type="text/xml")
    assert (answer.status_code, answer.content) == (200, b"")
    assert forged.status_code == 403
    assert queued == [] and not KfCursor.objects.exists()
