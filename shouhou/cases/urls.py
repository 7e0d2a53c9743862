from django.urls import path

from shouhou.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list_view, name="list"),
    path("recalls/", views.recall_view, name="recalls"),
    path("<int:pk>/", views.case_detail_view, name="detail"),
    path("<int:pk>/act/<slug:action>/", views.case_action_view, name="action"),
    path("<int:pk>/evidence/<int:evidence_id>/", views.case_evidence_view, name="evidence"),
]
