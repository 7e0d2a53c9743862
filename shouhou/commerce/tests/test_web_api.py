"""The import page, the import API, customers and live sessions over the API."""

from __future__ import annotations

import secrets
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.accounts.models import ApiToken
from shouhou.api.auth import hash_token
from shouhou.commerce.models import ImportJob, Order
from shouhou.commerce.services import import_job_submit
from shouhou.commerce.tests.exports import with_value, write_csv
from shouhou.core.testing.factories import (
    CustomerFactory,
    LiveSessionFactory,
    MembershipFactory,
    OrderFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _upload(path, name=None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes(), content_type="text/csv")


@pytest.fixture
def supervisor_client(client, supervisor):
    client.force_login(supervisor)
    return client


def _token(shop, role=Role.SUPERVISOR) -> dict:
    prefix, secret = secrets.token_hex(4), secrets.token_urlsafe(24)
    ApiToken.objects.create(shop=shop, name="t", prefix=prefix, key_hash=hash_token(secret), role=role)
    return {"HTTP_AUTHORIZATION": f"Bearer {prefix}.{secret}"}


# --- web page ---------------------------------------------------------------------------------

def test_import_page_requires_login(client):
    response = client.get("/commerce/import/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_agents_may_not_import(agent_client):
    assert agent_client.get("/commerce/import/").status_code == 403


def test_import_page_lists_the_known_headers(supervisor_client):
    html = supervisor_client.get("/commerce/import/").content.decode()
    assert "订单号 / 订单编号 / 主订单编号" in html and "还没有导入过订单" in html


def test_upload_imports_and_shows_the_report(supervisor_client, shop, tmp_path):
    response = supervisor_client.post("/commerce/import/", {"file": _upload(write_csv(tmp_path / "o.csv"))})
    job = ImportJob.objects.get(shop=shop)
    assert response.status_code == 302 and response["Location"] == f"/commerce/import/{job.pk}/"
    html = supervisor_client.get(response["Location"]).content.decode()
    assert 'data-testid="orders-created">2<' in html and 'data-testid="job-status">完成<' in html
    assert Order.objects.filter(shop=shop).count() == 2


def test_upload_with_bad_rows_shows_each_error_and_writes_nothing(supervisor_client, shop, tmp_path):
    path = write_csv(tmp_path / "bad.csv", with_value("实付金额", "abc", row=1))
    response = supervisor_client.post("/commerce/import/", {"file": _upload(path)}, follow=True)
    html = response.content.decode()
    assert "<td class=\"num\">3</td><td>实付金额</td><td>不是有效金额 &#x27;abc&#x27;</td>" in html
    assert 'data-testid="nothing-written"' in html
    assert Order.objects.count() == 0


def test_upload_allow_partial_from_the_page(supervisor_client, shop, tmp_path):
    path = write_csv(tmp_path / "bad.csv", with_value("实付金额", "abc", row=2))
    supervisor_client.post("/commerce/import/", {"file": _upload(path), "allow_partial": "1"})
    assert list(Order.objects.filter(shop=shop).values_list("order_no", flat=True)) == ["DY20261101001"]


def test_upload_without_a_file_or_with_bad_mapping_says_why(supervisor_client, tmp_path):
    html = supervisor_client.post("/commerce/import/", {}).content.decode()
    assert "请选择要导入的 .xlsx 或 .csv 文件" in html
    html = supervisor_client.post("/commerce/import/", {"file": _upload(write_csv(tmp_path / "o.csv")),
                                                         "mapping": "[1, 2]"}).content.decode()
    assert "列映射应是 JSON 对象" in html


def test_another_shops_import_report_is_not_visible(supervisor_client, other_shop, tmp_path):
    job = import_job_submit(actor=SYSTEM, shop=other_shop, upload=_upload(write_csv(tmp_path / "o.csv")))
    assert supervisor_client.get(f"/commerce/import/{job.pk}/").status_code == 404
    assert "o.csv" not in supervisor_client.get("/commerce/import/").content.decode()


def test_large_uploads_run_as_a_background_task(supervisor_client, shop, tmp_path, settings,
                                                django_capture_on_commit_callbacks):
    settings.SHOUHOU_IMPORT_ASYNC_BYTES = 10  # every upload counts as large
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = supervisor_client.post("/commerce/import/", {"file": _upload(write_csv(tmp_path / "o.csv"))})
    job = ImportJob.objects.get(shop=shop)
    assert job.status == "pending" and Order.objects.count() == 0
    assert 'http-equiv="refresh"' in supervisor_client.get(response["Location"]).content.decode()
    for callback in callbacks:  # commit: django-q2 runs the task (sync in tests)
        callback()
    job.refresh_from_db()
    assert (job.status, job.created_count) == ("done", 2)
    from shouhou.commerce.tasks import import_job_run_task

    assert import_job_run_task(job.pk) == "skipped"  # a repeated delivery does nothing


def _pending_job(shop, tmp_path, settings, capture) -> ImportJob:
    settings.SHOUHOU_IMPORT_ASYNC_BYTES = 10  # queued for the worker, not run at once
    with capture(execute=False):
        return import_job_submit(actor=SYSTEM, shop=shop, upload=_upload(write_csv(tmp_path / "o.csv")))


def test_a_job_left_running_by_a_killed_worker_is_run_again_on_the_queues_second_delivery(
        shop, tmp_path, settings, django_capture_on_commit_callbacks):
    """The worker died mid-import (the import is one transaction: nothing written); the queue delivers the task
    again after `retry` seconds. Claimed only once the job is older than a task may run."""
    from datetime import timedelta

    from shouhou.commerce.tasks import import_job_run_task
    from shouhou.core.clock import now

    job = _pending_job(shop, tmp_path, settings, django_capture_on_commit_callbacks)
    ImportJob.objects.filter(pk=job.pk).update(status="running", updated_at=now() - timedelta(seconds=100))
    assert import_job_run_task(job.pk) == "skipped"  # may still be running: left alone
    ImportJob.objects.filter(pk=job.pk).update(updated_at=now() - timedelta(seconds=settings.Q_CLUSTER["timeout"] + 5))
    assert import_job_run_task(job.pk) == "done"
    assert Order.objects.filter(shop=shop).count() == 2


def test_a_job_no_task_will_finish_is_marked_failed_and_says_nothing_was_written(
        supervisor_client, shop, tmp_path, settings, django_capture_on_commit_callbacks):
    """A task killed at its time limit is not delivered again (ack_failures): without the sweep the report page
    said 「处理中」 and refreshed itself for ever."""
    from datetime import timedelta

    from shouhou.commerce.services import import_jobs_interrupted
    from shouhou.core.clock import now

    old, fresh = (_pending_job(shop, tmp_path, settings, django_capture_on_commit_callbacks) for _ in range(2))
    gone = now() - timedelta(seconds=max(settings.Q_CLUSTER["timeout"], settings.Q_CLUSTER["retry"]) + 61)
    ImportJob.objects.filter(pk=old.pk).update(status="running", updated_at=gone)
    ImportJob.objects.filter(pk=fresh.pk).update(status="running", updated_at=now() - timedelta(seconds=30))
    assert import_jobs_interrupted() == 1
    old.refresh_from_db(), fresh.refresh_from_db()
    assert (old.status, fresh.status) == ("failed", "running")
    page = supervisor_client.get(f"/commerce/import/{old.pk}/").content.decode()
    assert "导入被中断" in page and "没有写入任何数据" in page and 'http-equiv="refresh"' not in page


def test_a_database_held_by_another_writer_says_so_and_writes_nothing(shop, tmp_path, monkeypatch):
    """SQLite: a second writer waits the busy timeout, then got 「导入时出现意外错误…交给管理员排查」."""
    from django.db import OperationalError

    import shouhou.commerce.services as import_services
    from shouhou.commerce.services import orders_import

    def locked(**_kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(import_services, "write_chunk", locked)
    monkeypatch.setattr(import_services.Stage, "write", lambda self, **_kwargs: locked())
    job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "o.csv"))
    assert job.status == "failed" and "数据库正忙" in job.errors[0]["message"]
    assert Order.objects.filter(shop=shop).count() == 0


# --- API --------------------------------------------------------------------------------------

def test_api_import_then_read_the_report(client, shop, tmp_path):
    auth = _token(shop)
    response = client.post("/api/commerce/imports", {"file": _upload(write_csv(tmp_path / "o.csv"))}, **auth)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["created_count"], body["written"], body["errors"]) == ("done", 2, True, [])
    again = client.get(f"/api/commerce/imports/{body['id']}", **auth).json()
    assert again["summary"]["lines_created"] == 3


def test_api_import_reports_bad_rows(client, shop, tmp_path):
    path = write_csv(tmp_path / "bad.csv", with_value("支付时间", "2026-13-45", row=0))
    body = client.post("/api/commerce/imports", {"file": _upload(path)}, **_token(shop)).json()
    assert body["status"] == "failed" and body["written"] is False
    assert body["errors"] == [{"row": 2, "field": "支付时间", "message": "不是有效时间 '2026-13-45'（应为 2026-11-01 20:30:00）",
                               "text": "第2行「支付时间」：不是有效时间 '2026-13-45'（应为 2026-11-01 20:30:00）",
                               "value": "2026-13-45", "code": "不是有效时间 %(value)r（应为 2026-11-01 20:30:00）",
                               "params": {"value": "2026-13-45"}}]


def test_api_import_needs_the_import_permission(client, shop, tmp_path):
    response = client.post("/api/commerce/imports", {"file": _upload(write_csv(tmp_path / "o.csv"))},
                           **_token(shop, role=Role.AGENT))
    assert response.status_code == 403
    assert response.json()["detail"] == "当前角色无权导入订单"


def test_api_import_of_another_shop_is_not_found(client, shop, other_shop, tmp_path):
    job = import_job_submit(actor=SYSTEM, shop=other_shop, upload=_upload(write_csv(tmp_path / "o.csv")))
    assert client.get(f"/api/commerce/imports/{job.pk}", **_token(shop)).status_code == 404


def test_api_customers_are_masked_and_shop_scoped(client, shop, other_shop):
    CustomerFactory(shop=shop, phone="13812345678", phone_last4="5678", name="张三", tier="gold")
    CustomerFactory(shop=other_shop, phone="13900000000", name="别家顾客")
    body = client.get("/api/commerce/customers", **_token(shop)).json()
    assert body["count"] == 1
    assert body["items"] == [{"id": body["items"][0]["id"], "name": "张三", "phone_masked": "138****5678",
                              "tier": "gold", "contact_consent": True, "points": 0}]
    assert "13812345678" not in str(body)


def test_api_live_sessions_with_orders_and_gmv(client, shop, other_shop):
    session = LiveSessionFactory(shop=shop, title="双11宠粉专场")
    OrderFactory.create_batch(3, shop=shop, live_session=session, total_paid=Decimal("100.00"))
    LiveSessionFactory(shop=other_shop, title="别家场次")
    body = client.get("/api/commerce/live-sessions", **_token(shop)).json()
    assert [(s["title"], s["orders"], s["gmv"], s["host"]) for s in body["items"]] == [
        ("双11宠粉专场", 3, "300.00", session.host.name)]


def test_api_session_auth_works_for_a_logged_in_user(client, shop):
    user = UserFactory(username="boss")
    MembershipFactory(user=user, shop=shop, role=Role.ADMIN)
    client.force_login(user)
    assert client.get("/api/commerce/customers").status_code == 200


# --- a real browser ---------------------------------------------------------------------------

@pytest.mark.browser
def test_browser_upload_shows_the_report(login_page, supervisor, shop, tmp_path):
    path = write_csv(tmp_path / "bad.csv", with_value("实付金额", "abc", row=1))
    page = login_page("supervisor")
    page.click("text=订单导入")
    page.set_input_files("#id_file", str(path))
    page.click("button:has-text('上传并导入')")
    expect(page.get_by_test_id("job-status")).to_have_text("失败")
    assert page.get_by_test_id("import-errors").inner_text().count("不是有效金额 'abc'") == 1
    page.click("text=返回订单导入")
    page.set_input_files("#id_file", str(path))
    page.check("input[name=allow_partial]")
    page.click("button:has-text('上传并导入')")
    expect(page.get_by_test_id("orders-created")).to_have_text("2")  # row 3 skipped, both orders remain


def test_api_order_and_customer_lists_page_in_sql(client, shop, other_shop, django_assert_max_num_queries):
    # given 30 orders of this shop (and one elsewhere)
    OrderFactory.create_batch(30, shop=shop)
    OrderFactory(shop=other_shop, order_no="ELSEWHERE")
    auth = _token(shop)
    # when a page of 5 is asked for, then only that page is read (a bounded number of queries)
    with django_assert_max_num_queries(8):
        body = client.get("/api/commerce/orders?limit=5&offset=5", **auth).json()
    assert body["count"] == 30 and len(body["items"]) == 5
    assert all(item["receiver_phone_masked"].count("*") == 4 for item in body["items"])
    assert "ELSEWHERE" not in str(body)
    one = client.get(f"/api/commerce/orders?order_no={body['items'][0]['order_no']}", **auth).json()
    assert one["count"] == 1 and one["items"][0]["id"] == body["items"][0]["id"]
    with django_assert_max_num_queries(8):
        customers = client.get("/api/commerce/customers?limit=3", **auth).json()
    assert customers["count"] == 30 and len(customers["items"]) == 3
    assert all("****" in c["phone_masked"] for c in customers["items"])


def test_api_says_which_lines_the_platform_removed_and_counts_no_void_parcel(client, shop):
    from django.utils import timezone

    from shouhou.core.testing.factories import OrderLineFactory, ShipmentFactory

    order = OrderFactory(shop=shop, order_no="REMOVED-1")
    kept = OrderLineFactory(order=order, line_key="1")
    gone = OrderLineFactory(order=order, line_key="2", removed_at=timezone.now())
    ShipmentFactory(shop=shop, order=order, tracking_no="YT1", status="in_transit")
    ShipmentFactory(shop=shop, order=order, tracking_no="YT2", status="in_transit", voided_at=timezone.now(),
                    void_reason="平台已更正运单")
    auth = _token(shop)
    lines = {line["id"]: line for line in client.get(f"/api/commerce/orders/{order.pk}", **auth).json()["lines"]}
    assert lines[kept.pk]["removed_at"] is None and lines[gone.pk]["removed_at"] is not None
    # the overview counts the order's one real parcel, not the waybill the platform corrected
    assert client.get("/api/commerce/shop", **auth).json()["shipments"]["in_transit"] == 1
