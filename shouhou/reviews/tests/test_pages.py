"""Agent pages: task list with filters, task detail steps (real browser), good reviews and public showcase."""

from __future__ import annotations

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.reviews.models import RecoveryTask, Review
from shouhou.reviews.services import ReviewInput, reviews_ingest


def _seed(shop):
    return reviews_ingest(shop=shop, actor=SYSTEM, items=[
        ReviewInput(text="穿了一次就开线了，质量太差", order_no="DY1"),
        ReviewInput(text="物流太慢了，等了十天才到"),
        ReviewInput(text="面料很舒服，颜色也正，好评", author_name="小***鹿"),
    ])


def test_task_list_filters_by_type(agent_client, shop):
    _seed(shop)
    html = agent_client.get("/reviews/?type=logistics").content.decode()
    assert "物流太慢了" in html and "穿了一次就开线了" not in html
    html = agent_client.get("/reviews/").content.decode()
    assert "物流太慢了" in html and "穿了一次就开线了" in html


def test_task_list_puts_the_work_first_closed_tasks_last(agent_client, shop, agent):
    from shouhou.reviews import services

    seam, slow = (r.recovery for r in _seed(shop).created if r.sentiment == 0)
    services.recovery_contact(task=seam, note="已电话联系", actor=agent)
    services.recovery_close(task=seam, outcome="resolved", actor=agent)
    html = agent_client.get("/reviews/").content.decode()
    assert html.index(slow.number) < html.index(seam.number)
    from shouhou.reviews.selectors import recovery_task_list

    assert [t.status for t in recovery_task_list(shop=shop)] == ["open", "closed"]


def test_task_list_query_count_does_not_grow_with_rows(agent_client, shop, django_assert_max_num_queries):
    for i in range(3):
        reviews_ingest(shop=shop, actor=SYSTEM, items=[ReviewInput(text=f"质量太差了，开线{i}-{j}") for j in range(20)])
    with django_assert_max_num_queries(16):
        assert agent_client.get("/reviews/").status_code == 200


def test_showcase_flow(agent_client, shop, client):
    _seed(shop)
    good = Review.objects.get(sentiment=1)
    agent_client.post(f"/reviews/good/{good.pk}/showcase/", {"on": "1"})
    public = client.get(f"/reviews/showcase/{shop.code}/").content.decode()
    assert "面料很舒服" in public and "开线" not in public


def test_pages_require_login(client):
    assert client.get("/reviews/").status_code == 302


@pytest.mark.browser
def test_agent_works_a_task_in_the_browser(login_page, agent, shop):
    _seed(shop)
    task = RecoveryTask.objects.get(review__text__contains="开线")
    page = login_page("agent")
    page.goto(page.url.split("/", 3)[0] + "//" + page.url.split("/")[2] + "/reviews/")
    assert page.get_by_test_id("task-row").count() == 2
    page.get_by_role("link", name=task.number).click()
    assert page.get_by_test_id("complaint-type").inner_text() == "质量问题"
    # a bribe is refused with the reason
    page.fill("[data-testid=reply-form] textarea", "亲，五星好评送红包，麻烦改一下评价")
    page.click("[data-testid=reply-form] button")
    assert "不得以红包换取" in page.get_by_test_id("reply-form").get_by_test_id("form-error").inner_text()
    # what the agent wrote is still there to correct
    assert page.input_value("[data-testid=reply-form] textarea") == "亲，五星好评送红包，麻烦改一下评价"
    # the suggested script goes through
    page.fill("[data-testid=reply-form] textarea", task.suggested_reply)
    page.click("[data-testid=reply-form] button")
    assert page.get_by_test_id("task-status").inner_text() == "处理中"
    assert page.get_by_test_id("public-reply").inner_text() == task.suggested_reply
    page.select_option("[data-testid=close-form] select", "resolved")
    page.click("[data-testid=close-form] button")
    assert page.get_by_test_id("task-status").inner_text() == "已结束"
    task.refresh_from_db()
    assert (task.status, task.outcome) == ("closed", "resolved")


@pytest.mark.parametrize(("next_url", "landing"), [
    ("https://evil.example/phish", "/reviews/good/"), ("//evil.example/x", "/reviews/good/"),
    ("/\\evil.example", "/reviews/good/"), ("", "/reviews/good/"), ("/reviews/good/?page=2", "/reviews/good/?page=2"),
])
def test_the_showcase_switch_sends_back_to_this_site_only(shop, agent_client, next_url, landing):
    _seed(shop)
    good = Review.objects.get(sentiment=1)
    r = agent_client.post(f"/reviews/good/{good.pk}/showcase/", {"on": "1", "next": next_url})
    assert (r.status_code, r.url) == (302, landing)


@pytest.mark.parametrize(("text", "ctype", "offered"), [
    # a refused return is answered by doing it, never by a coupon instead
    ("申请退货三次都被拒绝，客服说不给退，七天无理由都不给", "after_sales",
     ["explanation", "refund", "return_refund", "exchange", "repair"]),
    # a counterfeit is refunded: no exchange, no compensation to keep it
    ("收到的是假货，防伪码查不到，跟专柜的完全不一样", "counterfeit", ["explanation", "refund", "return_refund"]),
    # nothing wrong with it: a return or an exchange, not a repair
    ("东西没什么问题，就是不太喜欢这个颜色，想退", "dislike", ["explanation", "return_refund", "exchange"]),
    # a usage question gets an explanation
    ("请问这个怎么安装？说明书看不懂", "usage_question", ["explanation"]),
])
def test_the_task_page_offers_only_the_remedies_the_policy_allows_for_the_type(shop, supervisor, text, ctype,
                                                                                offered):
    """The remedy menu listed every remedy whatever the type (a coupon for a refused return, a repair for a
    dislike), and the service then refused what the page had offered."""
    import re

    from django.test import Client

    task = reviews_ingest(shop=shop, actor=SYSTEM, items=[ReviewInput(text=text)]).created[0].recovery
    assert task.review.complaint_type == ctype
    c = Client()
    c.force_login(supervisor)
    html = c.get(f"/reviews/tasks/{task.pk}/").content.decode()
    form = html[html.index('data-testid="remedy-form"'):]
    menu = form[form.index('<select name="remedy">'):form.index("</select>")]
    assert re.findall(r'<option value="([a-z_]+)"', menu) == offered
