from ninja import Router

router = Router(tags=["SLA时效"])
