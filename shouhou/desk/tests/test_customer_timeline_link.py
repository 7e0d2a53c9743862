"""The customer panel links to the customer's message timeline (care messages, opt-outs), for the shop the desk's
tab was drawn for: the timeline page existed but nothing linked to it."""

from __future__ import annotations

import re

import pytest

from shouhou.accounts.choices import Role
from shouhou.core.testing.factories import CustomerFactory, MembershipFactory, ShopFactory
from shouhou.inbox.choices import Channel
from shouhou.inbox.services import message_receive

pytestmark = pytest.mark.django_db


def _ticket(shop, name: str):
    customer = CustomerFactory(shop=shop, name=name, phone="13812345678")
    return message_receive(shop=shop, channel=Channel.WEB_CHAT, body="衣服有破洞", customer=customer).ticket


def test_the_panel_links_to_the_timeline_of_the_tabs_shop(agent_client, agent, shop):
    second = ShopFactory(name="第二家店", code="second")
    MembershipFactory(shop=second, user=agent, role=Role.AGENT)
    ticket = _ticket(second, "周小姐")
    html = agent_client.get(f"/desk/t/{ticket.pk}/?shop={second.pk}").content.decode()
    link = re.search(r'href="([^"]+)" data-testid="customer-timeline"', html).group(1).replace("&amp;", "&")
    assert link == f"/notifications/customers/{ticket.customer_id}/timeline/?shop={second.pk}"
    page = agent_client.get(link)  # the session's shop is the first one; the link names the second
    assert page.status_code == 200 and "周小姐" in page.content.decode() and "138****5678" in page.content.decode()


def test_a_shop_that_is_not_the_users_is_not_found(agent_client, shop, other_shop):
    ticket = _ticket(other_shop, "外店顾客")
    for query in (f"?shop={other_shop.pk}", "?shop=abc", "?shop=" + "9" * 25):
        assert agent_client.get(f"/notifications/customers/{ticket.customer_id}/timeline/{query}").status_code == 404
    assert agent_client.get(f"/notifications/customers/{ticket.customer_id}/timeline/").status_code == 404


def test_a_superscript_digit_naming_the_shop_is_refused_not_an_error(agent_client, shop):
    # 「²」 is a digit to str.isdigit() but not to int(): it reached the id filter and answered 500
    ticket = _ticket(shop, "上标")
    assert agent_client.get(f"/notifications/customers/{ticket.customer_id}/timeline/?shop=²").status_code == 404
    assert agent_client.get(f"/desk/t/{ticket.pk}/?shop=²").status_code == 403
