from django.urls import path

from shouhou.policies import views

app_name = "policies"
urlpatterns = [
    path("<slug:shop_code>/", views.public_policy, name="public"),
]
