"""Mixed reviews (issue 14): a text read positive that holds a clear complaint keeps its sentiment but gets the
complaint's type (`mixed`), in `classify`, the API and ingest; no recovery task; counted in the Pareto of problems;
not offered for the showcase; `reclassify` reads it as ingest does (docs/reviews.md, "Mixed reviews")."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from django.core.management import call_command

from shouhou.accounts.actors import SYSTEM
from shouhou.core.clock import now
from shouhou.reviews.classifier.whole import classify_whole
from shouhou.reviews.models import RecoveryTask, Review
from shouhou.reviews.services import ReviewInput, reviews_ingest

# Praise, then a complaint: read positive by the sentiment models (this data labels such reviews positive).
TIGHT = "鞋子颜值很高，可惜太挤脚了，尺码偏小"
BELT = "裙子很漂亮，只是说好的腰带没给"
PRAISE = "宝贝很好，物流很快，很满意，会回购的"
COMPLAINT = "质量太差了，根本不能用"


def test_a_complaint_inside_praise_is_named_and_the_sentiment_stays():
    tight, belt, praise, complaint = classify_whole([TIGHT, BELT, PRAISE, COMPLAINT])
    assert (tight.sentiment, tight.complaint_type, tight.mixed) == (1, "size_fit", True)
    assert (belt.sentiment, belt.complaint_type, belt.mixed) == (1, "promise_not_kept", True)
    assert tight.sentiment_score >= 0.5 and belt.sentiment_score >= 0.5  # the score is the sentiment's, unchanged
    assert (praise.sentiment, praise.complaint_type, praise.mixed) == (1, "none", False)
    assert (complaint.sentiment, complaint.complaint_type, complaint.mixed) == (0, "quality_defect", False)


def test_classify_writes_the_mixed_column(tmp_path):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["review"], [TIGHT], [PRAISE], [COMPLAINT]])
    call_command("reviews", "classify", "--in", str(src), "--out", str(dst), stdout=io.StringIO())
    with dst.open(encoding="utf-8") as fh:
        got = list(csv.DictReader(fh))
    assert [(r["sentiment"], r["complaint_type"], r["mixed"]) for r in got] == [
        ("1", "size_fit", "1"), ("1", "none", "0"), ("0", "quality_defect", "0")]
    assert got[0]["complaint_type_label"] == "尺码不合适"


def test_the_classify_api_says_mixed(agent_client):
    r = agent_client.post("/api/reviews/classify", data=json.dumps({"texts": [BELT, PRAISE]}),
                          content_type="application/json").json()
    assert (r[0]["sentiment"], r[0]["complaint_type"], r[0]["mixed"]) == (1, "promise_not_kept", True)
    assert r[0]["complaint_type_label"] == "承诺未兑现"
    assert (r[1]["complaint_type"], r[1]["mixed"]) == ("none", False)


def test_ingest_stores_a_mixed_review_positive_with_its_type_and_no_task(agent_client, shop):
    from shouhou.insight.selectors import pareto

    result = reviews_ingest(shop=shop, actor=SYSTEM, items=[
        ReviewInput(text=TIGHT, external_id="m1"), ReviewInput(text=PRAISE, external_id="p1"),
        ReviewInput(text=COMPLAINT, external_id="c1")])
    assert result.tasks == 1  # the complaint only: a mixed review opens no recovery task
    mixed = Review.objects.get(external_id="m1")
    assert (mixed.sentiment, mixed.complaint_type, mixed.mixed) == (1, "size_fit", True)
    assert not Review.objects.get(external_id="p1").mixed
    assert not RecoveryTask.objects.filter(review=mixed).exists()
    # the API says so, and the Pareto of problems counts its type
    listed = {r["external_id"]: r for r in agent_client.get("/api/reviews/").json()}
    assert listed["m1"]["mixed"] is True and listed["p1"]["mixed"] is False and listed["c1"]["mixed"] is False
    rows = pareto(shop=shop, kind="complaint_type", start=now() - timedelta(days=1), end=now() + timedelta(days=1))
    assert {r.key: r.count for r in rows} == {"size_fit": 1, "quality_defect": 1}
    # the good-review page does not offer it for the public showcase
    page = agent_client.get("/reviews/good/").content.decode()
    assert PRAISE in page and TIGHT not in page


def test_reclassify_reads_a_mixed_review_as_ingest_does(shop):
    reviews_ingest(shop=shop, actor=SYSTEM, items=[ReviewInput(text=BELT, external_id="m1")])
    stale = Review.objects.create(shop=shop, text=PRAISE, sentiment=1, complaint_type="quality_defect")
    out = io.StringIO()
    call_command("reviews", "reclassify", "--shop", shop.code, stdout=out)
    assert "已重新判断问题类型：1 条评价有变化" in out.getvalue()
    assert Review.objects.get(external_id="m1").complaint_type == "promise_not_kept"
    stale.refresh_from_db()
    assert (stale.sentiment, stale.complaint_type) == (1, "none")
