from django.urls import path

from shouhou.inbox import views

app_name = "inbox"
urlpatterns = [
    path("hooks/wechat/<slug:key>/", views.hook_wechat, name="hook_wechat"),
    path("hooks/wecom/<slug:key>/", views.hook_wecom, name="hook_wecom"),
    path("hooks/wechat-kf/<slug:key>/", views.hook_wechat_kf, name="hook_wechat_kf"),
    path("hooks/social/<slug:key>/", views.hook_social, name="hook_social"),
    path("hooks/email/<slug:key>/", views.hook_email, name="hook_email"),
    path("chat/", views.webchat_start, name="webchat"),
    path("chat/<str:token>/", views.webchat_room, name="webchat_room"),
    path("chat/<str:token>/messages/", views.webchat_poll, name="webchat_poll"),
    path("chat/<str:token>/earlier/", views.webchat_earlier, name="webchat_earlier"),
    path("chat/<str:token>/send/", views.webchat_send, name="webchat_send"),
    path("chat/<str:token>/file/<int:message_id>/", views.webchat_file, name="webchat_file"),
]
