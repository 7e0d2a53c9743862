"""A local 抖店 open platform for tests and the demo: the documented HTTP shapes, signed both ways.

It checks each API call's `sign` (HMAC-SHA256 over app_key/method/param_json/timestamp/v) and
access_token, answers {code, msg, sub_code, sub_msg, data} (10000 = success), keeps after-sale requests
that move when operated on, and pushes messages to shouhou signed with event-sign = MD5(app_key + body +
app_secret). Faults can be queued per path: rate limit, expired token, already processed, outage.
The error sub_codes it uses for those are its own choice (see docs/platforms.md).

Buyer data: order/searchList and order/orderDetail give the receiver masked (mask_post_*) and as ciphertexts
(encrypt_post_*, post_addr.encrypt_detail) that this sandbox alone can read back: order/batchDecrypt answers
them in the SDK's shape (data.decrypt_infos, data.custom_err), or refuses when `decrypt_allowed` is False
(the app lacks the 数据安全 decrypt permission; the sub_code is the sandbox's own choice)."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import httpx

from shouhou.core.sandbox import LocalHttpService
from shouhou.platforms.adapters.doudian import api_sign, push_sign
from shouhou.platforms.sandbox import deliver

# afterSale/operate type → (statuses it may act on, status after)
OPERATIONS = {
    101: ({6}, 7), 102: ({6}, 27), 111: ({11}, 12), 201: ({6}, 12), 202: ({6}, 27), 301: ({6}, 7), 302: ({6}, 27),
    311: ({8, 11}, 13),  # 换货: the merchant received the return and ships the new parcel
    401: ({6}, 12),  # 同意售前退 (未发货仅退款)
    501: ({6, 27}, 8), 502: ({6}, 27),  # 补寄: agreed → 待商家发货 (afterSale/fillLogistics send_type=1 → 13)
    601: ({6, 27}, 7), 603: ({6}, 27),  # 维修
    # 退货转退款 / 换货转退款 / 维修转退款 at the statuses a public merchant tool's picker offers them: refunded (12)
    121: ({6, 27}, 12), 321: ({6, 7, 11, 29}, 12), 621: ({6, 7, 8, 11, 27, 29}, 12),
    # the second review's refusals, once the buyer's goods are back (11): 商家二次拒绝 (29)
    112: ({11}, 29), 312: ({11}, 29), 612: ({11}, 29),
}
# the aftersale_type each conversion (and each second-review refusal) applies to
# the aftersale_type each operate type is offered for (the public operate-type picker, docs/platforms.md): no type
# for 价保 (6), and a type sent for another kind of request is refused as the platform's parameter error
OPERATION_TYPES = {101: {0}, 102: {0}, 111: {0}, 112: {0}, 121: {0}, 201: {1}, 202: {1}, 301: {3}, 302: {3},
                   311: {3}, 312: {3}, 321: {3}, 401: {2}, 501: {7}, 502: {7}, 601: {8}, 603: {8}, 612: {8},
                   621: {8}}
REJECTS = frozenset({102, 202, 302, 502, 603, 112, 312, 612})  # refusals: a reason is required
PUSH_AFTER_OPERATION = {101: "202", 102: "205", 111: "206", 201: "206", 202: "204", 301: "202", 302: "205",
                        311: "211", 401: "206", 501: "227", 502: "205", 601: "202", 603: "205",
                        121: "206", 321: "206", 621: "206", 112: "204", 312: "204", 612: "204"}
# afterSale/timeExtend: the sandbox's own rules (the platform publishes no parameters beyond aftersale_id): at
# status 11 (the return is back with the merchant), once per request, three more days on status_deadline
TIME_EXTEND_STATUSES = {11}
TIME_EXTEND_SECONDS = 3 * 86400
# afterSale/rejectReasonCodeList as the sandbox answers it (codes and words of its own)
REJECT_REASONS = [
    {"reject_reason_code": 1, "reason": "商品已影响二次销售", "evidence_need": "Y",
     "evidence_description": "请上传收到的退货商品照片", "image": "", "order_type": -1, "pkg": 1},
    {"reject_reason_code": 2, "reason": "买家未退货或退回商品与原商品不符", "evidence_need": "N",
     "evidence_description": "", "image": "", "order_type": -1, "pkg": -1},
    {"reject_reason_code": 3, "reason": "已与买家协商一致", "evidence_need": "N", "evidence_description": "",
     "image": "", "order_type": -1, "pkg": -1},
]
ADDRESSES = [
    {"address_id": 880001, "reciever_name": "售后组", "is_default": 1, "is_send_default": 0,
     "receiver_provinc": "浙江省", "receiver_city": "杭州市", "receiver_district": "余杭区", "receiver_street": "仓前街道",
     "receiver_detail": "文一西路1号", "remark": "", "create_time": "1700000000", "update_time": "1700000000"},
    {"address_id": 880002, "reciever_name": "维修仓", "is_default": 0, "is_send_default": 0,
     "receiver_provinc": "广东省", "receiver_city": "深圳市", "receiver_district": "宝安区", "receiver_street": "",
     "receiver_detail": "航城大道9号", "remark": "", "create_time": "1700000000", "update_time": "1700000000"},
]
# the platform's common error codes as public SDKs list them (公共错误码): 60000 isv.traffic-limited, 40003
# isv.access-token-expired, 20000 dop.service-error, 30001 dop.authorization-no-existed; 50002 with
# isv.business-failed:20309541 (售后状态错误) is afterSale/operate's own. An outage is also answered HTTP 503 here
# (what an overloaded gateway does; the adapter reads both).
ERRORS = {
    "rate_limit": (200, {"code": 60000, "msg": "触发限流，请稍后重试", "sub_code": "isv.traffic-limited",
                         "sub_msg": "请求太频繁，请稍后重试"}),
    "token_expired": (200, {"code": 40003, "msg": "非法的参数", "sub_code": "isv.access-token-expired",
                            "sub_msg": "access_token已过期"}),
    "authorization_gone": (200, {"code": 30001, "msg": "操作权限不足", "sub_code": "dop.authorization-no-existed",
                                 "sub_msg": "店铺授权已失效，请重新授权"}),
    "status_error": (200, {"code": 50002, "msg": "业务处理失败", "sub_code": "isv.business-failed:20309541",
                           "sub_msg": "售后状态错误"}),
    "outage": (503, {"code": 20000, "msg": "服务不可用", "sub_code": "dop.service-error", "sub_msg": "服务调用失败，请稍后重试"}),
}
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def message_time(ts: int) -> str:
    """After-sale messages carry update_time as a string, "2022-09-02T10:27:50+08:00" (the official SDK's message
    params), not the API's Unix seconds."""
    return dt.datetime.fromtimestamp(ts, SHANGHAI).isoformat()


@dataclass
class SandboxAftersale:
    aftersale_id: str
    order_id: str
    sku_order_id: str
    aftersale_type: int
    status: int = 6
    reason: str = "七天无理由退货"
    refund_amount: int = 0  # fen
    product_name: str = "商品"
    apply_time: int = field(default_factory=lambda: int(time.time()))
    update_time: int = field(default_factory=lambda: int(time.time()))
    status_deadline: int = field(default_factory=lambda: int(time.time()) + 48 * 3600)
    arbitrating: bool = False  # 客服仲裁 open: evidence may be submitted (afterSale/submitEvidence)
    extended: bool = False  # afterSale/timeExtend already granted (once per request in this sandbox)


@dataclass
class SandboxOrder:
    """A shop order (店铺单) with its sku orders; buyer data only masked, as order/searchList gives it."""

    order_id: str
    lines: list[dict]  # {sku_order_id, product_name, item_num, pay_amount (fen), sku_id, code, spec}
    status: int = 105  # 已支付
    create_time: int = field(default_factory=lambda: int(time.time()))
    pay_time: int = field(default_factory=lambda: int(time.time()))
    update_time: int = field(default_factory=lambda: int(time.time()))
    ship_time: int = 0
    finish_time: int = 0
    logistics: list[dict] = field(default_factory=list)  # {tracking_no, company, company_name, ship_time}
    receiver: str = "张**"
    tel: str = "138****5678"
    district: tuple[str, str] = ("西湖区", "文新街道")
    detail: str = "文一西路***号"
    # the receiver in clear, behind the ciphertexts (only order/batchDecrypt gives them back)
    plain_receiver: str = "张小花"
    plain_tel: str = "13812345678"
    plain_detail: str = "文一西路969号"


def generated_order(index: int, base_time: int, per_second: int = 50) -> SandboxOrder:
    """The index-th order of a generated shop (the bench): the same every time, no storage needed;
    update_time grows with the index so the update-time order is the index order."""
    at = base_time + index // per_second
    oid = str(6_930_000_000_000_000 + index * 10)
    lines = [{"sku_order_id": str(int(oid) + 1 + n), "product_name": f"直播间款式{(index + n) % 500:03d}", "item_num": 1,
              "pay_amount": 9900 + (index % 7) * 1000, "sku_id": 1000 + (index + n) % 500,
              "code": f"SKU{(index + n) % 500:03d}", "spec": [{"name": "颜色", "value": "黑色"}]}
             for n in range(1 + index % 2)]
    shipped = index % 3 != 0
    return SandboxOrder(order_id=oid, lines=lines, status=3 if shipped else 2, create_time=at - 3600, pay_time=at - 3500,
                        update_time=at, ship_time=at if shipped else 0,
                        logistics=[{"tracking_no": f"ZT{7_000_000_000 + index}", "company": "zhongtong",
                                    "company_name": "中通快递", "ship_time": at}] if shipped else [])


@functools.lru_cache(maxsize=8192)  # an order answer repeats its ciphertexts (the bench reads 100,000 orders)
def cipher(order_id: str, mark: str, value: str) -> str:
    """A ciphertext in the security format's wrapping (#…# name/address, $…$ phone) that only this sandbox
    reads back (order/batchDecrypt); the content is its own, not the platform's algorithm."""
    token = base64.urlsafe_b64encode((order_id + "\x1f" + value).encode()).decode()
    return f"{mark}{token}{mark}"


def uncipher(text: str) -> tuple[str | None, str]:
    try:
        order_id, value = base64.urlsafe_b64decode(text[1:-1].encode()).decode().split("\x1f", 1)
        return order_id, value
    except ValueError:
        return None, ""


def _num(value: str):
    """Ids travel as numbers on the platform; the demo's order numbers may not be digits."""
    return int(value) if str(value).isdigit() else value


class DoudianSandbox(LocalHttpService):
    push_retries = 0  # a push answered 5xx is tried again this many times (deliver); demos set 3

    def __init__(self, *, app_key: str = "sandbox-app", app_secret: str = "sandbox-secret",  # noqa: S107 (a local fake)
                 shop_id: str = "7000001", push_url: str = "", host: str = "127.0.0.1", port: int = 0,
                 push_on_operate: bool = False):
        self.app_key, self.app_secret, self.shop_id = app_key, app_secret, shop_id
        self.push_url = push_url
        self.push_on_operate = push_on_operate
        self.aftersales: dict[str, SandboxAftersale] = {}
        self.orders: dict[str, SandboxOrder] = {}
        self.generated: tuple[int, int] | None = None  # (count, base update_time): generated_order() orders
        self.operations: list[tuple[int, str]] = []  # every operate that changed a request
        self.operate_items: list[dict] = []  # the items of those operates, as sent
        self.uploads: list[dict] = []  # material/uploadImageSync calls that fetched their image
        self.resend_parcels: list[dict] = []  # afterSale/fillLogistics 补寄 parcels accepted
        self.evidence_submissions: list[dict] = []  # afterSale/submitEvidence calls accepted
        self.time_extensions: list[str] = []  # afterSale/timeExtend calls granted (aftersale ids)
        self.callback_url = ""  # the authorisation callback saved in the service-market console
        self.service_id = "sandbox-service"
        self.calls: list[str] = []  # every API path called
        self.faults: list[dict] = []
        self.outage = False
        self.refuse_refresh = False
        self.decrypt_allowed = True  # False: the app has no 数据安全 decrypt permission
        self.decrypted: list[dict] = []  # the cipher_infos of every order/batchDecrypt call answered
        self.lock = threading.RLock()
        self._issue_tokens(expires_in=7 * 86400)
        self.server = ThreadingHTTPServer((host, port), self._handler())
        self.thread: threading.Thread | None = None
        self._msg_seq = 0
        self._pushers: list[threading.Thread] = []

    # --- lifecycle ---------------------------------------------------------------------------------
    def stop(self) -> None:
        for pusher in list(self._pushers):  # let pushes in flight finish: nothing arrives after stop
            pusher.join(timeout=15)
        super().stop()

    # --- scripting (tests, demo) ---------------------------------------------------------------------
    def _issue_tokens(self, *, expires_in: int) -> None:
        self.access_token = "at-" + secrets.token_hex(8)
        self.refresh_token = "rt-" + secrets.token_hex(8)
        self.expires_in = expires_in

    def expire_access_token(self) -> None:
        """The current access token stops working (the platform expired it early)."""
        with self.lock:
            self.access_token = "at-expired-" + secrets.token_hex(4)

    def add_aftersale(self, *, order_id: str, sku_order_id: str, aftersale_type: int = 1, reason: str = "七天无理由退货",
                      refund_amount: int = 0, push: bool = True, aftersale_id: str | None = None) -> SandboxAftersale:
        with self.lock:
            aid = aftersale_id or str(7_300_000_000_000_000 + len(self.aftersales) + 1)
            record = SandboxAftersale(aftersale_id=aid, order_id=order_id, sku_order_id=sku_order_id,
                                      aftersale_type=aftersale_type, reason=reason, refund_amount=refund_amount)
            self.aftersales[aid] = record
        if push:
            self.push_aftersale("200", record)
        return record

    def buyer_returns(self, aftersale_id: str, *, push: bool = True) -> None:
        with self.lock:
            record = self.aftersales[aftersale_id]
            record.status, record.update_time = 11, record.update_time + 1
        if push:
            self.push_aftersale("203", record)

    def add_order(self, *, order_id: str, lines: list[dict], status: int = 105, push: bool = False,
                  update_time: int | None = None) -> SandboxOrder:
        with self.lock:
            now = int(time.time()) - 5  # placed a little while ago: a later change is never in the future
            record = SandboxOrder(order_id=order_id, lines=lines, status=status, create_time=now - 60, pay_time=now - 30,
                                  update_time=now if update_time is None else update_time)
            self.orders[order_id] = record
        if push:
            self.push_order("101", record)
        return record

    def ship_order(self, order_id: str, *, tracking_no: str, company: str = "zhongtong", company_name: str = "中通快递",
                   push: bool = True) -> SandboxOrder:
        """The merchant ships in the 抖店 back office: status 3, a waybill, a newer update_time, tag 102."""
        with self.lock:
            record = self.orders[order_id]
            record.update_time = max(int(time.time()), record.update_time + 1)
            record.status, record.ship_time = 3, record.update_time
            record.logistics.append({"tracking_no": tracking_no, "company": company, "company_name": company_name,
                                     "ship_time": record.ship_time})
        if push:
            self.push_order("102", record)
        return record

    def correct_waybill(self, order_id: str, *, tracking_no: str, new_tracking_no: str, company: str = "zhongtong",
                        company_name: str = "中通快递", push: bool = True) -> SandboxOrder:
        """The merchant corrects a waybill in the back office (a wrong number typed, another carrier): the order's
        logistics_info lists the new one instead, with a newer update_time; tag 104 发货物流信息变更 is pushed."""
        with self.lock:
            record = self.orders[order_id]
            record.update_time = max(int(time.time()), record.update_time + 1)
            record.logistics = [w for w in record.logistics if w["tracking_no"] != tracking_no]
            if new_tracking_no:
                record.logistics.append({"tracking_no": new_tracking_no, "company": company,
                                         "company_name": company_name, "ship_time": record.update_time})
        if push:
            self.push_order("104", record)
        return record

    def remove_line(self, order_id: str, sku_order_id: str) -> SandboxOrder:
        """A sku order taken off the shop order on the platform (no message: the next sync sees the new version)."""
        with self.lock:
            record = self.orders[order_id]
            record.update_time = max(int(time.time()), record.update_time + 1)
            record.lines = [ln for ln in record.lines if ln["sku_order_id"] != sku_order_id]
        return record

    def change_receiver(self, order_id: str, *, receiver: str, tel: str, district: tuple[str, str], detail: str,
                        push: bool = True) -> SandboxOrder:
        """The buyer changes the address (the merchant agreed): a newer update_time and tag 105
        (买家收货信息变更, receiver_msg {addr (a JSON string), name, tel, encrypt_*}), masked as the platform masks."""
        with self.lock:
            record = self.orders[order_id]
            record.update_time = max(int(time.time()), record.update_time + 1)
            record.receiver, record.tel, record.district, record.detail = receiver, tel, district, detail
        if push:
            self._msg_seq += 1
            addr = {"province": {"name": "浙江省", "id": "33"}, "city": {"name": "杭州市", "id": "3301"},
                    "town": {"name": district[0], "id": "330106"}, "street": {"name": district[1], "id": "330106001"},
                    "detail": detail, "encrypt_detail": "#ENCRYPTED#"}
            data = {"p_id": _num(record.order_id), "s_ids": [_num(ln["sku_order_id"]) for ln in record.lines],
                    "shop_id": int(self.shop_id), "order_status": record.status, "order_type": 0,
                    "update_time": record.update_time,
                    "receiver_msg": {"addr": json.dumps(addr, ensure_ascii=False), "name": receiver,
                                     "encrypt_name": "#ENC#", "tel": tel, "encrypt_tel": "$ENC$"}}
            self.push([{"tag": "105", "msg_id": f"{int(time.time() * 1000)}{self._msg_seq:04d}",
                        "data": json.dumps(data, ensure_ascii=False)}])
        return record

    def generate_orders(self, count: int, *, base_time: int) -> None:
        self.generated = (count, base_time)

    def order_message(self, tag: str, record: SandboxOrder) -> dict:
        self._msg_seq += 1
        data = {"p_id": _num(record.order_id), "s_ids": [_num(ln["sku_order_id"]) for ln in record.lines],
                "shop_id": int(self.shop_id), "order_status": record.status, "order_type": 0, "biz": 2,
                "update_time": record.update_time}
        return {"tag": tag, "msg_id": f"{int(time.time() * 1000)}{self._msg_seq:04d}", "data": json.dumps(data)}

    def push_order(self, tag: str, record: SandboxOrder) -> httpx.Response | None:
        return self.push([self.order_message(tag, record)])

    def message(self, tag: str, record: SandboxAftersale) -> dict:
        """An after-sale message as the SDKs' message types have it: ids int64, amounts in fen, apply_time in Unix
        seconds, update_time an RFC 3339 string in +08:00; tag 227 (同意补寄申请) names the status after_sale_status."""
        self._msg_seq += 1
        status_key = "after_sale_status" if tag == "227" else "aftersale_status"
        data = {"aftersale_id": int(record.aftersale_id), status_key: record.status,
                "aftersale_type": record.aftersale_type, "apply_time": record.apply_time, "p_id": _num(record.order_id),
                "s_id": _num(record.sku_order_id), "shop_id": int(self.shop_id), "reason_code": 1,
                "refund_amount": record.refund_amount, "refund_post_amount": 0, "refund_voucher_num": 0,
                "update_time": message_time(record.update_time)}
        return {"tag": tag, "msg_id": f"{int(time.time() * 1000)}{self._msg_seq:04d}", "data": json.dumps(data)}

    def push_aftersale(self, tag: str, record: SandboxAftersale) -> httpx.Response | None:
        return self.push([self.message(tag, record)])

    def push(self, messages: list[dict], *, secret: str | None = None) -> httpx.Response | None:
        """POST messages to shouhou as the platform does (a JSON array, signed)."""
        if not self.push_url:
            return None
        body = json.dumps(messages, ensure_ascii=False).encode()
        headers = {"app-id": self.app_key, "Content-Type": "application/json",
                   "event-sign": push_sign(self.app_key, self.app_secret if secret is None else secret, body)}
        return deliver(self.push_url, retries=self.push_retries, content=body, headers=headers, timeout=30)

    def push_raw(self, body: bytes, headers: dict) -> httpx.Response:
        return httpx.post(self.push_url, content=body, headers=headers, timeout=30)

    def signed_headers(self, body: bytes) -> dict:
        return {"app-id": self.app_key, "event-sign": push_sign(self.app_key, self.app_secret, body),
                "Content-Type": "application/json"}

    # --- HTTP ----------------------------------------------------------------------------------------
    def _handler(self):
        sandbox = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                return

            def do_GET(self):  # noqa: N802 — the service-market authorisation page
                parsed = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(parsed.query, keep_blank_values=True).items()}
                if parsed.path.strip("/") != "authorize" or query.get("service_id") != sandbox.service_id \
                        or not sandbox.callback_url:
                    self.send_response(404)
                    self.end_headers()
                    return
                # the merchant agrees at once: back to the console's callback with a code and the state
                from urllib.parse import urlencode

                self.send_response(302)
                self.send_header("Location", f"{sandbox.callback_url}?{urlencode({'code': 'sandbox-code', 'state': query.get('state', '')})}")
                self.end_headers()

            def do_POST(self):  # noqa: N802 (http.server's name)
                parsed = urlparse(self.path)
                path = parsed.path.strip("/")
                query = {k: v[0] for k, v in parse_qs(parsed.query, keep_blank_values=True).items()}
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                status, answer = sandbox.handle(path, query, body)
                raw = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        return Handler

    def _fault(self, path: str) -> tuple[int, dict] | None:
        if self.outage:
            return ERRORS["outage"]
        for fault in self.faults:
            if fault["path"] == path and fault.get("after", 0) > 0:
                fault["after"] -= 1
                continue
            if fault["path"] == path and fault["times"] > 0:
                fault["times"] -= 1
                return ERRORS[fault["kind"]]
        return None

    def handle(self, path: str, query: dict, body: str) -> tuple[int, dict]:
        with self.lock:
            self.calls.append(path)
            fault = self._fault(path)
            if fault:
                return fault
            method = path.replace("/", ".")
            if query.get("app_key") != self.app_key or query.get("method") != method:
                return 200, {"code": 40004, "msg": "非法的参数", "sub_code": "isv.parameter-invalid", "sub_msg": "app_key或method错误"}
            if query.get("sign") != api_sign(self.app_key, self.app_secret, method, body, query.get("timestamp", "")):
                return 200, {"code": 40003, "msg": "非法的参数", "sub_code": "isv.signature-invalid", "sub_msg": "签名校验失败"}
            try:
                params = json.loads(body or "{}")
            except json.JSONDecodeError:
                return 200, {"code": 40004, "msg": "非法的参数", "sub_code": "isv.parameter-invalid", "sub_msg": "param_json"}
            if path == "token/create":
                return self._token_create(params)
            if path == "token/refresh":
                return self._token_refresh(params)
            if query.get("access_token") != self.access_token:
                return ERRORS["token_expired"]
            handler = {"afterSale/List": self._list, "afterSale/Detail": self._detail,
                       "afterSale/operate": self._operate, "afterSale/rejectReasonCodeList": self._reject_reasons,
                       "material/uploadImageSync": self._upload_image, "address/list": self._addresses,
                       "order/searchList": self._order_list, "order/orderDetail": self._order_detail,
                       "afterSale/fillLogistics": self._fill_logistics,
                       "afterSale/submitEvidence": self._submit_evidence,
                       "afterSale/timeExtend": self._time_extend,
                       "material/queryMaterialDetail": self._material_detail,
                       "order/batchDecrypt": self._batch_decrypt}.get(path)
            if handler is None:
                return 404, {"code": 40004, "msg": "接口不存在"}
            return handler(params)

    def _ok(self, data: dict) -> tuple[int, dict]:
        return 200, {"code": 10000, "msg": "success", "sub_code": "", "sub_msg": "", "data": data,
                     "log_id": secrets.token_hex(8)}

    def _token_data(self) -> dict:
        # expires_in as the SDK core reads it (seconds of life; the generated types call it a Unix time, which the
        # adapter reads too); shop_id int64 as the generated token/create and token/refresh response types have it
        return {"access_token": self.access_token, "refresh_token": self.refresh_token, "expires_in": self.expires_in,
                "scope": "SCOPE", "shop_id": _num(self.shop_id), "shop_name": "沙箱小店",
                "authority_id": self.shop_id, "auth_subject_type": "MiniShop"}

    def _token_create(self, params: dict) -> tuple[int, dict]:
        if params.get("grant_type") == "authorization_self" and str(params.get("shop_id")) == self.shop_id \
                or params.get("grant_type") == "authorization_code" and params.get("code") == "sandbox-code":
            return self._ok(self._token_data())
        return 200, {"code": 50001, "msg": "平台处理失败", "sub_code": "dop.token-generate-failed:no-authorization",
                     "sub_msg": "生成token失败，店铺授权已失效，请重新引导商家完成店铺授权"}

    def _token_refresh(self, params: dict) -> tuple[int, dict]:
        if self.refuse_refresh or params.get("refresh_token") != self.refresh_token:
            return 200, {"code": 50001, "msg": "平台处理失败", "sub_code": "dop.token-generate-failed:token-expired",
                         "sub_msg": "生成token失败，token已过期"}
        self._issue_tokens(expires_in=self.expires_in)
        return self._ok(self._token_data())

    def _list_item(self, r: SandboxAftersale) -> dict:
        # afterSale/List: ids are strings here (aftersale_id, related_id, shop_order_id, sku_order_id), unlike
        # afterSale/Detail's int64
        return {"aftersale_info": {"aftersale_id": r.aftersale_id, "aftersale_order_type": 1,
                                   "aftersale_type": r.aftersale_type,
                                   "aftersale_status": r.status, "related_id": r.sku_order_id, "apply_time": r.apply_time,
                                   "update_time": r.update_time, "status_deadline": r.status_deadline,
                                   "refund_amount": r.refund_amount},
                "order_info": {"shop_order_id": r.order_id,
                               "related_order_info": [{"sku_order_id": r.sku_order_id, "product_name": r.product_name}]},
                "text_part": {"reason_text": r.reason}}

    def _list(self, params: dict) -> tuple[int, dict]:
        since = int(params.get("update_start_time") or 0)
        page, size = int(params.get("page") or 0), min(100, int(params.get("size") or 10))
        rows = sorted((r for r in self.aftersales.values() if r.update_time >= since), key=lambda r: r.update_time)
        chunk = rows[page * size:(page + 1) * size]
        return self._ok({"items": [self._list_item(r) for r in chunk], "has_more": (page + 1) * size < len(rows),
                         "total": len(rows), "page": page, "size": len(chunk)})

    def _detail(self, params: dict) -> tuple[int, dict]:
        r = self.aftersales.get(str(params.get("after_sale_id")))
        if r is None:
            return 200, {"code": 50002, "msg": "业务处理失败", "sub_code": "isv.business-failed:11005", "sub_msg": "售后单不存在"}
        return self._ok({"process_info": {"after_sale_info": {
            "after_sale_id": int(r.aftersale_id), "after_sale_status": r.status, "after_sale_type": r.aftersale_type,
            "refund_total_amount": r.refund_amount, "apply_time": r.apply_time, "update_time": r.update_time,
            "reason": r.reason, "status_deadline": r.status_deadline}},
            "order_info": {"shop_order_id": _num(r.order_id),
                           "sku_order_infos": [{"sku_order_id": _num(r.sku_order_id), "product_name": r.product_name}]}})

    def _reject_reasons(self, params: dict) -> tuple[int, dict]:
        return self._ok({"items": REJECT_REASONS})

    def _addresses(self, params: dict) -> tuple[int, dict]:
        page, size = max(1, int(params.get("page_no") or 1)), int(params.get("page_size") or 10)
        chunk = ADDRESSES[(page - 1) * size:page * size]
        return self._ok({"total": len(ADDRESSES), "page_no": page, "page_size": size, "address_list": chunk})

    def _upload_image(self, params: dict) -> tuple[int, dict]:
        """The platform fetches the image from `url`; the sandbox does too (so a link that does not work fails)
        and passes review at once."""
        url = str(params.get("url") or "")
        try:
            fetched = httpx.get(url, timeout=10)
        except httpx.HTTPError:
            fetched = None
        if fetched is None or fetched.status_code != 200 or not fetched.content:
            return 200, {"code": 50002, "msg": "业务处理失败", "sub_code": "isv.business-failed:12001",
                         "sub_msg": "图片下载失败"}
        material_id = f"m{len(self.uploads) + 1:06d}"
        self.uploads.append({"url": url, "material_name": params.get("material_name"), "bytes": len(fetched.content),
                             "material_id": material_id})
        # byte_url is 【已下线】 in this answer (SDK response type): the URL is read with material/queryMaterialDetail
        return self._ok({"material_id": material_id, "folder_id": "0", "is_new": True, "audit_status": 3,
                         "byte_url": ""})

    def _material_detail(self, params: dict) -> tuple[int, dict]:
        """material/queryMaterialDetail {material_id} → data.material_info (byte_url only at audit_status 3)."""
        material_id = str(params.get("material_id") or "")
        upload = next((u for u in self.uploads if u.get("material_id") == material_id), None)
        if upload is None:
            return 200, {"code": 50002, "msg": "业务处理失败", "sub_code": "isv.business-failed:12002",
                         "sub_msg": "素材不存在"}
        return self._ok({"material_info": {
            "material_id": material_id, "folder_id": "0", "origin_url": upload["url"],
            "byte_url": f"https://p3-sandbox.example/{material_id}.jpg", "materil_name": upload["material_name"],
            "material_type": "photo", "operate_status": 1, "audit_status": 3, "audit_reject_desc": "",
            "size": upload["bytes"], "photo_info": {"height": 0, "width": 0, "format": "jpg"},
            "create_time": "", "update_time": "", "delete_time": ""}})

    def open_arbitration(self, aftersale_id: str, *, push: bool = True) -> None:
        """The buyer asked the platform to arbitrate and its staff ask the merchant for evidence (tag 213)."""
        with self.lock:
            record = self.aftersales[aftersale_id]
            record.arbitrating, record.update_time = True, record.update_time + 1
        if push:
            self.push_aftersale("213", record)

    def _fill_logistics(self, params: dict) -> tuple[int, dict]:
        """afterSale/fillLogistics: send_type 1 is the merchant's 补寄 parcel (company_code + tracking_no)."""
        r = self.aftersales.get(str(params.get("aftersale_id")))
        if r is None:
            return 200, {"code": 50002, "msg": "业务处理失败", "sub_code": "isv.business-failed:11005", "sub_msg": "售后单不存在"}
        if int(params.get("send_type") or 0) != 1 or not params.get("company_code") or not params.get("tracking_no"):
            return 200, {"code": 40004, "msg": "非法的参数", "sub_code": "isv.parameter-invalid",
                         "sub_msg": "send_type、company_code、tracking_no错误"}
        if r.aftersale_type != 7 or r.status != 8:
            return ERRORS["status_error"]
        r.status, r.update_time = 13, r.update_time + 1
        self.resend_parcels.append({"aftersale_id": r.aftersale_id, "company_code": params["company_code"],
                                    "tracking_no": params["tracking_no"]})
        if self.push_on_operate and self.push_url:
            pusher = threading.Thread(target=self.push, args=([self.message("226", r)],), daemon=True)
            self._pushers.append(pusher)
            pusher.start()
        return self._ok({})

    def _submit_evidence(self, params: dict) -> tuple[int, dict]:
        """afterSale/submitEvidence {aftersale_id, comment, evidence: [URL ≤ 4]}: only while an arbitration is open."""
        r = self.aftersales.get(str(params.get("aftersale_id")))
        if r is None:
            return 200, {"code": 50002, "msg": "业务处理失败", "sub_code": "isv.business-failed:11005", "sub_msg": "售后单不存在"}
        evidence = params.get("evidence") or []
        if not isinstance(evidence, list) or len(evidence) > 4 or not (params.get("comment") or evidence):
            return 200, {"code": 40004, "msg": "非法的参数", "sub_code": "isv.parameter-invalid", "sub_msg": "凭证最多四张"}
        if not r.arbitrating:
            return 200, {"code": 50002, "msg": "业务处理失败", "sub_code": "isv.business-failed:11001",
                         "sub_msg": "当前售后单不在仲裁中，无需上传凭证"}
        self.evidence_submissions.append({"aftersale_id": r.aftersale_id, "comment": params.get("comment", ""),
                                          "evidence": list(evidence)})
        return self._ok({})

    def _time_extend(self, params: dict) -> tuple[int, dict]:
        """afterSale/timeExtend {aftersale_id} → empty data: the merchant's deadline to take in the return moves
        TIME_EXTEND_SECONDS later (a newer update_time, tag 209 售后超时时长变更 pushed with status_deadline)."""
        r = self.aftersales.get(str(params.get("aftersale_id")))
        if r is None:
            return 200, {"code": 50002, "msg": "业务处理失败", "sub_code": "isv.business-failed:11005", "sub_msg": "售后单不存在"}
        if r.status not in TIME_EXTEND_STATUSES:
            return ERRORS["status_error"]
        if r.extended:
            return 200, {"code": 50002, "msg": "业务处理失败", "sub_code": "isv.business-failed:11001",
                         "sub_msg": "该售后单已延长过收货时限，不能再次延长"}
        r.extended, r.update_time = True, r.update_time + 1
        r.status_deadline += TIME_EXTEND_SECONDS
        self.time_extensions.append(r.aftersale_id)
        if self.push_on_operate and self.push_url:
            pusher = threading.Thread(target=self.push, args=([self.deadline_message(r)],), daemon=True)
            self._pushers.append(pusher)
            pusher.start()
        return self._ok({})

    def deadline_message(self, record: SandboxAftersale) -> dict:
        """Tag 209 售后超时时长变更 (message-docs/31/226): aftersale_id, aftersale_status, aftersale_type, p_id, s_id,
        shop_id, status_deadline."""
        self._msg_seq += 1
        data = {"aftersale_id": int(record.aftersale_id), "aftersale_status": record.status,
                "aftersale_type": record.aftersale_type, "p_id": _num(record.order_id), "s_id": _num(record.sku_order_id),
                "shop_id": int(self.shop_id), "status_deadline": record.status_deadline}
        return {"tag": "209", "msg_id": f"{int(time.time() * 1000)}{self._msg_seq:04d}", "data": json.dumps(data)}

    def buyer_confirms_exchange(self, aftersale_id: str, *, push: bool = True) -> None:
        with self.lock:
            record = self.aftersales[aftersale_id]
            record.status, record.update_time = 14, record.update_time + 1
        if push:
            self.push_aftersale("207", record)

    def _operate(self, params: dict) -> tuple[int, dict]:
        op = int(params.get("type") or 0)
        items = params.get("items") or []
        if op not in OPERATIONS or not items or len(items) > 20:
            return 200, {"code": 40004, "msg": "非法的参数", "sub_code": "isv.parameter-invalid", "sub_msg": "type或items错误"}
        allowed, after = OPERATIONS[op]
        changed = []
        for item in items:
            r = self.aftersales.get(str(item.get("aftersale_id")))
            if r is None:
                return 200, {"code": 20000, "msg": "系统错误", "sub_code": "isp.service-error:10000", "sub_msg": "存在无效的售后单"}
            stale = item.get("update_time") and int(item["update_time"]) != r.update_time
            if op in OPERATION_TYPES and r.aftersale_type not in OPERATION_TYPES[op]:
                return 200, {"code": 40004, "msg": "非法的参数", "sub_code": "isv.parameter-invalid",
                             "sub_msg": "售后类型不支持该操作"}
            if r.status not in allowed or stale:
                return ERRORS["status_error"]
            if op in REJECTS and not item.get("reason"):
                return 200, {"code": 40004, "msg": "非法的参数", "sub_code": "isv.parameter-invalid", "sub_msg": "拒绝需填写原因"}
            if op in REJECTS and item.get("reject_reason_code") is not None:
                known = {r["reject_reason_code"]: r for r in REJECT_REASONS}.get(int(item["reject_reason_code"]))
                if known is None:
                    return 200, {"code": 40004, "msg": "非法的参数", "sub_code": "isv.parameter-invalid", "sub_msg": "拒绝原因码不存在"}
                if known["evidence_need"] == "Y" and not item.get("evidence"):
                    return 200, {"code": 40004, "msg": "非法的参数", "sub_code": "isv.parameter-invalid", "sub_msg": "该拒绝原因需上传凭证"}
            logistics = item.get("logistics") or {}
            if op in (101, 301) and not (logistics.get("receiver_address_id") or logistics.get("after_sale_address_detail")):
                # the SDK: logistics "当前type=101，301，311是该集合需要传值" (an address id or an address detail)
                return 200, {"code": 40004, "msg": "非法的参数", "sub_code": "isv.parameter-invalid",
                             "sub_msg": "同意退货/换货需填写退货地址"}
            if op == 311 and not ((item.get("logistics") or {}).get("company_code")
                                  and (item.get("logistics") or {}).get("logistics_code")):
                return 200, {"code": 40004, "msg": "非法的参数", "sub_code": "isv.parameter-invalid", "sub_msg": "换货发货需填写物流信息"}
            changed.append(r)
        for r in changed:
            r.status, r.update_time = after, r.update_time + 1
            r.status_deadline = r.update_time + 7 * 86400
            self.operations.append((op, r.aftersale_id))
        self.operate_items.extend({"type": op, **i} for i in items)
        if self.push_on_operate and self.push_url:
            tag = PUSH_AFTER_OPERATION[op]
            messages = [self.message(tag, r) for r in changed]
            pusher = threading.Thread(target=self.push, args=(messages,), daemon=True)
            self._pushers.append(pusher)
            pusher.start()
        return self._ok({"items": [{"aftersale_id": int(r.aftersale_id), "status_code": 0, "status_msg": "success"}
                                   for r in changed]})

    # --- orders ----------------------------------------------------------------------------------------
    def _shop_order(self, r: SandboxOrder) -> dict:
        """order/searchList's shop_order_list item (the fields shouhou reads, names as the SDK has them)."""
        addr = {"province": {"name": "浙江省", "id": "33"}, "city": {"name": "杭州市", "id": "3301"},
                "town": {"name": r.district[0], "id": "330106"}, "street": {"name": r.district[1], "id": "330106001"},
                "detail": r.detail}
        skus = [{"order_id": ln["sku_order_id"], "parent_order_id": r.order_id, "order_status": r.status,
                 "product_name": ln["product_name"], "product_id": 3_600_000_000 + int(ln.get("sku_id", 1)),
                 "product_id_str": str(3_600_000_000 + int(ln.get("sku_id", 1))), "sku_id": ln.get("sku_id", 1),
                 "code": ln.get("code", ""), "spec": ln.get("spec", []), "item_num": ln.get("item_num", 1),
                 "pay_amount": ln.get("pay_amount", 0), "update_time": r.update_time,
                 "encrypt_post_tel": cipher(r.order_id, "$", r.plain_tel), "mask_post_tel": r.tel} for ln in r.lines]
        return {"shop_id": int(self.shop_id), "order_id": r.order_id, "order_status": r.status,
                "order_status_desc": {105: "已支付", 2: "备货中", 3: "已发货", 4: "已取消", 5: "已完成"}.get(r.status, ""),
                "create_time": r.create_time, "pay_time": r.pay_time, "update_time": r.update_time,
                "ship_time": r.ship_time, "finish_time": r.finish_time,
                "pay_amount": sum(ln.get("pay_amount", 0) for ln in r.lines),
                "encrypt_post_receiver": cipher(r.order_id, "#", r.plain_receiver),
                "encrypt_post_tel": cipher(r.order_id, "$", r.plain_tel),
                "post_receiver": cipher(r.order_id, "#", r.plain_receiver),
                "post_tel": cipher(r.order_id, "$", r.plain_tel),
                "mask_post_receiver": r.receiver, "mask_post_tel": r.tel, "mask_post_addr": addr,
                "post_addr": {**addr, "detail": cipher(r.order_id, "#", r.plain_detail),
                              "encrypt_detail": cipher(r.order_id, "#", r.plain_detail)},
                "logistics_info": [{**w, "delivery_id": f"pack-{r.order_id}",
                                    "product_info": [{"sku_order_id": ln["sku_order_id"]} for ln in r.lines]}
                                   for w in r.logistics],
                "sku_order_list": skus}

    def _order_list(self, params: dict) -> tuple[int, dict]:
        start, end = int(params.get("update_time_start") or 0), int(params.get("update_time_end") or 2**62)
        page, size = int(params.get("page") or 0), int(params.get("size") or 10)
        if size > 100:
            return 200, {"code": 40004, "msg": "非法的参数", "sub_code": "isv.parameter-invalid", "sub_msg": "size不能超过100"}
        explicit = sorted((r for r in self.orders.values() if start <= r.update_time <= end), key=lambda r: r.update_time)
        lo = hi = 0
        if self.generated:
            count, base = self.generated
            lo = max(0, (start - base) * 50)
            hi = min(count, (end - base + 1) * 50) if end >= base else 0
            hi = max(lo, hi)
        total = (hi - lo) + len(explicit)
        chunk = []
        for i in range(page * size, min((page + 1) * size, total)):
            chunk.append(generated_order(lo + i, self.generated[1]) if i < hi - lo else explicit[i - (hi - lo)])
        return self._ok({"shop_order_list": [self._shop_order(r) for r in chunk], "page": page, "size": size,
                         "total": total})

    def _batch_decrypt(self, params: dict) -> tuple[int, dict]:
        """order/batchDecrypt: cipher_infos [{auth_id, cipher_text}] (at most 50) → decrypt_infos."""
        if not self.decrypt_allowed:
            return 200, {"code": 50002, "msg": "业务处理失败", "sub_code": "isv.permission-denied",
                         "sub_msg": "此应用没有解密权限"}
        infos = params.get("cipher_infos") or []
        if not infos or len(infos) > 50:
            return 200, {"code": 40004, "msg": "非法的参数", "sub_code": "isv.parameter-invalid",
                         "sub_msg": "cipher_infos为1到50条"}
        out = []
        for info in infos:
            auth_id, text = str(info.get("auth_id") or ""), str(info.get("cipher_text") or "")
            owner, value = uncipher(text)
            ok = owner is not None and owner == auth_id
            out.append({"auth_id": auth_id, "cipher_text": text, "decrypt_text": value if ok else "",
                        "err_no": 0 if ok else 300001, "err_msg": "" if ok else "密文与业务标识不匹配",
                        "data_type": 3 if text.startswith("$") else 1, "is_virtual_tel": False,
                        "expire_time": 0, "phone_no_a": "", "phone_no_b": ""})
        self.decrypted.append({"cipher_infos": infos})
        return self._ok({"decrypt_infos": out, "custom_err": {"err_code": 0, "err_msg": ""}})

    def _order_detail(self, params: dict) -> tuple[int, dict]:
        r = self.orders.get(str(params.get("shop_order_id")))
        if r is None:
            return 200, {"code": 50002, "msg": "业务处理失败", "sub_code": "isv.business-failed:10001", "sub_msg": "订单不存在"}
        return self._ok({"shop_order_detail": self._shop_order(r)})
