"""Walk, round nine: the order import page.

- A refused upload (a column mapping that is not JSON) came back with the mapping box empty and the
  "skip rows with errors" switch off: what the staff had typed was gone. Both come back now, and the error
  says to choose the file again (a browser never refills a file field); the answer is a 400.
- The English page named the recognised fields in Chinese (子订单号, 订单状态 …): the labels are shown in the
  reader's language, the header synonyms as the platforms' files spell them."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from shouhou.commerce.models import ImportJob

pytestmark = pytest.mark.django_db

BAD_MAPPING = '{"order_no": 平台单号}'


def _client(user, language: str = "zh-hans") -> Client:
    c = Client()
    c.force_login(user)
    c.cookies["django_language"] = language
    return c


def _csv() -> SimpleUploadedFile:
    return SimpleUploadedFile("o.csv", "平台单号,商品名称\nA1,毛衣\n".encode(), content_type="text/csv")


def test_a_refused_upload_keeps_the_mapping_and_the_switch(supervisor):
    response = _client(supervisor).post("/commerce/import/", {"file": _csv(), "mapping": BAD_MAPPING,
                                                               "allow_partial": "1"})
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'<textarea id="id_mapping"[^>]*>([^<]*)</textarea>', html).group(1) == (
        "{&quot;order_no&quot;: 平台单号}")
    assert re.search(r'<input type="checkbox" name="allow_partial" value="1" class="check" checked>', html)
    error = re.search(r'data-testid="import-error">([^<]*)</div>', html).group(1)
    assert "列映射应是 JSON 对象" in error and "请重新选择文件后再上传。" in error
    assert not ImportJob.objects.exists()


def test_a_first_visit_has_an_empty_form(supervisor):
    html = _client(supervisor).get("/commerce/import/").content.decode()
    assert re.search(r'<textarea id="id_mapping"[^>]*></textarea>', html)
    assert 'class="check" checked' not in html and "import-error" not in html


def test_the_english_page_names_the_fields_in_english(supervisor):
    html = _client(supervisor, "en").get("/commerce/import/").content.decode()
    table = html[html.index("Recognised column names"):]
    cells = re.findall(r"<tr><td>(.*?) (?:<span class=\"badge warn\">Required</span> )?<span class=\"muted\">(\w+)</span>",
                       table)
    labels = dict((name, label) for label, name in cells)
    assert labels["sub_order_no"] == "Sub-order number" and labels["status"] == "Order status"
    assert labels["order_no"] != "订单号"
    assert not [name for name, label in labels.items() if re.search(r"[\u4e00-\u9fff]", label)]
    # the synonyms are the headers the files carry, in Chinese in both languages
    assert "订单号 / 订单编号 / 主订单编号" in table


def test_the_result_page_names_the_missing_fields_in_the_readers_language(shop, supervisor):
    """「注意：文件里没有这些列」 listed the importer's Chinese labels, joined with 、, on the English page too;
    the unrecognised columns are the file's own headers and stay as the file spells them."""
    job = ImportJob.objects.create(shop=shop, filename="o.csv", digest="d" * 64, status="done",
                                   summary={"written": True, "missing_columns": ["签收时间", "子订单号"],
                                            "ignored_columns": ["备注", "达人ID"]})
    en = _client(supervisor, "en").get(f"/commerce/import/{job.pk}/").content.decode()
    missing = re.search(r'data-testid="missing-columns">([^<]*)</p>', en).group(1)
    assert missing.endswith("Delivered at, Sub-order number")
    ignored = re.search(r'data-testid="ignored-columns">([^<]*)</p>', en).group(1)
    assert ignored.endswith("备注, 达人ID")
    zh = _client(supervisor).get(f"/commerce/import/{job.pk}/").content.decode()
    assert re.search(r'data-testid="missing-columns">[^<]*签收时间、子订单号</p>', zh)
