"""有赞 (Youzan cloud, open.youzanyun.com) adapter: a 自用型 app (client_id/secret + the shop's kdt_id) or a
工具型 app (the merchant's authorisation code), the refund APIs and the HTTP message push
(sources and what is unverified: docs/platforms.md, section 有赞).

Facts used:
- Token: POST {base}/auth/token with a JSON body {client_id, client_secret, authorize_type, …}:
  "silent" + grant_id (= kdt_id) + refresh (bool: "also give me a refresh_token", as the official PHP and Node
  SDKs describe it) for a 自用型 app, "authorization_code" + code for a 工具型 app, "refresh_token" + refresh_token
  to renew either kind. Answer {success, code (200), message, data: {access_token, expires, scope, authority_id
  (= kdt_id), refresh_token}}; `expires` is the expiry instant in milliseconds (seconds are accepted too, see
  `token_expiry`). A 自用型 connection stores "silent:<kdt_id>:<refresh_token>" ("silent:<kdt_id>" when 有赞 gave
  none): it renews with the refresh token and, if that is refused, asks again with silent.
- API: POST {base}/api/{name}/{version}?access_token=… with a JSON body. Answers: {success, code (200), message,
  data} from the service; {"gw_err_resp": {err_code, err_msg}} from the gateway (4101 rate limited, 4201/4202/4203
  token missing/expired/unknown, 4204 no permission), always with HTTP 200; some 3.0.0 APIs answer the older
  {"response": {…}} / {"error_response": {code, msg | message[, sub_msg]}}. Refund business codes: 103010039
  wrong version and 102010002 操作过期 (the request moved on), 102010003 操作太快, 102090108 店铺余额不足.
- Refunds: youzan.trade.refund.search 3.0.1 {update_time_start/end (seconds), page_no ≤ 100, page_size;
  page_no × page_size ≤ 3000} → {total, refunds[]}; youzan.trade.refund.get 3.0.1 {refund_id} → {refund_id, tid,
  oid, status, version (ms), refund_fee (yuan), return_goods, refund_type, reason, desc, created, modified,
  cs_status, item_num, logistics} (`demand` is read when present: in no published field list);
  youzan.trade.refund.agree 3.0.1 {refund_id, version}; youzan.trade.refund.refuse 3.0.0 {refund_id, version,
  remark}; youzan.trade.returngoods.agree 3.0.0 {refund_id, version, name, mobile, address};
  youzan.trade.returngoods.refuse 3.0.0 {refund_id, version, remark}. Every action carries the request's
  `version`: a stale one is refused, so an action is never applied twice.
- Push: POST application/json {client_id, kdt_id, kdt_name, id, type, status, msg, msg_id, version, sendCount,
  sign, test, mode}; headers Event-Sign = md5(client_id + raw body + client_secret), Event-Type, Client-Id; the
  body's own sign = md5(client_id + msg + client_secret). `msg` is URL-encoded JSON (the older trade_refund_*
  messages; `+` for a space) or an object (the newer youzan_trade_Refund* messages). The answer that stops
  redelivery is {"code":0,"msg":"success"}; any answer without "success" is retried.
- Orders: youzan.trades.sold.get 4.0.4 {start_update/end_update "yyyy-MM-dd HH:mm:ss", page_no ≤ 100, page_size
  ≤ 100} → {total_results, full_order_info_list[{full_order_info}]}; youzan.trade.get 4.0.2 {tid} → {full_order_info
  {order_info, buyer_info, address_info, pay_info, orders[]}, delivery_order[{express_state, oids, dists[{express_info
  {express_id, express_no}}]}]}; youzan.logistics.express.get 3.0.0 → allExpress[{id, name}]. Amounts in yuan;
  encrypted buyer fields look like "$…$1$" and are never stored.
- Buyer data on reveal: youzan.cloud.secret.decrypt.batch 1.0.0 {sources: [ciphertext, …]} → data, an object
  keyed by ciphertext with the clear text as value (how public integrations read it); the order's current
  ciphertexts come from youzan.trade.get address_info {receiver_name, receiver_tel, delivery_address}. A
  ciphertext left out of the answer (or answered unchanged) is a failure for that field; 4204 (no permission)
  means the app lacks the decrypt grant. Authorise page (工具型): open.youzan.com/oauth/authorize
  {client_id, response_type=code, state, redirect_uri}.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from decimal import Decimal, InvalidOperation
from urllib.parse import quote_plus, unquote_plus

from django.utils.translation import gettext as _

from shouhou.cases.choices import CaseKind, CaseStatus, ClaimReason
from shouhou.commerce.choices import OrderStatus
from shouhou.core.jsonbody import json_body
from shouhou.core.signatures import same_text
from shouhou.platforms.adapters.base import (
    Action,
    Aftersale,
    OrderItem,
    OrderPage,
    Page,
    PlatformError,
    PlatformOrder,
    PushMessage,
    PushRefused,
    RejectReason,
    Tokens,
    Waybill,
    action_label,
    carrier_of,
    gateway_json,
    masked,
)
from shouhou.platforms.adapters.doudian import reason_from_text

API_BASE = "https://open.youzanyun.com"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
WINDOW = dt.timedelta(days=1)  # one search window: keeps page_no × page_size under the 3000-deep limit
PAGE_SIZE = 100
MAX_DEPTH = 3000
SILENT = "silent:"  # the refresh-token placeholder of a 自用型 app (it asks again instead)
VERSIONS = {
    "youzan.trade.refund.search": "3.0.1",
    "youzan.trade.refund.get": "3.0.1",
    "youzan.trade.refund.agree": "3.0.1",
    "youzan.trade.refund.refuse": "3.0.0",
    "youzan.trade.returngoods.agree": "3.0.0",
    "youzan.trade.returngoods.refuse": "3.0.0",
    "youzan.trades.sold.get": "4.0.4",
    "youzan.trade.get": "4.0.2",
    "youzan.logistics.express.get": "3.0.0",
    "youzan.cloud.secret.decrypt.batch": "1.0.0",
}
DECRYPT = "youzan.cloud.secret.decrypt.batch"  # {sources: [ciphertext]} → data {ciphertext: clear text}
NO_PERMISSION = 4204  # the gateway's "no permission for this API" (the decrypt API needs its own grant)
AUTHORIZE = "https://open.youzan.com/oauth/authorize"  # client_id, response_type=code, state, redirect_uri
ORDER_WINDOW = dt.timedelta(days=1)  # trades.sold.get: page_no ≤ 100 × page_size ≤ 100 per query
ORDER_PAGES = 100
# order messages (trade_Trade*; BuyerPay/Success/Close/MemoModified from the notes, the others unverified names):
# the envelope's `id` (and msg's tid) names the order
ORDER_EVENTS = {"trade_TradeCreate": "交易创建", "trade_TradeBuyerPay": "买家付款", "trade_TradePaid": "交易支付",
                "trade_TradeSellerShip": "卖家发货",
                # a split shipment's first parcels (msg: tid, oids, express_id; until 2026-12-07 ignored)
                "trade_TradePartlySellerShip": "卖家部分发货",
                "trade_TradeSuccess": "交易成功", "trade_TradeClose": "交易关闭",
                "trade_TradeMemoModified": "卖家备注修改",
                # the 有赞云 push type for an order's state (guide 3401/3449 as hesi726/youzan_CSharp carries it:
                # msg {tid, status, payment, update_time}; the envelope's id is the tid): that order is read again
                "TRADE_ORDER_STATE": "订单状态事件"}
# order_info.status → commerce OrderStatus ("" = not an order yet: unpaid)
ORDER_STATUSES = {"WAIT_BUYER_PAY": "", "TRADE_PAID": OrderStatus.PAID, "WAIT_CONFIRM": OrderStatus.PAID,
                  "WAIT_SELLER_SEND_GOODS": OrderStatus.PAID, "WAIT_BUYER_CONFIRM_GOODS": OrderStatus.SHIPPED,
                  "TRADE_SUCCESS": OrderStatus.COMPLETED, "TRADE_CLOSED": OrderStatus.CANCELLED,
                  "TRADE_CLOSED_BY_USER": OrderStatus.CANCELLED}  # the 3.0.0 trades' closed-by-buyer (its demo)
# 有赞's numeric order statuses → the text statuses above. youzan.trade.get 4.0.0 answers a number (its responseDemo:
# "status":60 with "status_str":"已发货") where 4.0.2 writes the text; the numbers as 有赞's own API pages define them
# (nest-mods/youzan docs/supplier/youzan.fenxiao.support.order.search.json and .detail.get.json: "订单状态 10:待支付,
# 50:待发货, 60:已发货, 80:已收货, 99:已关闭, 100:已完成"; the older numbering in youzan.trade.get's own page, order_state of
# 老送礼订单 "WAIT_EXPRESS(5, 待发货), EXPRESS(6, 已发货), SUCCESS(100, 成功)", and youzan.salesman.trades.get "3:待付款,
# 5:已付款, 6:已发货, 100:交易完成"). 80 已收货 is the buyer's sign-off: TRADE_SUCCESS ("买家已签收以及订单成功").
# Until 2026-12-07 only the text was read, and a numeric status became 已付款 whatever it said.
ORDER_STATUS_NUMBERS = {"10": "WAIT_BUYER_PAY", "3": "WAIT_BUYER_PAY", "50": "WAIT_SELLER_SEND_GOODS",
                        "5": "WAIT_SELLER_SEND_GOODS", "60": "WAIT_BUYER_CONFIRM_GOODS", "6": "WAIT_BUYER_CONFIRM_GOODS",
                        "80": "TRADE_SUCCESS", "99": "TRADE_CLOSED", "100": "TRADE_SUCCESS"}
# status_str (主订单状态描述) when the status is neither: the words the published answers use
ORDER_STATUS_WORDS = {"待付款": "WAIT_BUYER_PAY", "待支付": "WAIT_BUYER_PAY", "已付款": "WAIT_SELLER_SEND_GOODS",
                      "待发货": "WAIT_SELLER_SEND_GOODS", "已发货": "WAIT_BUYER_CONFIRM_GOODS", "已收货": "TRADE_SUCCESS",
                      "已完成": "TRADE_SUCCESS", "交易成功": "TRADE_SUCCESS", "已关闭": "TRADE_CLOSED"}


def order_status(order_info: dict) -> str:
    """The order's status as 4.0.2 writes it (WAIT_SELLER_SEND_GOODS …), whether 有赞 answered the text, a number (4.0.0)
    or, failing both, only status_str; "" when none of them is known."""
    raw = str(order_info.get("status") if order_info.get("status") is not None else "").strip()
    if raw in ORDER_STATUSES:
        return raw
    if raw in ORDER_STATUS_NUMBERS:
        return ORDER_STATUS_NUMBERS[raw]
    return ORDER_STATUS_WORDS.get(str(order_info.get("status_str") or "").strip(), raw)
# demand → case kind (return_goods true without a demand: 退货退款)
TYPES = {"1": CaseKind.REFUND_ONLY, "2": CaseKind.RETURN_REFUND, "3": CaseKind.EXCHANGE}
TYPE_WORDS = {"1": "仅退款", "2": "退货退款", "3": "换货"}
# status → (case status, 说明); "" = a platform state with no case step (the case stays where it is)
STATUSES = {
    "WAIT_SELLER_AGREE": (CaseStatus.REQUESTED, "买家已申请退款，等待卖家同意"),
    "WAIT_BUYER_RETURN_GOODS": (CaseStatus.AWAITING_RETURN, "卖家已同意退货，等待买家退货"),
    "WAIT_SELLER_CONFIRM_GOODS": (CaseStatus.IN_TRANSIT_BACK, "买家已退货，等待卖家确认收货"),
    "SELLER_REFUSE_BUYER": (CaseStatus.REJECTED, "卖家拒绝退款"),
    "SELLER_REFUSE_BUYER_RETURN_GOODS": (CaseStatus.REJECTED, "卖家未收到货，拒绝退款"),
    "CLOSED": (CaseStatus.CANCELLED, "退款关闭"),
    "SUCCESS": (CaseStatus.RESOLVED, "退款成功"),
}
# the application reason codes of refund.get / refund.search → (words, claim reason); the buyer who changed their
# mind (拍错/多拍/不喜欢, 多买/买错/不想要) is the no-reason return the policy knows
REASONS = {
    11: ("质量问题", ClaimReason.QUALITY), 12: ("拍错/多拍/不喜欢", ClaimReason.NO_REASON),
    13: ("商品描述不符", ClaimReason.NOT_AS_DESCRIBED), 14: ("假货", ClaimReason.QUALITY),
    15: ("商家发错货", ClaimReason.WRONG_ITEM), 16: ("商品破损/少件", ClaimReason.DAMAGED_IN_TRANSIT),
    17: ("其他", ClaimReason.OTHER), 51: ("多买/买错/不想要", ClaimReason.NO_REASON),
    52: ("快递无记录", ClaimReason.LOST_PARCEL), 53: ("少货/空包裹", ClaimReason.MISSING_PARTS),
    54: ("未按约定时间发货", ClaimReason.LATE_SHIPMENT), 55: ("快递一直未送达", ClaimReason.LOST_PARCEL),
    56: ("其他", ClaimReason.OTHER), 101: ("商品破损/少件", ClaimReason.DAMAGED_IN_TRANSIT),
    102: ("商家发错货", ClaimReason.WRONG_ITEM), 103: ("商品描述不符", ClaimReason.NOT_AS_DESCRIBED),
    104: ("拍错/多拍/不喜欢", ClaimReason.NO_REASON), 105: ("质量问题", ClaimReason.QUALITY),
    107: ("其他", ClaimReason.OTHER),
    # the longer list of the API page's `reason` field (docs/platforms.md, Sources: nest-mods/youzan)
    1: ("买/卖双方协商一致", ClaimReason.OTHER), 2: ("买错/多买/不想要", ClaimReason.NO_REASON),
    3: ("商品质量问题", ClaimReason.QUALITY), 4: ("未收到货品", ClaimReason.LOST_PARCEL), 5: ("其他", ClaimReason.OTHER),
    18: ("退运费", ClaimReason.OTHER), 19: ("协商一致退款", ClaimReason.OTHER),
    20: ("快递一直未送达", ClaimReason.LOST_PARCEL), 21: ("未按约定时间发货", ClaimReason.LATE_SHIPMENT),
    22: ("拍错/不想要", ClaimReason.NO_REASON), 23: ("计划有变无法使用", ClaimReason.NO_REASON),
    24: ("商家降价", ClaimReason.PRICE_DROP), 57: ("拍错/多拍/不喜欢", ClaimReason.NO_REASON),
    58: ("协商一致退款", ClaimReason.OTHER), 106: ("假货", ClaimReason.QUALITY),
    108: ("做工粗糙/有瑕疵", ClaimReason.QUALITY), 109: ("非正品", ClaimReason.QUALITY),
    110: ("未按约定时间发货", ClaimReason.LATE_SHIPMENT),
}
# refunds the merchant or the platform started: nothing to decide, no case
NOT_REQUESTS = {"SELLER_REFUND", "SYSTEM_REFUND"}
NOT_REQUEST_MESSAGES = {"trade_refund_SysRefund", "trade_refund_SellerActiveRefund", "trade_refund_RefundSellerCreated"}
# the gateway's 4201/4202/4203; and 40010 in the older envelope: the errorResponseDemo of youzan.trade.get and
# youzan.trades.sold.get (and of many other API pages, nest-mods/youzan docs/): {"error_response": {"msg": "参数 token 无效",
# "code": 40010, "sub_msg": "token无效，该token不存在或已过期", "sub_code": 10000}} — refreshed once and the call repeated;
# until 2026-12-07 it was a refusal, so an order sync answered so stopped with an error instead of renewing the token
TOKEN_ERRORS = {4201, 4202, 4203, 40010}
RATE_ERRORS = {4101, 102010003, 500100004, 123000042}
STATE_ERRORS = {103010039, 102010002}


def _cipher(value) -> str:
    """A 有赞 ciphertext ("$…$1$"), else ""."""
    text = str(value or "").strip()
    return text if len(text) > 2 and text[0] == "$" and text[-1] == "$" else ""


def _field_label(field: str) -> str:
    return {"name": _("收货人"), "phone": _("手机号"), "address": _("详细地址")}.get(field, field)


def push_sign(client_id: str, client_secret: str, content: bytes) -> str:
    # MD5 because 有赞 signs pushes with it (not our choice of hash)
    return hashlib.md5(client_id.encode() + content + client_secret.encode(), usedforsecurity=False).hexdigest()  # noqa: S324


def encode_msg(msg: dict) -> str:
    """`msg` as the older messages carry it: JSON, URL-encoded as Java's URLEncoder does (space → "+")."""
    return quote_plus(json.dumps(msg, ensure_ascii=False, separators=(",", ":")))


def decode_msg(value) -> dict:
    if isinstance(value, dict):
        return value
    try:
        decoded = json_body(unquote_plus(str(value or "")), empty={})
    except json.JSONDecodeError:
        return {"unparsed": value}
    return decoded if isinstance(decoded, dict) else {"value": decoded}


# the 有赞云 push type of the refund event (退款事件, guide 3401/3449 as hesi726/youzan_CSharp's PushMessageConst and
# PushMessage_TradeOrderRefund carry it): msg {tid, oid, refund_id, refund_state (SAFE_NEW 买家发起, SAFE_HANDLED
# 被拒绝后再次发起, SAFE_REJECT, SAFE_INVOLVED, SAFE_ACCEPT, SAFE_SEND, SAFE_NO_RECEIVE, SAFE_CLOSE, SAFE_FINISHED),
# update_time, refunded_fee (yuan), refund_type (REFUND_ONLY / REFUND_AND_RETURN), refund_reason}; the envelope's
# status repeats refund_state. Only refund_id is taken from it: the request itself is read with refund.get.
# Until 2026-12-08 it was acknowledged and ignored, and the request waited for the 15-minute reconciliation.
REFUND_PUSH_TYPES = frozenset({"TRADE_ORDER_REFUND"})


def refund_message(message_type: str) -> bool:
    """The after-sale messages: the older trade_refund_* family, the newer youzan_trade_Refund* one and the 有赞云
    refund event TRADE_ORDER_REFUND."""
    return (message_type.startswith("trade_refund_") or message_type.startswith("youzan_trade_Refund")
            or message_type in REFUND_PUSH_TYPES) and message_type not in NOT_REQUEST_MESSAGES


def _yuan(value) -> Decimal:
    try:
        return Decimal(str(value if value not in (None, "") else "0")).quantize(Decimal("0.01"))
    except InvalidOperation:
        return Decimal("0.00")


def _local(text) -> dt.datetime | None:
    """"yyyy-MM-dd HH:mm:ss" in Beijing time, as the refund APIs write times. "1970-01-01 08:00:00" (the Unix epoch in
    Beijing time) is how 有赞 writes a time not reached yet (youzan.trade.get's demo: success_time of a shipped order):
    no time, not a sign-off in 1970."""
    try:
        moment = dt.datetime.strptime(str(text), "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
    except (TypeError, ValueError):
        return None
    return moment if moment.timestamp() > 0 else None


def token_expiry(value) -> dt.datetime:
    """`expires` is documented as the expiry instant in milliseconds; an instant in seconds, or a number of seconds
    left (as OAuth's expires_in), is read as such rather than as a date in 1970."""
    number = int(value or 0)
    now = dt.datetime.now(dt.UTC)
    if number > 10**12:
        return dt.datetime.fromtimestamp(number / 1000, dt.UTC)
    if number > 10**9:
        return dt.datetime.fromtimestamp(number, dt.UTC)
    return now + dt.timedelta(seconds=number)


def return_address(text: str) -> dict | None:
    """The connection's return address for 有赞 (no address book id: the API takes it written out), entered as
    "收货人|手机号|地址"."""
    parts = [p.strip() for p in (text or "").split("|")]
    if len(parts) != 3 or not all(parts):
        return None
    return {"name": parts[0], "mobile": parts[1], "address": parts[2]}


def _sku_text(value) -> str:
    """sku_properties_name: a JSON list of {k, v} (as the SDK samples show it) or plain text."""
    try:
        parsed = json_body(value) if isinstance(value, str) and value.startswith("[") else value
    except json.JSONDecodeError:
        parsed = value
    if isinstance(parsed, list):
        return " ".join(f"{p.get('k', '')}:{p.get('v', '')}" for p in parsed if isinstance(p, dict))
    return str(parsed or "")


def _int(value) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _span(cursor: dict, window: dt.timedelta = WINDOW) -> int:
    """The cursor's window length in seconds (a narrowed one), else the whole window."""
    full = int(window.total_seconds())
    return max(1, min(full, _int(cursor.get("span")) or full))


def _kept(span: int, window: dt.timedelta = WINDOW) -> dict:
    """The span to carry in a cursor: nothing when it is the whole window (the cursor keeps its usual shape)."""
    return {} if span >= int(window.total_seconds()) else {"span": span}


def _narrower(begin: int, end: int, page: int, total: int, depth: int, rows: int, size: int, *,
              last_page: bool) -> int | None:
    """A shorter span for a search window holding more than `depth` rows (what page_no × page_size can reach): known
    from the first page's total, or found on the deepest page still full. None: the window can be read whole (or is a
    single second already: nothing narrower exists)."""
    if end - begin <= 1:  # one span of a second is as narrow as a search by seconds goes
        return None
    too_deep = (page == 1 and total > depth) or (last_page and rows >= size)
    return max(1, (end - begin) // 2) if too_deep else None


def _line_keys(lines: list[dict]) -> list[str]:
    """Each line's key: its `oid`. youzan.trade.get 4.0.0 lists lines without one (its responseDemo: four lines, no
    oid): they are told apart by goods_id and sku_id (then by position), where until 2026-12-07 they all had the key ""
    and an order of four lines was written as one line of the last line's price."""
    keys: list[str] = []
    for n, line in enumerate(lines, start=1):
        key = str(line.get("oid") or "").strip()
        if not key:
            parts = [str(line.get(k) or "").strip() for k in ("goods_id", "sku_id")]
            key = "goods-" + "-".join(parts) if all(parts) else f"line-{n}"
        keys.append(key if key not in keys else f"{key}-{n}")
    return keys


def _text_time(moment: int) -> str:
    return dt.datetime.fromtimestamp(moment, SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


class YouzanAdapter:
    platform = "youzan"
    merchant_authorization = True  # a 工具型 app: the merchant authorises on 有赞's page (authorize_url)
    order_tags = frozenset(ORDER_EVENTS)

    def __init__(self, *, app_key: str, app_secret: str, api_base: str = "", timeout: float = 12.0):
        self.app_key, self.app_secret = app_key, app_secret  # client_id, client_secret
        self.api_base = (api_base or API_BASE).rstrip("/")
        self.timeout = timeout
        self._body: dict | None = None
        self._express: dict[str, str] | None = None  # express_id → company name (youzan.logistics.express.get)

    @classmethod
    def from_secrets(cls, *, app_key: str, secrets: dict, api_base: str = "") -> YouzanAdapter:
        return cls(app_key=app_key, app_secret=secrets.get("app_secret", ""), api_base=api_base)

    @staticmethod
    def push_app_key(headers: dict) -> str | None:
        return headers.get("client-id") or None  # otherwise named in the body: every 有赞 app is tried

    @staticmethod
    def refusal(message: str) -> tuple[int, dict]:
        # anything without "success" is a failure to 有赞; the reason is for whoever reads its push log
        return 401, {"code": 401, "msg": f"failed: {message or 'unauthorized'}".replace("success", "")}

    def initial_cursor(self, since: dt.datetime) -> dict:
        return {"begin": int(since.timestamp()), "page": 1}

    def reconcile_cursor(self, cursor: dict, overlap_seconds: int) -> dict:
        return {"begin": max(0, int(cursor.get("begin", 0)) - overlap_seconds), "page": 1}

    # --- push -------------------------------------------------------------------------------------
    def verify_push(self, headers: dict, body: bytes) -> None:
        if not self.app_secret:
            raise PushRefused("未配置 client_secret")
        try:
            envelope = json_body(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PushRefused("推送内容不是 JSON") from exc
        if not isinstance(envelope, dict):
            raise PushRefused("推送内容不是对象")
        if str(envelope.get("client_id") or self.app_key) != self.app_key:
            raise PushRefused("client_id 与本应用不符")
        given = str(headers.get("event-sign") or "").lower()
        if given:  # the header signs the raw body: everything in it is covered
            if not same_text(push_sign(self.app_key, self.app_secret, body), given):
                raise PushRefused("Event-Sign 校验失败")
        else:  # no header: the body's sign over client_id + msg + client_secret (msg as sent, a string)
            msg, sign = envelope.get("msg"), str(envelope.get("sign") or "").lower()
            if not isinstance(msg, str) or not sign or not same_text(
                    push_sign(self.app_key, self.app_secret, msg.encode()), sign):
                raise PushRefused("缺少或错误的签名（Event-Sign / sign）")
        self._body = envelope

    def parse_push(self, body: bytes) -> list[PushMessage]:
        if self._body is None:
            raise PushRefused("推送未校验")
        envelope, self._body = self._body, None
        kind = str(envelope.get("type") or "")
        msg = decode_msg(envelope.get("msg"))
        kdt_id = str(envelope.get("kdt_id") or "")
        refund_id = str(msg.get("refund_id") or "") if refund_message(kind) else ""  # an order message: the order
        # msg_id names the message; a retry (sendCount > 1) repeats it. Older messages without one: type + ids
        ident = str(envelope.get("msg_id") or f"{kind}:{kdt_id}:{envelope.get('id', '')}:{envelope.get('version', '')}")
        data = {"msg": msg, "kdt_id": kdt_id, "status": envelope.get("status"), "version": envelope.get("version"),
                "send_count": envelope.get("sendCount")}
        return [PushMessage(message_id=ident[:128], tag=kind[:64], data=data, platform_shop_id=kdt_id,
                            aftersale_id=refund_id, order_id=str(msg.get("tid") or envelope.get("id") or ""),
                            handshake=bool(envelope.get("test")),
                            known=(refund_message(kind) and bool(refund_id)) or kind in ORDER_EVENTS)]

    def push_answer(self, ok: bool, message: str = "") -> tuple[int, dict]:
        return (200, {"code": 0, "msg": "success"}) if ok else self.refusal(message)

    # --- tokens -----------------------------------------------------------------------------------
    def _token(self, payload: dict, *, silent_shop: str = "") -> Tokens:
        answer = gateway_json("有赞", lambda client: client.post(
            f"{self.api_base}/auth/token", json={"client_id": self.app_key, "client_secret": self.app_secret, **payload}),
            timeout=self.timeout)
        data = answer.get("data") if isinstance(answer.get("data"), dict) else {}
        if not answer.get("success") or not data.get("access_token"):
            code, text = answer.get("code", ""), answer.get("message") or "未返回 access_token"
            raise PlatformError("refused", f"有赞：{text}（{code}）" if code else f"有赞：{text}", answer=answer)
        shop_id = str(data.get("authority_id") or payload.get("grant_id") or silent_shop or "")
        refresh = str(data.get("refresh_token") or "")
        if payload.get("authorize_type") == "silent" or silent_shop:
            # a 自用型 connection keeps its kdt_id beside the refresh token: silent is its way back in
            refresh = SILENT + (silent_shop or shop_id) + (f":{refresh}" if refresh else "")
        return Tokens(access_token=str(data["access_token"]), refresh_token=refresh,
                      expires_at=token_expiry(data.get("expires")), platform_shop_id=shop_id)

    def create_token(self, *, code: str = "", shop_id: str = "") -> Tokens:
        if code:  # 工具型: the code the platform pushed after the merchant ordered the app (2 minutes, once)
            return self._token({"authorize_type": "authorization_code", "code": code})
        if not shop_id:
            raise PlatformError("refused", "有赞自用型应用需要店铺 kdt_id；工具型应用需要授权 code")
        # refresh=true: the answer carries a refresh_token too (the SDKs' "是否获取refresh_token")
        return self._token({"authorize_type": "silent", "grant_id": shop_id, "refresh": True})

    def refresh_token(self, refresh_token: str) -> Tokens:
        if refresh_token.startswith(SILENT):  # 自用型: "silent:<kdt_id>[:<refresh_token>]"
            shop_id, _, token = refresh_token[len(SILENT):].partition(":")
            if token:
                try:
                    return self._token({"authorize_type": "refresh_token", "refresh_token": token},
                                       silent_shop=shop_id)
                except PlatformError as exc:
                    if exc.kind != "refused":
                        raise
            return self._token({"authorize_type": "silent", "grant_id": shop_id, "refresh": True})
        if not refresh_token:
            raise PlatformError("refused", "有赞：没有 refresh_token，需要商家重新授权")
        return self._token({"authorize_type": "refresh_token", "refresh_token": refresh_token})

    # --- API --------------------------------------------------------------------------------------
    def call(self, name: str, params: dict, *, access_token: str) -> dict:
        version = VERSIONS[name]
        answer = gateway_json("有赞", lambda client: client.post(
            f"{self.api_base}/api/{name}/{version}", params={"access_token": access_token},
            content=json.dumps(params, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json;charset=UTF-8"}), timeout=self.timeout)
        gateway = answer.get("gw_err_resp")
        if isinstance(gateway, dict):
            raise self._error(gateway.get("err_code"), gateway.get("err_msg"), answer)
        legacy = answer.get("error_response")
        if isinstance(legacy, dict):  # {code, msg | message[, sub_code, sub_msg]}
            text = legacy.get("msg") or legacy.get("message")
            if legacy.get("sub_msg") and legacy.get("sub_msg") != text:
                text = f"{text or ''}：{legacy['sub_msg']}".lstrip("：")
            raise self._error(legacy.get("code"), text, answer)
        if "response" in answer and "success" not in answer:  # the older 3.0.0 envelope
            result = answer.get("response")
            # an action's {"response": {"is_success": false}} did not happen (until 2026-12-07 it counted as done)
            if isinstance(result, dict) and result.get("is_success") is False:
                raise self._error(result.get("code"), result.get("message") or result.get("msg") or "操作未成功", answer)
            return result if isinstance(result, dict) else {}
        if answer.get("success") is False or str(answer.get("code", 200)) != "200":
            raise self._error(answer.get("code"), answer.get("message"), answer)
        data = answer.get("data")
        if isinstance(data, dict) and data.get("is_success") is False:
            raise self._error(answer.get("code"), answer.get("message") or "操作未成功", answer)
        return data if isinstance(data, dict) else {}

    @staticmethod
    def _error(code, text, answer: dict) -> PlatformError:
        try:
            number = int(code)
        except (TypeError, ValueError):
            number = 0
        text = str(text or "未知错误")
        if number in TOKEN_ERRORS:
            kind = "token_expired"
        elif number in RATE_ERRORS or "限流" in text or "频繁" in text:
            kind = "rate_limited"
        elif number in STATE_ERRORS:
            kind = "already_handled"
        elif number == 5003:  # 插件执行异常: the gateway's own fault
            kind = "outage"
        else:
            kind = "refused"
        if number == 4204:
            text += "：请在有赞云控制台为应用申请交易售后能力包"
        elif number == 102090108:
            text += "：请先为店铺余额充值，或在有赞后台处理"
        return PlatformError(kind, f"有赞：{text}（{code}）" if code not in (None, "") else f"有赞：{text}", answer=answer)

    def _aftersale(self, row: dict) -> Aftersale:
        status = str(row.get("status") or "")
        demand = str(row.get("demand") or ("2" if row.get("return_goods") else "1"))
        case_status, words = STATUSES.get(status, ("", f"未知状态 {status}"))
        if str(row.get("cs_status") or "") == "2":
            words += "（有赞客服介入中）"
        try:
            reason_code = int(row.get("reason") or 0)
        except (TypeError, ValueError):
            reason_code = 0
        words_reason = REASONS.get(reason_code)
        desc = str(row.get("desc") or "")
        reason_text = "：".join(t for t in (words_reason[0] if words_reason else "", desc) if t)
        return Aftersale(
            aftersale_id=str(row.get("refund_id") or ""), order_id=str(row.get("tid") or ""),
            sub_order_id=str(row.get("oid") or ""), platform_type=demand, platform_status=status,
            kind=TYPES.get(demand, CaseKind.REFUND_ONLY), case_status=case_status,
            reason=words_reason[1] if words_reason else reason_from_text(desc), reason_text=reason_text,
            status_text=f"{TYPE_WORDS.get(demand, '')} · {words}".strip(" ·"), refund_amount=_yuan(row.get("refund_fee")),
            deadline=None, updated=int(row.get("version") or 0), applied_at=_local(row.get("created")), raw=row,
            not_a_request=str(row.get("refund_type") or "") in NOT_REQUESTS)

    def fetch_aftersales(self, access_token: str, cursor: dict) -> Page:
        """Requests updated in one window of at most a day, a page at a time; each is then read in full (the list
        has no version or sub-order). Refunds the merchant or the platform started are left out.

        A search reads at most MAX_DEPTH rows (page_no × page_size ≤ 3000): a window holding more is halved until it
        fits (`span`, seconds; the first page's `total` says so before any detail is read), and the windows after a
        narrowed one grow back by doubling. Until 2026-12-07 the rows past the 3000th were never read: a shop with more
        than 3000 refund changes in a day (a big live session's wave) lost the rest until a push brought them."""
        now = int(time.time())
        begin = int(cursor.get("begin", now - int(WINDOW.total_seconds())))
        span = _span(cursor)
        end = min(begin + span, now)
        page = max(1, int(cursor.get("page", 1)))
        data = self.call("youzan.trade.refund.search", {"update_time_start": begin, "update_time_end": end,
                                                        "page_no": page, "page_size": PAGE_SIZE},
                         access_token=access_token)
        rows = data.get("refunds") or []
        narrower = _narrower(begin, end, page, _int(data.get("total")), MAX_DEPTH, len(rows), PAGE_SIZE,
                             last_page=(page + 1) * PAGE_SIZE > MAX_DEPTH)
        if narrower is not None:  # the window holds more than a search can read: the same start, half as long
            return Page(items=[], cursor={"begin": begin, "page": 1, "span": narrower}, has_more=True)
        # a row already naming a refund the shop or 有赞 made (its refund_type) is not read again
        items = [a for a in (self.fetch_aftersale(access_token, str(r.get("refund_id"))) for r in rows
                             if r.get("refund_id") and str(r.get("refund_type") or "") not in NOT_REQUESTS)
                 if str(a.raw.get("refund_type") or "") not in NOT_REQUESTS]
        if len(rows) >= PAGE_SIZE and (page + 1) * PAGE_SIZE <= MAX_DEPTH:
            return Page(items=items, cursor={"begin": begin, "page": page + 1, **_kept(span)}, has_more=True)
        # the next window starts just after this one (both ends taken as inclusive; reconciliation re-reads an
        # overlap, so a platform that excludes the end second loses nothing)
        return Page(items=items, cursor={"begin": end + 1, "page": 1, **_kept(span * 2)}, has_more=end < now)

    def fetch_aftersale(self, access_token: str, aftersale_id: str) -> Aftersale:
        return self._aftersale(self.call("youzan.trade.refund.get", {"refund_id": str(aftersale_id)},
                                         access_token=access_token))

    def act(self, access_token: str, action: Action) -> dict:
        """approve: 同意退款 (refund only) or 同意退货 with the shop's return address (a return); confirm_receipt:
        the goods came back, 同意退款 releases the refund; reject: 拒绝退款, or 拒绝退货 (未收到货) once the buyer
        has sent the goods. Each carries the request's version."""
        base = {"refund_id": action.aftersale_id, "version": action.updated}
        if action.platform_type == "3":
            raise PlatformError("refused", f"有赞换货请在有赞后台处理：{self.manual_link(action.aftersale_id)}")
        if action.kind == "approve" and action.platform_type == "2":
            address = return_address(action.return_address_id)
            if address is None:
                raise PlatformError("refused", "有赞同意退货需要退货地址：请在该连接的设置中按「收货人|手机号|地址」填写，"
                                    "或在有赞后台同意")
            return self.call("youzan.trade.returngoods.agree", {**base, **address}, access_token=access_token)
        if action.kind in ("approve", "confirm_receipt"):
            return self.call("youzan.trade.refund.agree", base, access_token=access_token)
        if action.kind == "reject":
            name = "youzan.trade.returngoods.refuse" if action.platform_status == "WAIT_SELLER_CONFIRM_GOODS" \
                else "youzan.trade.refund.refuse"
            return self.call(name, {**base, "remark": action.reason or "不符合售后条件"}, access_token=access_token)
        raise PlatformError("refused", f"有赞接口不支持「{action_label(action.kind)}」，请在有赞后台处理：{self.manual_link(action.aftersale_id)}")

    def reject_reasons(self, access_token: str, aftersale_id: str) -> list[RejectReason]:
        # refund.refuse / returngoods.refuse take {refund_id, version, remark}: the agent's words, no reason codes
        return []

    def upload_evidence(self, access_token: str, *, public_url: str, name: str) -> str | None:
        return None  # nor images: the case says to add them in the back office (actback.evidence_upload)

    def manual_link(self, aftersale_id: str) -> str:
        # 售后维权 list (search by 退款编号 there); the detail page is keyed by order number and item id, not the refund
        return "https://www.youzan.com/v4/trade/refunds"

    def authorize_url(self, *, state: str, redirect_uri: str, service_id: str = "", base: str = "") -> str:
        """The merchant's authorisation page of a 工具型 app; 有赞 sends the merchant back to redirect_uri with
        ?code=…&state=… and the code is exchanged with authorize_type=authorization_code (create_token)."""
        from urllib.parse import urlencode

        return f"{base or AUTHORIZE}?" + urlencode({"client_id": self.app_key, "response_type": "code",
                                                     "state": state, "redirect_uri": redirect_uri})

    # --- orders -----------------------------------------------------------------------------------
    def list_orders(self, access_token: str, since: int, cursor: dict) -> OrderPage:
        """youzan.trades.sold.get by update time (start_update/end_update, Beijing time), one window of at most a
        day read a page at a time (page_no ≤ 100, page_size 100); windows follow each other up to now. An order
        that moves between pages while they are read may come twice: the sync keeps the newest."""
        now = int(time.time())
        begin = int(cursor.get("begin", since))
        span = _span(cursor, ORDER_WINDOW)
        end = min(begin + span, now)
        page = max(1, int(cursor.get("page", 1)))
        data = self.call("youzan.trades.sold.get", {"start_update": _text_time(begin), "end_update": _text_time(end),
                                                    "page_no": page, "page_size": PAGE_SIZE},
                         access_token=access_token)
        rows = [r.get("full_order_info") for r in data.get("full_order_info_list") or []]
        # page_no ≤ 100 × page_size 100: a window with more than 10,000 changed orders (a live session's day) is halved
        # until it fits, as the refund search is; until 2026-12-07 the orders past the 10,000th were skipped
        narrower = _narrower(begin, end, page, _int(data.get("total_results")), ORDER_PAGES * PAGE_SIZE, len(rows),
                             PAGE_SIZE, last_page=page >= ORDER_PAGES)
        if narrower is not None:
            return OrderPage(items=[], cursor={"begin": begin, "page": 1, "span": narrower}, has_more=True)
        orders = [self._order(r, access_token, {}) for r in rows if isinstance(r, dict)]
        if len(rows) >= PAGE_SIZE and page < ORDER_PAGES:
            return OrderPage(items=orders, cursor={"begin": begin, "page": page + 1, **_kept(span, ORDER_WINDOW)},
                             has_more=True)
        return OrderPage(items=orders, cursor={"begin": end + 1, "page": 1, **_kept(span * 2, ORDER_WINDOW)},
                         has_more=end < now)

    def get_order(self, access_token: str, order_id: str) -> PlatformOrder:
        """youzan.trade.get {tid}: full_order_info plus delivery_order[] (the parcels)."""
        data = self.call("youzan.trade.get", {"tid": str(order_id)}, access_token=access_token)
        info = data.get("full_order_info") if isinstance(data.get("full_order_info"), dict) else {}
        if not (info.get("order_info") or {}).get("tid"):
            raise PlatformError("refused", f"有赞：订单 {order_id} 不存在或不属于该店铺", answer=data)
        return self._order(info, access_token, data)

    def _express_name(self, access_token: str, express_id) -> str:
        """The company name of a parcel's express_id (有赞's own numbering), read once per adapter."""
        if self._express is None:
            try:
                data = self.call("youzan.logistics.express.get", {}, access_token=access_token)
            except PlatformError:
                return ""
            self._express = {str(e.get("id")): str(e.get("name") or "") for e in data.get("allExpress") or []
                             if isinstance(e, dict)}
        return self._express.get(str(express_id), "")

    def _waybills(self, detail: dict, access_token: str) -> list[Waybill]:
        out = []
        for delivery in detail.get("delivery_order") or []:
            if not isinstance(delivery, dict) or str(delivery.get("express_state", "1")) != "1":
                continue
            oids = [str(o.get("oid") if isinstance(o, dict) else o) for o in delivery.get("oids") or []]
            for dist in delivery.get("dists") or []:
                express = (dist or {}).get("express_info") or {}
                number = str(express.get("express_no") or "").strip()
                if not number:
                    continue
                name = str(express.get("express_name") or "") or self._express_name(access_token,
                                                                                    express.get("express_id"))
                out.append(Waybill(tracking_no=number, carrier=carrier_of(name=name), carrier_name=name,
                                   sub_order_ids=oids))
        return out

    def _order(self, info: dict, access_token: str, detail: dict) -> PlatformOrder:
        order = info.get("order_info") or {}
        addr = info.get("address_info") or {}
        pay = info.get("pay_info") or {}
        status = order_status(order)
        lines = [o for o in info.get("orders") or [] if isinstance(o, dict)]
        items = [OrderItem(sub_order_id=key, product_name=str(o.get("title") or "商品"),
                           quantity=max(1, int(o.get("num") or 1)), paid=_yuan(o.get("payment")),
                           product_id=str(o.get("outer_item_id") or o.get("item_id") or ""),
                           sku_code=str(o.get("outer_sku_id") or o.get("sku_id") or ""),
                           spec=_sku_text(o.get("sku_properties_name")))
                 for o, key in zip(lines, _line_keys(lines), strict=True)]
        # the list answer has no delivery_order: a shipped order is read in full for its waybills
        if not detail and status in ("WAIT_BUYER_CONFIRM_GOODS", "TRADE_SUCCESS") and order.get("tid") \
                and str(order.get("express_type", "0")) == "0":
            detail = self.call("youzan.trade.get", {"tid": str(order["tid"])}, access_token=access_token)
        waybills = self._waybills(detail, access_token) if detail else []
        shipped = _local(order.get("consign_time"))
        for bill in waybills:
            bill.shipped_at = shipped
        updated = _local(order.get("update_time"))
        region = "".join(str(addr.get(k) or "") for k in ("delivery_province", "delivery_city", "delivery_district"))
        address = region + masked(addr.get("delivery_address"))
        return PlatformOrder(
            order_id=str(order.get("tid") or ""), status=ORDER_STATUSES.get(status, OrderStatus.PAID),
            platform_status=status, updated=int(updated.timestamp()) if updated else 0, items=items,
            placed_at=_local(order.get("created")), paid_at=_local(order.get("pay_time")), shipped_at=shipped,
            signed_at=_local(order.get("success_time")) if status == "TRADE_SUCCESS" else None,
            total=_yuan(pay.get("payment")), receiver_name=masked(addr.get("receiver_name"))[:100],
            receiver_phone=masked(addr.get("receiver_tel"))[:20], address=address[:300], waybills=waybills,
            # the ciphertexts the decrypt API takes (read again on each reveal, never stored) and the address's
            # plain part (province, city, district) the decrypted street address is appended to
            raw={"cipher": {f: c for f, c in (("name", _cipher(addr.get("receiver_name"))),
                                              ("phone", _cipher(addr.get("receiver_tel"))),
                                              ("address", _cipher(addr.get("delivery_address")))) if c},
                 "address_region": region})

    def decrypt_receiver(self, access_token: str, order_id: str, fields: list[str]) -> dict[str, str]:
        """The receiver's `fields` (name, phone, address) in clear, for one reveal: the order's current
        ciphertexts (youzan.trade.get) sent to youzan.cloud.secret.decrypt.batch as `sources`; the answer's data
        maps each ciphertext to its clear text. The caller shows the values and must not store them (有赞:
        store the ciphertext, decrypt when used)."""
        order = self.get_order(access_token, order_id)
        ciphers = {f: order.raw.get("cipher", {}).get(f, "") for f in fields}
        missing = [f for f, c in ciphers.items() if not c]
        if missing:
            raise PlatformError("refused", _("有赞：订单 %(order)s 没有可解密的收货信息（%(fields)s）") % {
                "order": order_id, "fields": "、".join(_field_label(f) for f in missing)})
        try:
            data = self.call(DECRYPT, {"sources": list(dict.fromkeys(ciphers.values()))}, access_token=access_token)
        except PlatformError as exc:
            gateway = exc.answer.get("gw_err_resp") if isinstance(exc.answer.get("gw_err_resp"), dict) else {}
            code = gateway.get("err_code", exc.answer.get("code"))
            text = gateway.get("err_msg") or exc.answer.get("message") or ""
            if str(code) == str(NO_PERMISSION) or "权限" in str(text):
                raise PlatformError("no_permission", f"有赞：{text or _('无权限')}（{code}）", answer=exc.answer) from exc
            raise
        out = {}
        for f, c in ciphers.items():
            value = str(data.get(c) or "")
            if not value or _cipher(value):  # left out of the answer, or still a ciphertext
                raise PlatformError("refused", _("有赞：未能解密订单 %(order)s 的%(field)s") % {
                    "order": order_id, "field": _field_label(f)})  # not the answer: it holds clear values
            out[f] = order.raw.get("address_region", "") + value if f == "address" else value
        return out
