"""Reads of shop data. Aggregates are single queries."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, Sum

from shouhou.commerce.choices import ShipmentStatus
from shouhou.commerce.models import Customer, ImportJob, LiveSession, Order, Product, Shipment, Shop


def shop_overview(*, shop: Shop) -> dict:
    orders = Order.objects.filter(shop=shop).aggregate(count=Count("id"), gmv=Sum("total_paid"))
    shipments = dict(
        Shipment.objects.filter(shop=shop, voided_at__isnull=True).values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    return {
        "orders": orders["count"] or 0,
        "gmv": orders["gmv"] or Decimal("0.00"),
        "customers": Customer.objects.filter(shop=shop).count(),
        "products": Product.objects.filter(shop=shop).count(),
        "live_sessions": LiveSession.objects.filter(shop=shop).count(),
        "shipments": {status.value: shipments.get(status.value, 0) for status in ShipmentStatus},
        "shipment_labels": {status.value: status.label for status in ShipmentStatus},
    }


def live_session_summaries(*, shop: Shop, limit: int = 10) -> list[dict]:
    rows = (
        LiveSession.objects.filter(shop=shop)
        .select_related("host")
        .annotate(order_count=Count("orders"), gmv=Sum("orders__total_paid"),
                  delivered=Count("orders", filter=Q(orders__delivered_at__isnull=False)))
        .order_by("-started_at")[:limit]
    )
    return [
        {"id": s.pk, "title": s.title, "host": s.host.name if s.host else "", "started_at": s.started_at,
         "orders": s.order_count, "gmv": s.gmv or Decimal("0.00"), "delivered": s.delivered}
        for s in rows
    ]


def import_report_lines(*, job: ImportJob) -> list[str]:
    """The import report as plain Chinese lines (CLI and logs)."""
    s = job.summary or {}
    lines = [f"导入任务 #{job.pk}：{job.filename}（{job.get_status_display()}）",
             f"数据行 {job.total_rows}，有效 {job.ok_rows}，错误 {job.error_count}"]
    if s.get("missing_columns"):
        lines.append(f"注意：文件里没有这些列，相应数据为空或按默认值：{'、'.join(s['missing_columns'])}")
    if s.get("ignored_columns"):
        lines.append(f"未识别的列（已忽略，可用 --mapping 指定）：{'、'.join(s['ignored_columns'])}")
    lines.extend(s.get("notes") or [])
    if s.get("same_file_as_job"):
        lines.append(f"此文件与导入任务 #{s['same_file_as_job']} 相同：已按订单号更新，不会重复")
    if s.get("written"):
        lines.append(
            f"订单 新增 {s.get('orders_created', 0)}，更新 {s.get('orders_updated', 0)}；"
            f"订单行 新增 {s.get('lines_created', 0)}，更新 {s.get('lines_updated', 0)}；"
            f"顾客 新增 {s.get('customers_created', 0)}；商品 新增 {s.get('products_created', 0)}；"
            f"物流单 新增 {s.get('shipments_created', 0)}，更新 {s.get('shipments_updated', 0)}")
    elif job.error_count:
        lines.append("有错误行，未写入任何数据（修正后重新导入，或使用 --allow-partial 只导入正确的行）")
    lines.extend(err["text"] for err in import_errors_shown(job=job))
    if job.error_count > len(job.errors):
        lines.append(f"……另有 {job.error_count - len(job.errors)} 处错误未列出")
    return lines


def import_errors_shown(*, job: ImportJob) -> list[dict]:
    """The job's stored errors in the active language: row, column, value, message, text (page, API, CSV, CLI)."""
    from shouhou.commerce.importers.messages import errors_shown

    return errors_shown(job.errors)


def import_errors_csv(*, job: ImportJob) -> str:
    """The error list as CSV in the active language (UTF-8 with BOM, so Excel on a Chinese Windows opens it). Every
    cell goes through core/spreadsheets: the column is the file's own header, as outside-written as the value."""
    import io

    from django.utils.translation import gettext as _

    from shouhou.core.spreadsheets import SafeWriter

    out = io.StringIO()
    out.write("\ufeff")
    writer = SafeWriter(out)
    writer.writerow([_("行"), _("列"), _("值"), _("原因")])
    for err in import_errors_shown(job=job):
        writer.writerow(["" if err["row"] is None else err["row"], err["field"], err["value"], err["message"]])
    if job.error_count > len(job.errors):
        writer.writerow(["", "", "", _("另有 %(n)s 处错误未列出。") % {"n": job.error_count - len(job.errors)}])
    return out.getvalue()


def import_job_list(*, shop: Shop, limit: int = 20) -> list[ImportJob]:
    return list(ImportJob.objects.filter(shop=shop).order_by("-pk")[:limit])


def live_session_list_qs(*, shop: Shop):
    """Sessions with their order count, GMV and pitched-product count. The two counts use subqueries so
    the joins do not multiply the GMV."""
    from django.db.models import DecimalField, IntegerField, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    orders = Order.objects.filter(live_session=OuterRef("pk")).order_by().values("live_session")
    through = LiveSession.products.through.objects.filter(livesession=OuterRef("pk")).order_by().values("livesession")
    return (LiveSession.objects.filter(shop=shop).select_related("host")
            .annotate(n_orders=Coalesce(Subquery(orders.annotate(c=Count("id")).values("c")), 0,
                                        output_field=IntegerField()),
                      n_gmv=Subquery(orders.annotate(s=Sum("total_paid")).values("s"),
                                     output_field=DecimalField(max_digits=14, decimal_places=2)),
                      n_products=Coalesce(Subquery(through.annotate(c=Count("id")).values("c")), 0,
                                          output_field=IntegerField()))
            .order_by("-started_at", "-id"))


# --- return addresses -------------------------------------------------------------------------------

def return_addresses(*, shop: Shop, include_inactive: bool = True):
    """The shop's return addresses, the default first."""
    from shouhou.commerce.models import ReturnAddress

    qs = ReturnAddress.objects.filter(shop=shop)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.order_by("-is_active", "-is_default", "pk")


def return_address_for_case(case):
    """Where this case's goods go back to, or None when the shop has given no address yet.
    An active address for the line's category first (e.g. a repair warehouse), else the shop's default,
    else its oldest active address that takes every category. Once approved, the address given then
    (decision["return_address_id"]) stays while it is active. Used by the follow page, the customer's
    messages and the platform connectors; `case` needs only shop_id and order_line (may be None)."""
    from shouhou.commerce.models import ReturnAddress

    active = ReturnAddress.objects.filter(shop_id=case.shop_id, is_active=True)
    given = (getattr(case, "decision", None) or {}).get("return_address_id")
    if given:  # the address the customer was told on approval, while the shop still uses it
        told = active.filter(pk=given).first()
        if told is not None:
            return told
    line = getattr(case, "order_line", None)
    if line is not None and line.category:
        match = active.filter(category=line.category).order_by("-is_default", "pk").first()
        if match is not None:
            return match
    return active.filter(category="").order_by("-is_default", "pk").first()


def return_address_text(address) -> str:
    """One line for a message or a platform: 'name phone, full address (note)'."""
    if address is None:
        return ""
    text = f"{address.contact_name} {address.phone}，{address.full_address}"
    if address.postal_code:
        text += f"（邮编 {address.postal_code}）"
    return text + (f"。{address.note}" if address.note else "")
