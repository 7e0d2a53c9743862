"""An import of the shop's review history: bad reviews weeks old are stored and counted, but open no recovery
task and alert no group admin (a task due in 24 hours for a review written two months ago cannot be kept)."""

from __future__ import annotations

import datetime as dt
import io
import json

import time_machine
from django.test import Client, override_settings

from shouhou.accounts.actors import SYSTEM
from shouhou.notifications.models import OutboundMessage
from shouhou.reviews.models import CommunityAlert, RecoveryTask, Review
from shouhou.reviews.services import ReviewInput, reviews_ingest

SH = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=SH)
BAD = "睡衣质量太差了，穿了一次就开线"


def _ingest(shop, *posted, kind="review", **kw):
    items = [ReviewInput(text=BAD, platform="douyin", external_id=f"h{i}", posted_at=at, kind=kind, **kw)
             for i, at in enumerate(posted)]
    return reviews_ingest(shop=shop, actor=SYSTEM, items=items)


@time_machine.travel(NOW, tick=False)
def test_reviews_older_than_30_days_are_stored_without_a_task(shop):
    # given bad reviews written 29 days 23 hours, exactly 30 days, 30 days and a minute, and 90 days ago
    result = _ingest(shop, NOW - dt.timedelta(days=29, hours=23), NOW - dt.timedelta(days=30),
                     NOW - dt.timedelta(days=30, minutes=1), NOW - dt.timedelta(days=90))
    # then all four are stored and read negative, but only the two within 30 days get a task
    assert len(result.created) == 4 and Review.objects.filter(shop=shop, sentiment=0).count() == 4
    assert (result.tasks, result.not_recent, result.within_days) == (2, 2, 30)
    assert sorted(RecoveryTask.objects.values_list("review__external_id", flat=True)) == ["h0", "h1"]
    assert result.as_dict()["not_recent"] == 2 and result.as_dict()["recovery_within_days"] == 30


@time_machine.travel(NOW, tick=False)
def test_a_review_without_a_time_counts_as_new(shop):
    result = _ingest(shop, None)
    assert (result.tasks, result.not_recent) == (1, 0)


@time_machine.travel(NOW, tick=False)
def test_shop_setting_and_zero_for_any_age(shop):
    shop.settings = {"review_recovery_within_days": 7}
    shop.save()
    result = _ingest(shop, NOW - dt.timedelta(days=6), NOW - dt.timedelta(days=8))
    assert (result.tasks, result.not_recent, result.within_days) == (1, 1, 7)
    shop.settings = {"review_recovery_within_days": 0}
    shop.save()
    result = reviews_ingest(shop=shop, actor=SYSTEM, items=[
        ReviewInput(text=BAD, platform="douyin", external_id="old", posted_at=NOW - dt.timedelta(days=400))])
    assert (result.tasks, result.not_recent, result.within_days) == (1, 0, 0)


@time_machine.travel(NOW, tick=False)
@override_settings(SHOUHOU_REVIEW_RECOVERY_WITHIN_DAYS=3)
def test_the_setting_is_the_default_for_every_shop(shop):
    result = _ingest(shop, NOW - dt.timedelta(days=2), NOW - dt.timedelta(days=4))
    assert (result.tasks, result.not_recent, result.within_days) == (1, 1, 3)


@time_machine.travel(NOW, tick=False)
def test_an_old_group_message_alerts_nobody(shop):
    result = reviews_ingest(shop=shop, actor=SYSTEM, items=[
        ReviewInput(text="这家的东西质量太差了，大家别买", kind="group_message", platform="group", external_id=f"g{i}",
                    group_external_id="grp-1", group_name="宠粉群", posted_at=at)
        for i, at in enumerate([NOW - dt.timedelta(hours=1), NOW - dt.timedelta(days=45)])])
    assert (result.alerts, result.not_recent) == (1, 1)
    assert CommunityAlert.objects.count() == 1
    assert OutboundMessage.objects.filter(trigger="community_negative").count() == 1


def test_the_import_answer_says_how_many_were_too_old(supervisor, shop):
    supervisor_client = Client()
    supervisor_client.force_login(supervisor)
    rows = "评价ID,评价内容,评分,评价时间\r\n" + "".join(
        f"r{i},{BAD},1,{at:%Y-%m-%d %H:%M:%S}\r\n"
        for i, at in enumerate([NOW - dt.timedelta(days=2), NOW - dt.timedelta(days=60), NOW - dt.timedelta(days=61)]))
    upload = io.BytesIO(rows.encode("utf-8-sig"))
    upload.name = "评价.csv"
    with time_machine.travel(NOW, tick=False):
        answer = supervisor_client.post("/api/reviews/import", {"file": upload})
    assert answer.status_code == 201, answer.content
    body = json.loads(answer.content)
    assert (body["created"], body["tasks"], body["not_recent"], body["recovery_within_days"]) == (3, 1, 2, 30)
