import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from shouhou.core.models import AuditEvent
from shouhou.core.testing.factories import SKUFactory
from shouhou.insight.models import ImprovementAction
from shouhou.insight.selectors import improvement_weekly_review
from shouhou.insight.services import (
    ImprovementError,
    improvement_announce,
    improvement_create,
    improvement_measure_due,
    improvement_set_status,
    improvement_update,
)

from .fixtures import TZ, build_world, case

pytestmark = pytest.mark.django_db
TODAY = dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ)  # a Monday, just after the fixtures' week


@time_machine.travel(TODAY, tick=False)
def test_create_measures_the_baseline_with_the_actions_filters(shop, agent, supervisor):
    # given the world: SKU A has 2 return cases on 4 lines in 11-16 … 11-22
    w = build_world(shop, agent)
    # when an action about SKU A targets the return rate over that week
    action = improvement_create(shop=shop, actor=supervisor, finding="SKU A 尺码偏小", dimension="sku", sku=w.sku_a,
                                owner=agent, due_date=dt.date(2026, 11, 27), fix_type="description",
                                metric="return", baseline_start=dt.date(2026, 11, 16),
                                baseline_end=dt.date(2026, 11, 23))
    # then the baseline is the SKU's return rate 2/4
    assert (action.baseline_value, action.baseline_count) == (Decimal("0.5000"), 4)
    assert AuditEvent.objects.filter(action="improvement.create", object_id=str(action.pk)).count() == 1
    # and an extra filter (reason) narrows the numerator: 1 size-fit return of SKU A
    improvement_update(action=action, actor=supervisor, metric_filters={"reason": "size_fit"})
    assert (action.baseline_value, action.baseline_count) == (Decimal("0.2500"), 4)


@time_machine.travel(TODAY, tick=False)
def test_default_baseline_is_the_28_days_before_today(shop, supervisor):
    action = improvement_create(shop=shop, actor=supervisor, finding="夜班首响慢", metric="first_response")
    assert (action.baseline_start, action.baseline_end) == (dt.date(2026, 10, 26), dt.date(2026, 11, 23))
    assert (action.baseline_value, action.baseline_count) == (None, 0)


@pytest.mark.parametrize(("fields", "field"), [
    ({"finding": " "}, "finding"),
    ({"finding": "x", "metric": "nope"}, "metric"),
    ({"finding": "x", "fix_type": "magic"}, "fix_type"),
    ({"finding": "x", "metric_filters": {"colour": "red"}}, "metric_filters"),
    ({"finding": "x", "baseline_start": dt.date(2026, 11, 10), "baseline_end": dt.date(2026, 11, 1)}, "baseline_end"),
])
def test_bad_input_names_the_field(shop, supervisor, fields, field):
    with pytest.raises(ImprovementError) as err:
        improvement_create(shop=shop, actor=supervisor, **fields)
    assert err.value.field == field
    assert ImprovementAction.objects.count() == 0


def test_another_shops_sku_or_owner_is_refused(shop, other_shop, supervisor):
    foreign_sku = SKUFactory(product__shop=other_shop)
    with pytest.raises(ImprovementError) as err:
        improvement_create(shop=shop, actor=supervisor, finding="x", dimension="sku", sku=foreign_sku.pk)
    assert err.value.field == "sku"
    from shouhou.core.testing.factories import MembershipFactory

    stranger = MembershipFactory(shop=other_shop).user
    with pytest.raises(ImprovementError) as err:
        improvement_create(shop=shop, actor=supervisor, finding="x", owner=stranger.pk)
    assert err.value.field == "owner"


def test_done_then_verified_measures_the_after_period_with_the_same_metric(shop, agent, supervisor):
    w = build_world(shop, agent)
    with time_machine.travel(TODAY, tick=False):
        action = improvement_create(shop=shop, actor=supervisor, finding="SKU A", dimension="sku", sku=w.sku_a,
                                    metric="return", baseline_start=dt.date(2026, 11, 16),
                                    baseline_end=dt.date(2026, 11, 23))
        improvement_set_status(action=action, status="in_progress", actor=supervisor)
        improvement_set_status(action=action, status="done", actor=supervisor)
        assert (action.done_on, action.after_start, action.after_end) == (
            dt.date(2026, 11, 23), dt.date(2026, 11, 23), dt.date(2026, 11, 30))
        with pytest.raises(ImprovementError) as err:
            improvement_set_status(action=action, status="verified", actor=supervisor)
        assert err.value.field == "status"
    # given the week after the fix: 1 return on 4 new SKU A lines
    from shouhou.core.testing.factories import OrderFactory, OrderLineFactory

    after = dt.datetime(2026, 11, 25, 12, 0, tzinfo=TZ)
    order = OrderFactory(shop=shop, placed_at=after)
    lines = [OrderLineFactory(order=order, product=w.sku_a.product, sku=w.sku_a) for _ in range(4)]
    case(shop, "C-AFTER", lines[0], "return_refund", "size_fit", created=after)
    with time_machine.travel(dt.datetime(2026, 11, 30, 9, 0, tzinfo=TZ), tick=False):
        # when the job runs, then the after value is filled once (idempotent)
        assert improvement_measure_due() == 1
        assert improvement_measure_due() == 0
        action.refresh_from_db()
        assert (action.after_value, action.after_count) == (Decimal("0.2500"), 4)
        improvement_set_status(action=action, status="verified", actor=supervisor)
    assert action.status == "verified" and action.verified_at is not None
    with pytest.raises(ImprovementError):
        improvement_set_status(action=action, status="open", actor=supervisor)


def test_announcement_needs_text_and_records_when(shop, supervisor):
    action = improvement_create(shop=shop, actor=supervisor, finding="包装易压坏")
    with pytest.raises(ImprovementError) as err:
        improvement_announce(action=action, actor=supervisor)
    assert err.value.field == "announcement"
    improvement_announce(action=action, actor=supervisor, text="已升级为五层纸箱")
    assert action.announce and action.announced_at is not None and action.announcement == "已升级为五层纸箱"


def test_announcement_to_customers_passes_the_compliance_guard(shop, supervisor):
    # given an action, when its customer announcement trades a red packet for a good review
    action = improvement_create(shop=shop, actor=supervisor, finding="包装易压坏")
    with pytest.raises(ImprovementError) as err:
        improvement_announce(action=action, actor=supervisor, text="包装已升级！晒图好评再领5元红包")
    # then it is refused naming the field, and nothing is announced
    assert err.value.field == "announcement" and "「对顾客的说明」未通过合规检查" in str(err.value)
    action.refresh_from_db()
    assert action.announced_at is None and action.announcement == ""
    with pytest.raises(ImprovementError, match="删除或修改差评"):
        improvement_update(action=action, actor=supervisor, announcement="修改差评后返现10元")
    with pytest.raises(ImprovementError, match="好评"):
        improvement_create(shop=shop, actor=supervisor, finding="色差", announcement="五星好评返现3元")
    improvement_announce(action=action, actor=supervisor, text="收到货有问题请联系我们，给您换新")
    assert action.announcement == "收到货有问题请联系我们，给您换新"


def test_weekly_review_sections(shop, supervisor):
    today = dt.date(2026, 11, 25)  # Wednesday
    make = lambda finding, **kw: ImprovementAction.objects.create(shop=shop, finding=finding, **kw)  # noqa: E731
    make("逾期", due_date=dt.date(2026, 11, 24))
    make("本周", due_date=dt.date(2026, 11, 29), status="in_progress")
    make("下周", due_date=dt.date(2026, 11, 30))
    make("无期限")
    make("刚完成", status="done", done_on=dt.date(2026, 11, 20))
    make("早完成", status="verified", done_on=dt.date(2026, 10, 1))
    review = improvement_weekly_review(shop=shop, today=today)
    assert {k: [a.finding for a in v] for k, v in review.items()} == {
        "overdue": ["逾期"], "due_this_week": ["本周"], "open": ["下周", "无期限"], "recently_done": ["刚完成"]}


def test_action_list_puts_open_work_first_then_done_and_verified(shop):
    from shouhou.insight.selectors import improvement_action_list

    make = lambda finding, **kw: ImprovementAction.objects.create(shop=shop, finding=finding, **kw)  # noqa: E731
    make("已验证", status="verified", due_date=dt.date(2026, 11, 1))
    make("已完成", status="done", due_date=dt.date(2026, 11, 2))
    make("进行中", status="in_progress", due_date=dt.date(2026, 11, 3))
    make("待处理·无期限")
    make("待处理", due_date=dt.date(2026, 11, 30))
    assert [a.finding for a in improvement_action_list(shop=shop)] == [
        "待处理", "待处理·无期限", "进行中", "已完成", "已验证"]


def test_action_pages_create_edit_status(client, shop, supervisor):
    client.force_login(supervisor)
    response = client.post(reverse("insight:action_create"), {
        "finding": "顺丰线路破损", "dimension": "carrier", "dimension_key": "SF", "fix_type": "packaging",
        "metric": "return", "owner": supervisor.pk, "due_date": "2026-12-05"})
    action = ImprovementAction.objects.get(shop=shop)
    assert response.status_code == 302 and response.url == reverse("insight:action_edit", args=[action.pk])
    assert (action.dimension_key, action.owner, action.created_by) == ("SF", supervisor, supervisor)
    page = client.get(reverse("insight:action_edit", args=[action.pk]))
    assert page.status_code == 200 and "快递公司=顺丰速运" in page.content.decode()  # by name, not code
    client.post(reverse("insight:action_status", args=[action.pk]), {"status": "in_progress"})
    action.refresh_from_db()
    assert action.status == "in_progress"
    listing = client.get(reverse("insight:actions")).content.decode()
    assert "顺丰线路破损" in listing
    client.cookies["django_language"] = "en"
    english = client.get(reverse("insight:actions")).content.decode()
    assert "（" not in english.split("<main", 1)[-1].split("顺丰线路破损")[0]  # section counts: "Overdue (n)"
    del client.cookies["django_language"]
    bad = client.post(reverse("insight:action_create"), {"finding": "", "dimension": "other", "fix_type": "other",
                                                         "metric": "return"})
    assert bad.status_code == 200 and ImprovementAction.objects.count() == 1


def test_other_shops_action_is_404(client, shop, other_shop, supervisor):
    foreign = ImprovementAction.objects.create(shop=other_shop, finding="别家")
    client.force_login(supervisor)
    assert client.get(reverse("insight:action_edit", args=[foreign.pk])).status_code == 404
    assert client.post(reverse("insight:action_status", args=[foreign.pk]), {"status": "done"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == "open"
