"""A tester's round on the review surfaces (2026-12-07, night): praise read as the complaint, remedies that
followed the main type only, platform placeholders read as complaints, mixed reviews on the showcase, re-imports
that stored reviews twice, Excel ids in scientific notation, one odd pushed review losing the whole push, and
the system's breach note in Chinese on the English page."""

from __future__ import annotations

import datetime as dt
import io
import json
import time
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.utils import translation
from openpyxl import Workbook

from shouhou.accounts.actors import SYSTEM
from shouhou.core.signatures import sign
from shouhou.reviews import selectors, services
from shouhou.reviews.classifier.rules import aspect_of
from shouhou.reviews.classifier.whole import classify_whole
from shouhou.reviews.models import RecoveryEvent, RecoveryTask, Review
from shouhou.reviews.scripts import allowed_remedies
from shouhou.reviews.services import ReviewInput, ReviewRefused, reviews_ingest

SECRET = "round-11-secret"


def _client(user, language: str = "zh-hans") -> Client:
    c = Client()
    c.force_login(user)
    c.cookies["django_language"] = language
    return c


# --- praise is not the complaint ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, main", [
    ("客服很好，耐心解答，但是东西是假的", "counterfeit"),
    ("客服态度很好，但是退货申请被拒了", "after_sales"),
    ("客服小姐姐态度很好，可是收到的手机是翻新机", "counterfeit"),
    ("包装很用心，但是收到的杯子是坏的", "quality_defect"),
    ("快递小哥很负责，送货上门，但是杯子有裂痕，漏水", "quality_defect"),
])
def test_praise_before_the_turn_is_not_the_main_type(text, main):
    prediction = classify_whole([text])[0]
    assert prediction.complaint_type == main, prediction
    praised = {"客服": "service_attitude", "包装": "packaging", "快递": "logistics"}[text[:2]]
    assert praised not in prediction.complaint_others.split("|")


@pytest.mark.parametrize("text, main", [
    ("客服态度太差了，问了半天不回", "service_attitude"),
    ("客服很好，就是快递太慢了", "logistics"),          # praise of one thing, complaint of another: the other
    ("快递很快，但是箱子压扁了，杯子碎了", None),          # the box crushed in transit: logistics may stay
    ("包装太简陋了，盒子都压扁了", "packaging"),
])
def test_a_real_complaint_of_the_same_subject_keeps_its_type(text, main):
    prediction = classify_whole([text])[0]
    assert prediction.sentiment == 0
    if main:
        assert prediction.complaint_type == main


# --- remedies answer every type the review names ---------------------------------------------------------------

def test_a_refused_return_beside_a_defect_rules_out_a_coupon():
    assert "coupon" in allowed_remedies("quality_defect")
    both = allowed_remedies("quality_defect", "after_sales")
    assert "coupon" not in both and "points" not in both
    assert {"return_refund", "refund", "exchange", "repair", "resend"} <= set(both)
    # a counterfeit named beside praised service: the counterfeit's remedies, no coupon
    assert set(allowed_remedies("service_attitude", "counterfeit")) == {"explanation", "return_refund", "refund"}
    # a usage question beside a defect rules nothing out
    assert "coupon" in allowed_remedies("quality_defect", "usage_question")


@pytest.mark.django_db
def test_the_task_page_api_and_service_offer_the_same_remedies(shop, supervisor):
    review = reviews_ingest(shop=shop, actor=SYSTEM, items=[ReviewInput(text="衣服开线了", rating=1)]).created[0]
    Review.objects.filter(pk=review.pk).update(complaint_type="quality_defect", complaint_others="after_sales")
    task = RecoveryTask.objects.get(review=review)
    page = _client(supervisor).get(f"/reviews/tasks/{task.pk}/").content.decode()
    assert 'value="refund"' in page and 'value="coupon"' not in page
    api = _client(supervisor).get(f"/api/reviews/tasks/{task.pk}").json()
    assert "coupon" not in api["allowed_remedies"] and "refund" in api["allowed_remedies"]
    with pytest.raises(ReviewRefused, match="质量问题、售后处理"):
        services.recovery_set_remedy(task=task, remedy="coupon", amount=Decimal("5"), actor=supervisor)
    with translation.override("en"), pytest.raises(ReviewRefused) as refused:
        services.recovery_set_remedy(task=task, remedy="points", actor=supervisor)
    assert "、" not in str(refused.value) and "After-sales handling" in str(refused.value)


# --- a platform's placeholder is no review text ---------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("text", ["系统默认好评", "用户默认好评", "该用户未填写评价内容", "此用户没有填写文字评价",
                                  "此用户没有填写评价。", "评价方未及时做出评价,系统默认好评!"])
def test_a_placeholder_with_good_stars_opens_no_task_and_is_not_showcased(shop, agent, text):
    result = reviews_ingest(shop=shop, actor=SYSTEM, items=[ReviewInput(text=text, rating=5, external_id="p1")])
    review = result.created[0]
    assert (review.sentiment, review.complaint_type, result.tasks) == (1, "none", 0)
    assert review not in selectors.review_list(shop=shop, praise_only=True)
    with pytest.raises(ReviewRefused, match="没有顾客写的文字"):
        services.review_showcase_set(review=review, showcased=True, actor=agent)


@pytest.mark.django_db
def test_a_one_star_placeholder_is_still_a_bad_review(shop):
    result = reviews_ingest(shop=shop, actor=SYSTEM, items=[ReviewInput(text="该用户未填写评价内容", rating=1)])
    assert (result.created[0].sentiment, result.created[0].complaint_type, result.tasks) == (0, "other", 1)


def test_words_around_a_placeholder_are_read():
    assert classify_whole(["默认好评是你们刷的吧，质量太差了"])[0].sentiment == 0


# --- a mixed review is no showcase ----------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_mixed_review_cannot_be_showcased(shop, agent):
    review = reviews_ingest(shop=shop, actor=SYSTEM, items=[
        ReviewInput(text="裙子很漂亮，面料也舒服，只是说好的腰带没给", rating=4)]).created[0]
    Review.objects.filter(pk=review.pk).update(sentiment=1, complaint_type="promise_not_kept")
    review.refresh_from_db()
    assert review.mixed
    with pytest.raises(ReviewRefused, match="有抱怨"):
        services.review_showcase_set(review=review, showcased=True, actor=agent)
    answer = _client(agent).post(f"/api/reviews/{review.pk}/showcase", data=json.dumps({"showcased": True}),
                                 content_type="application/json")
    assert answer.status_code == 400
    # one showcased before it was read as mixed drops out of the public showcase
    Review.objects.filter(pk=review.pk).update(is_showcased=True)
    assert review not in selectors.showcase_list(shop=shop)


# --- re-imports find what they stored -------------------------------------------------------------------------

def _csv(rows, header=("评价ID", "订单号", "评分", "评价内容", "评价时间", "平台")) -> io.BytesIO:
    f = io.BytesIO(("\r\n".join(",".join(r) for r in [header, *rows]) + "\r\n").encode("utf-8-sig"))
    f.name = "评价导出.csv"
    return f


@pytest.mark.django_db
def test_the_same_export_imported_with_and_without_a_platform_is_stored_once(shop, supervisor):
    shop.platform = "douyin"
    shop.save()
    rows = [("DY001", "", "1", "衣服开线了", "2026-11-20 10:00:00", "抖音"),
            ("", "DY9", "2", "没有评价ID的差评", "2026-11-20 11:00:00", ""),
            ("", "", "1", "什么都没有的差评", "", "")]
    c = _client(supervisor)
    first = c.post("/api/reviews/import?platform=douyin", {"file": _csv(rows)}).json()
    assert first["created"] == 3 and first["warnings"] == [
        "第 4 行: 没有评价ID、订单号和评价时间，再次导入同一文件时这一行会重复保存"]
    assert set(Review.objects.values_list("platform", flat=True)) == {"douyin"}
    again = c.post("/api/reviews/import", {"file": _csv(rows)}).json()
    assert (again["created"], again["duplicates"]) == (1, 2)  # only the row with nothing to know it by
    # a push naming the platform by its code finds the review imported as 「抖音」
    body = json.dumps({"event_id": "e1", "platform": "douyin",
                       "reviews": [{"external_id": "DY001", "text": "衣服开线了"}]}).encode()
    shop.settings = {"webhook_secret": SECRET}
    shop.save()
    ts = str(int(time.time()))
    pushed = Client().post(f"/api/reviews/webhook/{shop.code}", data=body, content_type="application/json",
                           HTTP_X_SHOUHOU_TIMESTAMP=ts, HTTP_X_SHOUHOU_SIGNATURE=sign(SECRET, ts, body))
    assert pushed.json()["duplicates"] == 1
    assert Review.objects.filter(external_id="DY001").count() == 1


@pytest.mark.django_db
def test_a_review_stored_without_a_platform_is_found_by_a_later_one_with_it(shop):
    Review.objects.create(shop=shop, platform="", external_id="R1", text="旧的", sentiment=1)
    result = reviews_ingest(shop=shop, actor=SYSTEM, items=[ReviewInput(text="旧的", platform="快手", external_id="R1")])
    assert (len(result.created), result.duplicates) == (0, 1)


@pytest.mark.django_db
def test_excel_ids_in_scientific_notation_are_refused_by_row(shop, supervisor):
    wb = Workbook()
    ws = wb.active
    ws.append(["评价ID", "订单编号", "评价内容", "评分"])
    ws.append([7234567890123456789, "A1", "东西坏了", 1])       # Excel keeps 15 digits: ...456800
    ws.append([7234567890123456790, "A2", "也坏了", 1])
    ws.append([123456, 692611290000000812, "订单号丢了位数", 1])
    ws.append([123457, "A4", "好", 5])                         # a short number id is exact: kept as digits
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "评价.xlsx"
    answer = _client(supervisor).post("/api/reviews/import", {"file": buf}).json()
    assert answer["created"] == 1 and Review.objects.get().external_id == "123457"
    assert [e.split(":")[0] for e in answer["errors"]] == ["第 2 行 评价ID", "第 3 行 评价ID", "第 4 行 订单号"]
    assert "科学计数法" in answer["errors"][0]


# --- one odd pushed review no longer loses the push ------------------------------------------------------------

def _push(shop, reviews, event_id="e1"):
    body = json.dumps({"event_id": event_id, "platform": "douyin", "reviews": reviews}).encode()
    ts = str(int(time.time()))
    return Client().post(f"/api/reviews/webhook/{shop.code}", data=body, content_type="application/json",
                         HTTP_X_SHOUHOU_TIMESTAMP=ts, HTTP_X_SHOUHOU_SIGNATURE=sign(SECRET, ts, body))


@pytest.mark.django_db
def test_a_push_keeps_the_reviews_it_can_read(shop):
    shop.settings = {"webhook_secret": SECRET}
    shop.save()
    answer = _push(shop, [{"external_id": 98765, "text": "快递太慢了", "rating": 2},
                          {"external_id": "r2", "text": "还行", "rating": 4.5},
                          {"external_id": "r3", "text": None, "rating": 5},
                          {"external_id": "r4", "text": "好", "posted_at": "昨天"},
                          "不是对象"])
    assert answer.status_code == 202, answer.content
    body = answer.json()
    assert body["created"] == 2
    assert set(Review.objects.values_list("external_id", flat=True)) == {"98765", "r3"}
    assert body["errors"] == ["第 2 条 rating: 应为 1–5 的整数",
                              "第 4 条 posted_at: 时间格式无法识别（例：2026-11-20T10:30:00+08:00）",
                              "第 5 条: 应为 JSON 对象"]
    # a push none of whose reviews can be read is refused, saying why in Chinese
    refused = _push(shop, [{"external_id": "x", "rating": 9}], event_id="e2")
    assert refused.status_code == 400 and refused.json()["detail"] == "第 1 条 rating: 应为 1–5，实际为 9"


# --- the system's breach note in the reader's language ---------------------------------------------------------

@pytest.mark.django_db
def test_the_breach_note_is_said_in_english(shop, supervisor):
    task = reviews_ingest(shop=shop, actor=SYSTEM, items=[ReviewInput(text="太差了，垃圾", rating=1)]).created[0].recovery
    RecoveryEvent.objects.create(task=task, kind="breached", to_status=task.status, note="超过处理时限")
    english = _client(supervisor, "en").get(f"/reviews/tasks/{task.pk}/").content.decode()
    assert "Past the time limit" in english and "超过处理时限" not in english
    assert "超过处理时限" in _client(supervisor).get(f"/reviews/tasks/{task.pk}/").content.decode()


# --- smaller findings --------------------------------------------------------------------------------------------

def test_a_tracking_page_word_is_no_screen_aspect():
    assert aspect_of("一直显示派送中，三天了还没到") == ""
    assert aspect_of("显示效果很差，偏色严重") == aspect_of("屏幕有坏点") == "screen"


@pytest.mark.django_db
def test_stars_and_dates_as_exports_write_them(shop, supervisor):
    rows = [("s1", "", "5星", "很好", "2026年11月20日 10:30", ""), ("s2", "", "★★★★☆", "不错", "2026/11/20", ""),
            ("s3", "", "五星", "喜欢", "2026-11-20T10:00:00+08:00", ""), ("s4", "", "4.0", "可以", "", ""),
            ("s5", "", "1", "差", "2099-12-05 10:00:00", ""), ("s6", "", "6星", "?", "", "")]
    with time_machine.travel(dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        answer = _client(supervisor).post("/api/reviews/import", {"file": _csv(rows)}).json()
    assert answer["created"] == 4
    got = {r.external_id: (r.rating, r.posted_at) for r in Review.objects.all()}
    sh = dt.timezone(dt.timedelta(hours=8))
    assert got["s1"] == (5, dt.datetime(2026, 11, 20, 10, 30, tzinfo=sh))
    assert got["s2"] == (4, dt.datetime(2026, 11, 20, 0, 0, tzinfo=sh))
    assert got["s3"][0] == 5 and got["s4"][0] == 4
    assert answer["errors"] == ["第 6 行 评价时间: '2099-12-05 10:00:00' 在将来；请检查导出文件的时间列",
                                "第 7 行 评分: 应为 1–5，实际为 '6星'"]


@pytest.mark.django_db
def test_the_task_list_finds_a_platform_review_id_and_names_its_card(shop, supervisor):
    reviews_ingest(shop=shop, actor=SYSTEM, items=[ReviewInput(text="太差了，垃圾", external_id="DY-REV-42", rating=1)])
    page = _client(supervisor).get("/reviews/?q=DY-REV-42").content.decode()
    assert page.count('href="/reviews/tasks/') == 1
    assert "未结束" in page and "评价ID" in page
    assert not selectors.recovery_task_list(shop=shop, q="DY-REV-4").exists()


# --- a fault named after the turn names the complaint of a review read positive ----------------------------------

@pytest.mark.parametrize("text, ctype", [
    ("物流很快，包装也很好，但是少发了一件", "wrong_or_missing"),
    ("牛奶很新鲜，孩子爱喝，物流也快，就是这次收到的一箱里，有三盒已经胀包了，喝了一口是酸的", "quality_defect"),
    ("很脆很甜，但是可惜有一个坏的，可以给5星", "quality_defect"),
])
def test_a_fault_after_the_turn_is_a_mixed_review(text, ctype):
    prediction = classify_whole([text])[0]
    # the sentiment stays as the review data would have it; the complaint is named and counted
    assert (prediction.sentiment, prediction.mixed, prediction.complaint_type) == (1, True, ctype)


@pytest.mark.parametrize("text", ["很好看，就是没有坏", "京东自营就是好，价格也比较实惠，关键是放心，杜绝了假货", "衣服很好看，穿着舒服"])
def test_no_fault_after_a_turn_names_nothing(text):
    assert classify_whole([text])[0].complaint_type == "none"


@pytest.mark.django_db
def test_ingest_leaves_the_callers_inputs_as_given(shop):
    # the platform was read into the caller's own objects ("抖音" → "douyin", "" → the shop's): a retry of the
    # same list, or a caller that reports what it sent, read changed inputs
    items = [ReviewInput(text="衣服开线了", rating=1, platform="抖音", external_id="x1"),
             ReviewInput(text="很好", rating=5, external_id="x2")]
    reviews_ingest(shop=shop, actor=SYSTEM, items=items)
    assert [(i.platform, i.external_id) for i in items] == [("抖音", "x1"), ("", "x2")]
    assert set(Review.objects.values_list("platform", flat=True)) == {"douyin", shop.platform}
    again = reviews_ingest(shop=shop, actor=SYSTEM, items=items)
    assert again.duplicates == 2 and Review.objects.count() == 2
