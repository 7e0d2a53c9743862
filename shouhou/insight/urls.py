from django.urls import path

from . import views

app_name = "insight"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("drill/", views.drill, name="drill"),
    path("s/<str:token>/", views.survey_page, name="survey"),
]
