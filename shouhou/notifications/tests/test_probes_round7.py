"""Probes of round 7: quiet hours around Asia/Shanghai midnight, the daily cap against the customer's own case
notices, links smuggled into an SMS through a variable, idempotency keys, and one shop's templates and opt-outs
kept from another."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from shouhou.accounts.actors import SYSTEM
from shouhou.core.testing.factories import CustomerFactory
from shouhou.notifications.models import OutboundMessage
from shouhou.notifications.services import notification_enqueue, quiet_until, template_save

pytestmark = pytest.mark.django_db

SH = dt.timezone(dt.timedelta(hours=8))
DAY = dt.datetime(2026, 11, 20, 14, 0, tzinfo=SH)
S = OutboundMessage.Status


@pytest.mark.parametrize(("at", "until"), [
    (dt.datetime(2026, 12, 31, 21, 59, 59, tzinfo=SH), None),
    (dt.datetime(2026, 12, 31, 22, 0, tzinfo=SH), dt.datetime(2027, 1, 1, 8, 0, tzinfo=SH)),
    (dt.datetime(2026, 12, 31, 23, 59, 59, tzinfo=SH), dt.datetime(2027, 1, 1, 8, 0, tzinfo=SH)),
    (dt.datetime(2027, 1, 1, 0, 0, tzinfo=SH), dt.datetime(2027, 1, 1, 8, 0, tzinfo=SH)),
    (dt.datetime(2027, 1, 1, 7, 59, 59, tzinfo=SH), dt.datetime(2027, 1, 1, 8, 0, tzinfo=SH)),
    (dt.datetime(2027, 1, 1, 8, 0, tzinfo=SH), None),
    # 15:30 UTC is 23:30 in Shanghai: the zone decides, not the server's UTC date
    (dt.datetime(2026, 12, 31, 15, 30, tzinfo=dt.UTC), dt.datetime(2027, 1, 1, 8, 0, tzinfo=SH)),
    (dt.datetime(2027, 2, 28, 23, 0, tzinfo=SH), dt.datetime(2027, 3, 1, 8, 0, tzinfo=SH)),
])
def test_quiet_hours_across_midnight_and_the_year(at, until):
    assert quiet_until(at) == until


def _cap_fill(shop, customer):
    for i in range(3):
        notification_enqueue(shop=shop, customer=customer, trigger="order_placed", context={"order_no": f"XL{i}"},
                             idempotency_key=f"placed:{i}")


@pytest.mark.parametrize("trigger", ["case_created", "case_received", "case_inspection_progress"])
def test_the_daily_cap_never_drops_a_notice_of_the_customers_own_case(shop, trigger):
    customer = CustomerFactory(shop=shop, phone="13812345678")
    with time_machine.travel(DAY, tick=False):
        _cap_fill(shop, customer)
        capped = notification_enqueue(shop=shop, customer=customer, trigger="survey_invitation",
                                      context={"survey_url": "https://kefu.example.cn/s/1"}, idempotency_key="survey")
        notice = notification_enqueue(shop=shop, customer=customer, trigger=trigger,
                                      context={"case_no": "AS1", "order_no": "XL1", "progress": "已检测"},
                                      idempotency_key="notice")
    assert (capped.status, capped.suppressed_reason) == (S.SUPPRESSED, "frequency_cap")
    assert (notice.status, notice.suppressed_reason) == (S.QUEUED, "")


@pytest.mark.parametrize("name", ["领退款点t.cn/A6abc", "http://evil.example/x", "戳 www.fake-refund.com"])
def test_a_link_in_the_customers_name_never_reaches_an_sms(shop, name):
    """A buyer's nickname (platform data, imports) is theirs to write: a link in it would go out under the shop's
    signature (and the gateways refuse a URL in a template variable, so every SMS to them failed)."""
    customer = CustomerFactory(shop=shop, phone="13812345678", name=name)
    with time_machine.travel(DAY, tick=False):
        msg = notification_enqueue(shop=shop, customer=customer, trigger="order_placed",
                                   context={"order_no": "XL1"}, idempotency_key="k")
    assert msg.status == S.QUEUED and msg.channel == "sms"
    assert msg.context["customer_name"] == "亲" and "亲您好" in msg.body
    for part in ("t.cn", "http", "www."):
        assert part not in msg.body


def test_a_link_typed_into_a_free_text_variable_stops_the_sms_with_the_variables_name(shop):
    customer = CustomerFactory(shop=shop, phone="13812345678")
    with time_machine.travel(DAY, tick=False):
        msg = notification_enqueue(shop=shop, customer=customer, trigger="case_inspection_progress",
                                   context={"case_no": "AS1", "progress": "结果见 https://dwz.cn/xyz"},
                                   idempotency_key="k")
        survey = notification_enqueue(shop=shop, customer=customer, trigger="survey_invitation",
                                      context={"survey_url": "https://kefu.example.cn/insight/s/abc"},
                                      idempotency_key="s")
    assert msg.status == S.FAILED and "{{progress}}" in msg.last_error and "网址" in msg.last_error
    assert survey.status == S.QUEUED  # the shop's own survey link is the variable made for a link


def test_the_same_key_twice_is_one_message(shop):
    customer = CustomerFactory(shop=shop, phone="13812345678")
    first = notification_enqueue(shop=shop, customer=customer, trigger="case_created",
                                 context={"case_no": "AS1", "order_no": "XL1"}, idempotency_key="case:1:created")
    again = notification_enqueue(shop=shop, customer=customer, trigger="case_created",
                                 context={"case_no": "AS1", "order_no": "XL1"}, idempotency_key="case:1:created")
    assert again.pk == first.pk and OutboundMessage.objects.count() == 1


def test_one_shops_template_is_not_used_for_another(shop, other_shop):
    template_save(shop=shop, trigger="case_created", channel="sms", body="【小鹿】{{case_no}} 已受理，小鹿专属文案",
                  actor=SYSTEM)
    neighbour = CustomerFactory(shop=other_shop, phone="13812345678")
    msg = notification_enqueue(shop=other_shop, customer=neighbour, trigger="case_created",
                               context={"case_no": "AS9", "order_no": "XL9"}, idempotency_key="other:1")
    assert "小鹿专属文案" not in msg.body and msg.body.startswith("【隔壁店铺】")


def test_one_shops_opt_out_does_not_silence_the_same_person_at_another(shop, other_shop,
                                                                     django_capture_on_commit_callbacks):
    from shouhou.core.testing.factories import OrderFactory
    from shouhou.inbox.channels import webchat

    customer = CustomerFactory(shop=shop, phone="13812345678")
    neighbour = CustomerFactory(shop=other_shop, phone="13812345678")
    conversation = webchat.webchat_start(order=OrderFactory(shop=shop, customer=customer))
    with django_capture_on_commit_callbacks(execute=True):
        webchat.webchat_post(conversation=conversation, body="全部退订", client_id="c1")
    neighbour.refresh_from_db()
    assert neighbour.opted_out_at is None
    msg = notification_enqueue(shop=other_shop, customer=neighbour, trigger="survey_invitation",
                               context={"survey_url": "https://x.example.cn/s"}, idempotency_key="o")
    assert msg.status == S.QUEUED


def test_an_imports_order_placed_batch_drops_a_link_in_the_name_too(shop):
    from shouhou.core.testing.factories import OrderFactory
    from shouhou.notifications.services import notify_orders_placed

    linked = CustomerFactory(shop=shop, phone="13812345678", name="退款点 t.cn/A6x")
    plain = CustomerFactory(shop=shop, phone="13912345678", name="王先生")
    paid = DAY - dt.timedelta(hours=1)
    orders = [OrderFactory(shop=shop, customer=linked, paid_at=paid), OrderFactory(shop=shop, customer=plain, paid_at=paid)]
    with time_machine.travel(DAY, tick=False):
        assert notify_orders_placed(shop=shop, order_ids=[o.pk for o in orders]) == 2
    bodies = dict(OutboundMessage.objects.values_list("customer_id", "body"))
    assert "t.cn" not in bodies[linked.pk] and "亲您好" in bodies[linked.pk]
    assert "王先生您好" in bodies[plain.pk]
