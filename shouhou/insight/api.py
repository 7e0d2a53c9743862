from ninja import Router

router = Router(tags=["洞察与改进"])
