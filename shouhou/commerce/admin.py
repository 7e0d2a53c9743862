from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from shouhou.commerce.models import (
    SKU,
    Customer,
    Host,
    ImportJob,
    LiveSession,
    Order,
    OrderLine,
    Product,
    Shipment,
    Shop,
)
from shouhou.core.admin_audit import AuditedModelAdmin
from shouhou.core.phones import mask_phone


@admin.register(Shop)
class ShopAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "platform", "created_at"]
    search_fields = ["name", "code"]


@admin.register(Host)
class HostAdmin(AuditedModelAdmin):
    list_display = ["name", "shop"]
    list_filter = ["shop"]


class SKUInline(admin.TabularInline):
    model = SKU
    extra = 0


@admin.register(Product)
class ProductAdmin(AuditedModelAdmin):
    list_display = ["name", "category", "shop", "warranty_days"]
    list_filter = ["shop", "category"]
    search_fields = ["name", "external_id"]
    inlines = [SKUInline]


@admin.register(SKU)
class SKUAdmin(AuditedModelAdmin):
    list_display = ["code", "product", "spec", "price", "shop"]
    list_filter = ["shop"]
    search_fields = ["code", "product__name"]
    list_select_related = ["product"]


@admin.register(Customer)
class CustomerAdmin(AuditedModelAdmin):
    list_display = ["name", "masked_phone", "tier", "contact_consent", "shop"]
    list_filter = ["shop", "tier", "contact_consent"]
    search_fields = ["name", "phone", "wechat_id"]

    @admin.display(description="手机号")
    def masked_phone(self, obj: Customer) -> str:
        return mask_phone(obj.phone)


@admin.register(LiveSession)
class LiveSessionAdmin(AuditedModelAdmin):
    list_display = ["title", "host", "started_at", "ended_at", "shop"]
    list_filter = ["shop", "host"]
    filter_horizontal = ["products"]


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    raw_id_fields = ["product", "sku"]
    # The columns a person reads on the order page; the rest stay on the line's own page (all of them made the
    # order page 2,800 px wide at 1366).
    fields = ["line_key", "product_name", "spec", "quantity", "price_paid", "platform_after_sale_status"]


class ShipmentInline(admin.TabularInline):
    model = Shipment
    extra = 0


@admin.register(Order)
class OrderAdmin(AuditedModelAdmin):
    list_display = ["order_no", "customer", "status", "paid_yuan", "placed_at", "live_session", "shop"]
    list_filter = ["shop", "status", "live_session"]
    search_fields = ["order_no", "receiver_name"]
    raw_id_fields = ["customer", "live_session"]
    list_select_related = ["customer", "live_session", "shop"]
    inlines = [OrderLineInline, ShipmentInline]
    date_hierarchy = "placed_at"

    @admin.display(description=_("实付金额"), ordering="total_paid")
    def paid_yuan(self, obj: Order) -> str:
        return f"¥{obj.total_paid:.2f}"


@admin.register(Shipment)
class ShipmentAdmin(AuditedModelAdmin):
    list_display = ["tracking_no", "carrier", "status", "promised_ship_by", "shipped_at", "signed_at", "shop"]
    list_filter = ["shop", "carrier", "status"]
    search_fields = ["tracking_no", "order__order_no"]
    raw_id_fields = ["order"]


@admin.register(ImportJob)
class ImportJobAdmin(AuditedModelAdmin):
    list_filter = ["shop", "status"]
    list_display = ["filename", "status", "total_rows", "error_count", "created_count", "updated_count",
                    "created_at", "shop"]
    readonly_fields = ["digest", "errors", "mapping", "summary", "total_rows", "ok_rows", "error_count",
                       "created_count", "updated_count", "finished_at"]
