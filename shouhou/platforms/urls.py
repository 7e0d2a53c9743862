from django.urls import path

from shouhou.platforms import views, views_actback, views_wechat

app_name = "platforms"
urlpatterns = [
    path("", views.connections, name="connections"),
    path("<int:pk>/", views.connection_detail, name="connection"),
    path("cases/<int:case_id>/sync/", views.case_sync, name="case_sync"),
    path("cases/<int:case_id>/reject/", views_actback.case_reject, name="case_reject"),
    path("cases/<int:case_id>/exchange-ship/", views_actback.case_exchange_ship, name="case_exchange_ship"),
    path("cases/<int:case_id>/resend-ship/", views_actback.case_resend_ship, name="case_resend_ship"),
    path("cases/<int:case_id>/evidence/", views_actback.case_evidence_submit, name="case_evidence_submit"),
    path("cases/<int:case_id>/time-extend/", views_actback.case_time_extend, name="case_time_extend"),
    path("cases/<int:case_id>/refund-instead/", views_actback.case_refund_instead, name="case_refund_instead"),
    path("<int:pk>/addresses/", views_actback.connection_addresses, name="connection_addresses"),
    path("authorize/", views_actback.authorize, name="authorize"),
    path("evidence/<str:token>/", views_actback.evidence_public, name="evidence"),
    path("<slug:platform>/auth/callback", views_actback.auth_callback, name="auth_callback"),
    # the callback URL saved in the platform's console (one per platform and install)
    path("wechat_shop/push/", views_wechat.push, name="wechat_shop_push"),  # GET URL check + signed query
    path("wechat_shop/push/<str:app_key>/", views_wechat.push, name="wechat_shop_push_app"),
    path("<slug:platform>/push/", views.platform_push, name="push"),
    # one URL per app: only that app's connections are tried (many self-built apps, one per shop)
    path("<slug:platform>/push/<str:app_key>/", views.platform_push, name="push_app"),
]
