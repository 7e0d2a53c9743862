from ninja import Router

router = Router(tags=["会话与工单"])
