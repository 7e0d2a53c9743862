from django.urls import path

from shouhou.reviews import views

app_name = "reviews"
urlpatterns = [
    path("", views.task_list, name="tasks"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("tasks/<int:pk>/<str:action>/", views.task_action, name="task_action"),
    path("good/", views.good_reviews, name="good"),
    path("good/<int:pk>/showcase/", views.showcase_toggle, name="showcase_toggle"),
    path("qa/", views.qa_report, name="qa"),
    path("showcase/<slug:shop_code>/", views.showcase_public, name="showcase"),
]
