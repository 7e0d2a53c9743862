"""微信客服 (WeChat Customer Service run through WeCom, "kf"): customers write from WeChat to a customer-service
account (open_kfid); WeCom tells us there is something to read and we read it.

Callback (same URL check and encryption as a WeCom app, receiveid = CorpID): the decrypted XML is
`MsgType=event, Event=kf_msg_or_event` with `Token` (valid 10 minutes) and `OpenKfId`. We answer at once
and read in a background task (`inbox.tasks.kf_fetch_task`):

    POST /cgi-bin/kf/sync_msg?access_token=…  {cursor, token, limit, voice_format, open_kfid}
    → {errcode, errmsg, next_cursor, has_more, msg_list: [{msgid, open_kfid, external_userid, send_time,
       origin, servicer_userid, msgtype, text|image|file|…|event}]}

origin 3: the WeChat customer wrote it (an inbox message; images and files fetched with /cgi-bin/media/get
and checked like web-chat uploads); origin 4: a system event (enter_session with a welcome_code is greeted
through /cgi-bin/kf/send_msg_on_event; msg_send_fail marks our message failed); origin 5: a servicer typed
it in the WeCom client (recorded as an agent message, never sent again).

Replies: POST /cgi-bin/kf/send_msg {touser, open_kfid, msgid, msgtype, text|image|file}; a photo or PDF is
uploaded first with /cgi-bin/media/upload?type=image|file (multipart, field "media").
The access token comes from /cgi-bin/gettoken with the CorpID and the Secret of the app allowed to call
微信客服 (微信客服 → 可调用接口的应用), cached per channel account; 40001/42001/40014 drop it, and the call is made once more.
Sources: docs/channels.md, section 微信客服.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from shouhou.core.clock import now
from shouhou.inbox.channels.base import Inbound, from_unix
from shouhou.inbox.choices import Channel, Direction

log = logging.getLogger(__name__)

API_BASE = "https://qyapi.weixin.qq.com"
TOKEN_ERRORS = frozenset({40001, 42001, 40014})
# -1 system busy, 45009 API rate limit, 45033 too many concurrent calls: worth trying again later.
RETRYABLE_ERRORS = frozenset({-1, 45009, 45033})
SESSION_INVALID = 95018  # the session is closed, waiting in the pool or with a servicer in WeCom
ORIGIN_CUSTOMER, ORIGIN_EVENT, ORIGIN_SERVICER = 3, 4, 5
MAX_MEDIA_BYTES = 10 * 1024 * 1024
PAGE_LIMIT = 1000
MAX_PAGES = 50
TOKEN_MARGIN_SECONDS = 300
LABELS = {"image": "[图片]", "voice": "[语音]", "video": "[视频]", "file": "[文件]", "location": "[位置]",
          "link": "[链接]", "business_card": "[名片]", "miniprogram": "[小程序]", "msgmenu": "[菜单]",
          "channels_shop_product": "[视频号商品]", "channels_shop_order": "[视频号订单]", "channels": "[视频号]"}
DEFAULT_WELCOME = "您好，这里是{shop}售后客服，请问有什么可以帮您？"
SESSION_INVALID_TEXT = ("微信客服会话已结束或已转给企业微信里的接待人员（95018），"
                        "无法再从这里发送；顾客再次发消息后可以回复")


class KfError(Exception):
    """A refused or failed call; `retryable` when the same call may succeed later."""

    def __init__(self, message: str, *, code: int | None = None, retryable: bool = False):
        super().__init__(message)
        self.code = code
        self.retryable = retryable


def api_base() -> str:
    from shouhou.inbox.channels import api_base as bases

    return bases(Channel.WECHAT_KF)


# --- the HTTP client -----------------------------------------------------------------------------------------

class KfClient:
    """The few qyapi calls 微信客服 needs, with the access token of one channel account."""

    def __init__(self, account, *, timeout: float = 10):
        if not (account.app_id or "").strip():
            raise KfError("微信客服渠道未填写企业 ID（CorpID）")
        if not (account.secret or "").strip():
            raise KfError("微信客服渠道未填写 Secret（可调用微信客服接口的应用的 Secret），无法读取或发送消息")
        self.account = account
        self.base = api_base().rstrip("/")
        self.timeout = timeout

    def _cache_key(self) -> str:
        digest = hashlib.sha256(f"{self.account.app_id}:{self.account.secret}".encode()).hexdigest()[:12]
        return f"inbox:wechat_kf:token:{self.account.pk}:{digest}"

    def _http(self, method: str, path: str, **kwargs) -> httpx.Response:
        try:
            response = httpx.request(method, f"{self.base}{path}", timeout=self.timeout, **kwargs)
        except httpx.HTTPError as exc:
            raise KfError(f"企业微信接口无法连接：{exc.__class__.__name__}", retryable=True) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise KfError(f"企业微信接口暂不可用（HTTP {response.status_code}）", retryable=True)
        return response

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError as exc:
            raise KfError(f"企业微信接口返回的不是 JSON（HTTP {response.status_code}）", retryable=True) from exc
        if not isinstance(data, dict):
            raise KfError("企业微信接口返回格式错误", retryable=True)
        return data

    def access_token(self) -> str:
        key = self._cache_key()
        token = cache.get(key)
        if token:
            return token
        data = self._json(self._http("GET", "/cgi-bin/gettoken",
                                     params={"corpid": self.account.app_id, "corpsecret": self.account.secret}))
        token = data.get("access_token")
        if not token:
            code = _code(data)
            raise KfError(f"微信客服获取 access_token 失败 errcode {code}: {data.get('errmsg', '')}", code=code,
                          retryable=code in RETRYABLE_ERRORS)
        cache.set(key, token, max(int(data.get("expires_in", 7200) or 7200) - TOKEN_MARGIN_SECONDS, 60))
        return token

    def _call(self, method: str, path: str, *, binary: bool = False, **kwargs):
        """One API call; an expired or invalid token is dropped and the call made once more."""
        for attempt in (1, 2):
            params = {**kwargs.pop("params", {}), "access_token": self.access_token()}
            response = self._http(method, path, params=params, **kwargs)
            kwargs["params"] = {k: v for k, v in params.items() if k != "access_token"}
            if binary and "json" not in response.headers.get("content-type", "") \
                    and "text/plain" not in response.headers.get("content-type", ""):
                return response
            data = self._json(response)
            code = _code(data)
            if code == 0:
                return response if binary else data
            if code in TOKEN_ERRORS:
                cache.delete(self._cache_key())
                if attempt == 1:
                    continue
            raise KfError(_error_text(code, data), code=code,
                          retryable=code in RETRYABLE_ERRORS or code in TOKEN_ERRORS)
        raise AssertionError("unreachable")  # pragma: no cover

    def sync_msg(self, *, cursor: str, token: str, open_kfid: str, limit: int = PAGE_LIMIT) -> dict[str, Any]:
        body: dict[str, Any] = {"cursor": cursor, "limit": limit, "voice_format": 0}
        if open_kfid:
            body["open_kfid"] = open_kfid
        if token:
            body["token"] = token
        return self._call("POST", "/cgi-bin/kf/sync_msg", json=body)

    def send_msg(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/cgi-bin/kf/send_msg", json=payload)

    def send_msg_on_event(self, *, code: str, text: str, msgid: str = "") -> dict[str, Any]:
        body: dict[str, Any] = {"code": code, "msgtype": "text", "text": {"content": text}}
        if msgid:
            body["msgid"] = msgid
        return self._call("POST", "/cgi-bin/kf/send_msg_on_event", json=body)

    def media_get(self, media_id: str) -> tuple[bytes, str]:
        """(bytes, file name from Content-Disposition); refused above MAX_MEDIA_BYTES."""
        response = self._call("GET", "/cgi-bin/media/get", binary=True, params={"media_id": media_id})
        data = response.content
        if len(data) > MAX_MEDIA_BYTES:
            raise KfError(f"文件太大（{len(data) / 1024 / 1024:.1f} MB），未保存")
        return data, _disposition_name(response.headers.get("content-disposition", ""))

    def media_upload(self, *, kind: str, name: str, data: bytes, content_type: str) -> str:
        result = self._call("POST", "/cgi-bin/media/upload", params={"type": kind},
                            files={"media": (name, data, content_type)})
        media_id = str(result.get("media_id") or "")
        if not media_id:
            raise KfError("企业微信上传素材没有返回 media_id", retryable=True)
        return media_id


def _code(data: dict) -> int:
    try:
        return int(data.get("errcode", 0) or 0)
    except (TypeError, ValueError):
        return -1


def _error_text(code: int, data: dict) -> str:
    if code == SESSION_INVALID:
        return SESSION_INVALID_TEXT
    return f"微信客服 errcode {code}: {str(data.get('errmsg', ''))[:200]}"


_FILENAME = re.compile(r"""filename\*?=(?:UTF-8'')?"?([^";]+)"?""", re.IGNORECASE)


def _disposition_name(header: str) -> str:
    from urllib.parse import unquote

    found = _FILENAME.search(header or "")
    return unquote(found.group(1)).replace("\\", "/").rsplit("/", 1)[-1].strip()[:100] if found else ""


# --- the callback ---------------------------------------------------------------------------------------------

def kf_event(fields: dict[str, str]) -> tuple[str, str] | None:
    """(token, open_kfid) of a kf_msg_or_event callback; None for anything else (acknowledged, not read).
    Callbacks of the first API version carried no OpenKfId: then "" (one cursor reading every account)."""
    if fields.get("MsgType") != "event" or fields.get("Event") != "kf_msg_or_event":
        return None
    return fields.get("Token", "").strip()[:128], fields.get("OpenKfId", "").strip()[:64]


# --- reading: kf/sync_msg on a cursor -----------------------------------------------------------------------

@dataclass
class FetchResult:
    pages: int = 0
    stored: int = 0
    duplicates: int = 0
    servicer: int = 0
    events: int = 0
    errors: list[str] = field(default_factory=list)


def message_key(account, msgid: str) -> str:
    return f"wechat_kf:{account.key}:{msgid}"[:128]


def kf_fetch(*, account, open_kfid: str, token: str = "", max_pages: int = MAX_PAGES) -> FetchResult:
    """Read everything new for one customer-service account, page by page from the stored cursor. Each page's
    messages and the next cursor are written in one transaction; a message already stored (same msgid) is not
    stored again. Raises KfError when the API refuses (the cursor stays, the error is kept on it)."""
    from shouhou.inbox.models import KfCursor

    result = FetchResult()
    client = KfClient(account)
    try:
        with transaction.atomic():
            row, _ = KfCursor.objects.get_or_create(shop_id=account.shop_id, account=account, open_kfid=open_kfid)
    except IntegrityError:  # two first reads at once: the other one created it
        row = KfCursor.objects.get(account=account, open_kfid=open_kfid)
    while result.pages < max_pages:
        try:
            data = client.sync_msg(cursor=row.cursor, token=token, open_kfid=open_kfid)
            items = [m for m in (data.get("msg_list") or []) if isinstance(m, dict)]
            # A photo that cannot be fetched for now (outage, rate limit) stops the read before this page is
            # stored: the page is read again later rather than kept without its photo.
            prepared = [_prepare(account, client, m, result) for m in items]
        except KfError as exc:
            KfCursor.objects.filter(pk=row.pk).update(last_error=str(exc)[:300])
            raise
        result.pages += 1
        with transaction.atomic():
            locked = KfCursor.objects.select_for_update().get(pk=row.pk)
            if locked.cursor != row.cursor:
                # Another fetch read the same page and moved on meanwhile: go on from where it stopped.
                row = locked
                continue
            for item, files in prepared:
                _apply(account, item, files, result)
            locked.cursor = str(data.get("next_cursor") or locked.cursor)[:128]
            locked.fetched_at = now()
            locked.last_error = ""
            locked.save(update_fields=["cursor", "fetched_at", "last_error", "updated_at"])
            row = locked
        if not data.get("has_more"):
            break
    return result


def _already_stored(account, msgid: str) -> bool:
    from shouhou.inbox.models import Message

    return Message.objects.filter(shop_id=account.shop_id, external_id=message_key(account, msgid)).exists()


def _prepare(account, client: KfClient, item: dict, result: FetchResult) -> tuple[dict, list]:
    """Download a customer's image or file before the page's transaction (no HTTP inside it). A file that
    cannot be fetched or is not a photo/PDF is left out and the message says why."""
    msgtype = str(item.get("msgtype") or "")
    if msgtype not in ("image", "file") or _origin(item) not in (ORIGIN_CUSTOMER, ORIGIN_SERVICER) \
            or _already_stored(account, str(item.get("msgid") or "")):
        return item, []
    media_id = str((item.get(msgtype) or {}).get("media_id") or "")
    if not media_id:
        return item, [("", None, "没有 media_id")]
    try:
        data, name = client.media_get(media_id)
    except KfError as exc:
        if exc.retryable:
            raise
        result.errors.append(str(exc))
        return item, [("", None, str(exc))]
    return item, [_checked(data, name, msgtype)]


def _checked(data: bytes, name: str, msgtype: str) -> tuple[str, bytes | None, str]:
    """(original name, bytes or None, why refused) after the web-chat upload check (by content)."""
    from shouhou.core.uploads import UploadError, check_attachment

    upload = ContentFile(data, name=name or "file")
    try:
        check_attachment(upload)
    except UploadError as exc:
        return name, None, str(exc)
    return name or ("图片" if msgtype == "image" else "文件"), data, ""


def _origin(item: dict) -> int:
    try:
        return int(item.get("origin") or 0)
    except (TypeError, ValueError):
        return 0


def _apply(account, item: dict, files: list, result: FetchResult) -> None:
    origin, msgid = _origin(item), str(item.get("msgid") or "")
    if not msgid:
        log.warning("wechat_kf: message without msgid skipped on account %s", account.pk)
        return
    if origin == ORIGIN_CUSTOMER:
        _customer_message(account, item, files, result)
    elif origin == ORIGIN_SERVICER:
        _servicer_message(account, item, files, result)
    elif origin == ORIGIN_EVENT or item.get("msgtype") == "event":
        _event(account, item, result)
    else:
        log.info("wechat_kf: message %s with origin %s ignored", msgid, origin)


def message_text(item: dict) -> str:
    msgtype = str(item.get("msgtype") or "")
    part = item.get(msgtype) if isinstance(item.get(msgtype), dict) else {}
    if msgtype == "text":
        return str(part.get("content") or "")
    label = LABELS.get(msgtype, f"[{msgtype or '消息'}]")
    if msgtype == "location":
        return f"{label} {part.get('name', '')} {part.get('address', '')}".strip()
    if msgtype == "link":
        return f"{label} {part.get('title', '')} {part.get('url', '')}".strip()
    if msgtype == "miniprogram":
        return f"{label} {part.get('title', '')}".strip()
    if msgtype == "msgmenu":
        return f"{label} {part.get('head_content', '')}".strip()
    if msgtype == "channels_shop_product":
        return f"{label} {part.get('title', '')} {part.get('product_id', '')}".strip()
    if msgtype == "channels_shop_order":
        return f"{label} {part.get('order_id', '')} {part.get('product_titles', '')}".strip()
    return label


def _with_files(text: str, item: dict, files: list) -> tuple[str, list[tuple[str, bytes]], list[str]]:
    """The message text, the files kept: 「[图片]」, 「[文件] 发票.pdf」, or why a file was left out, and the kept
    files' names as the customer gave them (core.uploads.file_label; "" for photos)."""
    from shouhou.core.numbers import new_number
    from shouhou.core.uploads import file_label

    kept, labels = [], []
    for name, data, why in files:
        label = "[图片]" if item.get("msgtype") == "image" else f"[文件] {name}".strip()
        if data is None:
            text = f"{label}（未保存：{why}）"
            continue
        from shouhou.core.uploads import sniff_attachment

        kind = sniff_attachment(data[:32]) or "bin"
        extension = {"jpeg": "jpg"}.get(kind, kind)
        kept.append((f"kf-{new_number('F')}.{extension}", data))
        labels.append("" if item.get("msgtype") == "image" else file_label(name, kind))
        text = label
    return text, kept, labels


def _conversation(account, *, open_kfid: str, external_userid: str, subject: str = ""):
    """The customer's live conversation with this customer-service account, or a new one."""
    from shouhou.inbox.channels.inbound import conversation_for_contact, customer_for_contact

    return conversation_for_contact(
        shop=account.shop, channel=Channel.WECHAT_KF, contact_handle=external_userid, account=account,
        customer=customer_for_contact(shop=account.shop, channel=Channel.WECHAT_KF, contact_handle=external_userid),
        subject=subject, external_id=open_kfid, same_external_id=True)


def _customer_message(account, item: dict, files: list, result: FetchResult) -> None:
    from shouhou.inbox.channels.inbound import inbound_accept

    user, open_kfid = str(item.get("external_userid") or ""), str(item.get("open_kfid") or "")
    if not user or not open_kfid:
        log.warning("wechat_kf: message %s without external_userid/open_kfid skipped", item.get("msgid"))
        return
    text, kept, labels = _with_files(message_text(item), item, files)
    inbound = Inbound(external_id=message_key(account, str(item["msgid"])), contact_handle=user,
                      body=(text.strip() or "[消息]")[:5000], at=from_unix(item.get("send_time")),
                      msg_type=str(item.get("msgtype") or ""), attachments=kept,
                      attachment_labels=labels)
    conversation = None
    if not _already_stored(account, str(item["msgid"])):
        conversation = _conversation(account, open_kfid=open_kfid, external_userid=user, subject=inbound.body[:60])
    received = inbound_accept(shop=account.shop, channel=Channel.WECHAT_KF, item=inbound, account=account,
                              conversation=conversation)
    if received.duplicate:
        result.duplicates += 1
    else:
        result.stored += 1


def _servicer_message(account, item: dict, files: list, result: FetchResult) -> None:
    """A reply a servicer typed in the WeCom client: shown on the conversation as an agent message and, on
    an open ticket, the reply that stops its response clocks (a person answered). It reached the customer
    already, so it is marked sent and never goes out again."""
    from shouhou.accounts.actors import SystemActor
    from shouhou.inbox import services
    from shouhou.inbox.choices import OPEN_TICKET_STATUSES
    from shouhou.inbox.models import Conversation, Message

    key = message_key(account, str(item["msgid"]))
    if Message.objects.filter(shop_id=account.shop_id, external_id=key).exists():
        result.duplicates += 1
        return
    user, open_kfid = str(item.get("external_userid") or ""), str(item.get("open_kfid") or "")
    if not user:
        return
    text, kept, labels = _with_files(message_text(item), item, files)
    servicer = str(item.get("servicer_userid") or "")
    body = (f"【企业微信 {servicer}】" if servicer else "【企业微信】") + (text or "[消息]")
    conversation = _conversation(account, open_kfid=open_kfid, external_userid=user, subject=text[:60])
    ticket = conversation.tickets.filter(status__in=OPEN_TICKET_STATUSES).order_by("-pk").first()
    if ticket is not None:
        try:
            with transaction.atomic():
                # a servicer is a person answering in the WeCom client: the buyer's messages are answered
                reply = services.ticket_reply(ticket=ticket, author=SystemActor("wechat_kf"), body=body[:5000],
                                              by_person=True, sent_at=from_unix(item.get("send_time")))
                # Marked sent before the delivery task (queued after commit) looks at it: it is not sent again.
                if kept:
                    reply.attachment.save(kept[0][0], ContentFile(kept[0][1]), save=False)
                Message.objects.filter(pk=reply.pk).update(external_id=key, delivery_status="sent",
                                                           attachment=reply.attachment.name or "",
                                                           attachment_name=labels[0] if kept else "")
            result.servicer += 1
            return
        except (services.ReplyBlocked, services.TicketError) as exc:
            log.warning("wechat_kf: servicer message %s kept without answering the ticket: %s", key, exc)
    at = from_unix(item.get("send_time"))
    message = Message(shop_id=account.shop_id, conversation=conversation, direction=Direction.OUTBOUND,
                      body=body[:5000], external_id=key, delivery_status="sent")
    if kept:
        message.attachment = ContentFile(kept[0][1], name=kept[0][0])
        message.attachment_name = labels[0]
    message.save()
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=max(at, conversation.last_message_at)
                                                            if conversation.last_message_at else at)
    result.servicer += 1


def _event(account, item: dict, result: FetchResult) -> None:
    from shouhou.inbox.models import Message

    event = item.get("event") if isinstance(item.get("event"), dict) else {}
    kind = str(event.get("event_type") or "")
    result.events += 1
    if kind == "enter_session" and event.get("welcome_code"):
        _welcome(account, item, event)
    elif kind == "msg_send_fail" and event.get("fail_msgid"):
        key = message_key(account, str(event["fail_msgid"]))
        Message.objects.filter(shop_id=account.shop_id, external_id=key, direction=Direction.OUTBOUND).update(
            delivery_status="failed", delivery_retry_at=None,
            delivery_error=f"微信客服发送失败（fail_type {event.get('fail_type', '')}，如顾客拒收）"[:300])
    elif kind in ("user_recall_msg", "servicer_recall_msg") and event.get("recall_msgid"):
        # the customer (or a servicer, in WeChat's own client) withdrew a message: it is gone from the customer's
        # chat, so the desk marks it (kept for the record); a withdrawn message an agent must still answer keeps its
        # clock — the customer usually sends it again corrected, and one reply answers both
        key = message_key(account, str(event["recall_msgid"]))
        direction = Direction.INBOUND if kind == "user_recall_msg" else Direction.OUTBOUND
        recalled = Message.objects.filter(shop_id=account.shop_id, external_id=key, direction=direction,
                                          recalled_at__isnull=True)
        conversation_id = recalled.values_list("conversation_id", flat=True).first()
        if conversation_id is not None and recalled.update(recalled_at=from_unix(item.get("send_time"))):
            _recall_published(account.shop_id, conversation_id)
    else:
        log.info("wechat_kf: event %s on account %s acknowledged", kind or "?", account.pk)


def _recall_published(shop_id: int, conversation_id: int) -> None:
    """A desk showing the conversation redraws it (the message's badge 「顾客已撤回」): a ticket change on the push."""
    from shouhou.inbox.models import Ticket
    from shouhou.live.services import desk_stream, live_publish

    ticket_id = (Ticket.objects.filter(conversation_id=conversation_id).order_by("-pk")
                 .values_list("pk", flat=True).first())
    if ticket_id is not None:
        live_publish(shop_id=shop_id, stream=desk_stream(shop_id), kind="ticket",
                     data={"ticket_id": ticket_id, "kind": "message_recalled"})


def _welcome(account, item: dict, event: dict) -> None:
    """enter_session: greet once with the one-time welcome_code (valid 20 seconds), after commit. The greeting
    is kept on the customer's conversation as a bot message keyed on the event's msgid."""
    from shouhou.inbox.models import Message

    key = message_key(account, str(item["msgid"]))
    if Message.objects.filter(shop_id=account.shop_id, external_id=key).exists():
        return
    user = str(event.get("external_userid") or item.get("external_userid") or "")
    open_kfid = str(event.get("open_kfid") or item.get("open_kfid") or "")
    if not user or not open_kfid:
        return
    shop = account.shop
    text = str((shop.settings or {}).get("kf_welcome") or DEFAULT_WELCOME).replace("{shop}", shop.name)[:1000]
    conversation = _conversation(account, open_kfid=open_kfid, external_userid=user, subject="微信客服咨询")
    message = Message.objects.create(shop_id=account.shop_id, conversation=conversation,
                                     direction=Direction.OUTBOUND, is_bot=True, body=text, external_id=key)
    code = str(event["welcome_code"])
    transaction.on_commit(lambda: welcome_send(message_id=message.pk, code=code))


def welcome_send(*, message_id: int, code: str) -> None:
    from shouhou.inbox.models import Message

    message = Message.objects.select_related("conversation__channel_account").filter(pk=message_id).first()
    if message is None or message.delivery_status == "sent":
        return
    try:
        KfClient(message.conversation.channel_account).send_msg_on_event(code=code, text=message.body,
                                                                         msgid=f"sh{message.pk}w")
    except KfError as exc:
        Message.objects.filter(pk=message_id).update(delivery_status="failed", delivery_error=str(exc)[:300],
                                                     delivery_attempts=1)
        return
    Message.objects.filter(pk=message_id).update(delivery_status="sent", delivery_error="", delivery_attempts=1)


# --- sending: kf/send_msg ------------------------------------------------------------------------------------

def send_payload(*, touser: str, open_kfid: str, msgid: str, msgtype: str, content: dict) -> dict:
    return {"touser": touser, "open_kfid": open_kfid, "msgid": msgid, "msgtype": msgtype, msgtype: content}


def kf_send(message, conversation) -> str:
    """Send one outbound message: its photo or PDF first (uploaded as a temporary media), then its words
    unless they are only the file's label. Returns the key of the last part's msgid (kept as the message's
    external_id, so a later msg_send_fail event finds it)."""
    from shouhou.core.uploads import sniff_attachment
    from shouhou.inbox.channels import DeliveryError

    account = conversation.channel_account
    open_kfid, user = conversation.external_id, conversation.contact_handle
    if account is None or not open_kfid or not user:
        raise DeliveryError("会话没有关联微信客服账号（open_kfid）或顾客 external_userid，无法发送")
    try:
        client = KfClient(account)
        msgid = f"sh{message.pk}"
        text = (message.body or "").strip()
        if message.attachment:
            with message.attachment.open("rb") as handle:
                data = handle.read()
            kind = sniff_attachment(data[:32])
            if kind is None:
                raise DeliveryError("附件不是图片或 PDF，未发送")
            media_type = "file" if kind == "pdf" else "image"
            from shouhou.core.uploads import content_type_for
            from shouhou.inbox.channels import outbound_file_name

            name = outbound_file_name(message, kind)

            media_id = client.media_upload(kind=media_type, name=name, data=data, content_type=content_type_for(kind))
            sent_as = f"{msgid}f" if _has_words(text) else msgid
            client.send_msg(send_payload(touser=user, open_kfid=open_kfid, msgid=sent_as, msgtype=media_type,
                                         content={"media_id": media_id}))
            if not _has_words(text):
                return message_key(account, sent_as)
        client.send_msg(send_payload(touser=user, open_kfid=open_kfid, msgid=msgid, msgtype="text",
                                     content={"content": text}))
        return message_key(account, msgid)
    except KfError as exc:
        raise DeliveryError(str(exc), retryable=exc.retryable) from exc


def _has_words(text: str) -> bool:
    """A reply that is only a file's label (「[图片]」, 「[文件] x.pdf」) sends the file alone."""
    return bool(text) and not (text == "[图片]" or text.startswith("[文件] ") and "\n" not in text)


def fetch_later(*, account, open_kfid: str, token: str) -> None:
    """Queue the read after the callback's transaction commits; the callback answers at once."""
    from django.conf import settings
    from django_q.tasks import async_task

    sync = bool(settings.Q_CLUSTER.get("sync", False))
    account_id = account.pk
    transaction.on_commit(lambda: async_task("shouhou.inbox.tasks.kf_fetch_task", account_id, open_kfid, token,
                                             sync=sync))
