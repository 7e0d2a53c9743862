from django.urls import path

from shouhou.live import consumers
from shouhou.live.origin import SameOriginOnly

# Each socket only from the site's own pages (origin.py: host and port, not the host name alone).
websocket_urlpatterns = [
    path("ws/desk/", SameOriginOnly(consumers.DeskConsumer.as_asgi())),
    path("ws/chat/<str:token>/", SameOriginOnly(consumers.ChatConsumer.as_asgi())),
]
