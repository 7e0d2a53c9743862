from django.contrib.auth import views as auth_views
from django.urls import path

from shouhou.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("shop/", views.switch_shop, name="switch_shop"),
    path("audit/", views.audit_log, name="audit_log"),
]
