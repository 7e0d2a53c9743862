import pytest

from shouhou.core.testing.factories import CustomerFactory
from shouhou.notifications.models import OutboundMessage


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_timeline_page_in_a_browser(login_page, live_server, shop, agent):
    # given a customer with one sent and one suppressed message
    c = CustomerFactory(shop=shop, name="李四", phone="13900001111")
    OutboundMessage.objects.create(shop=shop, customer=c, channel="sms", trigger="order_shipped", recipient=c.phone,
                                   body="您的订单已由顺丰速运发出", idempotency_key="b1", status="sent")
    OutboundMessage.objects.create(shop=shop, customer=c, channel="sms", trigger="order_placed", recipient=c.phone,
                                   body="订单已收到", idempotency_key="b2", status="suppressed",
                                   suppressed_reason="frequency_cap")
    # when the agent opens the timeline
    page = login_page("agent")
    page.goto(f"{live_server.url}/notifications/customers/{c.pk}/timeline/")
    # then both messages show, the phone masked
    rows = page.locator("#timeline tbody tr")
    assert rows.count() == 2
    assert "139****1111" in page.content()
    suppressed = page.locator("tr[data-status=suppressed]").inner_text()
    # the reason is shown by its label, never as the internal code
    assert "超过每日条数上限" in suppressed and "frequency_cap" not in suppressed
