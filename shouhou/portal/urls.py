from django.urls import path

from shouhou.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.start, name="start"),
    path("s/<slug:shop_code>/", views.start, name="shop_start"),
    path("order/", views.order_page, name="order"),
    path("order/preview/", views.preview, name="preview"),
    path("order/submit/", views.submit, name="submit"),
    path("c/<str:token>/", views.follow, name="follow"),
    path("c/<str:token>/evidence/", views.follow_evidence, name="follow_evidence"),
    path("c/<str:token>/ship/", views.follow_ship, name="follow_ship"),
    path("c/<str:token>/cancel/", views.follow_cancel, name="follow_cancel"),
]
