"""Background jobs for cases. Each takes ids and is safe to run twice (idempotency keys)."""

from __future__ import annotations

from shouhou.cases.models import Case, Recall
from shouhou.commerce.models import Customer


def recall_outreach(recall_id: int) -> int:
    """Queue one outreach message per recall case (key case:<id>:recall). Returns the number of cases."""
    from shouhou.notifications.services import notification_enqueue

    recall = Recall.objects.select_related("shop").get(pk=recall_id)
    rows = list(Case.objects.filter(recall=recall, customer__isnull=False)
                .values_list("pk", "customer_id", "number", "order_line__product_name").order_by("pk"))
    customers = Customer.objects.in_bulk([row[1] for row in rows])
    for pk, customer_id, number, product in rows:
        notification_enqueue(shop=recall.shop, customer=customers[customer_id], trigger="recall",
                             context={"reason": recall.reason, "case_no": number, "product": product or "商品"},
                             idempotency_key=f"case:{pk}:recall")
    return len(rows)


def repair_overdue_sweep_task() -> int:
    """Daily: flag repair cases past 三包12's 30/90 days (`cases.services.repair_overdue_sweep`; safe to run twice)."""
    from shouhou.cases.services import repair_overdue_sweep

    return repair_overdue_sweep()
