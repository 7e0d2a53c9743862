"""The REST API: one NinjaAPI, one router per domain app, OpenAPI at /api/openapi.json, docs at /api/docs."""

from __future__ import annotations

from django.urls import re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI

from shouhou.api.auth import DEFAULT_AUTH
from shouhou.api.docs import LocalSwagger
from shouhou.api.errors import document_common_errors, install_handlers


class ShouhouAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """Every operation documents the errors any operation may answer (the shared guard and error
        handlers), so a client and schemathesis know every 4xx it can get."""
        schema = super().get_openapi_schema(*args, **kwargs)
        document_common_errors(schema)
        return schema

    def _get_urls(self):
        # Last of the API's URLs: any other path under /api/, whatever the method, answers the API's JSON 404
        # (it answered Django's HTML page, which a client cannot read). Not in the OpenAPI description.
        return [*super()._get_urls(), re_path(r"^.*$", csrf_exempt(self._unknown_path), name="unknown-path")]

    def _unknown_path(self, request, *args, **kwargs):
        return self.create_response(request, {"detail": _("API 路径不存在"), "errors": []}, status=404)


api = ShouhouAPI(
    title="shouhou 售后 API",
    version="1.0",
    description="店铺数据、售后政策、售后单、会话工单、主动关怀、物流、评价、洞察。",
    auth=DEFAULT_AUTH,
    urls_namespace="api",
    docs=LocalSwagger(),
)
install_handlers(api)

# Each domain owns its router in <app>/api.py; the prefix is the domain name.
from shouhou.accounts.api import router as accounts_router  # noqa: E402
from shouhou.cases.api import router as cases_router  # noqa: E402
from shouhou.commerce.api import router as commerce_router  # noqa: E402
from shouhou.inbox.api import router as inbox_router  # noqa: E402
from shouhou.insight.api import router as insight_router  # noqa: E402
from shouhou.logistics.api import router as logistics_router  # noqa: E402
from shouhou.notifications.api import router as notifications_router  # noqa: E402
from shouhou.platforms.api import router as platforms_router  # noqa: E402
from shouhou.policies.api import router as policies_router  # noqa: E402
from shouhou.reviews.api import router as reviews_router  # noqa: E402
from shouhou.sla.api import router as sla_router  # noqa: E402

api.add_router("/accounts/", accounts_router)
api.add_router("/commerce/", commerce_router)
api.add_router("/policies/", policies_router)
api.add_router("/cases/", cases_router)
api.add_router("/inbox/", inbox_router)
api.add_router("/sla/", sla_router)
api.add_router("/notifications/", notifications_router)
api.add_router("/logistics/", logistics_router)
api.add_router("/reviews/", reviews_router)
api.add_router("/insight/", insight_router)
api.add_router("/platforms/", platforms_router)
