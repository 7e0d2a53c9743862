"""A file's own problem (its encoding, a missing column, an after-sale export given instead of orders …) is stored
as a code and parameters and said in the reader's language on the import page and the API, like a row's; such
problems stored as Chinese text by an older version are recognised and translated too. An amount beyond what the
database holds is named as such whatever language the importer runs in."""

from __future__ import annotations

import html as html_lib
import secrets

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from shouhou.accounts.choices import Role
from shouhou.accounts.models import ApiToken
from shouhou.api.auth import hash_token
from shouhou.commerce.importers import messages as M
from shouhou.commerce.importers.parse import _parse_value
from shouhou.commerce.models import ImportJob
from shouhou.commerce.tests.exports import with_value, write_csv

pytestmark = pytest.mark.django_db

SYNONYMS = "订单号/订单编号/主订单编号/主订单号/订单ID/订单id/父订单号"
ZH_MISSING = (f"缺少必需的列「订单号」（可识别的列名：{SYNONYMS}）。文件第一行的列：运单号、物流公司"
              "（这是店铺后台导出的订单文件吗？）")
EN_MISSING = (f"A required column is missing: “Order number” (header names recognised: {SYNONYMS}). The file's first "
              "row has the columns: 运单号, 物流公司 (is this an order file exported from the shop back office?)")
ZH_ENCODING = "无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV"
EN_ENCODING = "Cannot tell the file's encoding: save it as a CSV in UTF-8 or GBK"


@pytest.fixture
def supervisor_client(client, supervisor):
    client.force_login(supervisor)
    return client


def _english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _upload(client, name: str, content: bytes) -> ImportJob:
    client.post("/commerce/import/", {"file": SimpleUploadedFile(name, content)})
    return ImportJob.objects.latest("pk")


def _page(client, job: ImportJob) -> str:
    return html_lib.unescape(client.get(f"/commerce/import/{job.pk}/").content.decode())


def test_a_missing_column_is_stored_with_its_code_and_said_in_either_language(supervisor_client, shop):
    job = _upload(supervisor_client, "shipments.csv", "运单号,物流公司\nZT1,中通\n".encode())
    [error] = job.errors
    assert job.status == ImportJob.Status.FAILED and error["row"] is None
    assert error["code"] == M.FILE_NO_HEADER
    assert error["params"] == {"problem": {"code": M.MISSING_COLUMN, "params": {"label": "订单号", "synonyms": SYNONYMS}},
                               "columns": "运单号、物流公司"}
    assert error["text"] == error["message"] == ZH_MISSING  # the Chinese text is kept for readers of the JSON
    assert ZH_MISSING in _page(supervisor_client, job)
    english = _page(_english(supervisor_client), job)
    assert EN_MISSING in english and "缺少必需的列" not in english


def test_an_unreadable_encoding_is_said_in_either_language(supervisor_client, shop):
    job = _upload(supervisor_client, "utf16.csv", "订单号,商品名称\nA1,卫衣\n".encode("utf-16"))
    assert job.errors[0]["code"] == M.FILE_UNKNOWN_ENCODING
    assert ZH_ENCODING in _page(supervisor_client, job)
    english = _page(_english(supervisor_client), job)
    assert EN_ENCODING in english and ZH_ENCODING not in english


def test_an_after_sale_export_is_named_as_such_in_either_language(supervisor_client, shop, tmp_path):
    headers = ["售后单号", "售后类型", *(f"列{i}" for i in range(25)), "订单号", "商品名称"]
    path = write_csv(tmp_path / "refunds.csv", rows=[["AS1", "退货退款", *[""] * 25, "DY1", "卫衣"]], headers=headers)
    job = _upload(supervisor_client, "refunds.csv", path.read_bytes())
    [error] = job.errors
    assert error["code"] == M.FILE_AFTER_SALE
    assert error["params"]["columns"]["code"] == M.COLUMNS_MORE and error["params"]["columns"]["params"]["count"] == 29
    chinese = _page(supervisor_client, job)
    assert "这是售后单（退款单）导出，不是订单导出：文件有「售后单号」「售后类型」列" in chinese
    assert "售后单号、售后类型、列0" in chinese and "列17 等 29 列" in chinese
    english = _page(_english(supervisor_client), job)
    assert ("This is an after-sale (refund) export, not an order export: the file has the columns “售后单号” and "
            "“售后类型”.") in english
    assert "售后单号, 售后类型, 列0" in english and "列17 … (29 columns in all)" in english
    assert "这是售后单" not in english and "等 29 列" not in english


def test_api_gives_a_files_problem_in_the_readers_language(client, shop):
    prefix, secret = secrets.token_hex(4), secrets.token_urlsafe(24)
    ApiToken.objects.create(shop=shop, name="t", prefix=prefix, key_hash=hash_token(secret), role=Role.SUPERVISOR)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {prefix}.{secret}"}
    upload = SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0")
    body = client.post("/api/commerce/imports", {"file": upload}, **auth).json()
    [error] = body["errors"]
    assert (error["code"], error["row"], error["text"]) == (M.FILE_OLD_XLS, None, "不支持旧版 .xls 文件：请在 Excel 中另存为 .xlsx 或 .csv")
    [error] = _english(client).get(f"/api/commerce/imports/{body['id']}", **auth).json()["errors"]
    assert error["message"] == error["text"] == "Old .xls files are not supported: save it in Excel as .xlsx or .csv"


def test_a_mapping_naming_an_unknown_field_is_said_in_english(supervisor_client, shop, tmp_path):
    path = write_csv(tmp_path / "o.csv")
    supervisor_client.post("/commerce/import/", {"file": SimpleUploadedFile("o.csv", path.read_bytes()),
                                                 "mapping": '{"orderno": "订单号"}'})
    job = ImportJob.objects.get(shop=shop)
    assert job.errors[0]["params"]["problem"]["code"] == M.MAPPING_UNKNOWN_FIELD
    english = _page(_english(supervisor_client), job)
    assert "The column mapping has an unknown field 'orderno' (fields: order_no, sub_order_no, product_name" in english
    assert "batch_no, tier, return_insurance)" in english  # the whole list, however long


@pytest.mark.parametrize(("stored", "english"), [
    (ZH_MISSING, EN_MISSING),
    ("第120行附近：文件编码不一致（按 utf-8 读取失败）：invalid start byte",
     "Near row 120: The file's encoding is inconsistent (reading it as utf-8 failed): invalid start byte"),
    ("文件内容不是 CSV 文本：「订单.csv」实际是 Excel (.xlsx) 或其他压缩文件，请把扩展名改为 .xlsx，或在 Excel 中另存为 CSV",
     "The file's content is not CSV text: “订单.csv” is an Excel (.xlsx) or other compressed file; rename it to .xlsx, "
     "or save it in Excel as CSV"),
    ("不支持的文件类型 （无扩展名）：请上传 .xlsx 或 .csv", "Unsupported file type (no extension): upload an .xlsx or .csv file"),
    ("不支持的文件类型 .pdf：请上传 .xlsx 或 .csv", "Unsupported file type .pdf: upload an .xlsx or .csv file"),
])
def test_a_files_problem_stored_as_chinese_text_is_recognised_and_translated(stored, english):
    with translation.override("en"):
        shown = M.error_shown({"row": None, "field": "", "message": stored, "text": stored})
    assert (shown["message"], shown["text"]) == (english, english)


def test_an_amount_out_of_range_is_named_as_such_in_an_english_import(supervisor_client, shop, tmp_path):
    with translation.override("en"), pytest.raises(ValueError) as refused:
        _parse_value("money", "1e20")
    assert refused.value.args[0].code == M.MONEY_OUT_OF_RANGE
    path = write_csv(tmp_path / "big.csv", with_value("实付金额", "1e20", row=1))
    job = _upload(_english(supervisor_client), "big.csv", path.read_bytes())
    assert [(e["code"], e["params"]) for e in job.errors] == [(M.MONEY_OUT_OF_RANGE, {"value": "1e20"})]
    assert "Out of range '1e20'" in _page(supervisor_client, job)
