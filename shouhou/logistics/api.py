from __future__ import annotations

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from shouhou.accounts.actors import require_role
from shouhou.accounts.permissions import REPLY
from shouhou.api.errors import DomainError
from shouhou.commerce.models import Shipment
from shouhou.logistics.models import ExceptionRuleSet
from shouhou.logistics.pushes import PushError, parse_generic
from shouhou.logistics.selectors import exception_list, tracking_events
from shouhou.logistics.services import (
    RulesError,
    UnknownShipment,
    exception_sweep,
    rules_save,
    tracking_ingest,
)

router = Router(tags=["物流"])


class TrackingEventOut(Schema):
    occurred_at: datetime
    status: str
    carrier_status: str
    description: str
    location: str


class ExceptionOut(Schema):
    id: int
    shipment_id: int
    tracking_no: str
    order_no: str
    kind: str
    status: str
    detail: str
    ticket_id: int | None
    opened_at: datetime
    resolved_at: datetime | None


class RulesIO(Schema):
    no_movement_hours: int = Field(48, ge=1, le=24 * 60)
    out_for_delivery_hours: int = Field(24, ge=1, le=24 * 60)
    delivery_failed: bool = True
    returned: bool = True
    dispatch_late: bool = True
    notify_customer: bool = True
    dispatch_late_reason: str = Field("仓库发货量激增，正在加紧打包", min_length=1, max_length=200)
    dispatch_late_remedy: str = Field("5元无门槛优惠券", min_length=1, max_length=200)


class TrackingIngestOut(Schema):
    stored: int
    received: int


@router.get("/shipments/{shipment_id}/events", response=list[TrackingEventOut])
def events(request, shipment_id: int):
    get_object_or_404(Shipment, shop=request.auth.shop, pk=shipment_id)  # 404, not an empty list, for others'
    return list(tracking_events(shop=request.auth.shop, shipment_id=shipment_id))


@router.post("/tracking", response=TrackingIngestOut)
def ingest(request):
    """Generic JSON push with an API token (same body as the signed webhook)."""
    try:
        carrier, nu, evs = parse_generic(request.body)
        new = tracking_ingest(shop=request.auth.shop, carrier=carrier, tracking_no=nu, events=evs, source="api",
                              actor=request.auth)
    except PushError as exc:
        raise DomainError(str(exc)) from exc
    except UnknownShipment as exc:
        raise DomainError(str(exc), status=404, field="tracking_no") from exc
    return TrackingIngestOut(stored=new, received=len(evs))


@router.get("/exceptions", response=list[ExceptionOut])
def exceptions(request, status: str | None = None):
    return [ExceptionOut(id=e.pk, shipment_id=e.shipment_id, tracking_no=e.shipment.tracking_no,
                         order_no=e.shipment.order.order_no, kind=e.kind, status=e.status, detail=e.detail,
                         ticket_id=e.ticket_id, opened_at=e.opened_at, resolved_at=e.resolved_at)
            for e in exception_list(shop=request.auth.shop, status=status)]


@router.get("/rules", response=RulesIO)
def rules_get(request):
    row = ExceptionRuleSet.objects.filter(shop=request.auth.shop).first()
    return RulesIO(**{f: getattr(row, f) for f in RulesIO.model_fields}) if row else RulesIO()


@router.put("/rules", response=RulesIO)
def rules_put(request, payload: RulesIO):
    if not request.auth.can("policy.edit"):
        raise DomainError("当前角色无权修改物流异常规则", status=403)
    try:
        rules_save(shop=request.auth.shop, values=payload.dict(), actor=request.auth)
    except RulesError as exc:
        raise DomainError(str(exc), field=exc.field) from exc
    return payload


@router.post("/exceptions/sweep")
def sweep(request):
    # opening exceptions (and their tickets) is an agent's act: a read-only token may not start it
    require_role(request.auth, request.auth.shop, REPLY)
    return exception_sweep(shop=request.auth.shop)
