from django.urls import path

from shouhou.platforms import views, views_wechat

app_name = "platforms"
urlpatterns = [
    path("", views.connections, name="connections"),
    path("<int:pk>/", views.connection_detail, name="connection"),
    path("cases/<int:case_id>/sync/", views.case_sync, name="case_sync"),
    # the callback URL saved in the platform's console (one per platform and install)
    path("wechat_shop/push/", views_wechat.push, name="wechat_shop_push"),  # GET URL check + signed query
    path("<slug:platform>/push/", views.platform_push, name="push"),
]
