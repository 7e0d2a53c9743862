"""Order exports are judged by their bytes, not their name: a renamed .xlsx, a text file called .xlsx or a
binary called .csv fails at once with a Chinese message naming the file, through the CLI service, the
import page and the API."""

from __future__ import annotations

import html
import secrets

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.accounts.models import ApiToken
from shouhou.api.auth import hash_token
from shouhou.commerce.importers import readers
from shouhou.commerce.models import ImportJob, Order
from shouhou.commerce.services import orders_import
from shouhou.commerce.tests.exports import write_csv, write_xlsx

pytestmark = pytest.mark.django_db

XLSX_AS_CSV = ("文件内容不是 CSV 文本：「订单.csv」实际是 Excel (.xlsx) 或其他压缩文件，请把扩展名改为 .xlsx，"
               "或在 Excel 中另存为 CSV")
CSV_AS_XLSX = "文件内容不是 Excel (.xlsx)：「订单.xlsx」它看起来是文本（CSV），请把扩展名改为 .csv 后重新上传"


def _renamed(source, target):
    target.write_bytes(source.read_bytes())
    return target


def _errors(job: ImportJob) -> list[str]:
    return [e["text"] for e in job.errors]


def test_an_xlsx_renamed_to_csv_is_named_and_refused(shop, tmp_path):
    path = _renamed(write_xlsx(tmp_path / "orders.xlsx"), tmp_path / "订单.csv")
    job = orders_import(actor=SYSTEM, shop=shop, path=path)
    assert (job.status, _errors(job)) == ("failed", [XLSX_AS_CSV])
    assert Order.objects.count() == 0


def test_a_csv_renamed_to_xlsx_is_named_and_refused(shop, tmp_path):
    path = _renamed(write_csv(tmp_path / "orders.csv"), tmp_path / "订单.xlsx")
    job = orders_import(actor=SYSTEM, shop=shop, path=path)
    assert (job.status, _errors(job)) == ("failed", [CSV_AS_XLSX])
    assert Order.objects.count() == 0


@pytest.mark.parametrize(("name", "content", "message"), [
    # a photo saved as .csv: NUL bytes in the first KiB
    ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64,
     "文件内容不是 CSV 文本：「photo.csv」含有二进制数据（可能是 Excel、图片或其他文件改了扩展名），"
     "请在 Excel 中另存为 CSV 后重新上传"),
    ("old.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
     "文件内容不是 CSV 文本：「old.csv」含有二进制数据（可能是 Excel、图片或其他文件改了扩展名），"
     "请在 Excel 中另存为 CSV 后重新上传"),
    ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
     "文件内容不是 Excel (.xlsx)：「old.xlsx」它实际是旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 .csv"),
    ("noise.xlsx", b"\xff\xfe\x00\x01\x02\x03" * 20,
     "文件内容不是 Excel (.xlsx)：「noise.xlsx」它可能已损坏或是其他类型的文件，请在 Excel 中另存为 .xlsx 后重新上传"),
    ("empty.xlsx", b"",
     "文件内容不是 Excel (.xlsx)：「empty.xlsx」它可能已损坏或是其他类型的文件，请在 Excel 中另存为 .xlsx 后重新上传"),
    # UTF-16 text has NULs but is not binary: the encoding message, not the binary one
    ("utf16.csv", "订单号,商品名称\nA1,卫衣\n".encode("utf-16"), "无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV"),
], ids=["png-as-csv", "xls-as-csv", "xls-as-xlsx", "noise-as-xlsx", "empty-xlsx", "utf16-csv"])
def test_content_that_does_not_match_the_extension_is_explained(shop, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    job = orders_import(actor=SYSTEM, shop=shop, path=path)
    assert (job.status, _errors(job)) == ("failed", [message])


def test_only_the_first_kib_is_read_to_check(tmp_path, monkeypatch):
    # given a large CSV whose only NUL byte is far beyond the first KiB
    path = tmp_path / "big.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 100_000 + b"\x00")
    reads: list[int] = []
    real_head = readers._head
    monkeypatch.setattr(readers, "_head", lambda p: reads.append(1) or real_head(p))
    # when rows are asked for, then the check read the head once and did not fail on the late NUL
    rows = readers.iter_rows(path)
    assert reads == [1] and len(real_head(path)) == readers.HEAD_BYTES
    assert next(rows) == ["a", "b"]


# --- the web page and the API --------------------------------------------------------------------------------

def _upload(path, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, path.read_bytes(), content_type="application/octet-stream")


def test_the_import_page_names_the_uploaded_file(client, supervisor, shop, tmp_path):
    client.force_login(supervisor)
    xlsx = write_xlsx(tmp_path / "x.xlsx")
    # the same name twice: storage renames the second copy, the message keeps the name the user chose
    client.post("/commerce/import/", {"file": _upload(xlsx, "订单.csv")})
    response = client.post("/commerce/import/", {"file": _upload(xlsx, "订单.csv")}, follow=True)
    job = ImportJob.objects.filter(shop=shop).order_by("-pk").first()
    assert job.file.name != "imports/订单.csv"
    assert (job.status, _errors(job)) == ("failed", [XLSX_AS_CSV])
    assert XLSX_AS_CSV in html.unescape(response.content.decode())
    assert Order.objects.count() == 0


def test_the_import_api_names_the_uploaded_file(client, shop, tmp_path):
    prefix, secret = secrets.token_hex(4), secrets.token_urlsafe(24)
    ApiToken.objects.create(shop=shop, name="t", prefix=prefix, key_hash=hash_token(secret), role=Role.SUPERVISOR)
    csv_file = write_csv(tmp_path / "o.csv")
    response = client.post("/api/commerce/imports", {"file": _upload(csv_file, "订单.xlsx")},
                           HTTP_AUTHORIZATION=f"Bearer {prefix}.{secret}")
    body = response.json()
    assert (body["status"], body["written"]) == ("failed", False)
    assert [e["text"] for e in body["errors"]] == [CSV_AS_XLSX]
