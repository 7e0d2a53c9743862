"""Attacker, round nine: the exports. Round eight wrote formula-like improvement actions into the weekly report;
here every text field of every shop-scoped model (host names, live-session titles, products and SKUs, carriers,
complaint texts …) starts with a formula, and every cell of the downloaded workbook that starts with = + - @, a
tab or a carriage return must be a quote-prefixed text cell, never a formula. The download's file name is plain
ASCII in quotes (no quote, line break or non-ASCII character can reach it).
"""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client

from shouhou.accounts.choices import Role
from shouhou.core.testing.factories import MembershipFactory, ShopFactory, UserFactory
from shouhou.core.testing.isolation import seed_marked_shop

pytestmark = pytest.mark.django_db

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize("marker", ["=HYPERLINK(\"http://x.example\",\"点\")", "@SUM(1)", "+1+1", "\t=1"])
def test_no_cell_of_the_weekly_report_is_a_live_formula(marker):
    from openpyxl import load_workbook

    shop = ShopFactory(name=f"{marker}店", code="shop-f")
    admin = MembershipFactory(shop=shop, role=Role.ADMIN, user=UserFactory(username="admin-f")).user
    seed_marked_shop(shop, marker, user=admin)
    client = Client()
    client.force_login(admin)

    response = client.get("/insight/report.xlsx")

    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="insight-[a-z0-9-]+-\d{4}-W\d{2}\.xlsx"', disposition), disposition
    body = b"".join(response.streaming_content) if response.streaming else response.content
    book = load_workbook(io.BytesIO(body))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    risky = [c for c in cells if isinstance(c.value, str) and c.value.startswith(FORMULA_STARTS)]
    shown = [c for c in risky if marker.strip()[:3] in c.value]
    assert shown, "the seeded texts reach the workbook"
    assert [(c.parent.title, c.coordinate, c.value) for c in risky if c.data_type != "s" or not c.quotePrefix] == []
    assert [c.coordinate for c in cells if c.data_type == "f"] == []


@pytest.mark.parametrize("label", ['发票"; filename="evil.html', "a\r\nSet-Cookie: x=1.pdf", "报表\u202egpj.exe",
                                   "../../etc/passwd", "'; DROP.pdf", "名字" * 200 + ".pdf"])
def test_a_downloaded_files_name_never_breaks_its_header(tmp_path, settings, label):
    """The name a sender gave a chat file (Message.attachment_name) names the download: quotes, line breaks, a
    right-to-left override or a path stay inside the one filename value of one header."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import FileSystemStorage

    from shouhou.core.uploads import file_response

    settings.MEDIA_ROOT = str(tmp_path)
    storage = FileSystemStorage(location=tmp_path)
    name = storage.save("chat/x.bin", ContentFile(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"))

    class Stored:
        def __init__(self):
            self.name = name

        def open(self, mode="rb"):
            return storage.open(name, mode)

    response = file_response(Stored(), label)
    header = response["Content-Disposition"]
    assert "\r" not in header and "\n" not in header and "\u202e" not in header
    assert header.startswith("attachment; filename")
    assert header.count("filename") == 1 or header.count("filename*=") == 1, header
    assert 'filename="evil.html' not in header and "/" not in header.split("filename", 1)[1]
    assert header.endswith(('.pdf"', ".pdf")), header  # named for what the bytes are
    assert response["Content-Type"] == "application/pdf" and response["X-Content-Type-Options"] == "nosniff"
