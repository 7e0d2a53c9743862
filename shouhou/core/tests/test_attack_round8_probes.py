"""Attacker, round eight: the probes beside the walk (test_attack_round8_walk.py) — an id past any integer
column, `next` redirects off the site, formula cells in exports, hostile uploads to the order import, huge
query strings and page numbers, and a forged Host / X-Forwarded-Host on pages that print absolute links."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from shouhou.accounts.choices import Role
from shouhou.core.testing.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

HUGE = "9" * 25
OFF_SITE = ("https://evil.example/", "//evil.example/", "/\\evil.example/", "\\\\evil.example", "https:evil.example",
            "java\nscript:alert(1)", "/%2F%2Fevil.example")


def _member(shop, role, name=None):
    return MembershipFactory(shop=shop, role=role, user=UserFactory(username=name or f"{role}-probe")).user


def _on_this_site(location: str) -> bool:
    """A redirect target a browser resolves on this host: a path, not //host, /\\host or scheme:…"""
    from urllib.parse import urlsplit

    parts = urlsplit(location)
    return (not parts.scheme and not parts.netloc and location.startswith("/")
            and not location.startswith(("//", "/\\")) and "\n" not in location)


def _client_of(user) -> Client:
    c = Client(raise_request_exception=False)
    c.force_login(user)
    return c


# --- an id past any integer column ----------------------------------------------------------------------------

def test_an_id_past_any_integer_column_is_not_found_not_a_server_error(shop):
    """/platforms/cases/<huge>/sync/ reached SQLite with a number it cannot bind: 500 (OverflowError)."""
    agent = _client_of(_member(shop, Role.AGENT))

    page = agent.post(f"/platforms/cases/{HUGE}/sync/")
    page_get = agent.get(f"/cases/{HUGE}/")
    api = agent.get(f"/api/cases/{HUGE}")
    anonymous = Client(raise_request_exception=False).post(f"/platforms/cases/{HUGE}/sync/")

    assert (page.status_code, page_get.status_code, anonymous.status_code) == (404, 404, 404)
    assert api.status_code == 404 and api.json() == {"detail": "未找到", "errors": []}
    # the largest id a column holds is still an ordinary missing row
    assert agent.post(f"/platforms/cases/{2**63 - 1}/sync/").status_code == 404


def test_a_nul_in_the_path_or_the_query_string_is_refused_before_any_query(shop):
    """PostgreSQL refuses a NUL in any string: /insight/s/<token>%00/ (the survey, public) answered 500 there."""
    agent, anonymous = _client_of(_member(shop, Role.AGENT)), Client(raise_request_exception=False)

    survey = anonymous.get("/insight/s/abc%00/")
    survey_post = anonymous.post("/insight/s/abc%00/", {"q1": "5"})
    search = agent.get("/cases/?q=%00")
    audit = agent.get("/accounts/audit/?action=a%00b")
    api = agent.get("/api/cases/?q=%00")

    assert (survey.status_code, survey_post.status_code) == (404, 404)
    assert search.status_code == 400 and audit.status_code == 400
    assert 'data-testid="error-400"' in search.content.decode()
    assert api.status_code == 400 and api.json() == {"detail": "请求参数含有无效字符", "errors": []}


# --- next= off the site ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("target", OFF_SITE)
def test_login_never_sends_the_user_off_the_site(shop, target):
    user = _member(shop, Role.AGENT, "next-login")
    user.set_password("pass-12345")
    user.save()
    client = Client()

    response = client.post(f"/accounts/login/?next={target}", {"username": "next-login", "password": "pass-12345"})

    assert response.status_code == 302 and _on_this_site(response["Location"])


@pytest.mark.parametrize("target", OFF_SITE)
def test_logout_and_the_shop_switch_and_the_language_switch_never_send_off_the_site(shop, target):
    user = _member(shop, Role.AGENT, "next-out")
    client = _client_of(user)

    answers = [client.post("/i18n/setlang/", {"language": "en", "next": target}),
               client.post("/accounts/shop/", {"shop_id": shop.pk, "next": target}),
               client.post(f"/accounts/logout/?next={target}"),
               client.post("/accounts/logout/", {"next": target})]

    for response in answers:
        assert response.status_code in (200, 302)
        assert response.status_code == 200 or _on_this_site(response["Location"]), response["Location"]


# --- formula cells in exports -----------------------------------------------------------------------------------

def test_the_weekly_report_xlsx_writes_formula_like_text_as_text(shop, demo_clock):
    """Findings and fixes are typed by staff and may be pasted from a customer's message."""
    from openpyxl import load_workbook

    from shouhou.insight.models import ImprovementAction

    payloads = ["=HYPERLINK(\"https://evil.example\",\"点\")", "+1+cmd|' /C calc'!A0", "-2+3*A1", "@SUM(A1)",
                "\t=1+1", "\r=1+1"]
    for text in payloads:
        ImprovementAction.objects.create(shop=shop, finding=text, fix_description=text)
    admin = _client_of(_member(shop, Role.ADMIN))

    response = admin.get("/insight/report.xlsx")

    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    book = load_workbook(io.BytesIO(body))
    found = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
             if isinstance(cell.value, str) and cell.value.lstrip("'") in payloads]
    assert found, "the report lists the improvement actions"
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in found), \
        [(c.coordinate, c.value) for c in found if not c.quotePrefix]


# --- hostile uploads to the order import ----------------------------------------------------------------------

def _zip_bomb() -> bytes:
    """An .xlsx-shaped zip of ~0.5 MB that unpacks to 500 MB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
            block = b"0" * (1024 * 1024)
            for _ in range(500):
                f.write(block)
    return out.getvalue()


@pytest.mark.parametrize(("name", "content"), [
    ("orders.xlsx", b""),
    ("orders.csv", b""),
    ("../../../etc/orders.csv", b"order_no,phone\nDD1,13900000000\n"),
    ("orders\x00.png.csv", b"order_no,phone\nDD1,13900000000\n"),
    ("orders.svg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
    ("orders.png", b"<html><script>alert(1)</script></html>"),
    ("orders.xlsx", b"<html><script>alert(1)</script></html>"),
])
def test_the_order_import_takes_hostile_files_without_a_server_error(shop, settings, name, content):
    admin = _client_of(_member(shop, Role.ADMIN))

    response = admin.post("/commerce/import/", {"file": SimpleUploadedFile(name, content)}, follow=True)

    assert response.status_code in (200, 400)
    stored = list((settings.MEDIA_ROOT).rglob("*")) if settings.MEDIA_ROOT.exists() else []
    assert all(settings.MEDIA_ROOT in p.resolve().parents for p in stored)
    assert not any("\x00" in str(p) for p in stored)
    assert b"<script>alert(1)</script>" not in response.content


def test_the_order_import_refuses_a_zip_bomb_without_unpacking_it(shop):
    admin = _client_of(_member(shop, Role.ADMIN))

    response = admin.post("/commerce/import/", {"file": SimpleUploadedFile("orders.xlsx", _zip_bomb())},
                          follow=True)

    assert response.status_code == 200
    from shouhou.commerce.models import ImportJob

    job = ImportJob.objects.get(shop=shop)
    assert job.status != "done" and "CSV" in str(job.errors) + str(job.summary) + response.content.decode()


# --- huge query strings and page numbers -------------------------------------------------------------------------

def test_every_page_answers_absurd_page_numbers_and_a_huge_query_string(shop):
    from shouhou.core.testing.isolation import page_patterns

    admin = _client_of(_member(shop, Role.ADMIN))
    many = "&".join(f"k{i}=v" for i in range(1_000))
    queries = [f"page=1000000000&per_page=1000000000&limit=-5&{many}", "page=-1&q=" + "乙" * 20_000,
               f"page={HUGE}&offset={HUGE}", "page=abc&page=0&page=1e9"]
    problems = {}
    for pattern in page_patterns():
        if pattern.params:
            continue
        for query in queries:
            response = admin.get(f"/{pattern.route}?{query}")
            if response.status_code >= 500:
                problems[f"/{pattern.route}?{query[:40]}"] = response.status_code

    assert problems == {}


# --- Host and X-Forwarded-Host -----------------------------------------------------------------------------------

def test_a_forged_host_never_reaches_a_page_that_prints_absolute_links(shop, settings):
    settings.DEBUG = False
    admin = _client_of(_member(shop, Role.ADMIN))

    forged = admin.get("/platforms/", HTTP_HOST="evil.example")
    forwarded = admin.get("/platforms/", HTTP_X_FORWARDED_HOST="evil.example")
    survey_links = admin.get("/insight/", HTTP_X_FORWARDED_HOST="evil.example")

    assert forged.status_code == 400
    assert forwarded.status_code == 200 and b"evil.example" not in forwarded.content
    assert survey_links.status_code == 200 and b"evil.example" not in survey_links.content
