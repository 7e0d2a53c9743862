"""What the desk pushes about after-sales cases (shouhou.live): every recorded case event — a transition, a
photo, a note, a new case — to the shop's desk stream, so that the one-screen desk's case panel redraws itself
when a case of the open conversation changes elsewhere (the cases page, the customer's portal, a platform
push, another agent). Connected as a post_save receiver of CaseEvent (DeskConfig.ready): the case services
record one for every change, whoever makes it."""

from __future__ import annotations

from shouhou.cases.models import CaseEvent
from shouhou.live.services import desk_stream, live_publish


def case_event_published(event: CaseEvent) -> None:
    case = event.case  # the instance the services created the event with: no query
    live_publish(shop_id=case.shop_id, stream=desk_stream(case.shop_id), kind="case", data={
        "case_id": case.pk, "customer_id": case.customer_id, "order_id": case.order_id,
        "event_id": event.pk, "status": event.to_status})


def _on_case_event_saved(sender, instance: CaseEvent, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        case_event_published(instance)


def connect() -> None:
    from django.db.models.signals import post_save

    post_save.connect(_on_case_event_saved, sender=CaseEvent, dispatch_uid="desk.live.case_event")
