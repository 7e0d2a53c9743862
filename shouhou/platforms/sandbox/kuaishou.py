"""A local 快手小店 open platform for tests: OAuth code/refresh, the signed refund APIs (HMAC-SHA256 sign,
result=1; reads as GET with the parameters in the query, actions as a form POST, as the official SDK sends them),
refund requests that move when acted on, and pushes encrypted with the app's message secret (AES-CBC, zero IV)
as the platform sends them, including the {"test": true} heartbeat. Faults as in the 抖店 sandbox.
The sandbox settles an approved refund at once (60 退款成功); the platform passes through 50 first.
Shapes from the published docs and SDKs (docs/platforms.md, "Sources"): the refund list and detail flat under
data, orders as orderBaseInfo / orderItemInfo / orderAddress (masked buyer data in desensitise*, the plain fields
null since the encryption) / orderLogisticsInfo {expressNo, expressCode}.

Buyer data: every order's orderAddress carries encryptedConsignee / encryptedMobile / encryptedAddress, ciphertexts
in the sandbox's own format ("#…#", the seller and the order inside; 快手's real format is not modelled) of the
order's `plain_name` / `plain_mobile` / `plain_address` (an empty one: no ciphertext). open.order.decrypt.batch
(POST only) {batchDecryptList ≤ 100 × {bizId, encryptedData}} answers {result: 1, data: {batchDecryptResultList:
[{encryptedData, decryptedData, errorCode, errorMsg}]}}: which key 快手 uses for the list is not confirmed, and
`data.batchDecryptResultList` is the sandbox's choice among the readings the adapter accepts. An item whose
ciphertext is not this seller's, or whose bizId is not its order, gets an errorCode other than 1; with
`decrypt_allowed = False` the call is refused for lack of permission (the sandbox's words: 快手's answer is not
published); rate limits through fail_next("open/order/decrypt/batch", "rate_limit")."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import httpx

from shouhou.core.sandbox import LocalHttpService
from shouhou.platforms.adapters.kuaishou import EXPRESS_NAMES, api_sign, encrypt_push
from shouhou.platforms.sandbox import deliver

# error answers: the words are the published ones (K1008 限流, K0004 鉴权失败/TOKEN过期, K0006 AUTHORIZATION_REVOKED,
# 返回码说明 300014); where 快手 puts a business code (result, code or sub_code) is not published: the sandbox puts it
# in `result`, as the one published example of an API error does ({"result":24,"error_msg":"AUTHORIZATION_REVOKED"})
ERRORS = {
    "rate_limit": (200, {"result": 0, "error_msg": "Exceed qps limit, KEY [apiId:open.seller.order.refund.detail;"
                                                   "appkey:ks-sandbox-app], MAX_QPS [300.0]"}),
    "token_expired": (200, {"result": 28, "error_msg": "鉴权失败，TOKEN过期"}),  # 28: the sandbox's own number
    "revoked": (200, {"result": 24, "error_msg": "AUTHORIZATION_REVOKED"}),
    "status_error": (200, {"result": 300014, "error_msg": "退款单状态已更新，请刷新重试"}),
    "outage": (503, {"result": 0, "error_msg": "服务不可用"}),
}
EXPRESS_CODES_BY_NAME = {name: code for code, name in EXPRESS_NAMES.items()}
# path → (statuses it may act on, status after). A request waiting for the merchant is 10 (买家仅退款申请) or 11 (买家退货
# 退款申请) in 快手's published enum: the sandbox opens a 退货退款 request (handlingWay 1) at 11, the others at 10
OPERATIONS = {
    "open/seller/order/refund/approve": ({10}, 60),
    "open/seller/order/refund/returngoods/approve": ({10, 11}, 30),
    # 商家拒绝 at the first review, and 商家拒绝收货 once the goods are back (its page: "2.商家拒绝收货"; 2026-12-07).
    # None: the status stays, and its negotiateStatus becomes 3 (商家驳回，等待买家修改), the shape 快手's request
    # status enum gives a refusal. The refund list's own enum also publishes [12 卖家已拒绝，等待买家处理] (the adapter
    # reads it as refused); the sandbox keeps the negotiateStatus shape, the one a refused detail is known to take.
    "open/refund/reject": ({10, 11, 40}, None),
    "open/seller/order/refund/confirm/receipt": ({40}, 60),
    "open/refund/confirm/and/send": ({40}, 45),  # exchange: received the return, the new parcel is on its way
}
NEGOTIATE_WAITING, NEGOTIATE_AGREED, NEGOTIATE_REFUSED = 1, 2, 3  # 协商状态 [1 待商家处理] [2 商家同意] [3 商家驳回，等待买家修改]
# the handlingWay each action's API page scopes it to (the ks_shop_api SDK's copies of the pages); reject: every type
OPERATION_WAYS = {"open/seller/order/refund/approve": {10}, "open/seller/order/refund/returngoods/approve": {1, 3},
                  "open/seller/order/refund/confirm/receipt": {1}, "open/refund/confirm/and/send": {3}}
# open.refund.reject.reason and open.address.seller.list as the sandbox answers them (their field names are not
# in the public SDKs; see docs/platforms.md)
REJECT_REASONS = [{"reasonCode": 11, "reasonDesc": "商品已影响二次销售", "requiredRejectDesc": True,
                   "requiredRejectImage": True},
                  {"reasonCode": 12, "reasonDesc": "买家未退货", "requiredRejectDesc": True, "requiredRejectImage": False}]
ADDRESSES = [{"addressId": 5500001, "defaultAddress": True,
              "baseInfo": {"consignee": "售后组", "mobile": "138****0000", "province": "浙江省", "city": "杭州市",
                           "district": "余杭区", "address": "文一西路1号"}}]


@dataclass
class SandboxRefund:
    refund_id: str
    order_id: str
    handling_way: int = 10
    status: int = 10
    refund_fee: int = 0
    reason: str = "七天无理由退货"
    update_time: int = field(default_factory=lambda: int(time.time() * 1000))
    create_time: int = field(default_factory=lambda: int(time.time() * 1000))
    return_freight: int = 0  # 商责退货运费 (fen) the buyer asked for: the detail's returnFreightInfo when set
    refused: bool = False  # the merchant refused it (open.refund.reject): status kept, negotiateStatus 3

    @property
    def negotiate_status(self) -> int:
        """协商状态: 3 商家驳回 once refused (whatever the status), 1 待商家处理 while the request waits for the merchant,
        else 2 商家同意."""
        if self.refused:
            return NEGOTIATE_REFUSED
        return NEGOTIATE_WAITING if self.status in (10, 11) else NEGOTIATE_AGREED


@dataclass
class SandboxKsOrder:
    """A 快手 order (one item per order), masked buyer data as open.order.cursor.list gives it."""

    oid: str
    title: str = "商品"
    num: int = 1
    total_fee: int = 0  # fen
    sku_id: int = 1
    status: int = 30  # 已付款
    create_time: int = field(default_factory=lambda: int(time.time() * 1000))
    pay_time: int = field(default_factory=lambda: int(time.time() * 1000))
    update_time: int = field(default_factory=lambda: int(time.time() * 1000))
    send_time: int = 0
    express_no: str = ""
    express_code: int = 0  # 物流公司编号
    plain_name: str = "李思远"  # what the receiver's ciphertexts decrypt to ("" = not encrypted, no ciphertext)
    plain_mobile: str = "15912340000"
    plain_address: str = "天河路385号"
    cipher_seller: str = ""  # the seller whose key encrypted the receiver ("": this sandbox's seller)


def cipher(seller_id: str, oid: str, value: str) -> str:
    """The sandbox's ciphertext of `value` for order `oid` of seller `seller_id` (its own format, not 快手's)."""
    return "#" + base64.b64encode(f"{seller_id}|{oid}|{value}".encode()).decode() + "#"


def uncipher(text: str) -> tuple[str, str, str] | None:
    """(seller, order id, clear value) of a sandbox ciphertext, else None."""
    if not (len(text) > 2 and text.startswith("#") and text.endswith("#")):
        return None
    try:
        parts = base64.b64decode(text[1:-1], validate=True).decode().split("|", 2)
    except (ValueError, UnicodeDecodeError):
        return None
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 else None


class KuaishouSandbox(LocalHttpService):
    push_retries = 0  # a push answered 5xx is tried again this many times (deliver); demos set 3

    def __init__(self, *, app_key: str = "ks-sandbox-app", app_secret: str = "ks-sandbox-secret",  # noqa: S107
                 sign_secret: str = "ks-sandbox-sign", seller_id: str = "88000001",  # noqa: S107 (a local fake)
                 push_url: str = "", port: int = 0):
        self.app_key, self.app_secret, self.sign_secret, self.seller_id = app_key, app_secret, sign_secret, seller_id
        self.msg_secret = base64.b64encode(b"k" * 16).decode()
        self.push_url = push_url
        self.refunds: dict[str, SandboxRefund] = {}
        self.orders: dict[str, SandboxKsOrder] = {}
        self.page_size_cap = 50
        self.operations: list[tuple[str, str]] = []
        self.calls: list[str] = []
        self.methods: list[tuple[str, str]] = []  # (HTTP method, path) of every API call
        self.faults: list[dict] = []
        self.outage = False
        self.decrypt_allowed = True  # False: the app holds no decrypt permission
        self.decrypted: list[list[dict]] = []  # the batchDecryptList of every decrypt answered
        self.lock = threading.RLock()
        self.access_token, self.refresh_token = "ks-at-" + secrets.token_hex(6), "ks-rt-" + secrets.token_hex(6)
        self.params_log: list[tuple[str, dict]] = []  # the param of every call that changed a refund
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._seq = 0

    def expire_access_token(self) -> None:
        with self.lock:
            self.access_token = "ks-at-expired-" + secrets.token_hex(4)

    def add_refund(self, *, order_id: str, handling_way: int = 10, refund_fee: int = 0, reason: str = "七天无理由退货",
                   push: bool = True, refund_id: str = "", status: int | None = None) -> SandboxRefund:
        if status is None:  # the published enum: [10 买家仅退款申请] [11 买家退货退款申请]
            status = 11 if handling_way == 1 else 10
        with self.lock:
            refund = SandboxRefund(refund_id=refund_id or str(2_100_000_000_000 + len(self.refunds) + 1), order_id=order_id,
                                   handling_way=handling_way, refund_fee=refund_fee, reason=reason, status=status)
            self.refunds[refund.refund_id] = refund
        if push:
            self.push_refund("kwaishop_aftersales_addRefund", refund)
        return refund

    def buyer_modifies(self, refund_id: str, *, push: bool = True) -> None:
        """The buyer changes a refused request and submits it again: it waits for the merchant (negotiateStatus 1)."""
        with self.lock:
            refund = self.refunds[refund_id]
            refund.refused, refund.update_time = False, refund.update_time + 1
        if push:
            self.push_refund("kwaishop_aftersales_updateRefund", refund)

    def buyer_returns(self, refund_id: str, *, push: bool = True) -> None:
        with self.lock:
            refund = self.refunds[refund_id]
            refund.status, refund.update_time = 40, refund.update_time + 1
        if push:
            self.push_refund("kwaishop_aftersales_updateRefund", refund)

    def add_order(self, *, oid: str, title: str = "商品", total_fee: int = 0, status: int = 30) -> SandboxKsOrder:
        with self.lock:
            now = int(time.time() * 1000) - 5000  # a little while ago: a later change is never in the future
            order = SandboxKsOrder(oid=oid, title=title, total_fee=total_fee, status=status, create_time=now,
                                   pay_time=now, update_time=now)
            self.orders[oid] = order
        return order

    def ship_order(self, oid: str, *, express_no: str, express_name: str = "中通快递", push: bool = True) -> None:
        with self.lock:
            order = self.orders[oid]
            order.status, order.express_no = 40, express_no
            order.express_code = EXPRESS_CODES_BY_NAME.get(express_name, 9)
            order.update_time = max(int(time.time() * 1000), order.update_time + 1000)
            order.send_time = order.update_time
        if push and self.push_url:
            self._seq += 1
            now = int(time.time() * 1000)
            envelope = {"eventId": f"ev-{now}-{self._seq}", "msgId": f"msg-{now}-{self._seq}", "bizId": int(oid),
                        "userId": int(self.seller_id), "openId": "sandbox-open-id", "appKey": self.app_key,
                        "event": "kwaishop_order_delivering", "status": 1, "createTime": now, "updateTime": now,
                        "test": False, "info": json.dumps({"oid": int(oid), "sellerId": int(self.seller_id),
                                                           "status": 40, "updateTime": order.update_time})}
            deliver(self.push_url, retries=self.push_retries, content=self.encrypted(envelope),
                    headers={"Content-Type": "text/plain"}, timeout=30)

    def envelope(self, event: str, refund: SandboxRefund, *, test: bool = False) -> dict:
        self._seq += 1
        info = {"orderId": int(refund.order_id) if refund.order_id.isdigit() else refund.order_id,
                "refundId": int(refund.refund_id), "handlingWay": refund.handling_way, "specialRefundType": 0,
                "status": refund.status, "createTime": refund.update_time}
        now = int(time.time() * 1000)
        return {"eventId": f"ev-{now}-{self._seq}", "msgId": f"msg-{now}-{self._seq}", "bizId": int(refund.refund_id),
                "userId": int(self.seller_id), "openId": "sandbox-open-id", "appKey": self.app_key, "event": event,
                "info": json.dumps(info), "status": 1, "createTime": now, "updateTime": now, "test": test}

    def heartbeat(self) -> bytes:
        """The console's URL check and the platform's heartbeat: {"test": true} alone, encrypted like any message."""
        return self.encrypted({"test": True})

    def encrypted(self, envelope: dict, *, msg_secret: str | None = None) -> bytes:
        return encrypt_push(json.dumps(envelope, ensure_ascii=False).encode(), msg_secret or self.msg_secret)

    def push_refund(self, event: str, refund: SandboxRefund) -> httpx.Response | None:
        if not self.push_url:
            return None
        return deliver(self.push_url, retries=self.push_retries, content=self.encrypted(self.envelope(event, refund)),
                       headers={"Content-Type": "text/plain"}, timeout=30)

    # --- HTTP ----------------------------------------------------------------------------------------
    def _handler(self):
        sandbox = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                return

            def _answer(self, status: int, answer: dict) -> None:
                raw = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self):  # noqa: N802
                parsed = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
                sandbox.methods.append(("GET", parsed.path.strip("/")))
                if parsed.path.strip("/") == "oauth/authorize":  # the merchant agrees at once
                    from urllib.parse import urlencode

                    if query.get("app_id") != sandbox.app_key or query.get("response_type") != "code" \
                            or not query.get("redirect_uri"):
                        self._answer(400, {"result": 0, "error_msg": "授权参数错误"})
                        return
                    self.send_response(302)
                    self.send_header("Location", query["redirect_uri"] + "?" + urlencode(
                        {"code": "sandbox-code", "state": query.get("state", "")}))
                    self.end_headers()
                    return
                self._answer(*sandbox.handle(parsed.path.strip("/"), query, http_method="GET"))

            def do_POST(self):  # noqa: N802
                parsed = urlparse(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
                sandbox.methods.append(("POST", parsed.path.strip("/")))
                self._answer(*sandbox.handle(parsed.path.strip("/"), form))

        return Handler

    def _tokens(self) -> tuple[int, dict]:
        return 200, {"result": 1, "access_token": self.access_token, "refresh_token": self.refresh_token,
                     "expires_in": 172800, "refresh_token_expires_in": 15552000, "open_id": "sandbox-open-id",
                     "scopes": ["merchant_refund", "merchant_order", "merchant_logistics", "user_info"]}

    def gate(self, path: str, params: dict) -> tuple[int, dict] | None:
        """The gateway's checks of an API call (sign, app, method, token): its refusal, or None to go on."""
        params = dict(params)
        given = params.pop("sign", "")
        if params.get("appkey") != self.app_key or given != api_sign(params, self.sign_secret):
            return 200, {"result": 0, "error_msg": "签名验证失败", "code": "sign_error"}
        if params.get("method", "").replace(".", "/") != path:
            return 200, {"result": 0, "error_msg": "method与路径不符"}
        if params.get("access_token") != self.access_token:
            return ERRORS["token_expired"]
        return None

    def fault(self, path: str) -> tuple[int, dict] | None:
        """An outage or a fault set with fail_next for this path, else None."""
        if self.outage:
            return ERRORS["outage"]
        for fault in self.faults:
            if fault["path"] == path and fault["times"] > 0:
                fault["times"] -= 1
                return ERRORS[fault["kind"]]
        return None

    def handle(self, path: str, params: dict, http_method: str = "POST") -> tuple[int, dict]:
        with self.lock:
            self.calls.append(path)
            faulty = self.fault(path)
            if faulty is not None:
                return faulty
            if path in ("oauth2/access_token", "oauth2/refresh_token"):
                # APP授权说明: errors carry their code in result, with error and error_msg
                if params.get("app_id") != self.app_key or params.get("app_secret") != self.app_secret:
                    return 200, {"result": 100200101, "error": "unauthorized_client", "error_msg": "app 非法"}
                if path.endswith("access_token") and params.get("code") == "sandbox-code":
                    return self._tokens()
                if path.endswith("refresh_token") and params.get("refresh_token") == self.refresh_token:
                    self.access_token, self.refresh_token = "ks-at-" + secrets.token_hex(6), "ks-rt-" + secrets.token_hex(6)
                    return self._tokens()
                if path.endswith("refresh_token"):
                    return 200, {"result": 100200102, "error": "access_denied", "error_msg": "refreshToken.discarded"}
                return 200, {"result": 100200105, "error": "invalid_grant", "error_msg": "code 错误"}
            refused = self.gate(path, params)
            if refused is not None:
                return refused
            param = json.loads(params.get("param") or "{}")
            if path == "open/seller/order/refund/pcursor/list":
                return self._list(param)
            if path == "open/address/seller/list":
                return 200, {"result": 1, "data": ADDRESSES}
            if path == "open/order/cursor/list":
                return self._order_list(param)
            if path == "open/order/decrypt/batch":
                return self._decrypt(param, http_method)
            if path == "open/order/detail":
                order = self.orders.get(str(param.get("oid")))
                if order is None:
                    return 200, {"result": 0, "error_msg": "订单不存在"}
                return 200, {"result": 1, "data": self._order_row(order)}
            refund = self.refunds.get(str(param.get("refundId")))
            if refund is None:
                return 200, {"result": 0, "error_msg": "售后单不存在"}
            if path == "open/seller/order/refund/detail":
                return 200, {"result": 1, "data": self._row(refund)}
            if path == "open/refund/reject/reason":
                return 200, {"result": 1, "data": {"rejectReasonList": REJECT_REASONS}}
            if path == "open/refund/reject" and param.get("reasonCode") is not None:
                known = {r["reasonCode"]: r for r in REJECT_REASONS}.get(int(param["reasonCode"]))
                if known is None or (known["requiredRejectImage"] and not param.get("rejectImages")):
                    return 200, {"result": 0, "error_msg": "拒绝原因或凭证图片不符合要求", "code": "param_error"}
            if path in OPERATIONS and http_method != "POST":  # actions are POSTed (the SDK)
                return 200, {"result": 0, "error_msg": "请使用POST请求"}
            if path in OPERATIONS and refund.handling_way not in OPERATION_WAYS.get(path, {refund.handling_way}):
                # each action's page names the requests it is for (refund.approve: 仅退款; returngoods.approve:
                # 退货 / 换货; confirm.receipt: 退货退款; confirm.and.send: 换货): another is refused
                return 200, {"result": 0, "error_msg": "售后类型不支持该操作", "code": "param_error"}
            if path in OPERATIONS:
                allowed, after = OPERATIONS[path]
                # a version sent is checked, 0 included (no request has version 0); left out, it is not checked
                stale = "refundVersion" in param and int(param["refundVersion"] or 0) != refund.update_time
                # negotiateStatus, like status, names the request's current state: another one is a stale view
                stale = stale or ("negotiateStatus" in param and param["negotiateStatus"] != refund.negotiate_status)
                freight = {k for k in param if k.startswith("returnFreight")}
                if path.endswith("confirm/receipt") and bool(refund.return_freight) != bool(freight):
                    # the page: freight fields only when the detail has returnFreightInfo, and then a decision on it
                    return 200, {"result": 0, "error_msg": "退货运费处理意见与售后单不符", "code": "param_error"}
                # a refused request waits for the buyer to modify it (商家驳回，等待买家修改): nothing to act on meanwhile
                if refund.status not in allowed or stale or refund.refused:
                    return ERRORS["status_error"]
                if after is None:  # a refusal: the status stays, the negotiation says refused
                    refund.refused = True
                else:
                    refund.status = after
                refund.update_time += 1
                self.operations.append((path, refund.refund_id))
                self.params_log.append((path, param))
                return 200, {"result": 1, "data": {}}
            return 404, {"result": 0, "error_msg": "接口不存在"}

    def _row(self, r: SandboxRefund) -> dict:
        """A refund as open.seller.order.refund.detail / pcursor.list give it: flat under data, ids int64, money in
        fen, times in ms (the fields a public SDK's response type lists; the sandbox fills the ones it models)."""
        return {"refundId": int(r.refund_id), "oid": int(r.order_id) if r.order_id.isdigit() else r.order_id,
                "status": r.status, "handlingWay": r.handling_way, "specialRefundType": 0, "refundFee": r.refund_fee,
                "refundReason": 1, "refundReasonDesc": r.reason, "refundDesc": "", "refundType": 1,
                "negotiateStatus": r.negotiate_status, "receiptStatus": 1, "pictures": "",
                "createTime": r.create_time, "submitTime": r.create_time, "updateTime": r.update_time,
                "negotiateUpdateTime": r.update_time, "endTime": 0, "expireTime": 0, "productNum": 1,
                "skuId": 1, "relSkuId": 3_300_001, "itemId": 2_200_001, "relItemId": 0, "skuNick": "KS-SKU-1",
                "sellerId": int(self.seller_id), "logisticsId": 0, "urgeTimes": 0,
                "requireReturnFreight": bool(r.return_freight),
                **({"returnFreightInfo": {"returnFreightAmount": r.return_freight}} if r.return_freight else {})}

    def _list(self, param: dict) -> tuple[int, dict]:
        begin, end = int(param.get("beginTime", 0)), int(param.get("endTime", 0))
        if end - begin > 86_400_000 or end < begin:
            return 200, {"result": 0, "error_msg": "查询时间范围不能超过1天"}
        rows = sorted((r for r in self.refunds.values() if begin <= r.update_time <= end), key=lambda r: r.update_time)
        return 200, {"result": 1, "data": {"currentPage": 1, "pageSize": int(param.get("pageSize") or 100),
                                           "totalPage": 1, "totalSize": len(rows), "beginTime": begin, "endTime": end,
                                           "refundOrderInfoList": [self._row(r) for r in rows], "pcursor": "nomore"}}

    # --- orders ----------------------------------------------------------------------------------------
    def _order_row(self, o: SandboxKsOrder) -> dict:
        return {"orderBaseInfo": {"oid": int(o.oid), "status": o.status, "createTime": o.create_time,
                                  "payTime": o.pay_time, "updateTime": o.update_time, "sendTime": o.send_time,
                                  "totalFee": o.total_fee, "buyerOpenId": "f19sandbox"},
                "orderItemInfo": {"itemId": 2_200_000 + o.sku_id, "itemTitle": o.title, "skuId": o.sku_id,
                                  "relSkuId": 3_300_000 + o.sku_id, "skuNick": f"KS-SKU-{o.sku_id}", "skuDesc": "颜色:白",
                                  "num": o.num, "price": o.total_fee // max(1, o.num)},
                # since the buyer-data encryption consignee / mobile / address are null; masked values in desensitise*
                "orderAddress": {"consignee": None, "mobile": None, "address": None, "province": "广东省",
                                 "provinceCode": 440000, "city": "广州市", "cityCode": 440100, "district": "天河区",
                                 "districtCode": 440106, "desensitiseConsignee": "李**",
                                 "desensitiseMobile": "159****0000", "desensitiseAddress": "天河路***号",
                                 "encryptedConsignee": self._cipher(o, o.plain_name),
                                 "encryptedMobile": self._cipher(o, o.plain_mobile),
                                 "encryptedAddress": self._cipher(o, o.plain_address)},
                "orderLogisticsInfo": [{"logisticsId": 1, "expressNo": o.express_no, "expressCode": o.express_code}]
                if o.express_no else []}

    def _cipher(self, o: SandboxKsOrder, value: str) -> str:
        return cipher(o.cipher_seller or self.seller_id, o.oid, value) if value else ""

    def _decrypt(self, param: dict, http_method: str) -> tuple[int, dict]:
        """open.order.decrypt.batch: batchDecryptList [{bizId, encryptedData}] → data.batchDecryptResultList
        [{encryptedData, decryptedData, errorCode (1 = decrypted), errorMsg}]."""
        if http_method != "POST":
            return 200, {"result": 0, "error_msg": "请使用POST请求"}
        if not self.decrypt_allowed:  # the sandbox's words: 快手's no-permission answer is not published
            return 200, {"result": 0, "error_msg": "应用无此接口权限：open.order.decrypt.batch"}
        batch = param.get("batchDecryptList")
        if not isinstance(batch, list) or not batch or len(batch) > 100 or not all(
                isinstance(i, dict) and isinstance(i.get("bizId"), str) and i.get("encryptedData") for i in batch):
            return 200, {"result": 0, "error_msg": "参数错误：batchDecryptList"}
        self.decrypted.append(batch)
        out = []
        for item in batch:
            text = str(item["encryptedData"])
            parts = uncipher(text)
            if parts is None or parts[0] != self.seller_id:
                out.append({"encryptedData": text, "decryptedData": "", "errorCode": 3001,
                            "errorMsg": "密文不属于当前商家"})
            elif parts[1] != item["bizId"]:
                out.append({"encryptedData": text, "decryptedData": "", "errorCode": 3002,
                            "errorMsg": "bizId与密文不匹配"})
            else:
                out.append({"encryptedData": text, "decryptedData": parts[2], "errorCode": 1, "errorMsg": ""})
        return 200, {"result": 1, "data": {"batchDecryptResultList": out}}

    def _order_list(self, param: dict) -> tuple[int, dict]:
        begin, end = int(param.get("beginTime", 0)), int(param.get("endTime", 0))
        if end - begin > 7 * 86_400_000 or end < begin:
            return 200, {"result": 0, "error_msg": "查询时间范围不能超过7天"}
        if int(param.get("queryType") or 1) != 2:
            return 200, {"result": 0, "error_msg": "沙箱只支持按更新时间查询（queryType=2）"}
        rows = sorted((o for o in self.orders.values() if begin <= o.update_time <= end), key=lambda o: o.update_time)
        size = min(self.page_size_cap, int(param.get("pageSize") or 10))
        offset = int(param.get("cursor") or 0) if str(param.get("cursor") or "").isdigit() else 0
        chunk = rows[offset:offset + size]
        more = offset + size < len(rows)
        return 200, {"result": 1, "data": {"orderList": [self._order_row(o) for o in chunk], "pageSize": size,
                                           "beginTime": begin, "endTime": end,
                                           "cursor": str(offset + size) if more else "nomore"}}
