"""A WebSocket test client on asgiref's ApplicationCommunicator (channels.testing imports daphne, which the
project does not need): connect, send and receive JSON, disconnect."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from asgiref.testing import ApplicationCommunicator


class WebsocketCommunicator(ApplicationCommunicator):
    def __init__(self, application, path: str):
        parts = urlsplit(path)
        super().__init__(application, {"type": "websocket", "path": parts.path, "raw_path": parts.path.encode(),
                                       "query_string": parts.query.encode(), "headers": [], "subprotocols": []})

    async def connect(self, timeout: float = 5) -> tuple[bool, int | None]:
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        return True, None

    async def receive_json_from(self, timeout: float = 5) -> dict:
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return json.loads(response["text"])

    async def send_json_to(self, data: dict) -> None:
        await self.send_input({"type": "websocket.receive", "text": json.dumps(data)})

    async def disconnect(self, code: int = 1000, timeout: float = 5) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)
