from django.urls import path

from shouhou.sla import views

app_name = "sla"
urlpatterns = [
    path("calendars/", views.calendars, name="calendars"),
    path("calendars/<int:pk>/<int:year>/", views.calendar_year_view, name="calendar_year"),
]
