"""/api/docs: Swagger UI served from this site (the npm package swagger-ui-dist, installed through
frontend/package.json and served by staticfiles), never from a CDN: it works offline and satisfies the
Content-Security-Policy (no inline script; settings travel as JSON)."""

from __future__ import annotations

from django.shortcuts import render
from ninja.openapi.docs import DocsBase


class LocalSwagger(DocsBase):
    settings = {"layout": "BaseLayout", "deepLinking": True, "persistAuthorization": True}

    def render_page(self, request, api, **kwargs):
        return render(request, "api/swagger.html", {
            "api": api,
            "swagger_settings": {**self.settings, "url": self.get_openapi_url(api, kwargs)},
        })
