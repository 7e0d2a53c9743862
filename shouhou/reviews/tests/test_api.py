"""API: ingest, CSV/Excel import and signed platform push (idempotent), task steps, shop isolation, QA report."""

from __future__ import annotations

import datetime as dt
import io
import json
import time

import pytest
import time_machine
from django.test import Client
from openpyxl import Workbook

from shouhou.accounts.actors import SYSTEM
from shouhou.commerce.models import Shop
from shouhou.core.signatures import sign
from shouhou.core.testing.factories import CustomerFactory, OrderFactory
from shouhou.inbox.models import Conversation, Message
from shouhou.reviews import services
from shouhou.reviews.models import RecoveryTask, Review

SECRET = "reviews-test-secret"


@pytest.fixture(autouse=True)
def _webhook_secret(settings):
    settings.SHOUHOU = {**settings.SHOUHOU, "WEBHOOK_SECRET": SECRET}


@pytest.fixture
def supervisor_client(supervisor):
    c = Client()
    c.force_login(supervisor)
    return c


def _post(client, url, data):
    return client.post(url, data=json.dumps(data), content_type="application/json")


def test_create_reviews_and_work_a_task_through_the_api(agent_client, shop):
    OrderFactory(shop=shop, order_no="KS0001")
    r = _post(agent_client, "/api/reviews/", {"items": [
        {"text": "收到货发现少发了一件，客服也不回复", "order_no": "KS0001", "platform": "kuaishou", "external_id": "k1"},
        {"text": "很喜欢，已回购", "platform": "kuaishou", "external_id": "k2"},
    ]})
    assert r.status_code == 201, r.content
    assert {k: r.json()[k] for k in ("created", "duplicates", "tasks")} == {"created": 2, "duplicates": 0, "tasks": 1}
    tasks = agent_client.get("/api/reviews/tasks").json()
    assert len(tasks) == 1 and tasks[0]["complaint_type"] == "wrong_or_missing" and tasks[0]["order_no"] == "KS0001"
    tid = tasks[0]["id"]
    bad = _post(agent_client, f"/api/reviews/tasks/{tid}/reply", {"text": "亲，删差评返现10元哦"})
    assert bad.status_code == 400 and "删除或修改差评" in bad.json()["detail"]
    ok = _post(agent_client, f"/api/reviews/tasks/{tid}/reply", {"text": tasks[0]["suggested_reply"]})
    assert ok.status_code == 200 and ok.json()["status"] == "in_progress"
    remedy = _post(agent_client, f"/api/reviews/tasks/{tid}/remedy", {"remedy": "resend", "note": "补发漏发的一件"})
    assert remedy.status_code == 200 and remedy.json()["remedy"] == "resend"
    closed = _post(agent_client, f"/api/reviews/tasks/{tid}/close", {"outcome": "rating_updated", "new_rating": 4})
    assert closed.json()["status"] == "closed" and closed.json()["new_rating"] == 4
    # the same batch again: all duplicates, nothing new
    again = _post(agent_client, "/api/reviews/", {"items": [{"text": "x", "platform": "kuaishou", "external_id": "k1"}]})
    assert again.json()["duplicates"] == 1 and Review.objects.count() == 2


def test_rating_out_of_range_is_refused_with_the_field(agent_client):
    r = _post(agent_client, "/api/reviews/", {"items": [{"text": "好", "rating": 9}]})
    assert r.status_code == 400 and r.json()["errors"][0]["loc"] == ["items.0.rating"]


def _csv_bytes(rows):
    out = io.StringIO()
    out.write("评价ID,订单号,评分,评价内容,评价时间\n")
    for row in rows:
        out.write(",".join(row) + "\n")
    return out.getvalue().encode("utf-8-sig")


@time_machine.travel(dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False)
def test_csv_import_is_idempotent_and_reports_bad_rows(supervisor_client, shop):
    # the day after the reviews were written (a bad review older than 30 days opens no task)
    OrderFactory(shop=shop, order_no="DY9")
    content = _csv_bytes([
        ("e1", "DY9", "1", "衣服掉色严重，洗一次就串色了", "2026-11-20 10:00:00"),
        ("e2", "", "5", "很好很好", "2026-11-20 11:00:00"),
        ("e3", "", "9", "评分错了", ""),
        ("e4", "", "", "时间错了", "昨天"),
    ])
    def upload():
        f = io.BytesIO(content)
        f.name = "reviews.csv"
        return supervisor_client.post("/api/reviews/import?platform=douyin", {"file": f})
    first = upload()
    assert first.status_code == 201, first.content
    body = first.json()
    assert (body["created"], body["tasks"], body["duplicates"]) == (2, 1, 0)
    assert body["errors"] == ["第 4 行 评分: 应为 1–5，实际为 '9'",
                              "第 5 行 评价时间: 无法识别 '昨天'（例：2026-11-20 10:30:00）"]
    second = upload().json()
    assert (second["created"], second["duplicates"]) == (0, 2)
    assert Review.objects.get(external_id="e1").order.order_no == "DY9"


def test_excel_import(supervisor_client, shop):
    wb = Workbook()
    ws = wb.active
    ws.append(["review_id", "review", "rating"])
    ws.append(["x1", "收到的苹果全是烂的", 1])
    ws.append(["x2", "甜甜的很好吃", 5])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "reviews.xlsx"
    r = supervisor_client.post("/api/reviews/import", {"file": buf})
    assert r.status_code == 201 and r.json()["created"] == 2 and r.json()["tasks"] == 1


def test_import_without_text_column_is_a_clear_error(supervisor_client):
    f = io.BytesIO("id,评分\n1,5\n".encode())
    f.name = "bad.csv"
    r = supervisor_client.post("/api/reviews/import", {"file": f})
    assert r.status_code == 400 and "缺少评价内容列" in r.json()["detail"]


def _upload(data: bytes, name: str):
    f = io.BytesIO(data)
    f.name = name
    return f


def test_import_is_read_by_content_not_by_name(supervisor_client, shop):
    """An .xlsx saved as .csv is read as Excel; a photo or an old .xls renamed .csv is refused."""
    wb = Workbook()
    wb.active.append(["review", "rating"])
    wb.active.append(["包装破了，杯子碎了", 1])
    buf = io.BytesIO()
    wb.save(buf)
    ok = supervisor_client.post("/api/reviews/import", {"file": _upload(buf.getvalue(), "导出.csv")})
    assert ok.status_code == 201 and ok.json()["created"] == 1
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
    r = supervisor_client.post("/api/reviews/import", {"file": _upload(png, "reviews.csv")})
    assert r.status_code == 400 and "不是 CSV 文本或 .xlsx 表格" in r.json()["detail"]
    xls = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64
    r = supervisor_client.post("/api/reviews/import", {"file": _upload(xls, "reviews.xlsx")})
    assert r.status_code == 400 and "旧版 Excel" in r.json()["detail"]


def test_import_reads_old_mac_line_ends_and_an_unclosed_quote(supervisor_client, shop):
    """What the fuzzer sent: a bare carriage return used to raise csv.Error (500)."""
    r = supervisor_client.post("/api/reviews/import", {"file": _upload(b"review\np1\rbad\n", "file")})
    assert r.status_code == 201 and r.json()["created"] == 2
    broken = supervisor_client.post("/api/reviews/import", {"file": _upload(b'review\n"unclosed\x0b', "f.csv")})
    assert broken.status_code == 201 and broken.json()["created"] == 1


def test_import_refuses_absurd_review_times_per_row(supervisor_client, shop):
    data = "review,评价时间\n很好,2026-11-20 10:00:00\n太差,0323-08-15 10:00:00\n".encode()
    r = supervisor_client.post("/api/reviews/import", {"file": _upload(data, "r.csv")})
    assert r.status_code == 201 and r.json()["created"] == 1
    assert r.json()["errors"] == ["第 3 行 评价时间: 应在 2000–2099 年之间，实际为 '0323-08-15 10:00:00'"]


def test_agent_may_not_import(agent_client):
    f = io.BytesIO(b"review\nok\n")
    f.name = "a.csv"
    assert agent_client.post("/api/reviews/import", {"file": f}).status_code == 403


def _push(client, shop_code, payload, *, secret=None, ts=None):
    """Signed with the shop's key: derived from the install-wide SECRET and the shop code (no shop key is set)."""
    body = json.dumps(payload).encode()
    ts = ts or str(int(time.time()))
    if secret is None:
        shop = Shop.objects.filter(code=shop_code).first()
        secret = services.review_webhook_secret(shop) if shop else SECRET
    return client.post(f"/api/reviews/webhook/{shop_code}", data=body, content_type="application/json",
                       HTTP_X_SHOUHOU_TIMESTAMP=ts, HTTP_X_SHOUHOU_SIGNATURE=sign(secret, ts, body))


def test_webhook_is_signed_and_idempotent(client, shop):
    OrderFactory(shop=shop, order_no="DY77")
    payload = {"event_id": "evt-1", "platform": "douyin",
               "reviews": [{"external_id": "p1", "order_no": "DY77", "text": "快递太慢，等了八天", "rating": 2}]}
    first = _push(client, shop.code, payload)
    assert first.status_code == 202, first.content
    assert first.json()["tasks"] == 1
    replay = _push(client, shop.code, payload)
    assert replay.status_code == 200 and replay.json() == first.json()
    # a new event carrying the same review is deduplicated by platform + external id
    other_event = _push(client, shop.code, {**payload, "event_id": "evt-2"})
    assert other_event.json()["duplicates"] == 1
    assert Review.objects.count() == 1 and RecoveryTask.objects.count() == 1
    assert Review.objects.get().source == "webhook"


@pytest.mark.parametrize("mutate, status, message", [
    (lambda h: {**h, "secret": "wrong"}, 401, "签名不匹配"),
    (lambda h: {**h, "ts": str(int(time.time()) - 3600)}, 401, "重放"),
])
def test_webhook_rejects_bad_signatures(client, shop, mutate, status, message):
    opts = mutate({"secret": None, "ts": None})
    r = _push(client, shop.code, {"event_id": "e", "reviews": []}, secret=opts["secret"], ts=opts["ts"])
    assert r.status_code == status and message in r.json()["detail"]
    assert Review.objects.count() == 0


def test_webhook_refuses_the_public_development_secret(client, shop, settings):
    settings.SHOUHOU = {**settings.SHOUHOU, "WEBHOOK_SECRET": "dev-webhook-secret"}
    r = _push(client, shop.code, {"event_id": "e1", "reviews": [{"external_id": "x", "text": "太差了"}]},
              secret="dev-webhook-secret")
    assert r.status_code == 401 and "未配置推送密钥" in r.json()["detail"]
    shop.settings = {"webhook_secret": "shop-own-secret"}
    shop.save()
    ok = _push(client, shop.code, {"event_id": "e1", "reviews": [{"external_id": "x", "text": "太差了"}]},
               secret="shop-own-secret")
    assert ok.status_code == 202
    assert Review.objects.count() == 1


def test_webhook_payload_errors(client, shop):
    assert _push(client, shop.code, ["event_id", "e"]).json()["detail"] == "请求体应为 JSON 对象"
    assert _push(client, shop.code, {"reviews": []}).json()["detail"] == "缺少 event_id"
    assert _push(client, shop.code, {"event_id": "e", "reviews": ["好评"]}).status_code == 400
    assert _push(client, shop.code, {"event_id": "e", "reviews": "x"}).json()["detail"] == "reviews 应为数组"
    assert _push(client, "no-such-shop", {"event_id": "e", "reviews": []}).status_code == 404


def test_shop_isolation(agent_client, shop, other_shop):
    # given a negative review in another shop, pushed to that shop's webhook
    c = Client()
    _push(c, other_shop.code, {"event_id": "o1", "reviews": [{"external_id": "z", "text": "质量太差了，坏了"}]})
    theirs = RecoveryTask.objects.get(shop=other_shop)
    # then our agent neither lists nor opens nor acts on it
    assert agent_client.get("/api/reviews/tasks").json() == []
    assert agent_client.get("/api/reviews/").json() == []
    assert agent_client.get(f"/api/reviews/tasks/{theirs.pk}").status_code == 404
    assert _post(agent_client, f"/api/reviews/tasks/{theirs.pk}/contact", {"note": "x"}).status_code == 404
    assert agent_client.get(f"/reviews/tasks/{theirs.pk}/").status_code == 404
    # and the same external id in our shop is a different review
    _post(agent_client, "/api/reviews/", {"items": [{"external_id": "z", "text": "不错"}]})
    assert Review.objects.filter(external_id="z").count() == 2


def test_classify_guard_and_inspect_endpoints(agent_client):
    r = _post(agent_client, "/api/reviews/classify", {"texts": ["物流太慢了，差评", "", "很好👍"]}).json()
    assert [x["sentiment"] for x in r] == [0, 1, 1] and r[0]["complaint_type"] == "logistics"
    g = _post(agent_client, "/api/reviews/guard", {"text": "五星好评送红包"}).json()
    assert g["allowed"] is False and "红包" in g["reasons"][0]
    flags = _post(agent_client, "/api/reviews/inspect", {"text": "这是快递的问题，你去找快递"}).json()
    assert flags[0]["category"] == "blame_shifting"


def test_community_and_referral_endpoints(agent_client, shop):
    r = _post(agent_client, "/api/reviews/community/messages", [
        {"group_id": "g1", "group_name": "老粉群", "text": "上次买的锅用两次就掉漆了，太差了", "external_id": "m1"}])
    assert r.status_code == 201 and r.json()["alerts"] == 1
    referrer, friend = CustomerFactory(shop=shop, points=0), CustomerFactory(shop=shop)
    order = OrderFactory(shop=shop, customer=friend)
    body = {"referrer_id": referrer.pk, "friend_id": friend.pk, "order_id": order.pk, "kind": "points", "points": 30}
    first = _post(agent_client, "/api/reviews/referrals", body)
    second = _post(agent_client, "/api/reviews/referrals", body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["referrer_points"] == 30


def _say(shop, user, body):
    conv = Conversation.objects.filter(shop=shop).first() or Conversation.objects.create(shop=shop, channel="web_chat")
    Message.objects.create(shop=shop, conversation=conv, direction="outbound", author=user, body=body)


def test_qa_report_counts_flags_per_agent(supervisor_client, shop, agent, supervisor, other_shop):
    _say(shop, agent, "这是快递的问题，你去找快递")
    _say(shop, agent, "保证明天到")
    _say(shop, agent, "非常抱歉，马上为您补发")
    _say(shop, agent, "给您补偿100元")  # above the agent's 50 yuan limit
    _say(shop, supervisor, "理解您的心情，我来跟进")
    _say(other_shop, agent, "滚")  # another shop's message is not in this report
    rows = supervisor_client.get("/api/reviews/qa-report").json()
    by_name = {r["username"]: r for r in rows}
    assert by_name["agent"]["messages"] == 4 and by_name["agent"]["flagged_messages"] == 3
    assert by_name["agent"]["by_category"]["blame_shifting"] == 1
    assert by_name["agent"]["by_category"]["over_promise"] == 2
    assert by_name["agent"]["by_category"]["rude"] == 0
    assert by_name["supervisor"]["flagged_messages"] == 0
    page = supervisor_client.get("/reviews/qa/")
    assert page.status_code == 200 and "这是快递的问题" in page.content.decode()


def test_agents_cannot_see_the_qa_report(agent_client):
    assert agent_client.get("/api/reviews/qa-report").status_code == 403
    assert agent_client.get("/reviews/qa/").status_code == 403


def test_nul_characters_and_absurd_times_are_refused_or_dropped_not_500(client, shop, settings):
    """What the fuzzer found on PostgreSQL: NUL in group ids, years 0249 and 4561, offsets beyond ±15:59."""
    from shouhou.accounts.choices import Role
    from shouhou.accounts.services import token_issue

    token = token_issue(actor=SYSTEM, shop=shop, name="fuzz", scopes=["*"], role=Role.ADMIN)
    auth = {"Authorization": token.header}
    r = client.post("/api/reviews/community/messages", data=json.dumps(
        [{"group_id": "g\u00001", "group_name": "宝妈\u0000群", "text": "质量太差\u0000了"}]),
        content_type="application/json", headers=auth)
    assert r.status_code == 201, r.content
    assert Review.objects.get().text == "质量太差了"
    bad_year = client.post("/api/reviews/", data=json.dumps({"items": [{"text": "好", "posted_at": "0323-08-15T19:41:48Z"}]}),
                           content_type="application/json", headers=auth)
    assert bad_year.status_code == 422 and "2000–2099" in bad_year.json()["detail"]
    report = client.get("/api/reviews/qa-report?since=4561-04-20T16%3A37%3A06%2B17%3A41", headers=auth)
    assert report.status_code == 422 and "since" in report.json()["detail"]
    odd_offset = client.get("/api/reviews/qa-report?since=2026-04-20T16%3A37%3A06%2B17%3A41", headers=auth)
    assert odd_offset.status_code == 200


def test_the_classify_api_reads_whole_texts_like_the_cli(agent_client):
    # a complaint at the end of a long review is read, and a line break changes nothing (as `reviews classify`)
    praise = "衣服很好看，面料舒服，做工精细，物流也快，客服态度好。" * 60
    r = _post(agent_client, "/api/reviews/classify",
              {"texts": [praise, praise + "但是收到的衣服袖子开线了，质量太差，要求退货。",
                         "宝贝收到\n不喜欢", "宝贝收到不喜欢"]}).json()
    assert r[0]["sentiment"] == 1
    assert r[1]["sentiment"] == 0 and r[1]["complaint_type"] not in ("", "none")
    assert r[2] == r[3]


def test_the_api_names_the_complaint_types_in_the_readers_language_and_the_remedies_allowed(agent_client, shop):
    """ReviewOut, ClassifyOut and TaskOut carried only the codes; a task did not say which remedies its type allows."""
    from django.conf import settings

    text = "申请退货三次都被拒绝，客服态度也很差，说不给退"
    classified = _post(agent_client, "/api/reviews/classify", {"texts": [text]}).json()[0]
    assert classified["complaint_type"] == "after_sales"
    assert classified["complaint_type_label"] == "售后处理"
    others = [c for c in classified["complaint_others"].split("|") if c]
    assert len(classified["complaint_others_labels"]) == len(others)
    assert _post(agent_client, "/api/reviews/", {"items": [{"text": text}]}).status_code == 201
    review = agent_client.get("/api/reviews/").json()[0]
    assert (review["complaint_type"], review["complaint_type_label"]) == ("after_sales", "售后处理")
    task = agent_client.get("/api/reviews/tasks").json()[0]
    assert task["complaint_type_label"] == "售后处理"
    assert task["allowed_remedies"] == ["explanation", "refund", "return_refund", "exchange", "repair"]
    assert "coupon" not in task["allowed_remedies"]
    agent_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert agent_client.get("/api/reviews/").json()[0]["complaint_type_label"] == "After-sales handling"
    english = _post(agent_client, "/api/reviews/classify", {"texts": ["收到的是假货，防伪码查不到"]}).json()[0]
    assert (english["complaint_type"], english["complaint_type_label"]) == ("counterfeit", "Counterfeit / not genuine")
    assert agent_client.get("/api/reviews/tasks").json()[0]["complaint_type_label"] == "After-sales handling"
