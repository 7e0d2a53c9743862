"""A local 有赞云 for tests: /auth/token (silent, authorization_code, refresh_token), the refund APIs at
/api/{name}/{version}?access_token= with the gateway's and the services' answer shapes, refund requests that
move when acted on (refusing a stale version), and pushes signed as 有赞 signs them (Event-Sign header over
the raw body, the body's sign over client_id + msg + client_secret). Faults: `fail_next(api, kind, times)` with
"rate_limit" | "token_expired" | "status_error" | "outage", `outage = True`, `expire_access_token()`,
`refuse_refresh = True`. The sandbox settles an agreed refund at once (SUCCESS).

Buyer data: a trade given `plain_name` / `plain_tel` / `plain_detail` answers youzan.trade.get with ciphertexts
("$…$1$", the shop's key inside: the sandbox's own format) for receiver_name, receiver_tel and delivery_address, as
有赞 does; youzan.cloud.secret.decrypt.batch {sources} answers data {ciphertext: clear} for the ciphertexts of this
shop and leaves out any other (the sandbox's way of refusing one item), refuses an empty source (10500, as public
integrations report) and answers 4204 when `decrypt_allowed` is False (the app holds no decrypt grant)."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import httpx

from shouhou.core.sandbox import LocalHttpService
from shouhou.platforms.adapters.youzan import VERSIONS, encode_msg, push_sign
from shouhou.platforms.sandbox import deliver

ERRORS = {
    "rate_limit": (200, {"gw_err_resp": {"err_code": 4101, "err_msg": "请求太频繁", "trace_id": "yz7-sandbox"}}),
    "token_expired": (200, {"gw_err_resp": {"err_code": 4202, "err_msg": "请求凭证过期", "trace_id": "yz7-sandbox"}}),
    "status_error": (200, {"success": False, "code": 102010002, "data": None,
                           "message": "操作过期，请刷新后确认最新退款状态"}),
    "outage": (502, {"message": "Bad Gateway"}),
}
LEGACY = {name for name, version in VERSIONS.items() if version == "3.0.0"}  # answered in the older envelope
# api → (statuses it may act on, {status: status after}) ; None: keep the map's single target
OPERATIONS = {
    "youzan.trade.refund.agree": {"WAIT_SELLER_AGREE": "SUCCESS", "WAIT_SELLER_CONFIRM_GOODS": "SUCCESS"},
    "youzan.trade.refund.refuse": {"WAIT_SELLER_AGREE": "SELLER_REFUSE_BUYER"},
    "youzan.trade.returngoods.agree": {"WAIT_SELLER_AGREE": "WAIT_BUYER_RETURN_GOODS"},
    "youzan.trade.returngoods.refuse": {"WAIT_SELLER_CONFIRM_GOODS": "SELLER_REFUSE_BUYER_RETURN_GOODS"},
}


def _now_text() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())


@dataclass
class SandboxRefund:
    refund_id: str
    tid: str
    oid: str = ""
    demand: int = 1  # 1 仅退款, 2 退货退款, 3 换货
    status: str = "WAIT_SELLER_AGREE"
    refund_fee: str = "0.00"
    reason: int = 12
    desc: str = ""
    refund_type: str = "BUYER_APPLY_REFUND"
    version: int = field(default_factory=lambda: int(time.time() * 1000))
    updated: int = field(default_factory=lambda: int(time.time()))
    created: str = field(default_factory=_now_text)


@dataclass
class SandboxTrade:
    """An order as youzan.trade.get describes it (the fields shouhou reads)."""

    tid: str
    lines: list[dict]  # {oid, title, num, payment (yuan text), outer_sku_id, sku_properties_name, item_id}
    status: str = "WAIT_SELLER_SEND_GOODS"
    payment: str = "0.00"
    created: str = field(default_factory=_now_text)
    updated: int = field(default_factory=lambda: int(time.time()))
    consign_time: str = ""
    express_no: str = ""
    express_id: int = 0
    parcels: list[dict] = field(default_factory=list)  # {express_no, express_id, oids}: one delivery_order each
    plain_name: str = ""  # set: the receiver comes encrypted, and decrypts to these
    plain_tel: str = ""
    plain_detail: str = ""
    cipher_kdt: str = ""  # the shop whose key encrypted the receiver ("": this sandbox's shop)


def cipher(kdt_id: str, value: str) -> str:
    """The sandbox's ciphertext of `value` under shop `kdt_id`, in 有赞's "$…$1$" form."""
    return "$" + base64.b64encode(f"{kdt_id}|{value}".encode()).decode() + "$1$"


def uncipher(text: str) -> tuple[str | None, str]:
    """(the shop whose key encrypted `text`, the clear value), or (None, "") for anything else."""
    if not (text.startswith("$") and text.endswith("$1$")):
        return None, ""
    try:
        decoded = base64.b64decode(text[1:-3], validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None, ""
    owner, sep, value = decoded.partition("|")
    return (owner, value) if sep else (None, "")


EXPRESS = [{"id": 1, "name": "申通快递", "display": 0}, {"id": 2, "name": "圆通速递", "display": 0},
           {"id": 3, "name": "中通快递", "display": 0}, {"id": 4, "name": "韵达快递", "display": 0},
           {"id": 7, "name": "顺丰速运", "display": 0}]  # the sandbox's numbering (有赞's own is read, not assumed)


class YouzanSandbox(LocalHttpService):
    push_retries = 0  # a push answered 5xx is tried again this many times (deliver); demos set 3

    def __init__(self, *, client_id: str = "yz-sandbox-client", client_secret: str = "yz-sandbox-secret",  # noqa: S107
                 kdt_id: str = "91000001", push_url: str = "", host: str = "127.0.0.1", port: int = 0):  # a local fake
        self.client_id, self.client_secret, self.kdt_id = client_id, client_secret, kdt_id
        self.push_url = push_url
        self.refunds: dict[str, SandboxRefund] = {}
        self.trades: dict[str, SandboxTrade] = {}
        self.operations: list[tuple[str, str, dict]] = []
        self.calls: list[str] = []
        self.faults: list[dict] = []
        self.outage = False
        self.refuse_refresh = False
        self.decrypt_allowed = True  # False: the app holds no decrypt grant (4204)
        self.decrypted: list[list[str]] = []  # the sources of every decrypt answered
        self.lock = threading.RLock()
        self.access_token, self.refresh_token = "yz-at-" + secrets.token_hex(6), "yz-rt-" + secrets.token_hex(6)
        self.expired_tokens: set[str] = set()
        self.server = ThreadingHTTPServer((host, port), self._handler())

    def fail_next(self, api: str, kind: str, times: int = 1) -> None:
        with self.lock:
            self.faults.append({"api": api, "kind": kind, "times": times})

    def expire_access_token(self) -> None:
        with self.lock:
            self.expired_tokens.add(self.access_token)

    # --- the buyer's side --------------------------------------------------------------------------
    def add_refund(self, *, tid: str, oid: str = "", demand: int = 1, refund_fee: str = "0.00", reason: int = 12,
                   desc: str = "", push: bool = True, refund_id: str = "") -> SandboxRefund:
        with self.lock:
            refund = SandboxRefund(refund_id=refund_id or f"20261106{len(self.refunds) + 1:016d}", tid=tid, oid=oid, demand=demand,
                                   refund_fee=refund_fee, reason=reason, desc=desc)
            self.refunds[refund.refund_id] = refund
        if push:
            self.push_refund("trade_refund_BuyerCreated", refund)
        return refund

    def buyer_returns(self, refund_id: str, *, push: bool = True) -> None:
        with self.lock:
            self._move(self.refunds[refund_id], "WAIT_SELLER_CONFIRM_GOODS")
        if push:
            self.push_refund("trade_refund_RefundBuyerReturnGoods", self.refunds[refund_id])

    def _move(self, refund: SandboxRefund, status: str) -> None:
        refund.status, refund.version = status, max(refund.version + 1, int(time.time() * 1000))
        refund.updated = int(time.time())

    # --- orders ----------------------------------------------------------------------------------------
    def add_order(self, *, tid: str, lines: list[dict], status: str = "WAIT_SELLER_SEND_GOODS") -> SandboxTrade:
        payment = sum(Decimal(str(ln.get("payment") or "0")) for ln in lines)
        with self.lock:
            trade = SandboxTrade(tid=tid, lines=lines, status=status, payment=f"{payment:.2f}")
            self.trades[tid] = trade
        return trade

    def ship_order(self, tid: str, *, express_no: str, express_id: int = 3, push: bool = True,
                   oids: list[str] | None = None) -> None:
        """The merchant ships a parcel (all lines, or `oids` only: a split shipment adds one delivery_order)."""
        with self.lock:
            trade = self.trades[tid]
            trade.status, trade.express_no, trade.express_id = "WAIT_BUYER_CONFIRM_GOODS", express_no, express_id
            trade.parcels.append({"express_no": express_no, "express_id": express_id,
                                  "oids": list(oids or [ln["oid"] for ln in trade.lines])})
            trade.consign_time = _now_text()
            trade.updated = max(trade.updated + 1, int(time.time()))
        if push:
            self.push(self.trade_message("trade_TradeSellerShip", trade))

    def trade_message(self, kind: str, trade: SandboxTrade) -> dict:
        msg = encode_msg({"tid": trade.tid, "status": trade.status,
                          "update_time": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(trade.updated))})
        return {"msg": msg, "kdt_name": "沙箱有赞店", "test": False,
                "sign": push_sign(self.client_id, self.client_secret, msg.encode()), "type": kind, "sendCount": 1,
                "version": int(time.time()), "client_id": self.client_id, "mode": 1, "kdt_id": int(self.kdt_id),
                "id": trade.tid, "msg_id": str(uuid.uuid4()), "root_kdt_id": int(self.kdt_id), "status": trade.status}

    def _trade_info(self, t: SandboxTrade) -> dict:
        key = t.cipher_kdt or self.kdt_id
        return {"order_info": {"tid": t.tid, "status": t.status, "type": 0, "express_type": 0, "created": t.created,
                               "pay_time": t.created, "consign_time": t.consign_time,
                               "update_time": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t.updated)),
                               "success_time": "", "refund_state": 0},
                "buyer_info": {"yz_open_id": "yz-open-sandbox", "buyer_phone": "$sandboxcipher==$1$"},
                "address_info": {"receiver_name": cipher(key, t.plain_name) if t.plain_name else "王*",
                                 "receiver_tel": cipher(key, t.plain_tel) if t.plain_tel else "139****8888",
                                 "delivery_province": "浙江省", "delivery_city": "杭州市", "delivery_district": "余杭区",
                                 "delivery_address": cipher(key, t.plain_detail) if t.plain_detail
                                 else "$c2FuZGJveA==$1$", "delivery_postal_code": ""},
                "pay_info": {"payment": t.payment, "total_fee": t.payment, "post_fee": "0.00"},
                "orders": [{"oid": ln["oid"], "title": ln.get("title", "商品"), "num": ln.get("num", 1),
                            "payment": ln.get("payment", "0.00"), "item_id": ln.get("item_id", 1),
                            "outer_sku_id": ln.get("outer_sku_id", ""),
                            "sku_properties_name": ln.get("sku_properties_name", "")} for ln in t.lines]}

    def _trade_detail(self, t: SandboxTrade) -> dict:
        delivery = []
        parcels = t.parcels or ([{"express_no": t.express_no, "express_id": t.express_id,
                                  "oids": [ln["oid"] for ln in t.lines]}] if t.express_no else [])
        for n, parcel in enumerate(parcels):
            delivery.append({"express_state": 1, "express_type": 0, "oids": [{"oid": o} for o in parcel["oids"]],
                             "dists": [{"dist_id": f"D{t.tid[-6:]}{n}", "express_info": {
                                 "express_id": parcel["express_id"], "express_no": parcel["express_no"]}}]})
        return {"full_order_info": self._trade_info(t), "delivery_order": delivery, "refund_order": [],
                "order_promotion": {}}

    def _trades_sold(self, name: str, params: dict) -> tuple[int, dict]:
        page, size = int(params.get("page_no") or 1), int(params.get("page_size") or 20)
        if page > 100 or size > 100:
            return self._fail(name, 5000, "每页最多显示100条数据")
        try:
            begin = time.mktime(time.strptime(params["start_update"], "%Y-%m-%d %H:%M:%S"))
            end = time.mktime(time.strptime(params["end_update"], "%Y-%m-%d %H:%M:%S"))
        except (KeyError, ValueError):
            return self._fail(name, 5001, "系统异常")
        if begin > end:
            return self._fail(name, 5000, "开始时间不能大于结束时间")
        rows = sorted((t for t in self.trades.values() if begin <= t.updated <= end), key=lambda t: t.updated)
        chunk = rows[(page - 1) * size: page * size]
        return self._ok(name, {"total_results": len(rows),
                               "full_order_info_list": [{"full_order_info": self._trade_info(t)} for t in chunk]})

    # --- pushes ------------------------------------------------------------------------------------
    def message(self, kind: str, refund: SandboxRefund, *, test: bool = False, client_secret: str | None = None) -> dict:
        """One push body as 有赞 sends the older trade_refund_* messages (msg URL-encoded, signed in the body)."""
        msg = encode_msg({"refund_id": refund.refund_id, "tid": refund.tid, "oids": refund.oid,
                          "version": refund.version, "update_time": _now_text(),
                          "refund_type": {1: "REFUND_ONLY", 2: "REFUND_AND_RETURN"}.get(refund.demand, "EXCHANGE_GOODS_FLOW"),
                          "refunded_fee": refund.refund_fee, "refund_reason_desc": refund.desc,
                          "refund_reason": "RETURNSNOT_OTHER" if refund.demand == 1 else "RETURNS_OTHER"})
        return {"msg": msg, "kdt_name": "沙箱有赞店", "test": test,
                "sign": push_sign(self.client_id, client_secret or self.client_secret, msg.encode()),
                "type": kind, "sendCount": 1, "version": int(time.time()), "client_id": self.client_id, "mode": 1,
                "kdt_id": int(self.kdt_id), "id": refund.tid, "msg_id": str(uuid.uuid4()), "root_kdt_id": int(self.kdt_id),
                "status": refund.status}

    def signed(self, body: dict, *, client_secret: str | None = None) -> tuple[bytes, dict]:
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        return raw, {"Content-Type": "application/json", "Event-Type": str(body.get("type", "")),
                     "Client-Id": self.client_id,
                     "Event-Sign": push_sign(self.client_id, client_secret or self.client_secret, raw)}

    def push(self, body: dict) -> httpx.Response | None:
        if not self.push_url:
            return None
        raw, headers = self.signed(body)
        return deliver(self.push_url, retries=self.push_retries, content=raw, headers=headers, timeout=30)

    def push_refund(self, kind: str, refund: SandboxRefund) -> httpx.Response | None:
        return self.push(self.message(kind, refund))

    # --- HTTP ----------------------------------------------------------------------------------------
    def _handler(self):
        sandbox = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                return

            def do_GET(self):  # noqa: N802
                parsed = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
                if parsed.path.strip("/") != "oauth/authorize":
                    self.send_response(404)
                    self.end_headers()
                    return
                if query.get("client_id") != sandbox.client_id or query.get("response_type") != "code" \
                        or not query.get("redirect_uri"):
                    self.send_response(400)
                    self.end_headers()
                    return
                self.send_response(302)  # the merchant agrees at once
                self.send_header("Location", query["redirect_uri"] + "?" + urlencode(
                    {"code": "sandbox-code", "state": query.get("state", "")}))
                self.end_headers()

            def do_POST(self):  # noqa: N802
                parsed = urlparse(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, answer = sandbox.handle(parsed.path, {k: v[0] for k, v in parse_qs(parsed.query).items()},
                                                self.headers.get("Content-Type") or "", raw)
                data = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def handle(self, path: str, query: dict, content_type: str, raw: bytes) -> tuple[int, dict]:
        with self.lock:
            if self.outage:
                self.calls.append(path.strip("/"))
                return ERRORS["outage"]
            if path == "/auth/token":
                self.calls.append("auth/token")
                return self._token(raw, content_type)
            parts = path.strip("/").split("/")
            if len(parts) != 3 or parts[0] != "api":
                return 200, {"gw_err_resp": {"err_code": 4001, "err_msg": "非法请求地址"}}
            name, version = parts[1], parts[2]
            self.calls.append(name)
            if VERSIONS.get(name) != version:
                return 200, {"gw_err_resp": {"err_code": 4005, "err_msg": "非法的API"}}
            if "json" not in content_type:
                return 200, {"gw_err_resp": {"err_code": 4007, "err_msg": f"非法的请求姿势，contentType:{content_type}"}}
            for fault in self.faults:
                if fault["api"] == name and fault["times"] > 0:
                    fault["times"] -= 1
                    return ERRORS[fault["kind"]]
            token = query.get("access_token", "")
            if not token:
                return 200, {"gw_err_resp": {"err_code": 4201, "err_msg": "非法的请求凭证"}}
            if token in self.expired_tokens:
                return ERRORS["token_expired"]
            if token != self.access_token:
                return 200, {"gw_err_resp": {"err_code": 4203, "err_msg": "Token 不存在"}}
            try:
                params = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                return 200, {"gw_err_resp": {"err_code": 4004, "err_msg": "非法的Content"}}
            return self._api(name, params)

    def _token(self, raw: bytes, content_type: str) -> tuple[int, dict]:
        if "json" not in content_type:
            return 200, {"success": False, "code": 1000, "data": None,
                         "message": f"Content type '{content_type}' not supported,Please use 'application/json'"}
        body = json.loads(raw or b"{}")
        if body.get("client_id") != self.client_id:
            return 200, {"success": False, "code": 1103, "data": None, "message": "Client 不存在"}
        if body.get("client_secret") != self.client_secret:
            return 200, {"success": False, "code": 1000, "data": None, "message": "应用信息错误"}
        kind = body.get("authorize_type")
        if kind == "silent":  # 自用型: a token for the shop; refresh=true asks for a refresh_token as well
            if str(body.get("grant_id")) != self.kdt_id:
                return 200, {"success": False, "code": 1103, "data": None, "message": "授权关系不存在"}
            if self.refuse_refresh:
                return 200, {"success": False, "code": 1004, "data": None, "message": "授权关系已过期"}
            if self.access_token in self.expired_tokens:
                self.access_token = "yz-at-" + secrets.token_hex(6)
            return self._tokens(with_refresh=body.get("refresh") is True)
        if kind == "authorization_code":
            if body.get("code") != "sandbox-code":
                return 200, {"success": False, "code": 1005, "data": None, "message": "非法授权码"}
            return self._tokens(with_refresh=True)
        if kind == "refresh_token":
            if self.refuse_refresh or body.get("refresh_token") != self.refresh_token:
                return 200, {"success": False, "code": 1004, "data": None, "message": "授权关系已过期"}
            self.access_token, self.refresh_token = "yz-at-" + secrets.token_hex(6), "yz-rt-" + secrets.token_hex(6)
            return self._tokens(with_refresh=True)
        return 200, {"success": False, "code": 1105, "data": None, "message": "不支持的应用类型"}

    def _tokens(self, *, with_refresh: bool) -> tuple[int, dict]:
        data = {"access_token": self.access_token, "expires": int((time.time() + 7 * 86400) * 1000),
                "scope": "trade trade_refund", "authority_id": self.kdt_id}
        if with_refresh:
            data["refresh_token"] = self.refresh_token
        return 200, {"success": True, "code": 200, "data": data, "message": None}

    def _ok(self, name: str, data: dict) -> tuple[int, dict]:
        if name in LEGACY:
            return 200, {"response": data}
        return 200, {"success": True, "code": 200, "data": data, "message": "successful", "trace_id": "yz7-sandbox"}

    def _fail(self, name: str, code: int, message: str) -> tuple[int, dict]:
        if name in LEGACY:
            return 200, {"error_response": {"code": code, "msg": message}}
        return 200, {"success": False, "code": code, "data": None, "message": message}

    def _api(self, name: str, params: dict) -> tuple[int, dict]:
        if name == "youzan.trades.sold.get":
            return self._trades_sold(name, params)
        if name == "youzan.trade.get":
            trade = self.trades.get(str(params.get("tid") or ""))
            if trade is None:
                return self._fail(name, 5000, "trade not found")
            return self._ok(name, self._trade_detail(trade))
        if name == "youzan.logistics.express.get":
            return self._ok(name, {"allExpress": EXPRESS})
        if name == "youzan.cloud.secret.decrypt.batch":
            return self._decrypt(name, params)
        if name == "youzan.trade.refund.search":
            return self._search(name, params)
        refund = self.refunds.get(str(params.get("refund_id") or ""))
        if refund is None:
            return self._fail(name, 103011024, "退款记录不存在")
        if name == "youzan.trade.refund.get":
            return self._ok(name, self._detail(refund))
        moves = OPERATIONS[name]
        if int(params.get("version") or 0) != refund.version:
            return self._fail(name, 103010039, "退款版本号错误")
        if refund.status not in moves:
            return self._fail(name, 102010002, "操作过期，请刷新后确认最新退款状态")
        if name == "youzan.trade.returngoods.agree" and not all(params.get(k) for k in ("name", "mobile", "address")):
            return self._fail(name, 5002, "退货地址不完整")
        if name.endswith("refuse") and not params.get("remark"):
            return self._fail(name, 5002, "拒绝理由不能为空")
        self._move(refund, moves[refund.status])
        self.operations.append((name, refund.refund_id, params))
        return self._ok(name, {"is_success": True})

    def _decrypt(self, name: str, params: dict) -> tuple[int, dict]:
        """youzan.cloud.secret.decrypt.batch: {sources: [ciphertext]} → data {ciphertext: clear}."""
        if not self.decrypt_allowed:
            return 200, {"gw_err_resp": {"err_code": 4204, "err_msg": "无权限调用该API", "trace_id": "yz7-sandbox"}}
        sources = params.get("sources")
        if not isinstance(sources, list) or not sources or not all(isinstance(x, str) and x for x in sources):
            return self._fail(name, 10500, "系统异常")
        self.decrypted.append(list(sources))
        plain = {}
        for text in sources:
            owner, value = uncipher(text)
            if owner == self.kdt_id:
                plain[text] = value
        return self._ok(name, plain)

    def _detail(self, r: SandboxRefund) -> dict:
        """refund.get's published fields (the API page and the generated SDK's YouzanTradeRefundGetResult).
        `demand` is in no published field list: it is added only for an exchange (3), which shouhou cannot
        otherwise tell from return_goods, and which it hands to the back office anyway."""
        detail = {"refund_id": r.refund_id, "tid": r.tid, "oid": r.oid, "item_id": 18080319, "item_num": 1,
                  "kdt_id": int(self.kdt_id), "status": r.status, "version": r.version, "refund_fee": r.refund_fee,
                  "return_goods": r.demand != 1, "refund_type": r.refund_type, "reason": r.reason, "desc": r.desc,
                  "cs_status": 1, "created": r.created,
                  "modified": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.updated))}
        if r.demand == 3:
            detail["demand"] = r.demand
        return detail

    def _search(self, name: str, params: dict) -> tuple[int, dict]:
        page, size = int(params.get("page_no") or 1), int(params.get("page_size") or 20)
        if page > 100:
            return self._fail(name, 5002, "查询页数超过100")
        if page * size > 3000:
            return self._fail(name, 5002, "超过ES搜索最大深度")
        begin, end = int(params.get("update_time_start") or 0), int(params.get("update_time_end") or 2**31)
        rows = sorted((r for r in self.refunds.values() if begin <= r.updated <= end), key=lambda r: r.updated)
        chunk = rows[(page - 1) * size: page * size]
        return self._ok(name, {"total": len(rows), "refunds": [
            {"refund_id": r.refund_id, "status": r.status, "tid": r.tid, "return_goods": r.demand != 1,
             "reason": r.reason,
             "refund_fee": r.refund_fee, "created": r.created, "cs_status": 1, "refund_type": r.refund_type,
             "kdt_id": int(self.kdt_id),
             "modified": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.updated))} for r in chunk]})
