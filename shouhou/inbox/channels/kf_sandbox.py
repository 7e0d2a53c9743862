"""A local qyapi.weixin.qq.com for 微信客服, used by the tests: gettoken, kf/sync_msg (pages on a cursor,
has_more, the callback token checked), kf/send_msg, kf/send_msg_on_event (one-time welcome codes),
media/upload (multipart) and media/get; plus the callback WeCom sends (encrypted kf_msg_or_event).

Faults: an expired token (42001), a closed session (95018), rate limit (45009), outage (HTTP 503).
The same server answers the official account's /cgi-bin/token (appid = corp_id, secret), media calls and
/cgi-bin/message/custom/send, for the 公众号 photo tests.
What the customer and the WeCom servicers do is scripted with customer_text/customer_media/servicer_text/
enter_session; the sandbox keeps what it was sent in `sent`, `welcomes`, `uploads`, `calls`."""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlencode, urlparse

from shouhou.core.sandbox import LocalHttpService
from shouhou.inbox.channels import crypto
from shouhou.inbox.channels.wecom import encrypted_envelope

FAULTS = {
    "token_expired": (200, {"errcode": 42001, "errmsg": "access_token expired"}),
    "session_invalid": (200, {"errcode": 95018, "errmsg": "send msg session status invalid"}),
    "rate_limit": (200, {"errcode": 45009, "errmsg": "api freq out of limit"}),
    "outage": (503, {"errcode": -1, "errmsg": "system busy"}),
}


@dataclass
class KfSandbox(LocalHttpService):
    corp_id: str = "wwkfsandbox000001"
    secret: str = "kf-sandbox-secret"  # noqa: S105 - a local fake
    callback_token: str = "kfcallbacktoken"  # noqa: S105 - a local fake
    aes_key: str = field(default_factory=crypto.new_encoding_aes_key)
    page_size: int = 1000
    messages: list[dict] = field(default_factory=list)
    media: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)  # media_id → (type, name, bytes)
    uploads: list[tuple[str, str, bytes]] = field(default_factory=list)
    sent: list[dict] = field(default_factory=list)
    welcomes: list[dict] = field(default_factory=list)
    calls: list[tuple[str, dict]] = field(default_factory=list)
    sync_bodies: list[tuple[str, str]] = field(default_factory=list)  # (cursor, open_kfid) of each sync_msg
    closed_sessions: set = field(default_factory=set)
    tokens_issued: int = 0

    def __post_init__(self):
        self.lock = threading.RLock()
        self.faults: list[dict] = []
        self.access_token = ""
        self.sync_tokens: set[str] = set()
        self.welcome_codes: set[str] = set()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())

    # --- life -----------------------------------------------------------------------------------------------
    def expire_access_token(self) -> None:
        """The token we handed out stops working (WeCom answers 42001 until a new one is fetched)."""
        with self.lock:
            self.access_token = "expired-" + self.access_token

    # --- what happens on WeChat / in WeCom -------------------------------------------------------------------
    def _add(self, item: dict) -> dict:
        with self.lock:
            item.setdefault("msgid", "kfmsg" + secrets.token_hex(6))
            item.setdefault("send_time", int(time.time()))
            self.messages.append(item)
            return item

    def customer_text(self, user: str, text: str, *, open_kfid: str = "wkSANDBOX01", msgid: str = "") -> dict:
        self.closed_sessions.discard((open_kfid, user))
        return self._add({**({"msgid": msgid} if msgid else {}), "open_kfid": open_kfid, "external_userid": user,
                          "origin": 3, "msgtype": "text", "text": {"content": text}})

    def put_media(self, kind: str, name: str, data: bytes) -> str:
        media_id = "MEDIA" + secrets.token_hex(8)
        with self.lock:
            self.media[media_id] = (kind, name, data)
        return media_id

    def customer_media(self, user: str, kind: str, data: bytes, *, name: str = "", open_kfid: str = "wkSANDBOX01"):
        media_id = self.put_media(kind, name or ("photo.jpg" if kind == "image" else "file.bin"), data)
        self.closed_sessions.discard((open_kfid, user))
        return self._add({"open_kfid": open_kfid, "external_userid": user, "origin": 3, "msgtype": kind,
                          kind: {"media_id": media_id}})

    def servicer_text(self, user: str, text: str, *, servicer: str = "zhangsan", open_kfid: str = "wkSANDBOX01"):
        return self._add({"open_kfid": open_kfid, "external_userid": user, "origin": 5, "servicer_userid": servicer,
                          "msgtype": "text", "text": {"content": text}})

    def enter_session(self, user: str, *, open_kfid: str = "wkSANDBOX01") -> str:
        code = "WELCOME" + secrets.token_hex(6)
        with self.lock:
            self.welcome_codes.add(code)
        self._add({"open_kfid": open_kfid, "external_userid": user, "origin": 4, "msgtype": "event",
                   "event": {"event_type": "enter_session", "open_kfid": open_kfid, "external_userid": user,
                             "scene": "", "welcome_code": code}})
        return code

    def send_fail(self, user: str, fail_msgid: str, *, open_kfid: str = "wkSANDBOX01") -> dict:
        return self._add({"open_kfid": open_kfid, "external_userid": user, "origin": 4, "msgtype": "event",
                          "event": {"event_type": "msg_send_fail", "open_kfid": open_kfid, "external_userid": user,
                                    "fail_msgid": fail_msgid, "fail_type": 13}})

    def recall(self, user: str, recall_msgid: str, *, servicer: str = "", open_kfid: str = "wkSANDBOX01") -> dict:
        """The customer (or, with `servicer`, a servicer in WeCom) withdrew a message: user_recall_msg /
        servicer_recall_msg, as sync_msg lists them."""
        event = {"event_type": "servicer_recall_msg" if servicer else "user_recall_msg", "open_kfid": open_kfid,
                 "external_userid": user, "recall_msgid": recall_msgid}
        if servicer:
            event["servicer_userid"] = servicer
        return self._add({"open_kfid": open_kfid, "external_userid": user, "origin": 4, "msgtype": "event",
                          "event": event})

    def close_session(self, user: str, *, open_kfid: str = "wkSANDBOX01") -> None:
        self.closed_sessions.add((open_kfid, user))

    def callback(self, *, open_kfid: str | None = "wkSANDBOX01", token: str | None = None, signing_token: str | None = None,
                 timestamp: str | None = None, nonce: str = "kfnonce") -> tuple[str, bytes]:
        """(query string, body) of the kf_msg_or_event callback WeCom sends; it carries a fresh sync token."""
        sync_token = token if token is not None else "ENC" + secrets.token_hex(10)
        with self.lock:
            self.sync_tokens.add(sync_token)
        inner = (f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName><CreateTime>{int(time.time())}</CreateTime>"
                 f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>"
                 f"<Token><![CDATA[{sync_token}]]></Token>"
                 + (f"<OpenKfId><![CDATA[{open_kfid}]]></OpenKfId>" if open_kfid is not None else "") + "</xml>")
        stamp = timestamp or str(int(time.time()))
        body, signature = encrypted_envelope(token=signing_token or self.callback_token, aes_key=self.aes_key,
                                             corp_id=self.corp_id, inner_xml=inner, timestamp=stamp, nonce=nonce)
        return urlencode({"msg_signature": signature, "timestamp": stamp, "nonce": nonce}), body

    def sent_of(self, msgtype: str) -> list[dict]:
        return [s for s in self.sent if s.get("msgtype") == msgtype]

    # --- the HTTP side ---------------------------------------------------------------------------------------
    def _handler(self):
        sandbox = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, payload, headers: dict | None = None):
                raw = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                for k, v in (headers or {"Content-Type": "application/json; charset=utf-8"}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _dispatch(self, body: bytes):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                answer = sandbox.handle(self.command, url.path, query, body, self.headers.get("Content-Type", ""))
                self._answer(*answer)

            def do_GET(self):  # noqa: N802
                self._dispatch(b"")

            def do_POST(self):  # noqa: N802
                self._dispatch(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

        return Handler

    def _fault(self, path: str):
        with self.lock:
            for fault in self.faults:
                if fault["path"] == path.strip("/") and fault["times"] > 0:
                    fault["times"] -= 1
                    return FAULTS[fault["kind"]]
        return None

    def handle(self, method: str, path: str, query: dict, body: bytes, content_type: str):
        with self.lock:
            self.calls.append((path, dict(query)))
            if path == "/cgi-bin/kf/sync_msg":
                try:
                    asked = json.loads(body or b"{}")
                    self.sync_bodies.append((str(asked.get("cursor", "")), str(asked.get("open_kfid", ""))))
                except ValueError:
                    self.sync_bodies.append(("?", "?"))
        fault = self._fault(path)
        if fault is not None:
            if fault[1]["errcode"] == 42001:
                self.expire_access_token()
            return fault
        if path in ("/cgi-bin/gettoken", "/cgi-bin/token"):
            asked = ((query.get("corpid"), query.get("corpsecret")) if path == "/cgi-bin/gettoken"
                     else (query.get("appid"), query.get("secret")))
            if asked != (self.corp_id, self.secret):
                return 200, {"errcode": 40001, "errmsg": "invalid credential"}
            with self.lock:
                self.access_token = "kfat-" + secrets.token_hex(8)
                self.tokens_issued += 1
                return 200, {"errcode": 0, "errmsg": "ok", "access_token": self.access_token, "expires_in": 7200}
        if query.get("access_token") != self.access_token or not self.access_token:
            expired = self.access_token.startswith("expired-") and self.access_token.endswith(query.get("access_token", "?"))
            return 200, ({"errcode": 42001, "errmsg": "access_token expired"} if expired
                         else {"errcode": 40014, "errmsg": "invalid access_token"})
        if path == "/cgi-bin/media/get":
            found = self.media.get(query.get("media_id", ""))
            if found is None:
                return 200, {"errcode": 40007, "errmsg": "invalid media_id"}
            kind, name, data = found
            return 200, data, {"Content-Type": "image/jpeg" if kind == "image" else "application/octet-stream",
                               "Content-Disposition": f"attachment; filename=\"{quote(name)}\""}
        if path == "/cgi-bin/media/upload":
            return self._upload(query.get("type", ""), body, content_type)
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return 200, {"errcode": 47001, "errmsg": "data format error"}
        if path == "/cgi-bin/kf/sync_msg":
            return self._sync(data)
        if path == "/cgi-bin/kf/send_msg":
            return self._send(data)
        if path == "/cgi-bin/message/custom/send":  # the official account's customer-service message
            return self._send(data, kf=False)
        if path == "/cgi-bin/kf/send_msg_on_event":
            code = data.get("code", "")
            with self.lock:
                if code not in self.welcome_codes:
                    return 200, {"errcode": 95002, "errmsg": "invalid code"}
                self.welcome_codes.discard(code)
                self.welcomes.append(data)
            return 200, {"errcode": 0, "errmsg": "ok", "msgid": data.get("msgid") or "ev" + secrets.token_hex(4)}
        return 404, {"errcode": 404, "errmsg": "unknown path"}

    def _sync(self, data: dict):
        token = data.get("token", "")
        if token and token not in self.sync_tokens:
            return 200, {"errcode": 95007, "errmsg": "invalid msg token"}
        cursor = str(data.get("cursor") or "")
        start = int(cursor[1:]) if cursor.startswith("c") and cursor[1:].isdigit() else 0
        limit = min(int(data.get("limit") or 1000), 1000, self.page_size)
        open_kfid = data.get("open_kfid", "")
        with self.lock:
            mine = [m for m in self.messages if not open_kfid or m["open_kfid"] == open_kfid]
            page = mine[start:start + limit]
            end = start + len(page)
            return 200, {"errcode": 0, "errmsg": "ok", "next_cursor": f"c{end}", "has_more": int(end < len(mine)),
                         "msg_list": [json.loads(json.dumps(m)) for m in page]}

    def _send(self, data: dict, *, kf: bool = True):
        msgtype = data.get("msgtype", "")
        if not data.get("touser") or (kf and not data.get("open_kfid")) or msgtype not in data:
            return 200, {"errcode": 40003, "errmsg": "invalid touser / open_kfid / msgtype"}
        if kf and (data["open_kfid"], data["touser"]) in self.closed_sessions:
            return FAULTS["session_invalid"]
        if msgtype in ("image", "file") and data[msgtype].get("media_id") not in self.media:
            return 200, {"errcode": 40007, "errmsg": "invalid media_id"}
        with self.lock:
            self.sent.append(data)
        return 200, {"errcode": 0, "errmsg": "ok", "msgid": data.get("msgid") or "s" + secrets.token_hex(4)}

    def _upload(self, kind: str, body: bytes, content_type: str):
        if kind not in ("image", "file", "voice", "video"):
            return 200, {"errcode": 40004, "errmsg": "invalid media type"}
        message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        for part in message.iter_parts() if message.is_multipart() else []:
            if part.get_param("name", header="content-disposition") == "media":
                name = part.get_filename() or ""
                data = part.get_payload(decode=True) or b""
                media_id = self.put_media(kind, name, data)
                with self.lock:
                    self.uploads.append((kind, name, data))
                return 200, {"errcode": 0, "errmsg": "ok", "type": kind, "media_id": media_id,
                             "created_at": str(int(time.time()))}
        return 200, {"errcode": 41001, "errmsg": "media data missing"}
