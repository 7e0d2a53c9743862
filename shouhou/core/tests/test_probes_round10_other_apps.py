"""Attacker, round ten: defects found by the query-string walk (test_probes_round10.py) in other apps' views, one
test each (all fixed in the same round; docs/security.md, "Round ten"). Each was a 500 a hand can cause by editing an address: 「²」 is a digit to str.isdigit() but int("²")
raises ValueError; an id past any column reaches SQLite as a number it cannot bind; a dimension the page does not
filter on raises NotApplicable out of the view."""

from __future__ import annotations

import pytest
from django.test import Client

from shouhou.accounts.choices import Role
from shouhou.core.testing.factories import MembershipFactory, ShopFactory, UserFactory
from shouhou.core.testing.isolation import seed_marked_shop
from shouhou.core.tests.test_probes_round10 import customer_links

pytestmark = pytest.mark.django_db

HUGE = "9" * 25


@pytest.fixture
def admin_client(db):
    shop = ShopFactory(name="甲店", code="shop-a")
    admin = MembershipFactory(shop=shop, role=Role.ADMIN, user=UserFactory(username="admin-a")).user
    own = seed_marked_shop(shop, "AAA甲店", user=admin)
    client = Client(raise_request_exception=False)
    client.force_login(admin)
    return client, own


def _ticket(own) -> int:
    return own.first("inbox.ticket").pk



OUTSIDE = [
    # desk/im.py _kept → inbox.selectors._ids: "²".isdigit() then int()
    pytest.param("get", "/desk/im/", {"t": "²"}, id="desk-im-t"),
    pytest.param("get", "/desk/im/", {"keep": "1,²"}, id="desk-im-keep"),
    pytest.param("get", "/desk/im/list/", {"t": "²"}, id="desk-im-list-t"),
    # desk/workbench.py _filters → inbox.selectors QueueFilters: priority and page through int()
    pytest.param("get", "/desk/queue/", {"priority": "²"}, id="desk-queue-priority"),
    pytest.param("get", "/desk/queue/rows/", {"page": "²"}, id="desk-queue-rows-page"),
    # desk/workbench.py ticket_poll → inbox.selectors.Cursor.parse
    pytest.param("get", "/desk/t/{ticket}/poll/", {"m": "²"}, id="desk-poll-m"),
    pytest.param("get", "/desk/t/{ticket}/poll/", {"e": "²"}, id="desk-poll-e"),
    # cases/views.py recall form: product id straight into a query
    pytest.param("post", "/cases/recalls/", {"product": "²"}, id="cases-recall-product"),
    # platforms/views_actback.py authorize: connection id straight into a query
    pytest.param("post", "/platforms/authorize/", {"connection": "乙"}, id="platforms-authorize-connection"),
    # platforms/actback.py: evidence ids past any integer column reach SQLite (OverflowError; PostgreSQL: DataError)
    pytest.param("post", "/platforms/cases/1/reject/", {"evidence_ids": HUGE}, id="platforms-reject-evidence-ids"),
    # insight/views.py _filters: "²".isdigit() then int()
    pytest.param("get", "/insight/", {"agent": "²"}, id="insight-agent"),
    pytest.param("get", "/insight/agents/", {"sku": "²"}, id="insight-agents-sku"),
    # insight: a dimension the page's population does not have raises NotApplicable out of the view
    pytest.param("get", "/insight/problems/", {"channel": "x"}, id="insight-problems-channel"),
    pytest.param("get", "/insight/problems/", {"reason": "x"}, id="insight-problems-reason"),
    pytest.param("get", "/insight/sessions/", {"team": "x"}, id="insight-sessions-team"),
    pytest.param("get", "/insight/sessions/", {"complaint_type": "x"}, id="insight-sessions-complaint-type"),
]


@pytest.mark.parametrize(("method", "url", "values"), OUTSIDE)
def test_a_typed_query_value_is_never_a_server_error(admin_client, method, url, values):
    client, own = admin_client
    url = url.format(ticket=_ticket(own))
    if "/platforms/cases/1/" in url:
        url = url.replace("/1/", f"/{own.first('cases.case').pk}/")

    response = getattr(client, method)(url, values)

    assert response.status_code < 500


CUSTOMER = [
    # inbox/views.py webchat_poll → inbox.selectors.Cursor.parse; webchat_earlier: isdigit() then int()
    pytest.param("/inbox/chat/{chat}/messages/", {"after": "²"}, id="webchat-poll-after"),
    pytest.param("/inbox/chat/{chat}/messages/", {"after": "1.².3"}, id="webchat-poll-after-triple"),
    pytest.param("/inbox/chat/{chat}/earlier/", {"before": "²"}, id="webchat-earlier-before"),
]


@pytest.mark.parametrize(("url", "values"), CUSTOMER)
def test_a_customer_editing_the_address_of_their_chat_never_meets_a_server_error(admin_client, url, values):
    """Public: anyone holding a chat link (every web-chat customer) could make these 500s."""
    _, own = admin_client
    links = customer_links(own)
    anonymous = Client(raise_request_exception=False)
    assert anonymous.get(f"/inbox/chat/{links['chat']}/").status_code == 200  # the link works
    url = url.format(**links)

    response = anonymous.get(url, values)

    assert response.status_code < 500
