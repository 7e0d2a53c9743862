"""Import errors are stored as a code and parameters and shown in the reader's language: the report page, the
API and the error CSV; errors stored as Chinese text before (no code) are still shown, translated when recognised."""

from __future__ import annotations

import csv
import io
import secrets

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from shouhou.accounts.choices import Role
from shouhou.accounts.models import ApiToken
from shouhou.api.auth import hash_token
from shouhou.commerce.importers import messages as M
from shouhou.commerce.models import ImportJob
from shouhou.commerce.services import import_jobs_interrupted
from shouhou.commerce.tests.exports import with_value, write_csv

pytestmark = pytest.mark.django_db

EN_AMOUNT = "Not a valid amount 'abc'"
ZH_AMOUNT = "不是有效金额 'abc'"


def _bad_upload(tmp_path) -> SimpleUploadedFile:
    path = write_csv(tmp_path / "bad.csv", with_value("实付金额", "abc", row=1))
    return SimpleUploadedFile("bad.csv", path.read_bytes(), content_type="text/csv")


@pytest.fixture
def supervisor_client(client, supervisor):
    client.force_login(supervisor)
    return client


@pytest.fixture
def bad_job(supervisor_client, shop, tmp_path) -> ImportJob:
    supervisor_client.post("/commerce/import/", {"file": _bad_upload(tmp_path)})
    return ImportJob.objects.get(shop=shop)


def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_a_row_error_is_stored_as_a_code_with_its_row_column_and_value(bad_job):
    [error] = bad_job.errors
    assert error["code"] == M.BAD_MONEY and error["params"] == {"value": "abc"}
    assert (error["row"], error["field"], error["field_name"]) == (3, "实付金额", "paid_amount")
    assert error["message"] == ZH_AMOUNT  # the Chinese text is kept beside the code for readers of the JSON


def test_report_page_in_chinese_and_in_english(supervisor_client, bad_job):
    page = f"/commerce/import/{bad_job.pk}/"
    html = supervisor_client.get(page).content.decode()
    assert "<td class=\"num\">3</td><td>实付金额</td><td>不是有效金额 &#x27;abc&#x27;</td>" in html
    html = _english(supervisor_client).get(page).content.decode()
    # the column keeps the file's own header (what the reader finds in the file), the reason is in English
    assert "<td class=\"num\">3</td><td>实付金额</td><td>Not a valid amount &#x27;abc&#x27;</td>" in html
    assert "不是有效金额" not in html


def test_error_csv_in_chinese_and_in_english(supervisor_client, bad_job):
    url = f"/commerce/import/{bad_job.pk}/errors.csv"
    response = supervisor_client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [["行", "列", "值", "原因"], ["3", "实付金额", "abc", ZH_AMOUNT]]
    rows = list(csv.reader(io.StringIO(_english(supervisor_client).get(url).content.decode("utf-8-sig"))))
    assert rows == [["Row", "Column", "Value", "Reason"], ["3", "实付金额", "abc", EN_AMOUNT]]


def test_error_csv_is_only_for_the_shops_importers(supervisor_client, bad_job, agent):
    supervisor_client.force_login(agent)  # the same test client, now an agent's
    assert supervisor_client.get(f"/commerce/import/{bad_job.pk}/errors.csv").status_code == 403


def test_api_gives_the_errors_in_the_readers_language(client, shop, tmp_path):
    prefix, secret = secrets.token_hex(4), secrets.token_urlsafe(24)
    ApiToken.objects.create(shop=shop, name="t", prefix=prefix, key_hash=hash_token(secret), role=Role.SUPERVISOR)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {prefix}.{secret}"}
    body = client.post("/api/commerce/imports", {"file": _bad_upload(tmp_path)}, **auth).json()
    expected = {"row": 3, "field": "实付金额", "value": "abc", "code": M.BAD_MONEY, "params": {"value": "abc"}}
    assert body["errors"] == [{**expected, "message": ZH_AMOUNT, "text": f"第3行「实付金额」：{ZH_AMOUNT}"}]
    again = _english(client).get(f"/api/commerce/imports/{body['id']}", **auth).json()
    assert again["errors"] == [{**expected, "message": EN_AMOUNT, "text": f"Row 3, column 「实付金额」: {EN_AMOUNT}"}]


def test_errors_stored_before_codes_are_still_shown_and_translated(supervisor_client, shop):
    job = ImportJob.objects.create(shop=shop, filename="old.csv", digest="x", status=ImportJob.Status.FAILED,
                                   error_count=3, errors=[
        {"row": 2, "field": "支付时间", "message": "不是有效时间 '2026-13-45'（应为 2026-11-01 20:30:00）",
         "text": "第2行「支付时间」：不是有效时间 '2026-13-45'（应为 2026-11-01 20:30:00）"},
        {"row": 4, "field": "数量", "message": "超过 64 个字符", "text": "第4行「数量」：超过 64 个字符"},
        {"row": 5, "field": "", "message": "一条没有代码的旧说明", "text": "第5行：一条没有代码的旧说明"},
    ])
    rows = list(csv.reader(io.StringIO(
        _english(supervisor_client).get(f"/commerce/import/{job.pk}/errors.csv").content.decode("utf-8-sig"))))
    assert rows[1:] == [
        ["2", "支付时间", "2026-13-45", "Not a valid time '2026-13-45' (expected like 2026-11-01 20:30:00)"],
        ["4", "数量", "", "Longer than 64 characters"],
        ["5", "", "", "一条没有代码的旧说明"],  # not recognised: shown as stored
    ]


def test_a_whole_job_failure_is_shown_in_the_readers_language(supervisor_client, shop):
    job = ImportJob.objects.create(shop=shop, filename="o.csv", digest="x", status=ImportJob.Status.RUNNING)
    ImportJob.objects.filter(pk=job.pk).update(updated_at=job.updated_at.replace(year=2020))
    assert import_jobs_interrupted() == 1
    job.refresh_from_db()
    assert job.errors[0]["code"] == M.JOB_INTERRUPTED
    html = _english(supervisor_client).get(f"/commerce/import/{job.pk}/").content.decode()
    assert "The import was interrupted" in html


@pytest.mark.parametrize("code", M.CODES)
def test_every_code_has_an_english_text_with_the_same_parameters(code):
    with translation.override("en"):
        english = translation.gettext(code)
    assert english != code
    import re

    names = sorted(re.findall(r"%\((\w+)\)[rs]", code))
    assert sorted(re.findall(r"%\((\w+)\)[rs]", english)) == names


@pytest.mark.parametrize(("stored", "english"), [
    ("不是有效手机号 \"it's\"", "Not a valid mobile number \"it's\""),
    ("只有 3 列，表头有 24 列（单元格里的逗号或换行是否没有加引号？），整行未导入",
     "Only 3 columns where the header has 24 (a comma or line break in a cell without quotes?); the row was not imported"),
    ("不能为空", "Must not be empty"),
])
def test_a_stored_chinese_message_is_recognised_and_translated(stored, english):
    with translation.override("en"):
        shown = M.error_shown({"row": 7, "field": "手机号", "message": stored, "text": f"第7行「手机号」：{stored}"})
    assert (shown["message"], shown["text"]) == (english, f"Row 7, column 「手机号」: {english}")


def test_a_huge_cell_is_named_not_stored_whole():
    record = M.error_record(2, "商品名称", M.Reason(M.TOO_LONG, limit=200, value="长" * 5000), field="product_name")
    assert record["params"] == {"limit": 200, "value": "长" * 200 + "…"}
    assert record["message"] == "超过 200 个字符"


def test_notes_on_rows_passed_over_are_shown_in_the_readers_language(supervisor_client, shop, tmp_path):
    from shouhou.commerce.tests.exports import HEADERS, ROWS

    path = tmp_path / "titled.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["订单列表 导出时间：2026-11-02"])
        writer.writerow(HEADERS)
        writer.writerows(ROWS)
        writer.writerow(["合计"] + [""] * (len(HEADERS) - 1))
    supervisor_client.post("/commerce/import/", {"file": SimpleUploadedFile("titled.csv", path.read_bytes())})
    job = ImportJob.objects.get(shop=shop)
    html = supervisor_client.get(f"/commerce/import/{job.pk}/").content.decode()
    assert "表头在第2行：上方的第1行不是表头" in html and "第6行是合计行，已跳过" in html
    html = _english(supervisor_client).get(f"/commerce/import/{job.pk}/").content.decode()
    assert "The header is row 2: row(s) 1 above it are not the header" in html
    assert "Row 6 is a total row and was passed over" in html


def test_error_csv_writes_no_live_formula_in_any_column(supervisor_client, shop):
    """The column is the file's own header, written by whoever made the file, like the value: all escaped through
    core/spreadsheets (the column was written as it came, and the only CSV writer outside that module)."""
    job = ImportJob.objects.create(shop=shop, filename="evil.csv", digest="y", status=ImportJob.Status.FAILED,
                                   error_count=1, errors=[
        {"row": 2, "field": '=HYPERLINK("http://evil.example","点我")', "message": "@SUM(1)",
         "text": "第2行：@SUM(1)"},
        {"row": 3, "field": "-2+3", "code": M.BAD_MONEY, "params": {"value": "+1+cmd|' /C calc'!A0"},
         "message": "x", "text": "x"}])
    rows = list(csv.reader(io.StringIO(
        supervisor_client.get(f"/commerce/import/{job.pk}/errors.csv").content.decode("utf-8-sig"))))
    assert rows[1] == ["2", '\'=HYPERLINK("http://evil.example","点我")', "", "'@SUM(1)"]
    assert rows[2][:3] == ["3", "'-2+3", "'+1+cmd|' /C calc'!A0"]
