"""A local 微信小店 for tests: the stable token API, the after-sale list/detail/accept/reject APIs (JSON POST,
?access_token, errcode 0 = success), after-sale requests that move when acted on, and pushes sealed as
WeChat sends them in safe mode (msg_signature, AES with the EncodingAESKey, XML or JSON).

Faults: rate limit (45009), expired token (42001), a request already handled (10020001 售后单状态不合法),
outage (HTTP 503).
The sandbox settles an accepted refund at once (退款完成); the platform passes through 平台退款中 first."""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import httpx

from shouhou.core.sandbox import LocalHttpService
from shouhou.inbox.channels import crypto as wx_crypto
from shouhou.platforms.adapters.wechat_shop import reject_scene, seal_push
from shouhou.platforms.sandbox import deliver

ERRORS = {
    "rate_limit": (200, {"errcode": 45009, "errmsg": "reach max api daily quota limit"}),
    "token_expired": (200, {"errcode": 42001, "errmsg": "access_token expired"}),
    "status_error": (200, {"errcode": 10020001, "errmsg": "售后单状态不合法"}),
    "not_supported": (200, {"errcode": 10021041, "errmsg": "当前售后单不支持此操作,请检查售后单状态"}),
    "outage": (503, {"errcode": -1, "errmsg": "system error"}),
}


# rejectreason/get and the address book as the sandbox answers them
# reject_scene as published: 1 仅退款, 4 退货退款, 5 换货, 6 换货发出新商品
REJECT_REASONS = [
    {"reject_reason_type": 16, "reject_reason_type_text": "商品未存在问题", "reject_reason": "商品完好", "reject_scene": 1},
    {"reject_reason_type": 20, "reject_reason_type_text": "买家寄回商品影响二次销售", "reject_reason": "", "reject_scene": 4},
    {"reject_reason_type": 33, "reject_reason_type_text": "换货商品已无库存", "reject_reason": "", "reject_scene": 6},
]
# the scene whose reasons refuse a request of a type at a status (the adapter's reject_scene); a reason of another
# scene is refused with the sandbox's own answer (the platform's code for it is not published)
WRONG_SCENE = (200, {"errcode": 9700224, "errmsg": "参数错误：拒绝原因不适用于当前售后场景"})
# getaftersaleorder `reason` is a code with no literal meaning, `reason_text` its words (a few of the published
# codes; any other words get 10000008 其他)
REASON_CODES = {"不想要了": "10000000", "其他": "10000008", "七天无理由": "10000019", "7天无理由": "10000019",
                "质量问题": "10000021", "与商品描述不符": "10000011", "少件/漏发": "10000005", "卖家发错货": "10000006"}
ADDRESSES = {
    "addr-hz-01": {"address_id": "addr-hz-01", "name": "杭州售后仓", "default_recv": 1,
                   "address_info": {"user_name": "售后组", "province_name": "浙江省", "city_name": "杭州市",
                                    "county_name": "余杭区", "detail_info": "文一西路1号", "tel_number": "0571-0000000"}},
}


@dataclass
class SandboxAftersale:
    aftersale_id: str
    order_id: str
    sku_id: str
    kind: str = "REFUND"  # REFUND | RETURN | EXCHANGE | RESHIP
    status: str = "MERCHANT_PROCESSING"
    amount: int = 0  # fen
    reason: str = "七天无理由"  # the platform's words for the reason (reason_text)
    desc: str = ""  # what the buyer wrote (details.desc)
    deadline: int = 36 * 3600  # seconds left for the merchant
    complaint_id: str = ""  # the dispute (纠纷单) once the buyer asked the platform to step in
    create_time: int = field(default_factory=lambda: int(time.time()))
    update_time: int = field(default_factory=lambda: int(time.time()))


@dataclass
class SandboxWxOrder:
    """A 微信小店 order; address_info masked as order/get gives it without the decryption permission."""

    order_id: str
    products: list[dict]  # {sku_id, product_id, title, sku_cnt, real_price (fen), sku_code}
    status: int = 20  # 待发货
    create_time: int = field(default_factory=lambda: int(time.time()))
    pay_time: int = field(default_factory=lambda: int(time.time()))
    update_time: int = field(default_factory=lambda: int(time.time()))
    deliveries: list[dict] = field(default_factory=list)  # {waybill_id, delivery_id, delivery_name, delivery_time}


class WechatShopSandbox(LocalHttpService):
    push_retries = 0  # a push answered 5xx is tried again this many times (deliver); demos set 3

    def __init__(self, *, app_id: str = "wx5a4d0000sandbox", app_secret: str = "wx-sandbox-secret",  # noqa: S107
                 username: str = "gh_sandbox0001", push_token: str = "wxsandboxtoken",  # noqa: S107 (a local fake)
                 push_url: str = "", fmt: str = "json", port: int = 0):
        self.app_id, self.app_secret, self.username, self.push_token = app_id, app_secret, username, push_token
        self.aes_key = wx_crypto.new_encoding_aes_key()
        self.push_url, self.fmt = push_url, fmt
        self.aftersales: dict[str, SandboxAftersale] = {}
        self.orders: dict[str, SandboxWxOrder] = {}
        self.operations: list[tuple[str, str, dict]] = []
        self.uploads: dict[str, str] = {}  # media_id → the URL basics/img/upload fetched
        self.complaint_proofs: list[dict] = []  # addcomplaintproof calls accepted
        self.calls: list[str] = []
        self.faults: list[dict] = []
        self.outage = False
        self.lock = threading.RLock()
        self.access_token = "wx-at-" + secrets.token_hex(8)
        self.token_expires = time.time() + 7200
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())

    def expire_access_token(self) -> None:
        """The platform invalidates the token (as after 2 hours): the next stable_token call issues another."""
        with self.lock:
            self.access_token, self.token_expires = "wx-at-expired-" + secrets.token_hex(4), 0

    # --- the buyer's side -----------------------------------------------------------------------------
    def add_aftersale(self, *, order_id: str, sku_id: str = "", kind: str = "REFUND", amount: int = 0,
                      reason: str = "七天无理由", desc: str = "", push: bool = True,
                      aftersale_id: str = "") -> SandboxAftersale:
        with self.lock:
            record = SandboxAftersale(aftersale_id=aftersale_id or str(3_700_000_000_000_000 + len(self.aftersales) + 1),
                                      order_id=order_id, sku_id=sku_id, kind=kind, amount=amount, reason=reason,
                                      desc=desc)
            self.aftersales[record.aftersale_id] = record
        if push:
            self.push_update(record)
        return record

    def open_complaint(self, aftersale_id: str) -> str:
        """The buyer asks the platform to step in: the after-sale order names a dispute (complaint_id)."""
        with self.lock:
            record = self.aftersales[aftersale_id]
            record.complaint_id = f"cpl{aftersale_id[-8:]}"
            record.update_time = max(record.update_time + 1, int(time.time()))
            return record.complaint_id

    def buyer_returns(self, aftersale_id: str, *, push: bool = True) -> None:
        self._move(aftersale_id, "MERCHANT_WAIT_RECEIPT", push=push)

    def buyer_confirms_exchange(self, aftersale_id: str, *, push: bool = True) -> None:
        """The buyer signs for the exchange's new parcel: 换货完成."""
        self._move(aftersale_id, "MERCHANT_EXCHANGE_SUCCESS", push=push)

    def _move(self, aftersale_id: str, status: str, *, push: bool) -> None:
        with self.lock:
            record = self.aftersales[aftersale_id]
            record.status, record.update_time = status, max(record.update_time + 1, int(time.time()))
        if push:
            self.push_update(record)

    def add_order(self, *, order_id: str, products: list[dict], status: int = 20) -> SandboxWxOrder:
        with self.lock:
            now = int(time.time()) - 5  # a little while ago: a later change is never in the future
            order = SandboxWxOrder(order_id=order_id, products=products, status=status, create_time=now,
                                   pay_time=now, update_time=now)
            self.orders[order_id] = order
        return order

    def ship_order(self, order_id: str, *, waybill_id: str, delivery_id: str = "ZTO", delivery_name: str = "中通快递",
                   push: bool = True) -> None:
        with self.lock:
            order = self.orders[order_id]
            order.update_time = max(int(time.time()), order.update_time + 1)
            order.status = 30
            order.deliveries.append({"waybill_id": waybill_id, "delivery_id": delivery_id,
                                     "delivery_name": delivery_name, "delivery_time": order.update_time,
                                     "product_infos": [{"sku_id": p["sku_id"], "product_cnt": p.get("sku_cnt", 1)}
                                                       for p in order.products]})
        if push:
            # order_info.order_id as the published samples send it: a JSON number
            self.push({"ToUserName": self.username, "FromUserName": "o_platform_fixed_openid",
                       "CreateTime": order.update_time, "MsgType": "event", "Event": "channels_ec_order_deliver",
                       "order_info": {"order_id": int(order_id) if order_id.isdigit() else order_id,
                                      "finish_delivery": 1}})

    # --- pushes ---------------------------------------------------------------------------------------
    def message(self, record: SandboxAftersale, *, event: str = "channels_ec_aftersale_update") -> dict:
        return {"ToUserName": self.username, "FromUserName": "o_platform_fixed_openid", "CreateTime": record.update_time,
                "MsgType": "event", "Event": event,
                "finder_shop_aftersale_status_update": {"status": record.status, "after_sale_order_id": record.aftersale_id,
                                                        "order_id": record.order_id}}

    def complaint_message(self, record: SandboxAftersale, *, complaint_status: int = 100) -> dict:
        """纠纷更新通知 as its page publishes it: finder_shop_complaint with ids as strings, the status a number."""
        return {"ToUserName": self.username, "FromUserName": "o_platform_fixed_openid", "CreateTime": record.update_time,
                "MsgType": "event", "Event": "channels_ec_complaint_update",
                "finder_shop_complaint": {"complaint_status": complaint_status,
                                          "after_sale_order_id": record.aftersale_id,
                                          "complaint_id": record.complaint_id, "order_id": record.order_id}}

    def sealed(self, message: dict, *, fmt: str | None = None, token: str | None = None,
               aes_key: str | None = None) -> tuple[dict, bytes]:
        return seal_push(message, token=token or self.push_token, aes_key=aes_key or self.aes_key, app_id=self.app_id,
                         fmt=fmt or self.fmt, nonce=secrets.token_hex(5))

    def push(self, message: dict, *, fmt: str | None = None) -> httpx.Response | None:
        if not self.push_url:
            return None
        params, body = self.sealed(message, fmt=fmt)
        kind = "application/json" if (fmt or self.fmt) == "json" else "text/xml"
        return deliver(f"{self.push_url}?{urlencode(params)}", retries=self.push_retries, content=body,
                       headers={"Content-Type": kind}, timeout=30)

    def push_update(self, record: SandboxAftersale) -> httpx.Response | None:
        return self.push(self.message(record))

    # --- HTTP -----------------------------------------------------------------------------------------
    def _handler(self):
        sandbox = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                return

            def do_POST(self):  # noqa: N802
                parsed = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = None
                status, answer = (200, {"errcode": 47001, "errmsg": "data format error"}) if not isinstance(body, dict) \
                    else sandbox.handle(parsed.path.strip("/"), query, body)
                out = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        return Handler

    def handle(self, path: str, query: dict, body: dict) -> tuple[int, dict]:
        with self.lock:
            self.calls.append(path)
            if self.outage:
                return ERRORS["outage"]
            for fault in self.faults:
                if fault["path"] == path and fault["times"] > 0:
                    fault["times"] -= 1
                    return ERRORS[fault["kind"]]
            if path == "cgi-bin/stable_token":
                if body.get("grant_type") != "client_credential" or body.get("appid") != self.app_id \
                        or body.get("secret") != self.app_secret:
                    return 200, {"errcode": 40125, "errmsg": "invalid appsecret"}
                if body.get("force_refresh") or self.token_expires <= time.time():
                    self.access_token, self.token_expires = "wx-at-" + secrets.token_hex(8), time.time() + 7200
                return 200, {"access_token": self.access_token, "expires_in": int(self.token_expires - time.time())}
            if query.get("access_token") != self.access_token:
                return ERRORS["token_expired"] if query.get("access_token", "").startswith("wx-at-") \
                    else (200, {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"})
            if path == "channels/ec/aftersale/getaftersalelist":
                return self._list(body)
            if path == "channels/ec/aftersale/rejectreason/get":
                return 200, {"errcode": 0, "errmsg": "ok", "reason_list": REJECT_REASONS}
            if path == "channels/ec/merchant/address/list":
                return 200, {"errcode": 0, "errmsg": "ok", "address_id_list": list(ADDRESSES)}
            if path == "channels/ec/merchant/address/get":
                detail = ADDRESSES.get(str(body.get("address_id")))
                return (200, {"errcode": 0, "errmsg": "ok", "address_detail": detail}) if detail else \
                    (200, {"errcode": 10021040, "errmsg": "address_id error"})
            if path == "channels/ec/order/list/get":
                return self._order_list(body)
            if path == "channels/ec/order/get":
                order = self.orders.get(str(body.get("order_id")))
                if order is None:
                    return 200, {"errcode": 100002, "errmsg": "订单不存在"}
                return 200, {"errcode": 0, "errmsg": "ok", "order": self._order_row(order)}
            if path == "channels/ec/basics/img/upload":
                return self._img_upload(query, body)
            if path == "channels/ec/aftersale/addcomplaintproof":
                return self._complaint_proof(body)
            record = self.aftersales.get(str(body.get("after_sale_order_id")))
            if record is None:
                return 200, {"errcode": 10021050, "errmsg": "售后单不存在"}
            if path == "channels/ec/aftersale/getaftersaleorder":
                return 200, {"errcode": 0, "errmsg": "ok", "after_sale_order": self._row(record)}
            if path == "channels/ec/aftersale/acceptapply":
                return self._accept(record, body)
            if path == "channels/ec/aftersale/acceptexchangereship":
                if record.kind != "EXCHANGE" or record.status != "MERCHANT_WAIT_RECEIPT":
                    return ERRORS["status_error"]
                if not body.get("delivery_id") or not body.get("waybill_id"):
                    return 200, {"errcode": 47001, "errmsg": "data format error: delivery_id, waybill_id required"}
                # the new parcel is on its way: 待用户收货 (the published status list; was USER_WAIT_CONFIRM)
                return self._done(record, "acceptexchangereship", body, "USER_WAIT_RECEIPT")
            if path == "channels/ec/aftersale/rejectexchangereship":  # 换货拒绝发货: the exchange's goods are back
                if not isinstance(body.get("reject_reason_type"), int):
                    return 200, {"errcode": 47001, "errmsg": "data format error: reject_reason_type required"}
                if not self._certificates_ok(body):
                    return 200, {"errcode": 47001, "errmsg": "data format error: reject_certificates must be media ids"}
                if record.kind != "EXCHANGE" or record.status != "MERCHANT_WAIT_RECEIPT":
                    return ERRORS["status_error"]
                if not self._scene_ok(record, body):
                    return WRONG_SCENE
                return self._done(record, "rejectexchangereship", body, "MERCHANT_REJECT_RESHIP")
            if path == "channels/ec/aftersale/rejectapply":
                if not isinstance(body.get("reject_reason_type"), int):
                    return 200, {"errcode": 47001, "errmsg": "data format error: reject_reason_type required"}
                if not self._certificates_ok(body):
                    return 200, {"errcode": 47001, "errmsg": "data format error: reject_certificates must be media ids"}
                # the first review's refusal, or a return's once its goods are back (待商家收货 → 商家拒绝退款)
                if record.status == "MERCHANT_WAIT_RECEIPT" and record.kind == "RETURN":
                    after = "MERCHANT_REJECT_REFUND"
                elif record.status == "MERCHANT_PROCESSING":
                    after = {"RETURN": "MERCHANT_REJECT_RETURN", "EXCHANGE": "MERCHANT_REJECT_EXCHANGE"}.get(
                        record.kind, "MERCHANT_REJECT_REFUND")
                else:
                    return ERRORS["status_error"]
                if not self._scene_ok(record, body):
                    return WRONG_SCENE
                return self._done(record, "rejectapply", body, after)
            return 404, {"errcode": 40066, "errmsg": "invalid url"}

    def _certificates_ok(self, body: dict) -> bool:
        """reject_certificates, when sent, is a list of media ids this sandbox's image upload answered."""
        certificates = body.get("reject_certificates")
        if certificates is None:
            return True
        return isinstance(certificates, list) and all(str(c) in self.uploads for c in certificates)

    @staticmethod
    def _scene_ok(record: SandboxAftersale, body: dict) -> bool:
        """A reason the sandbox lists is taken only for its scene; a code it does not list is taken as it is."""
        listed = {r["reject_reason_type"]: r["reject_scene"] for r in REJECT_REASONS}
        code = body.get("reject_reason_type")
        return code not in listed or listed[code] == reject_scene(record.kind, record.status)

    def _img_upload(self, query: dict, body: dict) -> tuple[int, dict]:
        """basics/img/upload with upload_type=1 (by URL): fetch the image like 微信 does; resp_type 0 → media_id."""
        url = str(body.get("img_url") or "")
        if str(query.get("upload_type")) != "1" or not url:
            return 200, {"errcode": 47001, "errmsg": "data format error: upload_type/img_url"}
        try:
            fetched = httpx.get(url, timeout=10)
        except httpx.HTTPError:
            fetched = None
        if fetched is None or fetched.status_code != 200 or not fetched.content:
            return 200, {"errcode": 10020052, "errmsg": "图片下载失败"}
        media_id = f"media-{len(self.uploads) + 1:04d}"
        self.uploads[media_id] = url
        pic = {"media_id": media_id} if str(query.get("resp_type") or "0") == "0" else \
            {"img_url": f"https://mmecimage.cn/sandbox/{media_id}.jpg"}
        return 200, {"errcode": 0, "errmsg": "ok", "pic_file": pic}

    def _complaint_proof(self, body: dict) -> tuple[int, dict]:
        complaint_id = str(body.get("complaint_id") or "")
        if not complaint_id or not any(r.complaint_id == complaint_id for r in self.aftersales.values()):
            return 200, {"errcode": 10020070, "errmsg": "纠纷单不存在"}
        media = body.get("media_id_list") or []
        if not isinstance(media, list) or any(m not in self.uploads for m in media) or not body.get("content"):
            return 200, {"errcode": 47001, "errmsg": "data format error: content/media_id_list"}
        self.complaint_proofs.append({"complaint_id": complaint_id, "content": body["content"], "media_id_list": media})
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _accept(self, record: SandboxAftersale, body: dict) -> tuple[int, dict]:
        """acceptapply as its page describes it: without accept_type the step follows the status; accept_type 1
        (同意退货) only where the buyer is to send goods back, 2 (同意退款) only for a refund or once the goods are back
        (10021041 otherwise); agreeing to a return wants address_id (10021060)."""
        accept_type = body.get("accept_type")
        if accept_type not in (None, 1, 2):
            return 200, {"errcode": 47001, "errmsg": "data format error: accept_type"}
        if record.status == "MERCHANT_PROCESSING":
            goods_back = record.kind in ("RETURN", "EXCHANGE")
            step = 1 if goods_back else 2
            after = "USER_WAIT_RETURN" if goods_back else "MERCHANT_REFUND_SUCCESS"
        elif record.status == "MERCHANT_WAIT_RECEIPT" and record.kind == "RETURN":
            step, after = 2, "MERCHANT_RETURN_SUCCESS"
        else:
            return ERRORS["not_supported"]
        if accept_type is not None and accept_type != step:
            return ERRORS["not_supported"]
        if step == 1 and not str(body.get("address_id") or ""):
            return 200, {"errcode": 10021060, "errmsg": "缺少退货地址address_id参数"}
        return self._done(record, "acceptapply", body, after)

    def _done(self, record: SandboxAftersale, name: str, body: dict, after: str) -> tuple[int, dict]:
        record.status, record.update_time = after, max(record.update_time + 1, int(time.time()))
        self.operations.append((name, record.aftersale_id, body))
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _row(self, r: SandboxAftersale) -> dict:
        """getaftersaleorder's after_sale_order as published (docs and SDK samples, docs/platforms.md Sources)."""
        return {"after_sale_order_id": r.aftersale_id, "order_id": r.order_id, "status": r.status, "type": r.kind,
                "openid": "o_buyer_openid", "unionid": "", "reason": REASON_CODES.get(r.reason, "10000008"),
                "reason_text": r.reason,
                "product_info": {"product_id": "10000001", "sku_id": r.sku_id, "count": 1},
                "details": {"desc": r.desc, "receive_product": r.kind == "RETURN", "cancel_time": 0,
                            "media_id_list": [], "tel_number": ""},
                "refund_info": {"amount": r.amount},
                "return_info": {"waybill_id": "", "delivery_id": "", "delivery_name": ""},
                "merchant_upload_info": {"reject_reason": "", "refund_certificates": []},
                "refund_resp": {"code": "", "ret": 0, "message": ""},
                "deadline": r.deadline if r.status in ("MERCHANT_PROCESSING", "MERCHANT_WAIT_RECEIPT") else 0,
                "create_time": r.create_time, "update_time": r.update_time,
                **({"complaint_id": r.complaint_id} if r.complaint_id else {})}

    def _list(self, body: dict) -> tuple[int, dict]:
        begin, end = int(body.get("begin_update_time", 0)), int(body.get("end_update_time", 0))
        if end - begin > 86_400 or end < begin:
            return 200, {"errcode": 10020004, "errmsg": "非法的时间区间，不得大于24小时"}
        ids = [r.aftersale_id for r in sorted(self.aftersales.values(), key=lambda r: r.update_time)
               if begin <= r.update_time <= end]
        start = int(body.get("next_key") or 0)
        page = ids[start:start + 2]  # small pages so that paging is exercised
        more = start + 2 < len(ids)
        return 200, {"errcode": 0, "errmsg": "ok", "after_sale_order_id_list": page, "has_more": more,
                     "next_key": str(start + 2) if more else ""}

    # --- orders ----------------------------------------------------------------------------------------
    def _order_row(self, o: SandboxWxOrder) -> dict:
        return {"order_id": o.order_id, "status": o.status, "create_time": o.create_time, "update_time": o.update_time,
                "openid": "o_buyer_openid",
                "order_detail": {
                    "product_infos": [{**p, "sku_attrs": [{"attr_key": "尺码", "attr_value": "M"}]} for p in o.products],
                    "price_info": {"order_price": sum(p.get("real_price", 0) for p in o.products), "freight": 0},
                    "pay_info": {"pay_time": o.pay_time},
                    "delivery_info": {
                        "address_info": {"user_name": "王**", "tel_number": "186****1234", "province_name": "上海市",
                                         "city_name": "上海市", "county_name": "浦东新区", "detail_info": "世纪大道***号",
                                         "virtual_order_tel_number": ""},
                        "delivery_product_info": o.deliveries, "ship_done_time": o.deliveries[-1]["delivery_time"]
                        if o.deliveries else 0},
                    "ext_info": {"customer_notes": "", "merchant_notes": ""}}}

    def _order_list(self, body: dict) -> tuple[int, dict]:
        window = body.get("update_time_range") or {}
        begin, end = int(window.get("start_time", 0)), int(window.get("end_time", 0))
        if end - begin > 7 * 86_400 or end < begin:
            return 200, {"errcode": 100002, "errmsg": "时间范围不得超过7天"}
        ids = [o.order_id for o in sorted(self.orders.values(), key=lambda o: o.update_time)
               if begin <= o.update_time <= end]
        start = int(body.get("next_key") or 0)
        size = min(100, int(body.get("page_size") or 10), 2)  # small pages so that paging is exercised
        page, more = ids[start:start + size], start + size < len(ids)
        return 200, {"errcode": 0, "errmsg": "ok", "order_id_list": page, "has_more": more,
                     "next_key": str(start + size) if more else ""}
