from django.urls import path

from shouhou.commerce import views

app_name = "commerce"
urlpatterns = [
    path("import/", views.import_page, name="import"),
    path("import/<int:job_id>/", views.import_job_page, name="import_job"),
    path("import/<int:job_id>/errors.csv", views.import_errors_download, name="import_errors_csv"),
    path("return-addresses/", views.return_addresses_page, name="return_addresses"),
    path("return-addresses/<int:address_id>/", views.return_addresses_page, name="return_address_edit"),
]
