"""微信小店 (视频号小店) adapter: a self-built app's appid/secret, the stable access token, the after-sale
APIs and the message push in safe mode (sources in docs/platforms.md, section 微信小店).

Facts used:
- Token: POST https://api.weixin.qq.com/cgi-bin/stable_token {grant_type: client_credential, appid, secret,
  force_refresh} → {access_token, expires_in (7200)}. There is no refresh token: "refreshing" asks again.
- API: POST {base}/channels/ec/aftersale/<name>?access_token=… with a JSON body; answers carry errcode
  (0 = success) and errmsg. getaftersalelist {begin_update_time, end_update_time (≤ 24 h apart, seconds),
  next_key} → {after_sale_order_id_list, has_more, next_key}; getaftersaleorder {after_sale_order_id} →
  {after_sale_order: {after_sale_order_id, order_id, type, status, reason (a code such as "10000019"), reason_text
  (its words, 7天无理由), details{desc (the buyer's words)}, refund_info{amount (fen)}, product_info{product_id,
  sku_id, count}, deadline (seconds left on the older page, the instant on the current one: both read), complaint_id,
  create_time, update_time (seconds), sub_type (REFUND_PRICE_DIFF = 价保退差)}}, type REFUND / RETURN / EXCHANGE /
  RESHIP; ids are strings in the docs, numbers in some SDK samples: both are read;
  acceptapply {after_sale_order_id, address_id?}; rejectapply {after_sale_order_id, reject_reason?,
  reject_reason_type (required; codes from rejectreason/get)}; addcomplaintproof {complaint_id (the after-sale
  order's complaint_id), content, media_id_list (media ids from channels/ec/basics/img/upload resp_type=0)};
  errcode 10020001 售后单状态不合法 and 10021041
  当前售后单不支持此操作 mean the request moved on.
- Push: the URL set in the 微信小店 console is called with ?signature&timestamp&nonce (GET adds echostr, to be
  echoed); in safe mode also encrypt_type=aes&msg_signature, where msg_signature = sha1 of the sorted token,
  timestamp, nonce and Encrypt. The body is XML <xml><ToUserName/><Encrypt/></xml> or JSON
  {"ToUserName", "Encrypt"} depending on the format chosen in the console; the decrypted message has the same
  format (the 视频号小店 console offers JSON and safe mode only; both formats are read). The after-sale event is
  Event=channels_ec_aftersale_update with finder_shop_aftersale_status_update {after_sale_order_id, order_id,
  status}; order events channels_ec_order_* carry order_info {order_id} (a JSON number in the published
  samples). FromUserName is a fixed OpenID. The answer is the plain string "success".
The signature and AES scheme are WeChat's common one: shouhou.inbox.channels.crypto implements it.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import xml.etree.ElementTree as ET  # noqa: S405 - DOCTYPE/ENTITY refused before parsing, as inbox does
from decimal import Decimal

from django.utils.translation import gettext as _

from shouhou.cases.choices import CaseKind, CaseStatus, ClaimReason
from shouhou.commerce.choices import OrderStatus
from shouhou.core.jsonbody import json_body
from shouhou.inbox.channels import crypto as wx_crypto
from shouhou.inbox.channels.base import ChannelRejected, parse_xml
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
    carrier_of,
    gateway_json,
    masked,
    text_of,
    when,
    yuan,
)
from shouhou.platforms.adapters.doudian import reason_from_text

API_BASE = "https://api.weixin.qq.com"
EVIDENCE_MAX = 6  # addcomplaintproof media_id_list: no limit found in a published source; shouhou sends at most 6
WINDOW = dt.timedelta(hours=24)  # getaftersalelist: at most 24 hours per query
AFTERSALE_EVENT = "channels_ec_aftersale_update"
# 纠纷更新通知 (complaint/callback/channels_ec_complaint_update.html): finder_shop_complaint {complaint_id,
# after_sale_order_id, order_id, complaint_status (a number: 100 待商家处理纠纷, 106 待商家补充凭证, 112 调解完成, …)}; WxJava's
# ComplaintInfo names the status `status`. It names the after-sale request, which is read again (its complaint_id is
# what 商家举证 needs). Until 2026-12-06 this event was stored as unknown and nothing was read.
COMPLAINT_EVENT = "channels_ec_complaint_update"
# after_sale_order.type "REFUND:退款；RETURN:退货退款；EXCHANGE:换货；RESHIP:补寄" (getaftersaleorder's current page, as
# public SDK types carry it); until 2026-12-06 RESHIP was missing and a 补寄 request opened a refund-only case
TYPES = {"REFUND": CaseKind.REFUND_ONLY, "RETURN": CaseKind.RETURN_REFUND, "EXCHANGE": CaseKind.EXCHANGE,
         "RESHIP": CaseKind.RESEND}
# sub_type "DEFAULT:普通售后；REFUND_PRICE_DIFF:退差价售后": a price-difference refund is a 价保退差 case
PRICE_DIFF_SUB_TYPE = "REFUND_PRICE_DIFF"
# no published action agrees to or refuses a 补寄 request (acceptapply / rejectapply are pages about refunds, returns
# and exchanges): refused here with the back-office path rather than guessed (a refund approval could pay the buyer)
NO_API_TYPES = {"RESHIP": "补寄"}
# status → (case status, 说明); "" = a platform state with no case step (the case stays where it is)
STATUSES = {
    "MERCHANT_PROCESSING": (CaseStatus.REQUESTED, "商家受理中"),
    "USER_WAIT_RETURN": (CaseStatus.AWAITING_RETURN, "待买家退货"),
    "MERCHANT_WAIT_RECEIPT": (CaseStatus.IN_TRANSIT_BACK, "待商家收货"),
    "MERCHANT_REJECT_REFUND": (CaseStatus.REJECTED, "商家拒绝退款"),
    "MERCHANT_REJECT_RETURN": (CaseStatus.REJECTED, "商家拒绝退货退款"),
    "PLATFORM_REFUNDING": (CaseStatus.FULFILLING, "平台退款中"),
    "MERCHANT_REFUND_SUCCESS": (CaseStatus.RESOLVED, "退款完成"),
    "MERCHANT_RETURN_SUCCESS": (CaseStatus.RESOLVED, "退货退款完成"),
    "USER_CANCELD": (CaseStatus.CANCELLED, "用户取消申请"),  # sic: the platform's spelling
    "RETURN_CLOSED": (CaseStatus.CANCELLED, "退货退款关闭"),
    "MERCHANT_FAIL": (CaseStatus.CANCELLED, "售后关闭"),
    "MERCHANT_REFUND_RETRY_FAIL": (CaseStatus.CANCELLED, "商家打款失败，客服关闭售后"),
    "MERCHANT_OVERDUE_REFUND": ("", "商家逾期未退款"),
    "PLATFORM_REFUND_FAIL": ("", "平台退款失败"),
    "USER_WAIT_CONFIRM": ("", "待用户确认"),
    # added 2026-12-06 from the current status list (getaftersaleorder's page as public SDK types carry it): until then
    # each was "未知状态" and an exchange never moved past the return (no 待用户收货, no 换货完成, no 商家拒绝换货)
    "USER_WAIT_CONFIRM_UPDATE": ("", "待用户处理商家协商"),
    "USER_WAIT_HANDLE_MERCHANT_AFTER_SALE": ("", "待用户处理商家代发起的售后申请"),
    "WAIT_PACKAGE_INTERCEPT": ("", "物流线上拦截中"),
    "PLATFORM_PROCESSING": ("", "平台审核中"),
    "MERCHANT_REJECT_EXCHANGE": (CaseStatus.REJECTED, "商家拒绝换货"),
    "MERCHANT_REJECT_RESHIP": (CaseStatus.REJECTED, "商家拒绝发货"),
    "USER_WAIT_RECEIPT": (CaseStatus.FULFILLING, "待用户收货"),
    "MERCHANT_EXCHANGE_SUCCESS": (CaseStatus.RESOLVED, "换货完成"),
}
# `reason` before reason_text existed: literal codes (the getaftersaleorder example still shows "NO_LONGER_WANT" with no
# reason_text; WxJava's AfterSalesReason lists them with their words). Read as those words when no reason_text comes;
# until 2026-12-07 the buyer's free text was classified instead and the example became a case of reason "other".
REASON_CODES = {
    "INCORRECT_SELECTION": ("拍错/多拍", ClaimReason.NO_REASON), "NO_LONGER_WANT": ("不想要了", ClaimReason.NO_REASON),
    "NO_EXPRESS_INFO": ("无快递信息", ClaimReason.LOST_PARCEL), "EMPTY_PACKAGE": ("包裹为空", ClaimReason.MISSING_PARTS),
    "REJECT_RECEIVE_PACKAGE": ("已拒签包裹", ClaimReason.OTHER),
    "NOT_DELIVERED_TOO_LONG": ("快递长时间未送达", ClaimReason.LOST_PARCEL),
    "NOT_MATCH_PRODUCT_DESC": ("与商品描述不符", ClaimReason.NOT_AS_DESCRIBED),
    "QUALITY_ISSUE": ("质量问题", ClaimReason.QUALITY), "SEND_WRONG_GOODS": ("卖家发错货", ClaimReason.WRONG_ITEM),
    "THREE_NO_PRODUCT": ("三无产品", ClaimReason.QUALITY), "FAKE_PRODUCT": ("假冒产品", ClaimReason.QUALITY),
    "OTHERS": ("其它", ClaimReason.OTHER),
}
# the same words as reason_text: "不想要了" / "拍错/多拍" name a change of mind the shared word list does not know
REASON_BY_WORDS = {words: reason for words, reason in REASON_CODES.values()}
ORDER_WINDOW = dt.timedelta(days=7)  # order/list/get: update_time_range at most 7 days
# order events (developers.weixin.qq.com/doc/channels/API/order/callback/*): order_info.order_id names the order
ORDER_EVENTS = {"channels_ec_order_new": "订单下单", "channels_ec_order_cancel": "订单取消",
                "channels_ec_order_pay": "订单支付成功", "channels_ec_order_wait_shipping": "订单待发货",
                "channels_ec_order_deliver": "订单发货", "channels_ec_order_confirm": "订单确认收货",
                "channels_ec_order_settle": "订单结算成功", "channels_ec_order_ext_info_update": "订单其他信息更新"}
# order status → commerce OrderStatus ("" = not an order yet)
ORDER_STATUSES = {"10": "", "12": "", "13": "", "20": OrderStatus.PAID, "21": OrderStatus.SHIPPED,
                  "30": OrderStatus.SHIPPED, "100": OrderStatus.COMPLETED, "200": OrderStatus.CANCELLED,
                  "250": OrderStatus.CANCELLED}
TOKEN_ERRORS = {40001, 40014, 42001}  # invalid / malformed / expired access_token
# daily quota, frequency limits, 当前用户太多, 10021059 退款请求太频繁 (one refund request per order a minute)
RATE_ERRORS = {45009, 45011, 45033, 10021044, 10021059}
STATE_ERRORS = {10020001, 10021041}  # 售后单状态不合法, 当前售后单不支持此操作
# acceptapply accept_type (acceptapply's published page): 1 同意退货 (a return's first step), 2 确认收货并退款 (after
# the goods came back). Without it the platform picks the step from the request's current status, so a repeated
# "approve" that reached it after the buyer had shipped would release the refund unseen; with it, a step sent at
# the wrong status is refused (10021041) instead. The current page (channels-shop-aftersale/aftersale/
# api_acceptapply.html) names 1 "用于退货退款或者换货场景表示同意退货" and 2 "用于收到货或者仅退款场景表示同意退款": an
# exchange's approval is its return step, so it carries 1 too (until 2026-12-06 it went without, the older page's
# "仅退款和换货无需填写"). A refund-only approval stays without one: its only step is the refund, and both pages allow it.
ACCEPT_RETURN, ACCEPT_REFUND = 1, 2
RETURN_ADDRESS_TYPES = frozenset({"RETURN", "EXCHANGE"})  # the buyer sends goods back: a return address
MAX_XML_BYTES = 256 * 1024
# acceptexchangereship delivery_id: WeChat's carrier ids for the common carriers are shouhou's own codes
DELIVERY_IDS = {"SF", "ZTO", "YTO", "YD", "STO", "JD", "EMS", "JTSD"}


# rejectreason/get reject_scene (getrejectreason's page): 1 拒绝用户仅退款申请, 4 拒绝用户退货退款申请, 5 拒绝用户换货申请,
# 6 拒绝换货发出新商品 (rejectexchangereship, once an exchange's goods are back); 7 is 极速换货's (handlefastexchangereceipt,
# not used). A return refused after its goods came back stays scene 4: rejectapply is the published refusal there
# too: the list carries after-receipt refusals of a return (19 买家上传的单号有误,商家未收到货, 20 商品影响二次销售, 21 买家寄回
# 包裹非本订单商品 on the older page, which names no scene), and a return has no scene but 4
REJECT_SCENES = {"REFUND": 1, "RETURN": 4, "EXCHANGE": 5}
EXCHANGE_RESHIP_SCENE = 6
SCENE_LABELS = {"1": "拒绝仅退款", "4": "拒绝退货退款", "5": "拒绝换货", "6": "拒绝换货发出新商品", "7": "极速换货"}


def reject_scene(kind: str, status: str) -> int | None:
    """The reject_scene whose reasons refuse a request of this type at this status (None: no published one)."""
    if kind == "EXCHANGE" and status == "MERCHANT_WAIT_RECEIPT":
        return EXCHANGE_RESHIP_SCENE
    return REJECT_SCENES.get(kind)


def _yuan(fen) -> Decimal:
    try:
        return (Decimal(int(fen or 0)) / 100).quantize(Decimal("0.01"))
    except (TypeError, ValueError):
        return Decimal("0.00")


def _deadline(value) -> dt.datetime | None:
    """after_sale_order.deadline: the older page says "表示操作剩余时间（秒数）" (seconds left), the current one "表示当前
    状态的截止时间（秒级时间戳）" (the instant). A value of 10^9 or more cannot be a time left (31 years): it is read as
    the instant; a smaller one as seconds from now (until 2026-12-06 an instant was added to now: a deadline 56 years
    away, the case never due)."""
    try:
        number = int(value or 0)
    except (TypeError, ValueError):
        return None
    if number <= 0:
        return None
    if number >= 1_000_000_000:
        return dt.datetime.fromtimestamp(number, dt.UTC)
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=number)


def _xml_tree(raw: bytes) -> dict:
    """<xml> with nested elements (the after-sale event nests its body) as a dict of dicts and strings."""
    if b"<!DOCTYPE" in raw[:2048].upper() or b"<!ENTITY" in raw.upper() or len(raw) > MAX_XML_BYTES:
        raise PushRefused("不接受的 XML")
    try:
        root = ET.fromstring(raw)  # noqa: S314 - guarded above
    except ET.ParseError as exc:
        raise PushRefused(f"XML 格式错误：{exc}") from exc

    def walk(node):
        children = list(node)
        return {c.tag: walk(c) for c in children} if children else (node.text or "").strip()

    tree = walk(root)
    return tree if isinstance(tree, dict) else {}


def _to_xml(data: dict) -> str:
    """What the platform sends in XML format (the sandbox uses it): CDATA for text, numbers bare."""
    def part(key, value):
        if isinstance(value, dict):
            return f"<{key}>{''.join(part(k, v) for k, v in value.items())}</{key}>"
        if isinstance(value, int | float):
            return f"<{key}>{value}</{key}>"
        return f"<{key}><![CDATA[{value}]]></{key}>"

    return "<xml>" + "".join(part(k, v) for k, v in data.items()) + "</xml>"


def seal_push(message: dict, *, token: str, aes_key: str, app_id: str, fmt: str = "json",
              timestamp: str | None = None, nonce: str = "1234567890") -> tuple[dict, bytes]:
    """A push as WeChat sends it in safe mode: (query parameters, body). Used by the sandbox and tests."""
    timestamp = timestamp or str(int(time.time()))
    plain = json.dumps(message, ensure_ascii=False) if fmt == "json" else _to_xml(message)
    encrypted = wx_crypto.encrypt(aes_key, plain, app_id)
    outer = {"ToUserName": message.get("ToUserName", ""), "Encrypt": encrypted}
    body = json.dumps(outer).encode() if fmt == "json" else _to_xml(outer).encode()
    params = {"signature": wx_crypto.sha1_signature(token, timestamp, nonce), "timestamp": timestamp,
              "nonce": nonce, "openid": message.get("FromUserName", ""), "encrypt_type": "aes",
              "msg_signature": wx_crypto.sha1_signature(token, timestamp, nonce, encrypted)}
    return params, body


def _aftersale_update(value) -> dict:
    """finder_shop_aftersale_status_update: an object {after_sale_order_id, status, order_id} as documented and as a
    self-built app's push carries it; a 微信小店 ISV push was reported carrying it as the XML element's flattened text,
    "\n<after_sale_order_id>\n<status>\n<order_id>\n" (微信开放社区, "微信小店ISV,推送消息格式不符合文档",
    developers.weixin.qq.com/community/develop/doc/00084619b18418d63525c2bc86bc00): read in that order, the status
    being the one non-numeric line. The request's detail is read afterwards either way."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        return {}
    lines = [line.strip() for line in value.splitlines() if line.strip()]
    numbers = [line for line in lines if line.isdigit()]
    words = [line for line in lines if not line.isdigit()]
    if not numbers:
        return {}
    return {"after_sale_order_id": numbers[0], "order_id": numbers[1] if len(numbers) > 1 else "",
            "status": words[0] if words else ""}


def query_params(headers: dict) -> dict:
    """The push's query string: the view passes it in `headers` as "query:<name>" (WeChat signs the URL)."""
    return {k[len("query:"):]: v for k, v in headers.items() if k.startswith("query:")}


def _next_key(answer: dict, cursor: dict) -> str:
    """The key of the next page when the list says there is one. A "more" without a key, or with the key just sent,
    names no other page: the window ends there (until 2026-12-07 the same first page was read again up to the pass's
    page limit — a detail call per id each time — and the cursor never moved on)."""
    key = str(answer.get("next_key") or "")
    return key if answer.get("has_more") and key and key != str(cursor.get("next_key") or "") else ""


def line_keys(product_infos: list[dict]) -> list[str]:
    """Each order line's key (OrderLine.line_key). 微信小店's order/get lists lines by `sku_id`, and one order may
    hold several lines of one SKU (a gift line beside the paid one, the same SKU in two promotions): keyed by sku_id
    alone they merged into one. The first line of a SKU keeps the plain sku_id (what orders synced before kept, and
    what an after-sale's product_info names); each further line of that SKU is `sku_id-product_unique_id`
    (product_infos[].product_unique_id, "商品常量编号，订单内商品唯一标识，下单后不会发生变化": WxJava
    OrderProductInfo), or `sku_id-#n` (its place among that SKU's lines) when the answer has none."""
    seen: dict[str, int] = {}
    keys = []
    for p in product_infos:
        sku = str(p.get("sku_id", ""))
        seen[sku] = seen.get(sku, 0) + 1
        if seen[sku] == 1:
            keys.append(sku)
            continue
        unique = str(p.get("product_unique_id") or "").strip()
        keys.append(f"{sku}-{unique}" if unique else f"{sku}-#{seen[sku]}")
    return keys


class WechatShopAdapter:
    platform = "wechat_shop"
    merchant_authorization = False  # the merchant authorises on the platform's page (authorize_url)
    arbitration_evidence = EVIDENCE_MAX  # 商家举证 (addcomplaintproof) on the request's dispute
    # the token lives 2 hours: ask again in its last 20 minutes (not the 12 hours other platforms use)
    refresh_margin = dt.timedelta(minutes=20)
    # a self-built app is one shop, and a push opens only with its AppID as the receiveid (verify_push): a verified
    # push is that shop's even when its ToUserName is not the 原始ID the connection was saved with (services.push_receive)
    push_app_is_shop = True

    def __init__(self, *, app_key: str, app_secret: str, push_token: str = "", aes_key: str = "",
                 api_base: str = "", timeout: float = 12.0):
        self.app_key, self.app_secret = app_key, app_secret
        self.push_token, self.aes_key = push_token, aes_key
        self.api_base = (api_base or API_BASE).rstrip("/")
        self.timeout = timeout
        self._plain: dict | None = None

    @classmethod
    def from_secrets(cls, *, app_key: str, secrets: dict, api_base: str = "") -> WechatShopAdapter:
        # the connection form's "sign secret" and "message secret" fields hold the push Token and EncodingAESKey
        return cls(app_key=app_key, app_secret=secrets.get("app_secret", ""), api_base=api_base,
                   push_token=secrets.get("sign_secret", ""), aes_key=secrets.get("msg_secret", ""))

    @staticmethod
    def push_app_key(headers: dict) -> str | None:
        return None  # the appid is only inside the encrypted message (its receiveid)

    @staticmethod
    def refusal(message: str) -> tuple[int, dict]:
        return 403, {"body": message or "forbidden"}

    def initial_cursor(self, since: dt.datetime) -> dict:
        return {"begin": int(since.timestamp()), "next_key": ""}

    def reconcile_cursor(self, cursor: dict, overlap_seconds: int) -> dict:
        return {"begin": max(0, int(cursor.get("begin", 0)) - overlap_seconds), "next_key": ""}

    # --- push -------------------------------------------------------------------------------------
    def check_url(self, params: dict) -> str:
        """The echostr of the console's URL check (GET), or PushRefused."""
        from shouhou.inbox.channels import wechat as wx_channel

        try:
            return wx_channel.check_url(token=self.push_token, params=params)
        except ChannelRejected as exc:
            raise PushRefused(str(exc)) from exc

    def verify_push(self, headers: dict, body: bytes) -> None:
        params = query_params(headers)
        if wx_crypto.secret_missing(self.push_token) or not self.aes_key:
            raise PushRefused("未配置消息推送的 Token / EncodingAESKey")
        if params.get("encrypt_type") != "aes":
            raise PushRefused("请在微信小店后台把消息加密方式设为安全模式（明文推送不校验消息内容）")
        if not wx_crypto.fresh(params.get("timestamp")):
            raise PushRefused("时间戳超出允许范围（可能是重放）")
        is_json = body.lstrip()[:1] == b"{"
        try:
            outer = json_body(body) if is_json else parse_xml(body)
        except (ValueError, ChannelRejected) as exc:
            raise PushRefused(f"推送内容无法解析：{exc}") from exc
        encrypted = str(outer.get("Encrypt", "")) if isinstance(outer, dict) else ""
        if not encrypted:
            raise PushRefused("安全模式缺少 Encrypt")
        if not wx_crypto.signature_ok((self.push_token, params.get("timestamp", ""), params.get("nonce", ""),
                                       encrypted), params.get("msg_signature")):
            raise PushRefused("消息签名校验失败")
        try:
            inner = wx_crypto.decrypt(self.aes_key, encrypted, self.app_key)
        except wx_crypto.CryptoError as exc:
            raise PushRefused(f"解密失败：{exc}") from exc
        try:
            message = json_body(inner) if inner.lstrip()[:1] == "{" else _xml_tree(inner.encode())
        except ValueError as exc:
            raise PushRefused("解密后的消息无法解析") from exc
        if not isinstance(message, dict):
            raise PushRefused("解密后的消息不是对象")
        self._plain = message

    def parse_push(self, body: bytes) -> list[PushMessage]:
        if self._plain is None:
            raise PushRefused("推送未校验")
        message, self._plain = self._plain, None
        event = str(message.get("Event") or message.get("MsgType") or "")
        info = _aftersale_update(message.get("finder_shop_aftersale_status_update"))
        if event == COMPLAINT_EVENT:
            complaint = message.get("finder_shop_complaint")
            info = complaint if isinstance(complaint, dict) else {}
            info = {**info, "status": f"complaint:{info.get('complaint_status', info.get('status', ''))}"}
        aftersale_id, status = str(info.get("after_sale_order_id") or ""), str(info.get("status") or "")
        order_info = message.get("order_info") if isinstance(message.get("order_info"), dict) else {}
        if event in ORDER_EVENTS:  # order_info.order_id: a JSON number in the published samples, or a string
            info = {"order_id": order_info.get("order_id") or ""}
        # WeChat event pushes carry no MsgId and FromUserName is a fixed OpenID: a retry repeats the same fields,
        # which therefore name the message; the order id tells apart two orders' events of the same second
        ident = ":".join(str(message.get(k, "")) for k in ("ToUserName", "FromUserName", "CreateTime"))
        subject = aftersale_id or str(info.get("order_id") or "")
        return [PushMessage(
            message_id=f"{ident}:{event}:{subject}:{status}"[:128], tag=event, data=message,
            platform_shop_id=str(message.get("ToUserName") or ""), aftersale_id=aftersale_id,
            order_id=str(info.get("order_id") or ""),
            known=event in (AFTERSALE_EVENT, COMPLAINT_EVENT) and bool(aftersale_id)
            or event in ORDER_EVENTS and bool(info.get("order_id")))]

    def push_answer(self, ok: bool, message: str = "") -> tuple[int, dict]:
        return (200, {"body": "success"}) if ok else self.refusal(message)

    # --- API --------------------------------------------------------------------------------------
    def _post(self, path: str, payload: dict, *, access_token: str | None = None, query: dict | None = None) -> dict:
        params = {"access_token": access_token} if access_token is not None else None
        if query:
            params = {**(params or {}), **query}
        answer = gateway_json("微信", lambda client: client.post(
            f"{self.api_base}/{path}", params=params, content=json.dumps(payload, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json"}), timeout=self.timeout)
        code = int(answer.get("errcode") or 0)
        if code == 0:
            return answer
        raise self._error(code, answer)

    @staticmethod
    def _error(code: int, answer: dict) -> PlatformError:
        text = str(answer.get("errmsg") or "未知错误")
        if code in TOKEN_ERRORS:
            kind = "token_expired"
        elif code in RATE_ERRORS:
            kind = "rate_limited"
        elif code == -1:  # 系统繁忙
            kind = "outage"
        elif code in STATE_ERRORS:
            kind = "already_handled"
        else:
            kind = "refused"
        return PlatformError(kind, f"微信小店：{text}（{code}）", answer=answer)

    def _token(self) -> Tokens:
        answer = self._post("cgi-bin/stable_token", {"grant_type": "client_credential", "appid": self.app_key,
                                                     "secret": self.app_secret, "force_refresh": False})
        if not answer.get("access_token"):
            raise PlatformError("refused", "微信小店：未返回 access_token", answer=answer)
        return Tokens(access_token=answer["access_token"], refresh_token="",
                      expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=int(answer.get("expires_in") or 0)))

    def create_token(self, *, code: str = "", shop_id: str = "") -> Tokens:
        tokens = self._token()
        tokens.platform_shop_id = shop_id
        return tokens

    def refresh_token(self, refresh_token: str) -> Tokens:
        try:
            return self._token()
        except PlatformError as exc:
            if exc.kind == "refused":  # wrong appid/secret, IP not whitelisted: the merchant must act
                raise PlatformError("token_expired", exc.message, answer=exc.answer) from exc
            raise

    def call(self, name: str, payload: dict, *, access_token: str) -> dict:
        return self._post(f"channels/ec/aftersale/{name}", payload, access_token=access_token)

    def _aftersale(self, row: dict) -> Aftersale:
        kind_code, status = text_of(row.get("type")), text_of(row.get("status"))
        case_status, words = STATUSES.get(status, ("", f"未知状态 {status}"))
        details = row.get("details") if isinstance(row.get("details"), dict) else {}
        # `reason` is a code with no literal meaning (e.g. "10000019"); `reason_text` names it (7天无理由);
        # details.desc is what the buyer wrote. The case reason comes from the platform's words first.
        label, desc = str(row.get("reason_text") or "").strip(), str(details.get("desc") or "").strip()
        code = str(row.get("reason") or "").strip()
        if not label and code in REASON_CODES:  # an older literal code without reason_text: its published words
            label = REASON_CODES[code][0]
        reason_text = "：".join(part for part in (label, desc) if part) or code
        refund = row.get("refund_info") if isinstance(row.get("refund_info"), dict) else {}
        product = row.get("product_info") if isinstance(row.get("product_info"), dict) else {}
        deadline = _deadline(row.get("deadline"))
        created = int(row.get("create_time") or 0)
        return Aftersale(
            aftersale_id=text_of(row.get("after_sale_order_id")), order_id=str(row.get("order_id") or ""),
            sub_order_id=str(product.get("sku_id") or ""), platform_type=kind_code, platform_status=status,
            kind=CaseKind.PRICE_PROTECT if str(row.get("sub_type") or "") == PRICE_DIFF_SUB_TYPE
            else TYPES.get(kind_code, CaseKind.REFUND_ONLY), case_status=case_status,
            reason=REASON_BY_WORDS.get(label) or reason_from_text(label or reason_text), reason_text=reason_text,
            status_text=words,
            refund_amount=_yuan(refund.get("amount")), deadline=deadline, updated=int(row.get("update_time") or 0),
            applied_at=dt.datetime.fromtimestamp(created, dt.UTC) if created else None, raw=row)

    def fetch_aftersales(self, access_token: str, cursor: dict) -> Page:
        """Requests updated in one window of at most 24 hours; the list gives ids, each is then read."""
        now = int(time.time())
        begin = int(cursor.get("begin", now - int(WINDOW.total_seconds())))
        end = min(begin + int(WINDOW.total_seconds()), now)
        payload = {"begin_update_time": begin, "end_update_time": end}
        if cursor.get("next_key"):
            payload["next_key"] = cursor["next_key"]
        answer = self.call("getaftersalelist", payload, access_token=access_token)
        items = [self.fetch_aftersale(access_token, str(i)) for i in answer.get("after_sale_order_id_list") or []]
        if _next_key(answer, cursor):
            return Page(items=items, cursor={"begin": begin, "next_key": _next_key(answer, cursor)}, has_more=True)
        # the next window starts just after this one (both ends taken as inclusive; reconciliation re-reads an
        # overlap, so a platform that excludes the end second loses nothing)
        return Page(items=items, cursor={"begin": end + 1, "next_key": ""}, has_more=end < now)

    def fetch_aftersale(self, access_token: str, aftersale_id: str) -> Aftersale:
        answer = self.call("getaftersaleorder", {"after_sale_order_id": str(aftersale_id)}, access_token=access_token)
        return self._aftersale(answer.get("after_sale_order") or {})

    def act(self, access_token: str, action: Action) -> dict:
        """approve: 同意 (with the return address when the buyer must send goods back); confirm_receipt: after
        the goods came back, 同意 again releases the refund; reject: 拒绝 with the reason."""
        if action.platform_type in NO_API_TYPES and action.kind != "submit_evidence":
            raise PlatformError("refused", _("微信小店开放接口没有处理%(kind)s售后单的接口，请在微信小店后台处理。") % {
                "kind": NO_API_TYPES[action.platform_type]})
        if action.kind in ("approve", "confirm_receipt"):
            payload: dict = {"after_sale_order_id": action.aftersale_id}
            if action.kind == "approve" and action.platform_type in RETURN_ADDRESS_TYPES:
                payload["address_id"] = action.return_address_id or self._default_address(access_token)
            if action.platform_type == "RETURN":
                payload["accept_type"] = ACCEPT_RETURN if action.kind == "approve" else ACCEPT_REFUND
            elif action.platform_type == "EXCHANGE" and action.kind == "approve":
                payload["accept_type"] = ACCEPT_RETURN  # the buyer sends the item back first
            return self.call("acceptapply", payload, access_token=access_token)
        if action.kind == "reject":
            code = self._reject_code(access_token, action)
            if not code:  # required by rejectapply; codes from rejectreason/get
                raise PlatformError("refused", "微信小店拒绝售后必须带拒绝原因类型（reject_reason_type）：请在该连接的设置中"
                                    "填写默认拒绝原因编号，或在微信小店后台拒绝")
            # an exchange refused once its goods are back (待商家收货) is 换货拒绝发货, rejectexchangereship {after_sale_order_id,
            # reject_reason, reject_reason_type, reject_certificates?} (api_rejectexchangereship.html, as WxJava's
            # AfterSaleRejectExchangeReshipParam carries it). Every other refusal is rejectapply, a return's after its
            # goods came back (待商家收货) included: no other refusal is published for it (WxJava's after-sale service
            # has reject = rejectapply, rejectExchangeReship and the 极速换货 call only), and the reject reasons of its
            # scene 4 include the after-receipt ones (reject_scene above), which only rejectapply takes
            name = "rejectexchangereship" if action.platform_type == "EXCHANGE" \
                and action.platform_status == "MERCHANT_WAIT_RECEIPT" else "rejectapply"
            body: dict = {"after_sale_order_id": action.aftersale_id, "reject_reason": action.reason or "不符合售后条件",
                          "reject_reason_type": int(code)}
            if action.evidence_urls:  # media ids (upload_evidence): "拒绝凭证图片列表，可使用图片上传接口获取media_id"
                body["reject_certificates"] = list(action.evidence_urls[:EVIDENCE_MAX])
            return self.call(name, body, access_token=access_token)
        if action.kind == "exchange_ship":
            if action.carrier not in DELIVERY_IDS or not action.tracking_no:
                raise PlatformError("refused", "微信小店换货发货需要快递公司与运单号（该快递公司没有对应的微信 delivery_id），"
                                    "请在微信小店后台发货。")
            return self.call("acceptexchangereship", {"after_sale_order_id": action.aftersale_id,
                                                      "delivery_id": action.carrier, "waybill_id": action.tracking_no},
                             access_token=access_token)
        if action.kind == "submit_evidence":
            return self.complaint_proof(access_token, action)
        raise PlatformError("refused", f"微信小店接口不支持「{action_label(action.kind)}」，请在微信小店后台处理。")

    def _default_address(self, access_token: str) -> str:
        """The address a return goes to when the connection maps none: acceptapply wants `address_id` when it agrees
        to a return (10021060 缺少退货地址address_id参数 otherwise; the page: "否则后续接口在处理缺少地址信息的请求时将报错"),
        so the shop's default receiving address (address/get default_recv), else its only one."""
        book = self.addresses(access_token)
        chosen = next((a for a in book if a.is_default), book[0] if len(book) == 1 else None)
        if chosen is None:
            raise PlatformError("refused", _("微信小店同意退货需要退货地址（address_id）：请在该连接页为退货地址选择微信小店地址，"
                                             "或在微信小店后台设置默认收货地址后重试，或在后台同意。"))
        return chosen.address_id

    def complaint_proof(self, access_token: str, action: Action) -> dict:
        """商家举证 on the request's dispute (纠纷单): the after-sale order names it (`complaint_id`, present once the
        buyer asked the platform to step in); aftersale/addcomplaintproof {complaint_id, content, media_id_list}
        with the images' media ids (upload_arbitration_evidence)."""
        order = self.call("getaftersaleorder", {"after_sale_order_id": str(action.aftersale_id)},
                          access_token=access_token).get("after_sale_order") or {}
        complaint_id = str(order.get("complaint_id") or "")
        if not complaint_id:
            raise PlatformError("refused", "微信小店：该售后单没有纠纷单（买家尚未申请平台介入），无需举证")
        return self.call("addcomplaintproof", {"complaint_id": complaint_id, "content": action.reason[:500],
                                               "media_id_list": list(action.evidence_urls[:EVIDENCE_MAX])},
                         access_token=access_token)

    def upload_arbitration_evidence(self, access_token: str, *, public_url: str, name: str) -> str:
        """basics/img/upload?upload_type=1&resp_type=0 {img_url}: 微信 fetches the image from `public_url` and answers
        pic_file.media_id, which addcomplaintproof takes."""
        answer = self._post("channels/ec/basics/img/upload", {"img_url": public_url}, access_token=access_token,
                            query={"upload_type": 1, "resp_type": 0})
        media_id = str((answer.get("pic_file") or {}).get("media_id") or "")
        if not media_id:
            raise PlatformError("outage", "微信小店：上传凭证图片未返回 media_id，稍后重试", answer=answer)
        return media_id

    # --- act-back details ---------------------------------------------------------------------------
    def _reject_reason_rows(self, access_token: str) -> list[dict]:
        """rejectreason/get {} → the list of reasons. Public sources disagree on its key: `reason_list` (SKIT.FlurlHttp
        Client.Wechat, the Mud.Wechat DTO, a generated TS client) or `reject_reason_list` (binarywang/WxJava's
        AfterSaleRejectReasonResponse, a PHP integration caching $res['reject_reason_list']); either is read. Until
        2026-12-08 only reason_list was: under the other key the case page's reason picker stayed empty."""
        answer = self.call("rejectreason/get", {}, access_token=access_token)
        rows = answer.get("reason_list") or answer.get("reject_reason_list") or []
        return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []

    def reject_reasons(self, access_token: str, aftersale_id: str) -> list[RejectReason]:
        """rejectreason/get {} → reason_list (or reject_reason_list)[{reject_reason_type, reject_reason_type_text,
        reject_reason, reject_scene}]: one list for every request, each reason naming the scene it refuses (REJECT_SCENES). Only
        the request's own scene is offered (its type and status read with getaftersaleorder); a row without a scene
        (the older page lists none) is kept. Until 2026-12-06 every scene was offered: a refund-only request could be
        refused with a return's reason (20 买家寄回商品影响二次销售), which the platform does not take for it."""
        scene = None
        if aftersale_id:
            order = self.call("getaftersaleorder", {"after_sale_order_id": str(aftersale_id)},
                              access_token=access_token).get("after_sale_order") or {}
            scene = reject_scene(str(order.get("type") or ""), str(order.get("status") or ""))
        out = []
        for row in self._reject_reason_rows(access_token):
            try:
                code = int(row.get("reject_reason_type"))
            except (TypeError, ValueError):
                continue
            row_scene = row.get("reject_scene")
            if scene is not None and row_scene not in (None, "") and str(row_scene) != str(scene):
                continue
            out.append(RejectReason(code=code, text=str(row.get("reject_reason_type_text") or code),
                                    hint=str(row.get("reject_reason") or "")))
        return out

    def reject_reason_list(self, access_token: str) -> list[dict]:
        """Every reason rejectreason/get lists, each with the scene it refuses ("" when the row names none): the
        connection page offers them as the default refusal reason per scene."""
        out = []
        for row in self._reject_reason_rows(access_token):
            try:
                code = int(row.get("reject_reason_type"))
            except (TypeError, ValueError):
                continue
            scene = row.get("reject_scene")
            out.append({"code": code, "text": str(row.get("reject_reason_type_text") or code),
                        "scene": "" if scene in (None, "") else str(scene)})
        return out

    def upload_evidence(self, access_token: str, *, public_url: str, name: str) -> str | None:
        """rejectapply / rejectexchangereship take the refusal's images as `reject_certificates`, media ids from the
        image upload (WxJava AfterSaleRejectParam / AfterSaleRejectExchangeReshipParam: "可使用图片上传接口获取media_id
        （数据类型填0）", resp_type 0); until 2026-12-07 none were sent and the agent added them in the back office."""
        return self.upload_arbitration_evidence(access_token, public_url=public_url, name=name)

    def _reject_code(self, access_token: str, action: Action) -> int | None:
        """The reject_reason_type to send: the agent's pick as is (the case page offers the request's own scene);
        else the connection's default for the request's reject_scene (`reject_reason_types` {scene: code}); else its
        one default (`reject_reason_type`), refused here when rejectreason/get lists it under another scene — the
        platform does not take a reason of another scene (e.g. 16 商品未存在问题, scene 1, on a return's refusal)."""
        if action.reject_reason_chosen:
            return action.reject_reason_code
        scene = reject_scene(action.platform_type, action.platform_status)
        per_scene = (action.default_reject_reasons or {}).get(str(scene))
        if per_scene not in (None, ""):
            return int(per_scene)
        code = action.reject_reason_code
        if not code or scene is None:
            return code
        listed = {str(r.get("reject_reason_type")): r.get("reject_scene") for r in self._reject_reason_rows(access_token)}
        row_scene = listed.get(str(code))
        if row_scene not in (None, "") and str(row_scene) != str(scene):
            raise PlatformError("refused", _(
                "微信小店：连接设置的默认拒绝原因 %(code)s 属于拒绝场景 %(other)s（%(other_label)s），不适用于该售后单的"
                "拒绝场景 reject_scene %(scene)s（%(label)s），未发送；请在案件页选择该场景的拒绝原因，或在连接设置中按"
                "场景填写默认拒绝原因（reject_reason_types），或在微信小店后台拒绝") % {
                "code": code, "other": row_scene, "other_label": SCENE_LABELS.get(str(row_scene), ""),
                "scene": scene, "label": SCENE_LABELS.get(str(scene), "")})
        return code

    def addresses(self, access_token: str) -> list[PlatformAddress]:
        """merchant/address/list {offset, limit} → address_id_list; each read with address/get {address_id} →
        address_detail {address_id, name, address_info{user_name, province_name, city_name, county_name,
        detail_info, tel_number}, default_recv}."""
        ids = self._post("channels/ec/merchant/address/list", {"offset": 0, "limit": 50},
                         access_token=access_token).get("address_id_list") or []
        out = []
        for address_id in ids[:50]:
            detail = self._post("channels/ec/merchant/address/get", {"address_id": str(address_id)},
                                access_token=access_token).get("address_detail") or {}
            info = detail.get("address_info") if isinstance(detail.get("address_info"), dict) else {}
            text = "".join(str(info.get(k) or "") for k in ("province_name", "city_name", "county_name", "detail_info"))
            out.append(PlatformAddress(address_id=str(address_id), text=f"{detail.get('name') or info.get('user_name') or ''} {text}".strip(),
                                       is_default=bool(detail.get("default_recv"))))
        return out

    def authorize_url(self, *, state: str, redirect_uri: str, service_id: str = "", base: str = "") -> str:
        raise PlatformError("refused", "微信小店的自建应用无需商家授权：填写 AppID 与 AppSecret 直接连接即可"
                            "（服务商代商家授权走微信第三方平台，shouhou 未接入）。")

    def manual_link(self, aftersale_id: str) -> str:
        # the back office has no published per-request deep link: its home, the id is searched under 售后
        return "https://store.weixin.qq.com/"

    # --- orders -----------------------------------------------------------------------------------
    order_tags = frozenset(ORDER_EVENTS)

    def list_orders(self, access_token: str, since: int, cursor: dict) -> OrderPage:
        """channels/ec/order/list/get by update_time_range (at most 7 days, next_key pages inside it); the
        list gives ids only, each order is then read with order/get."""
        now = int(time.time())
        begin = int(cursor.get("begin", since))
        end = min(begin + int(ORDER_WINDOW.total_seconds()), now)
        payload: dict = {"update_time_range": {"start_time": begin, "end_time": end}, "page_size": 100}
        if cursor.get("next_key"):
            payload["next_key"] = cursor["next_key"]
        answer = self._post("channels/ec/order/list/get", payload, access_token=access_token)
        orders = [self.get_order(access_token, str(i)) for i in answer.get("order_id_list") or []]
        if _next_key(answer, cursor) and orders:
            return OrderPage(items=orders, cursor={"begin": begin, "next_key": _next_key(answer, cursor)},
                             has_more=True)
        return OrderPage(items=orders, cursor={"begin": end + 1, "next_key": ""}, has_more=end < now)

    def get_order(self, access_token: str, order_id: str) -> PlatformOrder:
        answer = self._post("channels/ec/order/get", {"order_id": str(order_id)}, access_token=access_token)
        return self._order(answer.get("order") or {})

    @staticmethod
    def _order(row: dict) -> PlatformOrder:
        detail = row.get("order_detail") or {}
        status = str(row.get("status", ""))
        infos = [p for p in detail.get("product_infos") or [] if isinstance(p, dict)]
        items = [OrderItem(sub_order_id=key, product_name=str(p.get("title") or "商品"),
                           quantity=max(1, int(p.get("sku_cnt") or 1)), paid=yuan(p.get("real_price")),
                           product_id=str(p.get("product_id") or ""),
                           sku_code=str(p.get("sku_code") or p.get("sku_id") or ""),
                           spec=" ".join(f"{a.get('attr_key', '')}:{a.get('attr_value', '')}"
                                         for a in p.get("sku_attrs") or [] if a))
                 for p, key in zip(infos, line_keys(infos), strict=True)]
        delivery = detail.get("delivery_info") or {}
        addr = delivery.get("address_info") or {}
        waybills = [Waybill(tracking_no=str(d.get("waybill_id") or ""), carrier=carrier_of(d.get("delivery_id"), d.get("delivery_name")),
                            carrier_name=str(d.get("delivery_name") or d.get("delivery_id") or ""),
                            shipped_at=when(d.get("delivery_time")),
                            sub_order_ids=[str(p.get("sku_id")) for p in d.get("product_infos") or []])
                    for d in delivery.get("delivery_product_info") or [] if d.get("waybill_id")]
        address = "".join(str(addr.get(k) or "") for k in ("province_name", "city_name", "county_name")) + \
            masked(addr.get("detail_info"))
        pay = detail.get("pay_info") or {}
        ext = detail.get("ext_info") or {}
        return PlatformOrder(
            order_id=str(row.get("order_id", "")), status=ORDER_STATUSES.get(status, OrderStatus.PAID),
            platform_status=status, updated=int(row.get("update_time") or 0), items=items,
            placed_at=when(row.get("create_time")), paid_at=when(pay.get("pay_time")),
            shipped_at=waybills[0].shipped_at if waybills else None,
            signed_at=when(ext.get("confirm_receipt_time")) if status == "100" else None,
            total=yuan((detail.get("price_info") or {}).get("order_price")),
            receiver_name=masked(addr.get("user_name")), receiver_phone=masked(addr.get("tel_number"))[:20],
            address=address[:300], waybills=waybills)
