from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from shouhou.accounts.permissions import IMPORT
from shouhou.api.errors import DomainError
from shouhou.api.params import BoundedPagination
from shouhou.commerce.models import Customer, ImportJob, Order
from shouhou.commerce.selectors import import_errors_shown, live_session_list_qs, shop_overview
from shouhou.commerce.services import import_job_submit
from shouhou.core.phones import mask_phone

router = Router(tags=["店铺与订单"])


class ShopOverviewOut(Schema):
    id: int
    name: str
    platform: str
    orders: int
    gmv: Decimal
    customers: int
    products: int
    live_sessions: int
    shipments: dict[str, int]


class OrderLineOut(Schema):
    id: int
    product_name: str
    spec: str
    category: str
    quantity: int
    price_paid: Decimal
    batch_no: str
    removed_at: datetime | None  # the shop platform took the line off the order (kept, not claimable)


class OrderOut(Schema):
    id: int
    order_no: str
    status: str
    placed_at: datetime | None
    paid_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    total_paid: Decimal
    receiver_name: str
    receiver_phone_masked: str
    live_session_id: int | None

    @staticmethod
    def resolve_receiver_phone_masked(obj) -> str:
        return obj["receiver_phone_masked"] if isinstance(obj, dict) else mask_phone(obj.receiver_phone)


class OrderDetailOut(OrderOut):
    lines: list[OrderLineOut]


def _order_out(order: Order) -> dict:
    return {
        "id": order.pk, "order_no": order.order_no, "status": order.status, "placed_at": order.placed_at,
        "paid_at": order.paid_at, "shipped_at": order.shipped_at, "delivered_at": order.delivered_at,
        "total_paid": order.total_paid, "receiver_name": order.receiver_name,
        "receiver_phone_masked": mask_phone(order.receiver_phone), "live_session_id": order.live_session_id,
    }


@router.get("/shop", response=ShopOverviewOut, summary="当前店铺概览")
def shop_get(request):
    shop = request.auth.shop
    data = shop_overview(shop=shop)
    return {"id": shop.pk, "name": shop.name, "platform": shop.platform, **data}


@router.get("/orders", response=list[OrderOut], summary="订单列表（手机号脱敏）")
@paginate(BoundedPagination)
def order_list(request, order_no: str | None = None):
    # Return the queryset: the paginator slices it in SQL (a list would load every order of the shop).
    qs = Order.objects.filter(shop=request.auth.shop).order_by("-placed_at", "-id")
    if order_no:
        qs = qs.filter(order_no=order_no)
    return qs


@router.get("/orders/{order_id}", response=OrderDetailOut, summary="订单详情")
def order_get(request, order_id: int):
    order = get_object_or_404(Order, shop=request.auth.shop, pk=order_id)
    return {**_order_out(order), "lines": list(order.lines.all())}


class ImportErrorOut(Schema):
    row: int | None
    field: str = Field(description="the column as the file's header names it")
    value: str = Field("", description="the cell's value, when the problem is about one")
    message: str = Field(description="what is wrong, in the request's language")
    text: str = Field(description="row, column and message in one line, in the request's language")
    code: str = Field("", description="the message's code (its Chinese msgid), for a row's and for the file's own problems")
    params: dict = Field(default_factory=dict, description="the code's parameters (value, limit, …)")


class ImportJobOut(Schema):
    id: int
    filename: str
    status: str
    allow_partial: bool
    total_rows: int
    ok_rows: int
    error_count: int
    created_count: int
    updated_count: int
    written: bool
    summary: dict
    errors: list[ImportErrorOut]
    created_at: datetime
    finished_at: datetime | None


def _job_out(job: ImportJob) -> dict:
    return {
        "id": job.pk, "filename": job.filename, "status": job.status, "allow_partial": job.allow_partial,
        "total_rows": job.total_rows, "ok_rows": job.ok_rows, "error_count": job.error_count,
        "created_count": job.created_count, "updated_count": job.updated_count,
        "written": bool((job.summary or {}).get("written")), "summary": job.summary or {},
        "errors": import_errors_shown(job=job),
        "created_at": job.created_at, "finished_at": job.finished_at,
    }


@router.post("/imports", response={201: ImportJobOut}, summary="上传订单导出文件并导入（multipart）")
def import_create(request, file: File[UploadedFile], allow_partial: Form[bool] = False,
                  mapping: Form[str] = ""):
    if not request.auth.can(IMPORT):
        raise DomainError("当前角色无权导入订单", status=403)
    parsed = None
    if mapping.strip():
        try:
            parsed = json.loads(mapping)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise DomainError("列映射应是 JSON 对象，例如 {\"order_no\": \"平台单号\"}", field="mapping")
    job = import_job_submit(shop=request.auth.shop, upload=file, mapping=parsed, allow_partial=allow_partial,
                            actor=request.auth)
    job.refresh_from_db()
    return Status(201, _job_out(job))


@router.get("/imports/{import_id}", response=ImportJobOut, summary="导入任务与报告")
def import_get(request, import_id: int):
    return _job_out(get_object_or_404(ImportJob, shop=request.auth.shop, pk=import_id))


class CustomerOut(Schema):
    id: int
    name: str
    phone_masked: str
    tier: str
    contact_consent: bool
    points: int

    @staticmethod
    def resolve_phone_masked(obj) -> str:
        return mask_phone(obj.phone)


@router.get("/customers", response=list[CustomerOut], summary="顾客列表（手机号脱敏）")
@paginate(BoundedPagination)
def customer_list(request, tier: str | None = None, phone_last4: str | None = None):
    qs = Customer.objects.filter(shop=request.auth.shop).order_by("-id")
    if tier:
        qs = qs.filter(tier=tier)
    if phone_last4:
        qs = qs.filter(phone_last4=phone_last4)
    return qs  # sliced in SQL by the paginator


class LiveSessionOut(Schema):
    id: int
    title: str
    host: str
    started_at: datetime
    ended_at: datetime | None
    orders: int
    gmv: Decimal
    product_count: int


@router.get("/live-sessions", response=list[LiveSessionOut], summary="直播场次（订单数、成交额）")
@paginate(BoundedPagination)
def live_session_list(request):
    qs = live_session_list_qs(shop=request.auth.shop)
    return [{"id": s.pk, "title": s.title, "host": s.host.name if s.host else "", "started_at": s.started_at,
             "ended_at": s.ended_at, "orders": s.n_orders, "gmv": (s.n_gmv or Decimal("0")).quantize(Decimal("0.01")),
             "product_count": s.n_products} for s in qs]


class ReturnAddressOut(Schema):
    id: int
    kind: str
    name: str
    contact_name: str
    phone: str
    province: str
    city: str
    district: str
    street: str
    postal_code: str
    category: str
    note: str
    is_default: bool
    is_active: bool
    full_address: str


@router.get("/return-addresses", response=list[ReturnAddressOut], summary="退货地址（默认地址在前）")
def return_address_list(request, active: bool = False):
    """The shop's return addresses; `active=true` leaves out the inactive ones. Which one a case uses:
    commerce.selectors.return_address_for_case (docs/cases.md). Changed on /commerce/return-addresses/."""
    from shouhou.commerce.selectors import return_addresses

    return list(return_addresses(shop=request.auth.shop, include_inactive=not active))
