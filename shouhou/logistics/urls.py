from django.urls import path

from shouhou.logistics import views

app_name = "logistics"
urlpatterns = [
    path("push/kuaidi100/<slug:shop_code>/", views.kuaidi100_push, name="kuaidi100_push"),
    path("push/generic/<slug:shop_code>/", views.generic_push, name="generic_push"),
]
