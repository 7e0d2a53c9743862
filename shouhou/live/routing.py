from django.urls import path

from shouhou.live import consumers

websocket_urlpatterns = [
    path("ws/desk/", consumers.DeskConsumer.as_asgi()),
    path("ws/chat/<str:token>/", consumers.ChatConsumer.as_asgi()),
]
