"""The one interface every platform adapter implements, and the shapes it returns.

An adapter speaks one platform's published HTTP API (real HTTP, httpx) and knows nothing of cases:
it verifies and parses pushes, reads after-sale requests, sends actions and refreshes tokens. The
mapping of its types and statuses to case kinds and statuses lives with it (documented in
docs/platforms.md); services.py does the rest."""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

import httpx


class PlatformError(Exception):
    """A call the platform refused or could not answer. `kind` decides what the outbox does:
    retry later (rate_limited, outage, token_expired) or stop and re-sync (already_handled, refused);
    no_permission: the app lacks the platform permission the call needs (e.g. 抖店's decrypt permission)."""

    RETRYABLE = {"rate_limited", "outage", "token_expired"}

    def __init__(self, kind: str, message: str, *, answer: dict | None = None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.answer = answer or {}

    @property
    def retryable(self) -> bool:
        return self.kind in self.RETRYABLE


def action_label(kind: str) -> str:
    """The action's name as the case page shows it (ActionKind's label), for a refusal's words: an agent reads
    "不支持「同意申请」", never the internal "approve"."""
    from shouhou.platforms.choices import ActionKind

    return str(dict(ActionKind.choices).get(kind, kind))


_CLIENTS: dict[tuple[int, float], httpx.Client] = {}
_CLIENTS_LOCK = threading.Lock()


def _shared_client(timeout: float) -> httpx.Client:
    """One httpx client per process and timeout: building a client loads the CA bundle (~20 ms idle, far
    more on a busy machine), which dominated a page of the order sync; it is thread-safe and pools
    connections. Keyed by pid so a forked worker never shares its parent's sockets."""
    key = (os.getpid(), timeout)
    client = _CLIENTS.get(key)
    if client is None:
        with _CLIENTS_LOCK:
            client = _CLIENTS.get(key)
            if client is None:
                client = _CLIENTS[key] = httpx.Client(timeout=timeout)
    return client


def gateway_json(label: str, send: Callable[[httpx.Client], httpx.Response], *, timeout: float,
                 transport: httpx.BaseTransport | None = None) -> dict:
    """One call to a platform gateway, read as JSON. What no platform answers in its own envelope
    (no connection, HTTP 429, a 5xx, a body that is not JSON) becomes the same retryable PlatformError."""
    try:
        if transport is not None:
            with httpx.Client(timeout=timeout, transport=transport) as client:
                response = send(client)
        else:
            response = send(_shared_client(timeout))
    except httpx.HTTPError as exc:
        raise PlatformError("outage", f"{label}接口无法连接：{exc.__class__.__name__}") from exc
    if response.status_code == 429:
        raise PlatformError("rate_limited", f"{label}接口限流，稍后重试")
    if response.status_code >= 500:
        raise PlatformError("outage", f"{label}接口暂不可用（HTTP {response.status_code}）")
    try:
        return response.json()
    except ValueError as exc:
        raise PlatformError("outage", f"{label}接口返回了非 JSON 内容（HTTP {response.status_code}）") from exc


class PushRefused(Exception):
    """A push that must not be stored (bad signature, unknown app, not JSON)."""


@dataclass
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: dt.datetime
    platform_shop_id: str = ""
    shop_name: str = ""


@dataclass
class PushMessage:
    message_id: str
    tag: str
    data: dict
    platform_shop_id: str = ""
    aftersale_id: str = ""
    order_id: str = ""
    handshake: bool = False
    known: bool = True  # a message type the adapter maps; others are acknowledged and logged


@dataclass
class Aftersale:
    """One after-sale request as the platform describes it, in shouhou's terms plus the raw codes."""

    aftersale_id: str
    order_id: str
    sub_order_id: str
    platform_type: str
    platform_status: str
    kind: str  # CaseKind
    case_status: str  # CaseStatus the platform's status corresponds to
    reason: str  # ClaimReason
    reason_text: str = ""
    status_text: str = ""
    refund_amount: Decimal = Decimal("0")
    deadline: dt.datetime | None = None
    updated: int = 0  # the platform's version (update_time): sent back so a stale action is refused
    # how the request ended when the platform's status says more than the case kind does (抖店 12 售后成功 on an
    # exchange or repair converted to a refund is a refund, not a replacement); "" = the case kind decides
    resolution: str = ""
    # a refund the merchant or the platform itself made (有赞 SELLER_REFUND / SYSTEM_REFUND): recorded on the
    # link, never a request to decide — no case is opened for it
    not_a_request: bool = False
    # when the buyer asked (aware, Beijing time): the policy judges the request as of that day (case_create's
    # requested_at), not the day shouhou first read it
    applied_at: dt.datetime | None = None
    # every order line the request covers, when the platform names several (抖店 店铺单, after_sale_order_type 2):
    # sub_order_id is the first of them; [] when the request names one line or none
    sub_order_ids: list[str] = field(default_factory=list)
    raw: dict = field(default_factory=dict)


@dataclass
class Page:
    items: list[Aftersale]
    cursor: dict
    has_more: bool


@dataclass
class Action:
    kind: str  # ActionKind
    aftersale_id: str
    platform_type: str
    updated: int = 0
    reason: str = ""
    reject_reason_code: int | None = None
    evidence_urls: list[str] = field(default_factory=list)
    return_address_id: str = ""
    amount_fen: int = 0  # the request's refund amount as the platform last said it
    platform_status: str = ""
    carrier: str = ""  # exchange re-shipment: shouhou's carrier code (commerce.Carrier) of the new parcel
    tracking_no: str = ""
    express_code: str = ""  # the platform's own carrier code when the connection maps one (快手)
    reject_reason_chosen: bool = False  # reject_reason_code is the agent's pick (else the connection's default)
    default_reject_reasons: dict = field(default_factory=dict)  # the connection's default per reject scene (微信小店)


@dataclass
class RejectReason:
    """One reason the platform accepts when the merchant refuses a request."""

    code: int
    text: str
    evidence_need: bool = False  # the platform requires images with this reason
    hint: str = ""  # what evidence the platform expects


@dataclass
class PlatformAddress:
    """One address of the shop's address book on the platform (the return address sent with an approval)."""

    address_id: str
    text: str
    is_default: bool = False


@dataclass
class Waybill:
    """A parcel the platform knows for an order: its carrier (our Carrier code) and tracking number."""

    tracking_no: str
    carrier: str  # commerce Carrier value ("OTHER" when the platform's company is not one we name)
    carrier_name: str = ""
    shipped_at: dt.datetime | None = None
    sub_order_ids: list[str] = field(default_factory=list)


@dataclass
class OrderItem:
    """One line of a platform order; `sub_order_id` is the platform's own line id (抖店 sku order id,
    快手 order id — one item per order —, 微信小店 sku id) and becomes OrderLine.line_key."""

    sub_order_id: str
    product_name: str
    quantity: int = 1
    paid: Decimal = Decimal("0.00")  # what the buyer paid for this line, yuan
    product_id: str = ""
    sku_code: str = ""
    spec: str = ""


@dataclass
class PlatformOrder:
    """An order as the platform describes it, buyer data exactly as given (masked by the platform)."""

    order_id: str
    status: str  # commerce OrderStatus value, "" for an order that is not one yet (unpaid)
    platform_status: str
    updated: int  # the platform's update_time (unix s): a re-sync of an unchanged order writes nothing
    items: list[OrderItem]
    placed_at: dt.datetime | None = None
    paid_at: dt.datetime | None = None
    shipped_at: dt.datetime | None = None
    signed_at: dt.datetime | None = None
    total: Decimal | None = None
    receiver_name: str = ""  # masked as the platform gives it (e.g. 张**)
    receiver_phone: str = ""  # masked (e.g. 138****5678) or a virtual number; never decrypted here
    address: str = ""
    waybills: list[Waybill] = field(default_factory=list)
    raw: dict = field(default_factory=dict)


@dataclass
class OrderPage:
    items: list[PlatformOrder]
    cursor: dict
    has_more: bool


class Adapter(Protocol):
    platform: str

    @classmethod
    def from_secrets(cls, *, app_key: str, secrets: dict, api_base: str = "") -> Adapter: ...

    @staticmethod
    def push_app_key(headers: dict) -> str | None: ...  # None: the app is named inside the (encrypted) body

    @staticmethod
    def refusal(message: str) -> tuple[int, dict]: ...

    def initial_cursor(self, since: dt.datetime) -> dict: ...

    def reconcile_cursor(self, cursor: dict, overlap_seconds: int) -> dict: ...

    def verify_push(self, headers: dict, body: bytes) -> None: ...

    def parse_push(self, body: bytes) -> list[PushMessage]: ...

    def push_answer(self, ok: bool, message: str = "") -> tuple[int, dict]: ...

    def create_token(self, *, code: str = "", shop_id: str = "") -> Tokens: ...

    def refresh_token(self, refresh_token: str) -> Tokens: ...

    def fetch_aftersales(self, access_token: str, cursor: dict) -> Page: ...

    def fetch_aftersale(self, access_token: str, aftersale_id: str) -> Aftersale: ...

    def act(self, access_token: str, action: Action) -> dict: ...

    def manual_link(self, aftersale_id: str) -> str: ...

    # act-back details (reject reasons, evidence images, address book, authorisation page)
    def reject_reasons(self, access_token: str, aftersale_id: str) -> list[RejectReason]: ...

    def upload_evidence(self, access_token: str, *, public_url: str, name: str) -> str | None: ...
    # the image's URL on the platform; None: this platform's reject API takes no images

    def addresses(self, access_token: str) -> list[PlatformAddress]: ...

    def authorize_url(self, *, state: str, redirect_uri: str, service_id: str = "", base: str = "") -> str: ...
    # --- orders (platforms/orders.py). An adapter without them (有赞 until its helper adds them) is skipped
    # by the order sync: `supports_orders(adapter)` below. ORDER_TAGS: the push tags that name a changed order.
    order_tags: frozenset[str]

    def list_orders(self, access_token: str, since: int, cursor: dict) -> OrderPage: ...

    def get_order(self, access_token: str, order_id: str) -> PlatformOrder: ...


def supports_decrypt(adapter_or_class) -> bool:
    """The platform publishes a buyer-data decrypt API and the adapter implements it (docs/platforms.md,
    "Decrypting on reveal")."""
    return callable(getattr(adapter_or_class, "decrypt_receiver", None))


def supports_orders(adapter_or_class) -> bool:
    return callable(getattr(adapter_or_class, "list_orders", None)) and \
        callable(getattr(adapter_or_class, "get_order", None))


def carrier_of(code: str = "", name: str = "") -> str:
    """Our Carrier value for a platform's company code (抖店 and 微信小店 use Kuaidi100-style codes such as
    "zhongtong"; 微信小店 also upper-case codes such as "ZTO") or its name (中通快递); "OTHER" otherwise."""
    from shouhou.commerce.choices import Carrier
    from shouhou.commerce.importers.parse import CARRIER_WORDS
    from shouhou.logistics.normalize import KUAIDI100_COM

    code, name = str(code or "").strip(), str(name or "").strip()
    if code.lower() in KUAIDI100_COM:
        return str(KUAIDI100_COM[code.lower()])
    if code.upper() in Carrier.values:
        return code.upper()
    for word in (name, name.removesuffix("快递"), name.removesuffix("速递"), name.removesuffix("速运")):
        if word in CARRIER_WORDS:
            return CARRIER_WORDS[word]
    return str(Carrier.OTHER)


def masked(value) -> str:
    """Buyer data exactly as the platform masks it. A ciphertext (抖店's encrypted fields are wrapped in #…#,
    $…$ or ~…~ per its security docs) is never shown or stored as a name or phone: it stays empty."""
    text = str(value or "").strip()
    if len(text) > 2 and text[0] in "#$~" and text[-1] == text[0]:
        return ""
    return text


def text_of(value) -> str:
    """A field as text: a JSON null (a gateway writing an absent optional field as null) is "", never "None"."""
    return "" if value is None else str(value)


SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")  # no daylight saving: +08:00 all year


def beijing(moment: dt.datetime | None) -> dt.datetime | None:
    """An instant in Beijing time, the zone the platforms and the policy count days in."""
    return moment.astimezone(SHANGHAI) if moment is not None else None


def when(ts, *, millis: bool = False) -> dt.datetime | None:
    try:
        value = int(ts or 0)
    except (TypeError, ValueError):
        return None
    if millis:
        value //= 1000
    return dt.datetime.fromtimestamp(value, tz=dt.UTC) if value > 0 else None


def yuan(fen) -> Decimal:
    try:
        return (Decimal(int(fen or 0)) / 100).quantize(Decimal("0.01"))
    except (TypeError, ValueError):
        return Decimal("0.00")
