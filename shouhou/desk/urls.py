from django.urls import path

from shouhou.desk import im, views, workbench

app_name = "desk"
urlpatterns = [
    path("", views.home, name="home"),
    path("desk/im/", im.im_page, name="im"),
    path("desk/im/list/", im.im_list, name="im_list"),
    path("desk/im/t/<int:pk>/", im.im_pane, name="im_pane"),
    path("desk/im/t/<int:pk>/cases/", im.im_cases, name="im_cases"),
    path("desk/im/t/<int:pk>/cases/<int:case_id>/<slug:action>/", im.im_case_action, name="im_case_action"),
    path("desk/queue/", workbench.queue, name="queue"),
    path("desk/queue/rows/", workbench.queue_rows, name="queue_rows"),
    path("desk/t/<int:pk>/", workbench.ticket_view, name="ticket"),
    path("desk/t/<int:pk>/poll/", workbench.ticket_poll, name="ticket_poll"),
    path("desk/t/<int:pk>/earlier/", workbench.ticket_earlier, name="ticket_earlier"),
    path("desk/t/<int:pk>/scripts/<int:script_id>/", workbench.script_render_view, name="script_render"),
    path("desk/t/<int:pk>/act/<slug:action>/", workbench.ticket_action, name="ticket_action"),
    path("desk/t/<int:pk>/case/<slug:action>/", workbench.case_action, name="case_action"),
    path("desk/call/", workbench.call_log, name="call_log"),
    path("desk/m/<int:message_id>/file/", workbench.message_file, name="message_file"),
    path("desk/team/", workbench.team, name="team"),
    path("desk/team/rows/", workbench.team_rows, name="team_rows"),
]
