from django.urls import path

from . import views

app_name = "insight"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("by/<str:dim>/", views.by_dimension, name="by"),
    path("sessions/", views.sessions, name="sessions"),
    path("problems/", views.problems, name="problems"),
    path("agents/", views.agents, name="agents"),
    path("drill/", views.drill, name="drill"),
    path("actions/", views.actions, name="actions"),
    path("actions/new/", views.action_create, name="action_create"),
    path("actions/<int:pk>/", views.action_edit, name="action_edit"),
    path("actions/<int:pk>/status/", views.action_status, name="action_status"),
    path("report/", views.report, name="report"),
    path("report.xlsx", views.report_xlsx, name="report_xlsx"),
    path("s/<str:token>/", views.survey_page, name="survey"),
]
