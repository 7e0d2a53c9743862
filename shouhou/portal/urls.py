from django.urls import path

from shouhou.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.start, name="start"),
    path("order/", views.order_page, name="order"),
    path("order/preview/", views.preview, name="preview"),
    path("order/submit/", views.submit, name="submit"),
    path("c/<str:token>/", views.follow, name="follow"),
]
