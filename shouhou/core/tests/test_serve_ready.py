"""`shouhou serve` says 「已启动」 only once its address answers (it used to say it while uvicorn was still loading)."""

import socket
import threading

from shouhou.core.management.commands import serve


def test_ready_is_said_only_once_the_port_accepts_connections(monkeypatch):
    monkeypatch.setattr(serve, "READY_WAIT_SECONDS", 10)
    with socket.socket() as probe:  # a free port, nobody listening yet
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    said = threading.Event()
    thread = threading.Thread(target=serve.say_when_listening, args=("0.0.0.0", port, said.set), daemon=True)  # noqa: S104
    thread.start()
    assert not said.wait(0.8)  # nothing listens: nothing said
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen()
        assert said.wait(5)
    thread.join(5)
    assert not thread.is_alive()


def test_nothing_is_said_when_the_address_never_answers(monkeypatch):
    monkeypatch.setattr(serve, "READY_WAIT_SECONDS", 0.5)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    said = []
    serve.say_when_listening("127.0.0.1", port, lambda: said.append(1))
    assert said == []
