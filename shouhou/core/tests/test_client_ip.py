"""The client IP is the connection's peer unless the peer is a configured proxy (SHOUHOU_TRUSTED_PROXIES,
empty by default). Before, `serve` let uvicorn take X-Forwarded-For from 127.0.0.1, so behind any local
proxy a client chose its own IP and escaped every per-IP limit on the consumer pages (issue 15)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
import time_machine
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory

from shouhou.core.clientip import PEER_KEY, client_ip
from shouhou.core.middleware import TrustedProxyMiddleware

REPO = Path(__file__).resolve().parents[3]


def _through_middleware(settings, proxies, *, peer, **headers):
    settings.TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=peer, **headers)
    seen = {}

    def view(req):
        seen.update(ip=client_ip(req), peer=req.META[PEER_KEY], secure=req.is_secure(),
                    forwarded=req.META.get("HTTP_X_FORWARDED_FOR"))
        return HttpResponse()

    TrustedProxyMiddleware(view)(request)
    return seen


def test_forwarded_headers_are_ignored_and_removed_without_trusted_proxies(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    seen = _through_middleware(settings, [], peer="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6",
                               HTTP_X_FORWARDED_PROTO="https")
    assert seen == {"ip": "127.0.0.1", "peer": "127.0.0.1", "secure": False, "forwarded": None}


def test_a_trusted_proxy_gives_the_right_most_untrusted_address(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # the client wrote 6.6.6.6 itself; the proxy appended the address it saw (1.2.3.4)
    seen = _through_middleware(settings, ["10.0.0.0/8"], peer="10.0.0.5",
                               HTTP_X_FORWARDED_FOR="6.6.6.6, 1.2.3.4", HTTP_X_FORWARDED_PROTO="https")
    assert (seen["ip"], seen["peer"], seen["secure"]) == ("1.2.3.4", "10.0.0.5", True)
    # two trusted hops
    seen = _through_middleware(settings, ["10.0.0.0/8", "127.0.0.1"], peer="127.0.0.1",
                               HTTP_X_FORWARDED_FOR="1.2.3.4, 10.0.0.9")
    assert seen["ip"] == "1.2.3.4"


def test_an_untrusted_peer_cannot_forward_even_when_proxies_are_configured(settings):
    seen = _through_middleware(settings, ["10.0.0.0/8"], peer="8.8.8.8", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert seen["ip"] == "8.8.8.8" and seen["forwarded"] is None


@pytest.mark.django_db
@time_machine.travel(dt.datetime(2026, 12, 2, 10, 0, 5, tzinfo=dt.UTC), tick=False)  # one rate window
def test_rotating_x_forwarded_for_does_not_escape_the_survey_limit(client):
    # given the survey page's 30 per minute per IP limit, from a local proxy address
    cache.clear()
    statuses = [client.get("/insight/s/no-such-token/", REMOTE_ADDR="127.0.0.1",
                           HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(31)]
    # then the 31st request is refused whatever address it claims
    assert statuses[:30] == [404] * 30
    assert statuses[30] == 429


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_does_not_let_a_local_client_choose_its_ip(tmp_path):
    # given the real `shouhou serve` on 127.0.0.1 (a local proxy would connect from there too)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOUHOU_DATABASE", "SHOUHOU_REDIS"))}
    env.update({"SHOUHOU_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "shouhou.config.settings"})
    subprocess.run([sys.executable, "-m", "shouhou", "migrate", "--noinput", "-v", "0"], cwd=REPO, env=env,
                   check=True, timeout=300)
    port = _free_port()
    log = tmp_path / "serve.log"
    proc = subprocess.Popen([sys.executable, "-m", "shouhou", "serve", "--no-migrate", "--no-worker", "--port",
                             str(port)], cwd=REPO, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)

    def get(n: int) -> tuple[int, str]:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/insight/s/no-such-token/",
                                         headers={"X-Forwarded-For": f"198.51.100.{n}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.headers.get("Date", "")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Date", "")

    def server_second() -> int:
        """Where the server's own clock is in its minute (the rate window is a calendar minute)."""
        return parsedate_to_datetime(get(0)[1]).second

    try:
        deadline = time.monotonic() + 90
        up = False
        while not up and time.monotonic() < deadline:
            try:
                up = get(0)[0] == 404
            except OSError:
                time.sleep(0.5)
        assert up, log.read_text()[-2000:]
        # start the burst early in a minute of the server's clock, so it stays in one window
        second = server_second()
        if second > 20:
            time.sleep(61 - second)
        # when a client sends 31 requests in one window, each claiming another address
        statuses = [get(n)[0] for n in range(1, 32)]
        # then the per-IP limit (30 a minute) counts them all as one client: the 31st at the latest is refused
        first_refused = statuses.index(429) if 429 in statuses else None
        assert first_refused is not None, statuses
        assert set(statuses[:first_refused]) == {404} and set(statuses[first_refused:]) == {429}
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
