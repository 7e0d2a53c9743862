"""The one interface every platform adapter implements, and the shapes it returns.

An adapter speaks one platform's published HTTP API (real HTTP, httpx) and knows nothing of cases:
it verifies and parses pushes, reads after-sale requests, sends actions and refreshes tokens. The
mapping of its types and statuses to case kinds and statuses lives with it (documented in
docs/platforms.md); services.py does the rest."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

import httpx


class PlatformError(Exception):
    """A call the platform refused or could not answer. `kind` decides what the outbox does:
    retry later (rate_limited, outage, token_expired) or stop and re-sync (already_handled, refused)."""

    RETRYABLE = {"rate_limited", "outage", "token_expired"}

    def __init__(self, kind: str, message: str, *, answer: dict | None = None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.answer = answer or {}

    @property
    def retryable(self) -> bool:
        return self.kind in self.RETRYABLE


def gateway_json(label: str, send: Callable[[httpx.Client], httpx.Response], *, timeout: float,
                 transport: httpx.BaseTransport | None = None) -> dict:
    """One call to a platform gateway, read as JSON. What no platform answers in its own envelope
    (no connection, HTTP 429, a 5xx, a body that is not JSON) becomes the same retryable PlatformError."""
    try:
        with httpx.Client(timeout=timeout, transport=transport) as client:
            response = send(client)
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
    applied_at: dt.datetime | None = None
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
