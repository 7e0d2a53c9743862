"""The whole loop against the 抖店 sandbox through real HTTP both ways: push → case with the platform id →
policy decision → action sent back → platform status followed → resolved; back-fill, reconciliation,
token refresh, outage and retry, refusals."""

from __future__ import annotations

import datetime as dt

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as case_services
from shouhou.cases.models import Case
from shouhou.core.testing.factories import OrderFactory, OrderLineFactory
from shouhou.platforms import services
from shouhou.platforms.models import OutboundAction, PlatformAftersale, PlatformConnection, PlatformEvent
from shouhou.platforms.tests.conftest import ORDER_ID, SKU_ORDER_ID

pytestmark = pytest.mark.django_db(transaction=True)


def _case() -> Case:
    return Case.objects.get(platform_link__isnull=False)


def test_push_to_resolved_with_auto_decision_pushed_back(pushing, connect, order_line, claim_clock, agent):
    conn = connect()
    services.connection_settings(conn=conn, actor=SYSTEM, push_auto_decisions=True, auto_refund_limit=0,
                                 return_address_id="123456")
    record = pushing.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, aftersale_type=0,
                                   reason="七天无理由退货", refund_amount=19900)
    case = _case()
    link = case.platform_link
    assert (link.aftersale_id, link.order_id, link.sub_order_id) == (record.aftersale_id, ORDER_ID, SKU_ORDER_ID)
    assert case.kind == "return_refund" and case.reason == "no_reason" and case.auto_approved
    assert case.channel == "doudian"
    # the policy approved; the switch is on: 同意退货申请 (type 101) went out once, with the return address
    assert pushing.operations == [(101, record.aftersale_id)]
    action = OutboundAction.objects.get()
    assert action.status == "done" and action.answer["code"] == 10000
    # the platform now waits for the buyer: followed, and its deadline is the case's
    case.refresh_from_db()
    link.refresh_from_db()
    assert link.status == "7" and case.status == "awaiting_return"
    assert case.deadline_at == dt.datetime.fromtimestamp(pushing.aftersales[record.aftersale_id].status_deadline, dt.UTC)
    # the buyer ships the goods back: pushed (tag 203), the case follows
    pushing.buyer_returns(record.aftersale_id)
    case.refresh_from_db()
    assert case.status == "in_transit_back"
    # the warehouse confirms receipt in shouhou: 111 goes back, the platform refunds, the case resolves
    case_services.case_mark_received(case=case, actor=agent)
    assert pushing.operations[-1] == (111, record.aftersale_id)
    case.refresh_from_db()
    assert case.status == "resolved" and case.resolution == "refund"
    assert pushing.aftersales[record.aftersale_id].status == 12
    assert OutboundAction.objects.filter(status="done").count() == 2
    assert case.events.filter(kind="platform", note__contains="平台已受理").count() == 2


def test_switch_off_keeps_automatic_decisions_in_shouhou(pushing, connect, order_line, claim_clock, agent):
    connect()  # push_auto_decisions is off by default
    record = pushing.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, aftersale_type=0, refund_amount=19900)
    case = _case()
    assert case.auto_approved
    assert pushing.operations == [] and OutboundAction.objects.count() == 0
    assert pushing.aftersales[record.aftersale_id].status == 6


def test_agent_rejection_goes_back_with_reason(pushing, connect, order_line, claim_clock, agent):
    connect()
    record = pushing.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, aftersale_type=1,
                                   reason="不想要了", refund_amount=19900)
    case = _case()
    assert case.status == "requested"  # "other" reason: an agent decides
    case_services.case_reject(case=case, actor=agent, reason="商品已签收且影响二次销售")
    assert pushing.operations == [(202, record.aftersale_id)]
    assert pushing.aftersales[record.aftersale_id].status == 27
    case.refresh_from_db()
    assert case.status == "rejected" and case.platform_link.status == "27"


def test_backfill_on_connect(sandbox, connect, order_line, claim_clock):
    first = sandbox.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, aftersale_type=0, push=False)
    other = OrderLineFactory(order=OrderFactory(shop=order_line.shop, order_no="6920000000000009"),
                             line_key="6920000000000010")
    sandbox.add_aftersale(order_id="6920000000000009", sku_order_id="6920000000000010", aftersale_type=1, push=False)
    sandbox.aftersales[first.aftersale_id].status = 12  # already refunded on the platform
    conn = connect(backfill=True)
    assert PlatformAftersale.objects.filter(connection=conn).count() == 2
    done = Case.objects.get(order_line=order_line)
    assert done.status == "resolved" and not done.auto_approved  # decided on the platform, not again here
    assert list(done.events.values_list("to_status", flat=True)) == ["requested", "approved", "resolved"]
    assert Case.objects.get(order_line=other).platform_link.status == "6"
    conn.refresh_from_db()
    assert conn.last_sync_at is not None and conn.sync_cursor["update_start_time"] > 0


def test_lost_push_found_by_reconciliation(sandbox, connect, order_line, claim_clock):
    conn = connect()
    record = sandbox.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, push=False)  # push lost
    assert not Case.objects.exists()
    assert services.connection_sync(conn) == 1
    assert _case().platform_link.aftersale_id == record.aftersale_id
    assert services.connection_sync(conn) == 1  # read again (overlap), nothing duplicated
    assert Case.objects.count() == 1


def test_push_for_unknown_order_is_kept_and_applied_later(pushing, connect, shop, claim_clock):
    conn = connect()
    record = pushing.add_aftersale(order_id="6930000000000001", sku_order_id="6930000000000002")
    event = PlatformEvent.objects.get(aftersale_id=record.aftersale_id)
    assert event.status == "waiting_order" and not Case.objects.exists()
    OrderLineFactory(order=OrderFactory(shop=shop, order_no="6930000000000001"), line_key="6930000000000002")
    assert services.events_retry(connection=conn) == 1
    event.refresh_from_db()
    assert event.status == "applied" and _case().platform_link.aftersale_id == record.aftersale_id


def test_expired_token_refreshed_and_call_repeated(sandbox, connect, order_line, claim_clock):
    conn = connect()
    old = sandbox.access_token
    sandbox.expire_access_token()
    sandbox.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, push=False)
    assert services.connection_sync(conn) == 1
    assert sandbox.access_token != old and "token/refresh" in sandbox.calls
    conn.refresh_from_db()
    assert not conn.needs_reauth
    # and a token close to expiry is refreshed before use (the schedule)
    PlatformConnection.objects.filter(pk=conn.pk).update(token_expires_at=conn.token_expires_at - dt.timedelta(days=7))
    before = sandbox.access_token
    assert services.tokens_refresh_due() == 1
    assert sandbox.access_token != before


def test_token_that_cannot_be_refreshed_needs_reauth_and_nothing_is_lost(sandbox, connect, order_line, claim_clock,
                                                                          agent, client):
    conn = connect()
    sandbox.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, aftersale_type=1, reason="其他", push=False)
    services.connection_sync(conn)
    sandbox.expire_access_token()
    sandbox.refuse_refresh = True
    case = _case()
    case_services.case_approve(case=case, actor=agent)
    action = OutboundAction.objects.get()
    assert action.status == "pending" and action.next_attempt_at is not None
    conn.refresh_from_db()
    assert conn.needs_reauth and "重新授权" in conn.last_error
    client.force_login(agent)
    page = client.get(f"/platforms/{conn.pk}/").content.decode()
    assert "需重新授权" in page
    # the merchant authorises again: the waiting action goes out, once
    sandbox.refuse_refresh = False
    connect()
    OutboundAction.objects.filter(pk=action.pk).update(next_attempt_at=None)
    services.outbox_send_due()
    assert sandbox.operations == [(201, case.platform_link.aftersale_id)]
    assert OutboundAction.objects.get().status == "done"


def test_outage_then_recovery_action_goes_out_once(sandbox, connect, order_line, claim_clock, agent):
    conn = connect()
    sandbox.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, aftersale_type=1, reason="其他", push=False)
    services.connection_sync(conn)
    case = _case()
    sandbox.outage = True
    case_services.case_approve(case=case, actor=agent)
    action = OutboundAction.objects.get()
    assert action.status == "pending" and action.attempts == 1 and "不可用" in action.last_error
    assert services.outbox_send_due() == {"done": 0, "retry": 0, "refused": 0, "failed": 0}  # not due yet
    sandbox.outage = False
    claim_clock.shift(dt.timedelta(seconds=31))
    assert services.outbox_send_due()["done"] == 1
    assert services.outbox_send_due()["done"] == 0
    assert sandbox.operations == [(201, case.platform_link.aftersale_id)]
    case.refresh_from_db()
    assert case.status == "resolved"  # the platform refunded (status 12)


def test_rate_limit_retried_with_backoff(sandbox, connect, order_line, claim_clock, agent):
    conn = connect()
    sandbox.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, aftersale_type=1, reason="其他", push=False)
    services.connection_sync(conn)
    sandbox.fail_next("afterSale/operate", "rate_limit", times=2)
    case_services.case_approve(case=_case(), actor=agent)
    first = OutboundAction.objects.get()
    assert first.status == "pending" and "限流" in first.last_error
    claim_clock.shift(dt.timedelta(seconds=31))
    services.outbox_send_due()
    second = OutboundAction.objects.get()
    assert second.attempts == 2 and second.next_attempt_at - first.next_attempt_at >= dt.timedelta(seconds=59)
    claim_clock.shift(dt.timedelta(seconds=61))
    assert services.outbox_send_due()["done"] == 1
    assert len(sandbox.operations) == 1


def test_already_handled_on_platform_comes_back_clearly_and_resyncs(sandbox, connect, order_line, claim_clock, agent):
    conn = connect()
    record = sandbox.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, aftersale_type=1, reason="其他",
                                   push=False)
    services.connection_sync(conn)
    # someone refunds it in the 抖店 back office meanwhile
    sandbox.aftersales[record.aftersale_id].status = 12
    sandbox.aftersales[record.aftersale_id].update_time += 1
    case = _case()
    case_services.case_approve(case=case, actor=agent)
    action = OutboundAction.objects.get()
    assert action.status == "refused" and action.answer["sub_code"].endswith("20309541")
    assert sandbox.operations == []
    case.refresh_from_db()
    assert case.status == "resolved"
    note = case.events.filter(kind="platform", note__contains="平台拒绝").get().note
    assert "售后状态错误" in note and "已重新同步" in note


def test_sandbox_command_connects_and_files_a_request(live_server, shop, order_line, claim_clock):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    # no status push after the approval: on SQLite the test's live server shares one connection between its
    # request threads, and that second push would arrive while the first request's transaction is open
    call_command("platforms", "sandbox", "--port", "0", "--push-url", f"{live_server.url}/platforms/doudian/push/",
                 "--connect", "--auto-push", "--request", "--no-status-push", "--seconds", "0.2", stdout=out)
    text = out.getvalue()
    assert "抖店沙箱" in text and '"code": 0' in text.replace('"code":0', '"code": 0')
    case = _case()
    assert case.order_line == order_line and case.auto_approved
    assert OutboundAction.objects.get().status == "done"


def test_request_that_cannot_become_a_case_is_kept_with_the_reason(sandbox, connect, shop, claim_clock):
    import datetime as dt_

    conn = connect()
    order = OrderFactory(shop=shop, order_no="6940000000000001",
                         placed_at=dt_.datetime(2026, 11, 5, tzinfo=dt_.UTC), delivered_at=dt_.datetime(2026, 10, 20, tzinfo=dt_.UTC))
    OrderLineFactory(order=order, line_key="6940000000000002")
    record = sandbox.add_aftersale(order_id="6940000000000001", sku_order_id="6940000000000002", push=False)
    sandbox.push_url = ""
    event = PlatformEvent.objects.create(platform="doudian", message_id="m-bad-dates", connection=conn, tag="200",
                                         aftersale_id=record.aftersale_id, payload={})
    assert services.event_apply(event.pk) == "retry"
    event.refresh_from_db()
    conn.refresh_from_db()
    assert "订单信息有误" in event.error and "无法建立" in conn.last_error
    assert not Case.objects.exists()


def test_backfill_of_closed_requests_tells_nobody_and_asks_nobody(sandbox, connect, order_line, claim_clock):
    """Connecting a shop reads the last 30 days of requests: one the platform already refunded is history — the
    buyer is not told 「已受理」 and 「已处理完成」 weeks late, and no agent is given a ticket to review it."""
    from shouhou.inbox.models import Ticket
    from shouhou.notifications.models import OutboundMessage

    done = sandbox.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, aftersale_type=1, reason="其他",
                                 push=False)
    sandbox.aftersales[done.aftersale_id].status = 12  # refunded on the platform
    waiting_line = OrderLineFactory(order=OrderFactory(shop=order_line.shop, order_no="6920000000000009"),
                                    line_key="6920000000000010")
    sandbox.add_aftersale(order_id="6920000000000009", sku_order_id="6920000000000010", aftersale_type=1,
                          reason="其他", push=False)  # still waiting for the merchant: real work
    connect(backfill=True)
    closed = Case.objects.get(order_line=order_line)
    assert closed.status == "resolved"
    assert not OutboundMessage.objects.filter(idempotency_key__startswith=f"case:{closed.pk}:").exists()
    assert not Ticket.objects.filter(case=closed).exists()
    open_case = Case.objects.get(order_line=waiting_line)
    assert open_case.status == "requested"
    assert OutboundMessage.objects.filter(idempotency_key=f"case:{open_case.pk}:created").exists()
    assert Ticket.objects.get(case=open_case).status == "new"


def test_a_request_the_platform_closes_resolves_its_ticket(sandbox, connect, order_line, claim_clock):
    """A request left to a person, then refunded in the platform's back office (or by the platform at its
    deadline): the case follows and its ticket leaves the queue instead of waiting for ever."""
    from shouhou.inbox.models import Ticket, TicketEvent

    conn = connect()
    record = sandbox.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, aftersale_type=1, reason="其他",
                                   push=False)
    services.connection_sync(conn)
    ticket = Ticket.objects.get(case=_case())
    assert (ticket.status, _case().status) == ("new", "requested")
    # the request is the customer's on 抖店, not on our self-service page
    from shouhou.inbox.models import Message

    asked = Message.objects.get(conversation=ticket.conversation).body
    assert asked.startswith(f"我在抖店提交了售后申请 {_case().number}：") and "自助售后页" not in asked
    sandbox.aftersales[record.aftersale_id].status = 12
    sandbox.aftersales[record.aftersale_id].update_time += 60
    claim_clock.shift(120)
    services.connection_sync(conn)
    ticket.refresh_from_db()
    assert (_case().status, ticket.status) == ("resolved", "resolved")
    assert TicketEvent.objects.filter(ticket=ticket, note__startswith="平台上已处理完毕").exists()
