"""What every local sandbox of an outside system shares (the shop platforms, 微信客服): a threaded HTTP server
on 127.0.0.1, where it listens, starting and stopping it, and faults queued per path.

A subclass sets `self.server`, `self.lock` and `self.faults` in its constructor and reads the faults in its
handler; the platforms' own shapes stay in their modules."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from typing import Self


class LocalHttpService:
    server: ThreadingHTTPServer
    lock: threading.RLock
    faults: list[dict]

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Self:
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, path: str, kind: str, times: int = 1, *, after: int = 0) -> None:
        """The next `times` calls of `path` fail with `kind`, once `after` calls have gone through."""
        with self.lock:
            self.faults.append({"path": path.strip("/"), "kind": kind, "times": times, "after": after})
