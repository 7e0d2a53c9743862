"""Demo data: a shop template, and a realistic outbox history for the demo orders (set-based)."""

from __future__ import annotations

import random
from datetime import timedelta

from shouhou.commerce.models import Order
from shouhou.notifications.choices import Trigger
from shouhou.notifications.models import DeliveryReceipt, MessageTemplate, OutboundMessage
from shouhou.notifications.services import service_contact
from shouhou.notifications.templates_text import DEFAULTS, render

S = OutboundMessage.Status


def seed(*, shop, rng: random.Random) -> None:
    MessageTemplate.objects.get_or_create(
        shop=shop, trigger=Trigger.ORDER_PLACED, channel="sms", language="zh-hans",
        defaults={"body": "【{{shop_name}}】宝子，订单{{order_no}}已收到～收货后有任何问题别着急，"
                          "售后小姐姐随时在：{{service_contact}}"})
    orders = list(Order.objects.filter(shop=shop).select_related("customer").order_by("pk")[:2000])
    contact = service_contact(shop)
    rows = []
    for o in orders:
        if o.customer is None or not o.placed_at:
            continue
        ctx = {"shop_name": shop.name, "customer_name": o.customer.name or "亲", "service_contact": contact,
               "order_no": o.order_no}
        roll = rng.random()
        status = S.DELIVERED if roll < 0.85 else S.SENT if roll < 0.93 else S.FAILED if roll < 0.97 else S.SUPPRESSED
        rows.append(OutboundMessage(
            shop=shop, customer=o.customer, channel="sms", trigger=Trigger.ORDER_PLACED,
            recipient=o.customer.phone, body=render(DEFAULTS[Trigger.ORDER_PLACED], ctx), context=ctx,
            idempotency_key=f"order:{o.pk}:placed", status=status, attempts=0 if status == S.SUPPRESSED else 1,
            provider="local", provider_message_id=f"demo-{o.pk}-p",
            sent_at=o.placed_at + timedelta(seconds=rng.randint(5, 90)) if status in (S.SENT, S.DELIVERED) else None,
            delivered_at=o.placed_at + timedelta(seconds=rng.randint(95, 300)) if status == S.DELIVERED else None,
            last_error="isv.MOBILE_NUMBER_ILLEGAL: 号码无效" if status == S.FAILED else "",
            suppressed_reason="opted_out" if status == S.SUPPRESSED else ""))
        if o.shipped_at:
            ship_ctx = {**ctx, "carrier": "顺丰速运", "tracking_no": f"SF{o.pk:012d}"}
            rows.append(OutboundMessage(
                shop=shop, customer=o.customer, channel="sms", trigger=Trigger.ORDER_SHIPPED,
                recipient=o.customer.phone, body=render(DEFAULTS[Trigger.ORDER_SHIPPED], ship_ctx), context=ship_ctx,
                idempotency_key=f"order:{o.pk}:shipped-demo", status=S.DELIVERED, attempts=1, provider="local",
                provider_message_id=f"demo-{o.pk}-s", sent_at=o.shipped_at + timedelta(minutes=1),
                delivered_at=o.shipped_at + timedelta(minutes=2)))
    OutboundMessage.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    delivered = OutboundMessage.objects.filter(shop=shop, status=S.DELIVERED, provider_message_id__startswith="demo-")
    DeliveryReceipt.objects.bulk_create(
        [DeliveryReceipt(message_id=pk, provider="local", status="delivered", receipt_key=f"local:{mid}:delivered",
                         reported_at=at) for pk, mid, at in delivered.values_list("pk", "provider_message_id",
                                                                                  "delivered_at")],
        batch_size=2000, ignore_conflicts=True)
