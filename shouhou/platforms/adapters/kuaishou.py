"""快手小店 (Kuaishou e-commerce open platform) adapter.

Facts used (sources in docs/platforms.md, "Sources", 快手 published-shape audit):
- API (快手's API调用说明): {gateway}/{method with "." → "/"} (gateway https://openapi.kwaixiaodian.com),
  application/x-www-form-urlencoded, with appkey, method, version=1, param (JSON), access_token, timestamp (ms),
  signMethod=HMAC_SHA256 and sign = base64 HMAC-SHA256(key=signSecret, the parameters sorted as k=v joined by
  "&" + "&signSecret=" + signSecret). The official Java SDK reads with GET (every parameter in the query) and
  acts with POST (a form body): READ_METHODS below. Answers {result, error_msg, code, sub_code, sub_msg, data};
  result 1 is success; an error may carry its code in `result` itself ({"result":24,"error_msg":
  "AUTHORIZATION_REVOKED"}, the OAuth codes 100200100–100200500).
- OAuth (APP授权说明): GET /oauth2/access_token (app_id, app_secret, grant_type=code, code);
  POST /oauth2/refresh_token (grant_type=refresh_token, app_id, app_secret, refresh_token); answer
  {result: 1, access_token, expires_in (s), refresh_token (a new one each time), refresh_token_expires_in, open_id,
  scopes}.
- Push (消息服务说明): POST, text/plain, the body is base64 of AES-CBC (key = base64-decoded message secret, IV of
  16 zero bytes, PKCS#5 padding) over the envelope {eventId, bizId, userId, openId, appKey, event, info, createTime,
  test} (public SDKs add msgId, status, updateTime); info is a JSON string (after-sale: orderId, refundId,
  handlingWay, specialRefundType, status, createTime / updateTime). The heartbeat is {"test": true}, nothing else.
  Decrypting with our key is what proves the sender. The answer the platform waits for (3 s) is HTTP 200 with
  exactly {"result": 1}; anything else is retried 5 times (5, 10, 20, 30, 60 minutes) and a failing URL is paused.
- Refund status and handlingWay enums, refund APIs and their parameters: see the tables below.
- Buyer data on reveal: open.order.decrypt.batch (POST) {batchDecryptList: ≤ 100 × {bizId: the order id as a
  string, encryptedData: a ciphertext}}; each result item {encryptedData, decryptedData, errorCode (1 = decrypted),
  errorMsg}, the envelope the usual result / error_msg / sub_code. The ciphertexts are open.order.detail's
  orderAddress {encryptedConsignee, encryptedMobile, encryptedAddress} (province, city, district, town stay plain),
  read again at each reveal and kept in memory only. NOT confirmed: the JSON key that holds the result list. The
  official Java SDK exposes response.getBatchDecryptResultList() on the response object, and other 快手 answers
  put their business data under `data`; so the list is read from data.batchDecryptResultList, else a top-level
  batchDecryptResultList, else `data` itself when it is a list (decrypt_results). Nor confirmed: the no-permission
  and quota answers; an error naming 权限 / permission (message or sub_code) is taken as no permission.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
from decimal import Decimal

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.utils.translation import gettext as _

from shouhou.cases.choices import CaseKind, CaseStatus
from shouhou.commerce.choices import OrderStatus
from shouhou.core.jsonbody import json_body
from shouhou.platforms.adapters.base import (
    Action,
    Aftersale,
    OrderItem,
    OrderPage,
    Page,
    PlatformAddress,
    PlatformError,
    PlatformOrder,
    PushMessage,
    PushRefused,
    RejectReason,
    Tokens,
    Waybill,
    action_label,
    beijing,
    carrier_of,
    gateway_json,
    masked,
    text_of,
    when,
    yuan,
)
from shouhou.platforms.adapters.doudian import reason_from_text

GATEWAY = "https://openapi.kwaixiaodian.com"
AUTHORIZE = "https://open.kwaixiaodian.com/oauth/authorize"  # app_id, redirect_uri, scope, response_type, state
SCOPES = "merchant_refund,merchant_order,merchant_logistics,user_info"
ORDER_WINDOW = dt.timedelta(days=7)  # open.order.cursor.list: beginTime..endTime at most 7 days
# order messages (open.kwaixiaodian.com message docs, kwaishop_order_*): info carries the order's `oid`
ORDER_EVENTS = {"kwaishop_order_addOrder": "订单新增", "kwaishop_order_paySuccess": "订单已支付",
                "kwaishop_order_delivering": "订单已发货", "kwaishop_order_deliverySuccess": "订单已收货",
                "kwaishop_order_orderSuccess": "订单成功", "kwaishop_order_orderFail": "订单失败（取消）",
                "kwaishop_order_totalFeeChange": "订单费用变更",
                # the buyer's new address (the public Go SDK's message type: oid, seller_id, openId, buyerOpenId,
                # updateTime): the order is read again and its receiver change applied (until 2026-12-07 ignored)
                "kwaishop_order_addressChange": "订单地址变更"}
# order status → commerce OrderStatus ("" = not an order yet: unpaid)
ORDER_STATUSES = {"10": "", "30": OrderStatus.PAID, "40": OrderStatus.SHIPPED, "50": OrderStatus.DELIVERED,
                  "70": OrderStatus.COMPLETED, "80": OrderStatus.CANCELLED}
WINDOW = dt.timedelta(days=1)  # refund list: at most one day per query
# handlingWay → case kind (specialRefundType 1 = 价保)
TYPES = {"1": CaseKind.RETURN_REFUND, "10": CaseKind.REFUND_ONLY, "3": CaseKind.EXCHANGE, "4": CaseKind.RESEND,
         "5": CaseKind.REPAIR}
# status → (case status, 说明); "" = a platform state with no case step (the case stays where it is).
# 快手's published refund status enum (the API docs' field text, as public integrations and the message docs copy it):
# [10 买家仅退款申请] [11 买家退货退款申请] [20 平台介入-买家仅退款申请] [21 平台介入-买家退货退款申请] [22 平台介入-已确认退货
# 退款] [23 平台介入-待买家确认收货] [30 商品回寄信息待买家更新] [40 商品回寄信息待卖家确认] [45 卖家已经发货，等待买家确认收货]
# [50 退款执行中] [60 退款成功] [70 退款失败]. A return request waits at 11, not 10 (until 2026-12-07 11, 21 and 23 were
# unknown here: a return request at 11 was "未知状态" and an automatic approval never went back for it). A refusal is
# mostly said by negotiateStatus 3 on the application's status (below); the refund list's own `status` enum (ks_shop_api
# OpenSellerOrderRefundPcursorListSchema, a public Go SDK's AfterSalesStatus12 and its ReqOrderRefundList) also
# publishes [12 卖家已拒绝，等待买家处理], read as refused (between 2026-12-07 and 2026-12-08 it was "未知状态 12" and a
# request the merchant refused stayed open here).
STATUSES = {
    "10": (CaseStatus.REQUESTED, "买家已申请，等待卖家处理"),  # 买家仅退款申请 (the other new types too: unpublished)
    "11": (CaseStatus.REQUESTED, "买家申请退货退款，等待卖家处理"),
    "12": (CaseStatus.REJECTED, "卖家已拒绝，等待买家处理"),
    "20": ("", "平台介入，买家仅退款申请"),
    "21": ("", "平台介入，买家退货退款申请"),
    "22": ("", "平台介入，已确认退货退款"),
    "23": ("", "平台介入，待买家确认收货"),
    "30": (CaseStatus.AWAITING_RETURN, "卖家已同意，等待买家退货"),
    "40": (CaseStatus.IN_TRANSIT_BACK, "买家已退货，等待卖家确认收货"),
    "45": (CaseStatus.FULFILLING, "卖家已发货，等待买家确认收货"),
    "50": (CaseStatus.FULFILLING, "卖家已同意退款，等待系统执行退款"),
    "60": (CaseStatus.RESOLVED, "退款成功"),
    "70": (CaseStatus.CANCELLED, "退款关闭"),
}
# the request's state is status and negotiateStatus together ([1 待商家处理] [2 商家同意] [3 商家驳回，等待买家修改]): a request
# the merchant refused (here or in the back office) keeps its application status (10 / 11) with negotiateStatus 3.
# open.refund.reject also refuses the returned goods (商家拒绝收货, at 40 商品回寄信息待卖家确认); what 快手 shows then is not
# published: the same reading is taken (40 with negotiateStatus 3 = refused), so a return the merchant refused is not
# read as goods still waiting for the merchant's check
REFUSABLE_STATUSES = {"10": "卖家已驳回，等待买家修改", "11": "卖家已驳回，等待买家修改", "40": "卖家拒绝收货，等待买家处理"}
NEGOTIATE_REFUSED = "3"
AFTERSALE_EVENTS = {"kwaishop_aftersales_addRefund", "kwaishop_aftersales_updateRefund"}
RETURN_WAYS = {"1", "3"}
# open.seller.order.refund.approve refundHandingWay: [0 未知] [1 退货退款] [10 仅退款] (the SDK schema's enum)
APPROVE_WAYS = {"1", "10"}
# 补寄 (4) and 维修 (5): the refund API group publishes no approval for them. open.seller.order.refund.approve is
# "售后单类型为仅退款时,调用该API完成退款操作" and returngoods.approve "商家同意退货 / 商家同意换货" (the API pages as the
# ks_shop_api SDK mirrors them), so approving one through the refund API would ask 快手 to pay the buyer for a request
# that wants goods: refused here, approved in the back office (until 2026-12-06 refund.approve was sent).
NO_APPROVE_WAYS = {"4": "补寄", "5": "维修"}
# the methods the official Java SDK sends as GET (all parameters in the query string); the others are POSTed
READ_METHODS = frozenset({"open.seller.order.refund.pcursor.list", "open.seller.order.refund.detail",
                          "open.refund.reject.reason", "open.address.seller.list", "open.order.cursor.list",
                          "open.order.detail"})
# 物流公司编号 (快手's expressCode, the published table) for shouhou's carriers; a connection may override one in
# settings["express_codes"] (Django admin)
EXPRESS_CODES = {"EMS": 2, "STO": 3, "SF": 4, "YTO": 6, "ZTO": 9, "YD": 11, "JD": 14, "JTSD": 109}
EXPRESS_NAMES = {2: "EMS", 3: "申通快递", 4: "顺丰速运", 6: "圆通速递", 9: "中通快递", 11: "韵达快递", 14: "京东",
                 109: "极兔速递"}
# refund business codes (快手's 返回码说明) that mean "the request moved on": re-read it, never retry
MOVED_ON = {"300002", "300010", "300013", "300014", "300016", "300017", "300018"}
# OAuth / authorisation results that no retry with the same token can cure: refresh (or re-authorise)
AUTH_CODES = {"24", "100200102", "100200106", "100200107"}
DECRYPT = "open.order.decrypt.batch"  # POST {batchDecryptList ≤ 100 × {bizId, encryptedData}}
# the order's ciphertexts (open.order.detail orderAddress) for each receiver field decrypt_receiver takes
CIPHER_FIELDS = {"name": "encryptedConsignee", "phone": "encryptedMobile", "address": "encryptedAddress"}


def api_sign(params: dict, sign_secret: str) -> str:
    text = "&".join(f"{k}={params[k]}" for k in sorted(params)) + f"&signSecret={sign_secret}"
    return base64.b64encode(hmac.new(sign_secret.encode(), text.encode(), hashlib.sha256).digest()).decode()


def encrypt_push(plain: bytes, msg_secret: str) -> bytes:
    """What the platform does to a message (the sandbox and tests use it)."""
    padder = padding.PKCS7(128).padder()
    data = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(base64.b64decode(msg_secret)), modes.CBC(b"\0" * 16)).encryptor()
    return base64.b64encode(encryptor.update(data) + encryptor.finalize())


def decrypt_push(body: bytes, msg_secret: str) -> bytes:
    try:
        key = base64.b64decode(msg_secret)
        # 快手's own demo decodes with a lenient decoder (line breaks ignored, the URL-safe alphabet read): a body
        # wrapped at 76 characters or in the URL-safe alphabet is the same message, not a forgery (the AES key and
        # the padding still decide). Anything else outside the alphabet is refused.
        text = b"".join(body.split()).replace(b"-", b"+").replace(b"_", b"/")
        raw = base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
        decryptor = Cipher(algorithms.AES(key), modes.CBC(b"\0" * 16)).decryptor()
        data = decryptor.update(raw) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        return unpadder.update(data) + unpadder.finalize()
    except ValueError as exc:  # bad base64, wrong key length, bad padding: not ours
        raise PushRefused("消息无法用本应用的消息密钥解密") from exc


def _plain_heartbeat(body: bytes) -> dict | None:
    """The console's URL check and the heartbeat send {"test": true}; were it ever sent unencrypted, it is answered
    (nothing is stored for a test, so answering it proves nothing and costs nothing)."""
    try:
        value = json_body(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) and value.get("test") is True and set(value) <= {"test"} else None


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _carrier(waybill: dict) -> str:
    """Our carrier for a waybill of an order: 快手 gives its expressCode (物流公司编号), some answers a name too."""
    code = _int(waybill.get("expressCode"))
    for ours, theirs in EXPRESS_CODES.items():
        if code and code == theirs:
            return ours
    return carrier_of(name=waybill.get("expressName") or EXPRESS_NAMES.get(code, ""))


def _field_label(field: str) -> str:
    return {"name": _("收货人"), "phone": _("手机号"), "address": _("详细地址")}.get(field, field)


def decrypt_results(answer: dict) -> list | None:
    """The result items of an open.order.decrypt.batch answer. Which key holds them is not confirmed: the official
    Java SDK exposes response.getBatchDecryptResultList(), and other 快手 answers put business data under `data`. So:
    data.batchDecryptResultList, else a top-level batchDecryptResultList, else `data` itself when it is a list;
    None when none of them is a list."""
    data = answer.get("data")
    if isinstance(data, dict) and isinstance(data.get("batchDecryptResultList"), list):
        return data["batchDecryptResultList"]
    if isinstance(answer.get("batchDecryptResultList"), list):
        return answer["batchDecryptResultList"]
    return data if isinstance(data, list) else None


def _no_permission(answer: dict) -> bool:
    """An error answer that names the permission (权限 / permission in its message or sub_code) and is not one of
    the authorisation codes (those are the token's, refreshed or re-authorised)."""
    codes = {str(answer.get(k, "")) for k in ("result", "code", "sub_code")}
    words = " ".join(str(answer.get(k) or "") for k in ("error_msg", "sub_msg", "msg", "error", "code", "sub_code"))
    return not codes & AUTH_CODES and ("权限" in words or "permission" in words.lower())


def _yuan(fen) -> Decimal:
    try:
        return (Decimal(int(fen or 0)) / 100).quantize(Decimal("0.01"))
    except (TypeError, ValueError):
        return Decimal("0.00")


class KuaishouAdapter:
    platform = "kuaishou"
    merchant_authorization = True  # the merchant authorises on the platform's page (authorize_url)
    order_tags = frozenset(ORDER_EVENTS)

    def __init__(self, *, app_key: str, app_secret: str, sign_secret: str = "", msg_secret: str = "",
                 api_base: str = "", timeout: float = 12.0):
        self.app_key, self.app_secret = app_key, app_secret
        self.sign_secret, self.msg_secret = sign_secret, msg_secret
        self.api_base = (api_base or GATEWAY).rstrip("/")
        self.timeout = timeout
        self._plain: dict | None = None

    @classmethod
    def from_secrets(cls, *, app_key: str, secrets: dict, api_base: str = "") -> KuaishouAdapter:
        return cls(app_key=app_key, app_secret=secrets.get("app_secret", ""), api_base=api_base,
                   sign_secret=secrets.get("sign_secret", ""), msg_secret=secrets.get("msg_secret", ""))

    @staticmethod
    def push_app_key(headers: dict) -> str | None:
        return None  # named inside the encrypted body

    @staticmethod
    def refusal(message: str) -> tuple[int, dict]:
        return 401, {"result": 0, "msg": message or "fail"}

    def initial_cursor(self, since: dt.datetime) -> dict:
        return {"begin": int(since.timestamp() * 1000), "pcursor": ""}

    def reconcile_cursor(self, cursor: dict, overlap_seconds: int) -> dict:
        return {"begin": max(0, int(cursor.get("begin", 0)) - overlap_seconds * 1000), "pcursor": ""}

    # --- push -------------------------------------------------------------------------------------
    def verify_push(self, headers: dict, body: bytes) -> None:
        if not self.msg_secret:
            raise PushRefused("未配置消息密钥")
        heartbeat = _plain_heartbeat(body)
        if heartbeat is not None:
            self._plain = heartbeat
            return
        plain = decrypt_push(body, self.msg_secret)
        try:
            envelope = json_body(plain)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PushRefused("解密后的消息不是 JSON") from exc
        if not isinstance(envelope, dict):
            raise PushRefused("解密后的消息不是 JSON 对象")
        # the heartbeat and the console's URL check send {"test": true} alone (no appKey): our key opened it
        if str(envelope.get("appKey", "")) != self.app_key and not (envelope.get("test") is True
                                                                    and "appKey" not in envelope):
            raise PushRefused("appKey 与本应用不符")
        self._plain = envelope

    def parse_push(self, body: bytes) -> list[PushMessage]:
        if self._plain is None:
            self.verify_push({}, body)
        envelope, self._plain = self._plain, None
        event = str(envelope.get("event", ""))
        raw_info = envelope.get("info")
        try:  # a JSON string as published; an object is read as it is
            info = raw_info if isinstance(raw_info, dict) else json_body(raw_info, empty={})
        except (TypeError, json.JSONDecodeError):
            info = {"unparsed": raw_info}
        if not isinstance(info, dict):
            info = {"value": info}
        aftersale_id = str(info.get("refundId") or "")
        order_id = str(info.get("orderId") or info.get("oid") or "")
        # msgId, else eventId ("消息唯一id"); a message with neither is named by its content, so that a redelivery is
        # still one message and two different ones are never taken for each other (until 2026-12-07 both were kept
        # under "" and the second was dropped as a duplicate)
        ident = str(envelope.get("msgId") or envelope.get("eventId") or "") or "sha256:" + hashlib.sha256(
            json.dumps(envelope, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()[:40]
        # an after-sale message without its refundId (an order message without its oid) names nothing to read: it is
        # acknowledged and kept as not handled (until 2026-12-07 it was applied, and reading refund "" failed each time)
        known = (event in AFTERSALE_EVENTS and bool(aftersale_id)) or (event in ORDER_EVENTS and bool(order_id))
        return [PushMessage(
            message_id=ident, tag=event, data=info, platform_shop_id=str(envelope.get("userId") or ""),
            aftersale_id=aftersale_id, order_id=order_id, handshake=bool(envelope.get("test")), known=known)]

    def push_answer(self, ok: bool, message: str = "") -> tuple[int, dict]:
        # 消息服务说明 3.2: HTTP 200 and the JSON {"result": 1}; nothing else counts as received
        return (200, {"result": 1}) if ok else self.refusal(message)

    # --- API --------------------------------------------------------------------------------------
    def _post(self, url: str, **kwargs) -> dict:
        method = kwargs.pop("method", "POST")
        answer = gateway_json("快手", lambda client: client.request(method, url, **kwargs), timeout=self.timeout)
        if str(answer.get("result")) == "1":
            return answer
        raise self._error(answer)

    @staticmethod
    def _error(answer: dict) -> PlatformError:
        text = answer.get("error_msg") or answer.get("sub_msg") or answer.get("msg") or answer.get("error") \
            or "未知错误"
        result = str(answer.get("result", ""))
        codes = {str(answer.get(k, "")) for k in ("code", "sub_code")} | {result}
        code = " ".join(str(answer[k]) for k in ("code", "sub_code") if answer.get(k)) or \
            (result if result not in ("", "0") else "")
        words = f"{text} {answer.get('error', '')} {code}".lower()
        if codes & MOVED_ON:
            kind = "already_handled"
        elif codes & AUTH_CODES or "token" in words or "鉴权" in words or "authorization" in words:
            kind = "token_expired"
        elif "limit" in words or "频繁" in words:
            kind = "rate_limited"
        elif "状态" in words:
            kind = "already_handled"
        else:
            kind = "refused"
        return PlatformError(kind, f"快手：{text}（{code}）" if code else f"快手：{text}", answer=answer)

    def call(self, method: str, param: dict, *, access_token: str) -> dict:
        params = {"appkey": self.app_key, "method": method, "version": "1", "access_token": access_token,
                  "param": json.dumps(param, separators=(",", ":"), ensure_ascii=False),
                  "timestamp": str(int(time.time() * 1000)), "signMethod": "HMAC_SHA256"}
        params["sign"] = api_sign(params, self.sign_secret)
        url = f"{self.api_base}/{method.replace('.', '/')}"
        if method in READ_METHODS:  # as the official SDK: a read is a GET with everything in the query
            return self._post(url, method="GET", params=params)
        return self._post(url, data=params)

    def _tokens(self, answer: dict) -> Tokens:
        return Tokens(access_token=answer.get("access_token", ""), refresh_token=answer.get("refresh_token", ""),
                      expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=int(answer.get("expires_in") or 0)),
                      platform_shop_id="")

    def create_token(self, *, code: str = "", shop_id: str = "") -> Tokens:
        if not code:
            raise PlatformError("refused", "快手需要商家授权后得到的 code")
        return self._tokens(self._post(f"{self.api_base}/oauth2/access_token", method="GET", params={
            "app_id": self.app_key, "app_secret": self.app_secret, "grant_type": "code", "code": code}))

    def refresh_token(self, refresh_token: str) -> Tokens:
        return self._tokens(self._post(f"{self.api_base}/oauth2/refresh_token", data={
            "grant_type": "refresh_token", "app_id": self.app_key, "app_secret": self.app_secret,
            "refresh_token": refresh_token}))

    def _aftersale(self, row: dict) -> Aftersale:
        way, status = text_of(row.get("handlingWay")), text_of(row.get("status"))
        kind = CaseKind.PRICE_PROTECT if text_of(row.get("specialRefundType")) == "1" else \
            TYPES.get(way, CaseKind.REFUND_ONLY)
        case_status, words = STATUSES.get(status, ("", f"未知状态 {status}"))
        if status in REFUSABLE_STATUSES and text_of(row.get("negotiateStatus")) == NEGOTIATE_REFUSED:
            case_status, words = CaseStatus.REJECTED, REFUSABLE_STATUSES[status]
        reason_text = str(row.get("refundReasonDesc") or row.get("refundDesc") or "")
        return Aftersale(aftersale_id=text_of(row.get("refundId")), order_id=str(row.get("oid") or row.get("orderId") or ""),
                         sub_order_id="", platform_type=way, platform_status=status, kind=kind,
                         case_status=case_status, reason=reason_from_text(reason_text), reason_text=reason_text,
                         status_text=words, refund_amount=_yuan(row.get("refundFee")), deadline=None,
                         updated=int(row.get("updateTime") or 0),
                         # when the buyer asked (submitTime, else the request's createTime; ms): a request read late
                         # is judged as of that day
                         applied_at=beijing(when(_int(row.get("submitTime")) or _int(row.get("createTime")),
                                                 millis=True)),
                         raw=row)

    def fetch_aftersales(self, access_token: str, cursor: dict) -> Page:
        """Requests changed in one window of at most a day (update time, oldest first); windows follow each
        other up to now."""
        now_ms = int(time.time() * 1000)
        begin = int(cursor.get("begin", now_ms - int(WINDOW.total_seconds() * 1000)))
        end = min(begin + int(WINDOW.total_seconds() * 1000), now_ms)
        data = self.call("open.seller.order.refund.pcursor.list", {
            "beginTime": begin, "endTime": end, "type": 9, "pageSize": 100, "currentPage": 1, "sort": 2,
            "queryType": 2, "pcursor": cursor.get("pcursor", "")}, access_token=access_token).get("data") or {}
        # refundOrderInfoList (SDK schemas, public answers); a Go SDK's type also lists dataList: either is read
        items = [self._aftersale(r) for r in data.get("refundOrderInfoList") or data.get("dataList") or []]
        pcursor = str(data.get("pcursor") or "nomore")
        if pcursor != "nomore":
            return Page(items=items, cursor={"begin": begin, "pcursor": pcursor}, has_more=True)
        # the next window starts just after this one (both ends are inclusive)
        return Page(items=items, cursor={"begin": end + 1, "pcursor": ""}, has_more=end < now_ms)

    def fetch_aftersale(self, access_token: str, aftersale_id: str) -> Aftersale:
        data = self.call("open.seller.order.refund.detail", {"refundId": int(aftersale_id)},
                         access_token=access_token).get("data") or {}
        return self._aftersale(data)

    def act(self, access_token: str, action: Action) -> dict:
        refund_id = int(action.aftersale_id)
        if action.kind == "approve" and action.platform_type in RETURN_WAYS:
            param = {"refundId": refund_id, "refundAmount": 0 if action.platform_type == "3" else action.amount_fen}
            if action.return_address_id:
                param["addressId"] = int(action.return_address_id)
            return self.call("open.seller.order.refund.returngoods.approve", param, access_token=access_token)
        if action.kind == "approve" and action.platform_type in NO_APPROVE_WAYS:
            raise PlatformError("refused", f"快手开放接口没有同意{NO_APPROVE_WAYS[action.platform_type]}申请的接口"
                                "（商家同意退款接口只用于仅退款），请在快手小店后台同意。")
        if action.kind == "approve":
            param = {"refundId": refund_id, "refundAmount": action.amount_fen,
                     "status": int(action.platform_status or 10)}
            # negotiateStatus (协商状态 [1 待商家处理] [2 商家同意] [3 商家驳回，等待买家修改]) is in every published form
            # of this request (ks_shop_api OpenSellerOrderRefundApproveSchema, the official Java SDK's request as the
            # Python SDK mirrors it, the 快手 demo's ApproveRefundParam, which always sets it); like `status` it is the
            # request's current state, which shouhou does not keep: read from the detail just before (until
            # 2026-12-06 it was never sent). Left out when the detail has none (optional in the schema).
            negotiate = self._negotiate_status(access_token, refund_id)
            if negotiate is not None:
                param["negotiateStatus"] = negotiate
            if (action.platform_type or "10") in APPROVE_WAYS:  # the enum has no 补寄 / 维修 value: leave it out
                param["refundHandingWay"] = int(action.platform_type or 10)
            return self.call("open.seller.order.refund.approve", param, access_token=access_token)
        if action.kind == "reject":
            param = {"refundId": refund_id, "rejectDesc": action.reason or "不符合售后条件"}
            # refundVersion (退款单版本 = the detail's / list's updateTime) is optional in every published request type
            # (ks_shop_api OpenRefundRejectSchema, the Java-mirroring RefundRejectRequest, which leaves a None out):
            # sent only when known — a made-up 0 is a version the request never had, refused as stale
            if action.updated:
                param["refundVersion"] = int(action.updated)
            if action.reject_reason_code:
                param["reasonCode"] = int(action.reject_reason_code)
            if action.evidence_urls:
                param["rejectImages"] = action.evidence_urls[:6]
            return self.call("open.refund.reject", param, access_token=access_token)
        if action.kind == "exchange_ship":
            express_code = action.express_code or str(EXPRESS_CODES.get(action.carrier, ""))
            if not express_code or not action.tracking_no:
                raise PlatformError("refused", "快手换货发货需要快手的快递公司编码（连接设置 express_codes）与运单号，"
                                    "请在快手小店后台发货。")
            return self.call("open.refund.confirm.and.send", {
                "refundId": refund_id, "expressNo": action.tracking_no, "expressCode": int(express_code)},
                access_token=access_token)
        if action.kind == "confirm_receipt":
            # confirm.receipt's page (as ks_shop_api carries it): with no returnFreightInfo on the detail only refundId
            # (and status) go, the returnFreight* fields left out ("否则会报错"); with one, the merchant must agree to the
            # freight (returnFreightHandlingAdvice 1 + returnFreightAmount, the detail's 商责退货运费金额) or refuse it
            # (2 + returnFreightRejectDesc + returnFreightRejectImages). That is the merchant's money and decision, which
            # the case does not carry: refused here with the back-office path (until 2026-12-06 sent without, refused)
            freight = self._return_freight(access_token, refund_id)
            if freight:
                raise PlatformError("refused", _("快手：买家申请了退货运费（%(amount)s 元），确认收货时须同意或拒绝运费（拒绝须附"
                                                 "原因与图片），请在快手小店后台确认收货并处理运费。") % {
                    "amount": _yuan(freight.get("returnFreightAmount"))})
            return self.call("open.seller.order.refund.confirm.receipt", {
                "refundId": refund_id, "status": int(action.platform_status or 40)}, access_token=access_token)
        raise PlatformError("refused", f"快手不支持「{action_label(action.kind)}」，请在快手小店后台处理。")

    def _return_freight(self, access_token: str, refund_id: int) -> dict:
        """The detail's returnFreightInfo when it has a value (a non-empty object), else {}."""
        data = self.call("open.seller.order.refund.detail", {"refundId": refund_id},
                         access_token=access_token).get("data") or {}
        info = data.get("returnFreightInfo")
        return info if isinstance(info, dict) and any(v not in (None, "", 0) for v in info.values()) else {}

    def _negotiate_status(self, access_token: str, refund_id: int) -> int | None:
        data = self.call("open.seller.order.refund.detail", {"refundId": refund_id},
                         access_token=access_token).get("data") or {}
        try:
            return int(data["negotiateStatus"])
        except (KeyError, TypeError, ValueError):
            return None

    def manual_link(self, aftersale_id: str) -> str:
        return f"https://s.kwaixiaodian.com/zone/refund/detail?refundId={aftersale_id}"

    # --- act-back details ---------------------------------------------------------------------------
    @staticmethod
    def _rows(data) -> list[dict]:
        """The list inside an answer's data, wherever the platform put it (the field names of these two answers
        are not in the public SDKs: read defensively, see docs/platforms.md)."""
        if isinstance(data, list):
            return [r for r in data if isinstance(r, dict)]
        if isinstance(data, dict):
            for value in data.values():
                if isinstance(value, list):
                    return [r for r in value if isinstance(r, dict)]
        return []

    def reject_reasons(self, access_token: str, aftersale_id: str) -> list[RejectReason]:
        """open.refund.reject.reason {refundId}: the reasons this request may be refused with; each says whether
        a description (requiredRejectDesc) and images (requiredRejectImage) are required."""
        data = self.call("open.refund.reject.reason", {"refundId": int(aftersale_id)},
                         access_token=access_token).get("data")
        out = []
        for row in self._rows(data):
            code = row.get("reasonCode", row.get("code"))
            try:
                code = int(code)
            except (TypeError, ValueError):
                continue
            text = row.get("reasonDesc") or row.get("desc") or row.get("reason") or str(code)
            out.append(RejectReason(code=code, text=str(text), evidence_need=bool(row.get("requiredRejectImage"))))
        return out

    def upload_evidence(self, access_token: str, *, public_url: str, name: str) -> str | None:
        # rejectImages takes image URLs (at most 6); the platform reads them from shouhou's signed link
        return public_url

    def addresses(self, access_token: str) -> list[PlatformAddress]:
        """open.address.seller.list → the seller's addresses (returnAddressId for returngoods.approve)."""
        data = self.call("open.address.seller.list", {}, access_token=access_token).get("data")
        out = []
        for row in self._rows(data):
            base = row.get("baseInfo") if isinstance(row.get("baseInfo"), dict) else row
            text = "".join(str(base.get(k) or "") for k in ("province", "city", "district", "town", "address"))
            out.append(PlatformAddress(address_id=str(row.get("addressId") or row.get("id") or ""),
                                       text=f"{base.get('consignee', '')} {text}".strip(),
                                       is_default=bool(row.get("defaultAddress"))))
        return [a for a in out if a.address_id]

    def authorize_url(self, *, state: str, redirect_uri: str, service_id: str = "", base: str = "") -> str:
        from urllib.parse import urlencode

        return f"{base or AUTHORIZE}?" + urlencode({"app_id": self.app_key, "redirect_uri": redirect_uri,
                                                     "scope": SCOPES, "response_type": "code", "state": state})
    # --- orders -----------------------------------------------------------------------------------
    def list_orders(self, access_token: str, since: int, cursor: dict) -> OrderPage:
        """open.order.cursor.list by update time (queryType 2, oldest first), one window of at most 7 days;
        the platform's cursor pages inside it ("nomore" at its end), windows follow each other up to now."""
        now_ms = int(time.time() * 1000)
        begin = int(cursor.get("begin", since * 1000))
        end = min(begin + int(ORDER_WINDOW.total_seconds() * 1000), now_ms)
        data = self.call("open.order.cursor.list", {
            "orderViewStatus": 1, "pageSize": 50, "sort": 2, "queryType": 2, "beginTime": begin, "endTime": end,
            "cpsType": 0, "cursor": cursor.get("cursor", "")}, access_token=access_token).get("data") or {}
        orders = [self._order(o) for o in data.get("orderList") or []]
        next_cursor = str(data.get("cursor") or "nomore")
        if next_cursor != "nomore" and orders:
            return OrderPage(items=orders, cursor={"begin": begin, "cursor": next_cursor}, has_more=True)
        return OrderPage(items=orders, cursor={"begin": end + 1, "cursor": ""}, has_more=end < now_ms)

    def get_order(self, access_token: str, order_id: str) -> PlatformOrder:
        data = self.call("open.order.detail", {"oid": int(order_id)}, access_token=access_token).get("data") or {}
        return self._order(data)

    @staticmethod
    def _order(row: dict) -> PlatformOrder:
        base = row.get("orderBaseInfo") or {}
        item = row.get("orderItemInfo") or {}
        addr = row.get("orderAddress") or {}
        oid = str(base.get("oid", ""))
        status = str(base.get("status", ""))
        # 快手 orders carry one item: the order id is the line's id too (after-sale requests name only the oid)
        items = [OrderItem(sub_order_id=oid, product_name=str(item.get("itemTitle") or "商品"),
                           quantity=max(1, int(item.get("num") or 1)), paid=yuan(base.get("totalFee")),
                           product_id=str(item.get("itemId") or ""),
                           sku_code=str(item.get("skuNick") or item.get("relSkuId") or item.get("skuId") or ""),
                           spec=str(item.get("skuDesc") or ""))] if item else []
        waybills = [Waybill(tracking_no=str(w.get("expressNo") or ""), carrier=_carrier(w),
                            carrier_name=str(w.get("expressName") or EXPRESS_NAMES.get(_int(w.get("expressCode")), "")),
                            shipped_at=when(base.get("sendTime"), millis=True))
                    for w in row.get("orderLogisticsInfo") or [] if w.get("expressNo")]
        # since 快手's buyer-data encryption (all apps from 2023-03-31) consignee, mobile and address are null and the
        # masked values are desensitiseConsignee / desensitiseMobile / desensitiseAddress; older answers: the plain ones
        name = addr.get("desensitiseConsignee") or addr.get("consignee")
        phone = addr.get("desensitiseMobile") or addr.get("mobile")
        detail = addr.get("desensitiseAddress") or addr.get("address")
        region = "".join(str(addr.get(k) or "") for k in ("province", "city", "district", "town"))
        address = region + masked(detail)
        return PlatformOrder(
            order_id=oid, status=ORDER_STATUSES.get(status, OrderStatus.PAID), platform_status=status,
            updated=int(base.get("updateTime") or 0) // 1000, items=items,
            placed_at=when(base.get("createTime"), millis=True), paid_at=when(base.get("payTime"), millis=True),
            shipped_at=when(base.get("sendTime"), millis=True),
            signed_at=when(base.get("recvTime"), millis=True) if status in ("50", "70") else None,
            total=yuan(base.get("totalFee")), receiver_name=masked(name),
            receiver_phone=masked(phone)[:20], address=address[:300], waybills=waybills,
            # the ciphertexts open.order.decrypt.batch takes (read again on each reveal, never stored) and the address's
            # plain part (province, city, district, town) the decrypted detail is appended to
            raw={"cipher": {f: str(addr.get(k)).strip() for f, k in CIPHER_FIELDS.items() if str(addr.get(k) or "").strip()},
                 "address_region": region})

    def decrypt_receiver(self, access_token: str, order_id: str, fields: list[str]) -> dict[str, str]:
        """The receiver's `fields` (name, phone, address) in clear, for one reveal: the order's current ciphertexts
        (open.order.detail) sent to open.order.decrypt.batch as batchDecryptList [{bizId: the order id,
        encryptedData}]; each result item {encryptedData, decryptedData, errorCode (1 = decrypted), errorMsg}. The
        caller shows the values and must not store them (快手: decrypt on the merchant's click, field by field)."""
        order = self.get_order(access_token, order_id)
        ciphers = {f: order.raw.get("cipher", {}).get(f, "") for f in fields}
        missing = [f for f, c in ciphers.items() if not c]
        if missing:
            raise PlatformError("refused", _("快手：订单 %(order)s 没有可解密的收货信息（%(fields)s）") % {
                "order": order_id, "fields": "、".join(_field_label(f) for f in missing)})
        # at most the order's three ciphertexts: well under the 100 items a call may carry
        batch = [{"bizId": str(order_id), "encryptedData": c} for c in dict.fromkeys(ciphers.values())]
        try:
            answer = self.call(DECRYPT, {"batchDecryptList": batch}, access_token=access_token)
        except PlatformError as exc:
            if exc.kind != "rate_limited" and _no_permission(exc.answer or {}):
                raise PlatformError("no_permission", exc.message, answer=exc.answer) from exc
            raise
        results = decrypt_results(answer)
        if results is None:
            raise PlatformError("refused", _("快手：解密答复中没有结果列表（data.batchDecryptResultList、"
                                             "batchDecryptResultList 或 data）"))
        # no refusal below carries the answer: its other items may hold clear values, which nothing may keep
        items = {str(i.get("encryptedData") or ""): i for i in results if isinstance(i, dict)}
        out = {}
        for f, c in ciphers.items():
            item = items.get(c)
            if item is None:
                raise PlatformError("refused", _("快手：解密结果缺少订单 %(order)s 的%(field)s") % {
                    "order": order_id, "field": _field_label(f)})
            value = str(item.get("decryptedData") or "")
            if str(item.get("errorCode")) != "1" or not value:
                code = item.get("errorCode")
                reason = (str(item.get("errorMsg") or "") or _("未给出原因")) + \
                    (f"（{code}）" if code not in (None, "") else "")
                raise PlatformError("refused", _("快手：未能解密订单 %(order)s 的%(field)s：%(reason)s") % {
                    "order": order_id, "field": _field_label(f), "reason": reason})
            out[f] = order.raw.get("address_region", "") + value if f == "address" else value
        return out
