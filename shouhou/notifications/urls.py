from django.urls import path

from shouhou.notifications import views

app_name = "notifications"
urlpatterns = [
    path("webhooks/sms-reply/", views.sms_reply_webhook, name="sms_reply"),
    path("webhooks/receipts/<slug:provider>/", views.receipt_webhook, name="receipts"),
    path("push/<slug:provider>/<slug:token>/<slug:kind>/", views.gateway_push, name="gateway_push"),
    path("customers/<int:customer_id>/timeline/", views.customer_timeline_page, name="timeline"),
    path("templates/", views.templates_page, name="templates"),
    path("templates/new/", views.template_edit_page, name="template_new"),
    path("templates/<int:template_id>/", views.template_edit_page, name="template_edit"),
    path("templates/<int:template_id>/active/", views.template_active_page, name="template_active"),
]
