from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog
from django.views.static import serve as serve_media

from shouhou.api.api import api
from shouhou.core.views import link_revoke_page

admin.site.site_header = _("shouhou 售后 管理后台")
admin.site.site_title = "shouhou 售后"
admin.site.index_title = _("管理")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # The workbench script's strings (SLA countdowns) in the user's language.
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("accounts/", include("shouhou.accounts.urls")),
    path("links/revoke/", link_revoke_page, name="link_revoke"),
    path("commerce/", include("shouhou.commerce.urls")),
    path("policy/", include("shouhou.policies.urls")),
    path("cases/", include("shouhou.cases.urls")),
    path("inbox/", include("shouhou.inbox.urls")),
    path("sla/", include("shouhou.sla.urls")),
    path("notifications/", include("shouhou.notifications.urls")),
    path("logistics/", include("shouhou.logistics.urls")),
    path("reviews/", include("shouhou.reviews.urls")),
    path("insight/", include("shouhou.insight.urls")),
    path("p/", include("shouhou.portal.urls")),
    path("platforms/", include("shouhou.platforms.urls")),
    # README's /desk/ lands on the desk home; browsers ask for /favicon.ico on pages without the link.
    path("desk/", RedirectView.as_view(pattern_name="desk:home", permanent=False), name="desk_root"),
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True), name="favicon"),
    path("", include("shouhou.desk.urls")),
]

if settings.DEBUG:
    urlpatterns.append(path("media/<path:path>", serve_media, {"document_root": settings.MEDIA_ROOT}))
