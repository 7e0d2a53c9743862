"""Shop isolation of the search boxes: shop A's staff typing shop B's order number, ticket or task number,
phone or review words find nothing, while B's own staff find B's row with the same query.

The page echoes the query, so a check for the searched term would prove nothing: each case counts the
result rows and looks for B's words that the query does not contain (a ticket subject, the review text).
"""

from __future__ import annotations

import json

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.core.testing.factories import (
    CustomerFactory,
    MembershipFactory,
    OrderFactory,
    ShopFactory,
    UserFactory,
)
from shouhou.desk.tests.factories import TicketFactory
from shouhou.reviews.models import RecoveryTask
from shouhou.reviews.services import ReviewInput, reviews_ingest

pytestmark = pytest.mark.django_db

B_ORDER, B_PHONE, B_TICKET = "DYB20267777", "13900007777", "TB00007777"
B_SUBJECT = "乙店机密工单"  # shown in B's queue row, never part of a query
B_REVIEW = "乙店机密差评：拉链第二天就坏了，质量太差"


@pytest.fixture
def shops(db):
    shop_a = ShopFactory(name="甲店", code="shop-a")
    shop_b = ShopFactory(name="乙店", code="shop-b")
    admin_a = MembershipFactory(shop=shop_a, role=Role.ADMIN, user=UserFactory(username="admin-a")).user
    admin_b = MembershipFactory(shop=shop_b, role=Role.ADMIN, user=UserFactory(username="admin-b")).user
    # shop A has rows of its own, so "nothing found" is not an empty shop
    TicketFactory(shop=shop_a, subject="甲店工单")
    reviews_ingest(shop=shop_a, actor=SYSTEM, items=[ReviewInput(text="甲店差评：发货太慢了", order_no="DYA1")])
    # shop B: a ticket on an order of a customer, and a bad review that opened a recovery task
    order_b = OrderFactory(shop=shop_b, order_no=B_ORDER)
    customer_b = CustomerFactory(shop=shop_b, phone=B_PHONE)
    TicketFactory(shop=shop_b, number=B_TICKET, subject=B_SUBJECT, order=order_b, conversation__customer=customer_b)
    reviews_ingest(shop=shop_b, actor=SYSTEM, items=[ReviewInput(text=B_REVIEW, order_no=B_ORDER)])
    task_b = RecoveryTask.objects.get(shop=shop_b)
    return admin_a, admin_b, task_b.number


def _queue_rows(response) -> tuple[int, str]:
    text = response.content.decode()
    return text.count('data-testid="queue-row"'), text


def _queue_live_rows(response) -> tuple[int, str]:
    data = response.json()
    return data["total"], data["html"]


def _task_rows(response) -> tuple[int, str]:
    text = response.content.decode()
    return text.count('data-testid="task-row"'), text


def _api_tasks(response) -> tuple[int, str]:
    return len(response.json()), json.dumps(response.json(), ensure_ascii=False)


# (search box, URL, how to count its results, B's words that must not show, B's value typed into it)
DESK = ("/desk/queue/", _queue_rows, B_SUBJECT)
DESK_LIVE = ("/desk/queue/rows/", _queue_live_rows, B_SUBJECT)
REVIEWS = ("/reviews/", _task_rows, "拉链第二天就坏了")
REVIEWS_API = ("/api/reviews/tasks", _api_tasks, "拉链第二天就坏了")
CASES = [
    (DESK, "ticket_number", B_TICKET), (DESK, "order_no", B_ORDER), (DESK, "phone", B_PHONE),
    (DESK, "phone_last4", B_PHONE[-4:]),
    (DESK_LIVE, "ticket_number", B_TICKET), (DESK_LIVE, "order_no", B_ORDER), (DESK_LIVE, "phone_last4", "7777"),
    (REVIEWS, "review_words", "乙店机密差评"), (REVIEWS, "order_no", B_ORDER), (REVIEWS, "task_number", None),
    (REVIEWS_API, "review_words", "乙店机密差评"), (REVIEWS_API, "task_number", None),
]


@pytest.mark.parametrize(("box", "what", "query"), CASES,
                         ids=[f"{box[0].strip('/').replace('/', '-')}:{what}" for box, what, _q in CASES])
def test_searching_shop_bs_values_from_shop_a_finds_nothing(client, shops, box, what, query):
    admin_a, admin_b, task_number = shops
    url, rows_of, b_words = box
    query = query or task_number
    # when B's own admin searches, the box finds B's row (the query is a real hit) …
    client.force_login(admin_b)
    found, text = rows_of(client.get(url, {"q": query}))
    assert (found, b_words in text) == (1, True)
    # … and when A's admin types the same into A's box, nothing of B comes back
    client.force_login(admin_a)
    response = client.get(url, {"q": query})
    assert response.status_code == 200
    found, text = rows_of(response)
    assert found == 0
    assert b_words not in text and "乙店机密" not in text.replace(query, "")
