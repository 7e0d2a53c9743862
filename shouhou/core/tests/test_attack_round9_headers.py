"""Attacker, round nine: the response headers of every kind of answer and the cookies under production settings.

- Every page type — a staff page, a customer's page, the login page, an API answer, a webhook's refusal, an error
  page (404, 405), a served upload, a static file — carries the Content-Security-Policy (no inline script
  allowed without a nonce, no framing), `X-Frame-Options: DENY`, `nosniff` and a Referrer-Policy.
- Under production settings (a real process: settings are read at start) every cookie the site sets — the
  session, the CSRF token, the language chosen in the header menu — is Secure, SameSite and (except the CSRF
  token, which the pages' scripts read) HttpOnly. The language cookie was the one left out: Django's defaults
  (no Secure, no HttpOnly, no SameSite) applied to it while the other two were hardened.
"""

from __future__ import annotations

import json

import pytest

from shouhou.core.testing.commands import command_env, run_shouhou

GOOD_KEY = "Zx8-q2Lr7vB0kTn4Wm1yHs6pJd3fGc9aXe5uRi0oPl2KjQw7Nb"  # noqa: S105 - test value, 50 characters


def _policy_ok(policy: str) -> bool:
    return ("frame-ancestors 'none'" in policy and "object-src 'none'" in policy and "unsafe-inline" not in
            policy.split("script-src", 1)[-1].split(";", 1)[0] and "unsafe-eval" not in policy)


@pytest.mark.django_db
def test_every_kind_of_answer_carries_the_security_headers(client, shop_admin, shop):
    client.force_login(shop_admin)
    answers = {
        "staff page": client.get("/cases/"),
        "desk": client.get("/"),
        "api": client.get("/api/cases/"),
        "api docs": client.get("/api/docs"),
        "not found": client.get("/no-such-page/"),
        "wrong method": client.get("/p/order/submit/"),
        "webhook refusal": client.post(f"/logistics/push/generic/{shop.code}/", data=b"{}",
                                       content_type="application/json"),
        "customer page": client.get("/p/"),
        "refused host": client.get("/", HTTP_HOST="evil.example"),
        "unstorable path": client.get("/cases/" + "9" * 25 + "/"),
        "customer link gone": client.get("/p/c/not-a-signed-link/"),
        "static": client.get("/static/js/site.js"),
    }
    client.logout()
    answers["login"] = client.get("/accounts/login/")
    assert answers["refused host"].status_code == 400 and answers["unstorable path"].status_code == 404
    problems = {}
    for name, response in answers.items():
        headers = {
            "csp": _policy_ok(response.get("Content-Security-Policy", "")),
            "frame": response.get("X-Frame-Options") == "DENY",
            "nosniff": response.get("X-Content-Type-Options") == "nosniff",
            "referrer": response.get("Referrer-Policy") == "same-origin",
        }
        if not all(headers.values()):
            problems[name] = (response.status_code, {k: v for k, v in headers.items() if not v})
    assert problems == {}


COOKIES = r"""
import json
from django.conf import settings
from django.test import Client
c = Client(HTTP_HOST="shop.example.com")
page = c.get("/accounts/login/", secure=True)
switch = c.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"}, secure=True)
out = {}
for response in (page, switch):
    for name, morsel in response.cookies.items():
        out[name] = {"secure": bool(morsel["secure"]), "httponly": bool(morsel["httponly"]),
                     "samesite": morsel["samesite"]}
out["settings:" + settings.SESSION_COOKIE_NAME] = {"secure": settings.SESSION_COOKIE_SECURE,
    "httponly": settings.SESSION_COOKIE_HTTPONLY, "samesite": settings.SESSION_COOKIE_SAMESITE}
plain = Client(HTTP_HOST="shop.example.com").get("/accounts/login/")
out["headers"] = {"hsts": page.get("Strict-Transport-Security", ""), "http_status": plain.status_code,
                  "http_location": plain.get("Location", "")}
print(json.dumps(out))
"""


def test_every_cookie_is_secure_and_same_site_in_production(tmp_path):
    # given production settings with HTTPS on (the default there)
    env = command_env(tmp_path, SHOUHOU_PRODUCTION="true", SHOUHOU_SECRET_KEY=GOOD_KEY,
                      SHOUHOU_ALLOWED_HOSTS="shop.example.com")
    # when a browser opens the login page and picks English in the header menu
    done = run_shouhou(env, "shell", "--no-imports", "-c", COOKIES)
    assert done.returncode == 0, done.stderr[-3000:]
    cookies = json.loads(done.stdout.strip().splitlines()[-1])
    # then HTTPS is enforced: HSTS on the answer over HTTPS, plain HTTP sent to https
    headers = cookies.pop("headers")
    assert headers["hsts"] == "max-age=31536000; includeSubDomains"
    assert headers["http_status"] == 301 and headers["http_location"] == "https://shop.example.com/accounts/login/"
    # and the CSRF cookie and the language cookie were set, and each cookie is Secure and SameSite
    assert {"csrftoken", "django_language", "settings:sessionid"} <= set(cookies), cookies
    for name, flags in cookies.items():
        assert flags["secure"] is True, name
        assert str(flags["samesite"]).lower() in ("lax", "strict"), name
    # and HttpOnly where no script of the pages reads it (reveal.js and desk.js read the CSRF token)
    assert cookies["settings:sessionid"]["httponly"] is True
    assert cookies["django_language"]["httponly"] is True
