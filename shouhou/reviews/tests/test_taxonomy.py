"""The after-sales taxonomy in code: the guideline's codes, multi-label storage, the data migration,
and the remedies / replies / triage that every type needs."""

from __future__ import annotations

import importlib
import re
from decimal import Decimal
from pathlib import Path

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.inbox.triage import FROM_COMPLAINT
from shouhou.reviews import services
from shouhou.reviews.choices import ComplaintType
from shouhou.reviews.classifier.taxonomy import join_types, split_types
from shouhou.reviews.scripts import PUBLIC_REPLY_SCRIPTS, REMEDY_POLICY
from shouhou.reviews.services import ReviewInput, ReviewRefused, reviews_ingest

GUIDELINES = Path(__file__).resolve().parents[1] / "data" / "labels" / "GUIDELINES.md"


def test_the_codes_are_the_guidelines_codes():
    table = GUIDELINES.read_text(encoding="utf-8").split("## The types", 1)[1].split("Boundaries", 1)[0]
    codes = re.findall(r"^\| `([a-z_]+)` \| ([^|]+) \|", table, flags=re.M)
    assert {c for c, _ in codes} == set(ComplaintType.values)
    # same Chinese names as the guidelines (the UI shows them)
    assert {c: str(ComplaintType(c).label) for c, _ in codes} == {c: zh.strip() for c, zh in codes}


def test_every_complaint_type_has_replies_remedies_and_a_ticket_category():
    for code in ComplaintType.values:
        assert PUBLIC_REPLY_SCRIPTS.get(code), code
        if code != ComplaintType.NONE:
            assert code in REMEDY_POLICY, code
    assert {"counterfeit", "packaging", "after_sales", "promise_not_kept", "dislike"} <= set(FROM_COMPLAINT)
    # a refused or stalled return is answered by doing it, never by a coupon; a fake by money back
    assert "coupon" not in REMEDY_POLICY["after_sales"] and {"refund", "exchange"} <= REMEDY_POLICY["after_sales"]
    assert REMEDY_POLICY["counterfeit"] == {"return_refund", "refund"}


def test_join_and_split_types():
    assert join_types(["logistics", "bogus", "logistics", "price", "packaging", "dislike"]) == \
        "logistics|price|packaging"
    assert split_types("logistics|price") == ["logistics", "price"] and split_types("") == []


def test_after_sales_remedy_must_do_the_refund_or_exchange(shop, supervisor):
    review = reviews_ingest(shop=shop, actor=SYSTEM, items=[ReviewInput(text="申请退货一周了一直不处理，太差了")]).created[0]
    review.complaint_type = "after_sales"
    review.save(update_fields=["complaint_type"])
    task = review.recovery
    with pytest.raises(ReviewRefused, match="售后处理.*可选的补救方案"):
        services.recovery_set_remedy(task=task, remedy="coupon", amount=Decimal("5"), actor=supervisor)
    services.recovery_set_remedy(task=task, remedy="return_refund", amount=Decimal("59"), actor=supervisor)
    task.refresh_from_db()
    assert task.remedy == "return_refund"


@pytest.mark.parametrize("old, text, new, others", [
    ("not_as_described", "绝对是假货，和专柜的不一样", "counterfeit", "not_as_described"),
    ("not_as_described", "色差太大了", "not_as_described", ""),
    ("wrong_or_missing", "说好的赠品没有", "promise_not_kept", "wrong_or_missing"),
    ("wrong_or_missing", "少发了一瓶", "wrong_or_missing", ""),
    ("service_attitude", "申请退款一直不处理，客服也不回", "after_sales", "service_attitude"),
    ("logistics", "包装太简陋了，就一个塑料袋", "packaging", "logistics"),
    ("logistics", "等了一个星期才到", "logistics", ""),
    ("quality_defect", "假货", "quality_defect", ""),  # only the broad old types are refined
])
def test_data_migration_moves_stored_types_only_when_the_text_says_so(old, text, new, others):
    migration = importlib.import_module("shouhou.reviews.migrations.0004_complaint_taxonomy_multilabel")
    assert migration._new_type(old, text) == (new, others)


def test_data_migration_forwards_and_backwards_on_stored_rows(shop):
    """The migration's functions on real rows (the app registry has the same fields as the migration state)."""
    from django.apps import apps

    from shouhou.reviews.models import CommunityAlert, Review
    from shouhou.reviews.tests.factories import CommunityGroupFactory

    migration = importlib.import_module("shouhou.reviews.migrations.0004_complaint_taxonomy_multilabel")
    fake = Review.objects.create(shop=shop, text="绝对是假货", sentiment=0, complaint_type="not_as_described")
    plain = Review.objects.create(shop=shop, text="色差太大了", sentiment=0, complaint_type="not_as_described")
    stalled = Review.objects.create(shop=shop, text="退款一直没处理", sentiment=0, complaint_type="service_attitude",
                                    kind="group_message", group=CommunityGroupFactory(shop=shop))
    alert = CommunityAlert.objects.create(shop=shop, group=stalled.group, message=stalled,
                                          complaint_type="service_attitude")
    migration.forwards(apps, None)
    got = {r.pk: (r.complaint_type, r.complaint_others) for r in Review.objects.all()}
    assert got == {fake.pk: ("counterfeit", "not_as_described"), plain.pk: ("not_as_described", ""),
                   stalled.pk: ("after_sales", "service_attitude")}
    alert.refresh_from_db()
    assert alert.complaint_type == "after_sales"
    migration.backwards(apps, None)
    assert sorted(Review.objects.values_list("complaint_type", flat=True)) == [
        "not_as_described", "not_as_described", "service_attitude"]


def test_the_pareto_of_problems_names_the_new_types(shop):
    import datetime as dt

    from shouhou.insight.selectors import pareto
    from shouhou.reviews.models import Review

    at = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
    for ctype, n in (("after_sales", 3), ("counterfeit", 2), ("dislike", 1), ("none", 4)):
        Review.objects.bulk_create([Review(shop=shop, text="…", sentiment=0 if ctype != "none" else 1,
                                           complaint_type=ctype, posted_at=at) for _ in range(n)])
    rows = pareto(shop=shop, kind="complaint_type", start=at - dt.timedelta(days=1), end=at + dt.timedelta(days=1))
    assert [(r.key, str(r.label), r.count) for r in rows] == [
        ("after_sales", "售后处理", 3), ("counterfeit", "假货/非正品", 2), ("dislike", "不喜欢（非质量问题）", 1)]
