"""Walk, round nine: a refused step on the recovery task page sent the agent back to the page with the form
reset — the reply they had written was replaced by the suggested script, the amount and the note of a remedy
by what was saved before. The page now answers the refusal itself (400) with what was typed, the refused field
marked, and the reason above the form it is about (it was only in the flash at the top); nothing is saved."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from shouhou.accounts.actors import SYSTEM
from shouhou.reviews.models import RecoveryTask
from shouhou.reviews.services import ReviewInput, reviews_ingest

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(shop):
    return reviews_ingest(shop=shop, actor=SYSTEM, items=[
        ReviewInput(text="穿了一次就开线了，质量太差", order_no="DY1")]).created[0].recovery


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _form(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}"')
    return html[start:html.index("</form>", start)]


def test_a_refused_reply_comes_back_with_what_the_agent_wrote(agent, task):
    typed = "亲，五星好评送红包，麻烦改一下评价，另外我们已经给您补发了新的一件"
    response = _client(agent).post(f"/reviews/tasks/{task.pk}/reply/", {"text": typed})
    assert response.status_code == 400
    html = response.content.decode()
    form = _form(html, "reply-form")
    assert re.search(r'<textarea name="text" rows="3" aria-invalid="true">([^<]*)</textarea>', form).group(1) == typed
    assert re.search(r'data-testid="form-error">[^<]*不得以红包换取', form)
    assert html.count('data-testid="form-error"') == 1
    task.refresh_from_db()
    assert (task.public_reply, task.status) == ("", "open")


def test_a_refused_remedy_keeps_the_choice_the_amount_and_the_note(supervisor, task):
    response = _client(supervisor).post(f"/reviews/tasks/{task.pk}/remedy/",
                                        {"remedy": "refund", "amount": "十二块", "note": "顾客要求退一半"})
    assert response.status_code == 400
    form = _form(response.content.decode(), "remedy-form")
    assert '<option value="refund" selected>' in form
    assert 'name="amount" value="十二块" aria-invalid="true"' in form
    assert 'value="顾客要求退一半"' in form
    assert re.search(r'data-testid="form-error">金额格式不正确</p>', form)
    task.refresh_from_db()
    assert task.remedy == ""


def test_a_refused_close_keeps_the_outcome_chosen(agent, task):
    response = _client(agent).post(f"/reviews/tasks/{task.pk}/close/", {"outcome": "rating_updated", "new_rating": ""})
    assert response.status_code == 400
    form = _form(response.content.decode(), "close-form")
    assert re.search(r'<option value="rating_updated" selected>', form)
    assert RecoveryTask.objects.get(pk=task.pk).status != "closed"


def test_an_accepted_step_still_redirects(agent, task):
    response = _client(agent).post(f"/reviews/tasks/{task.pk}/reply/", {"text": task.suggested_reply})
    assert (response.status_code, response.url) == (302, f"/reviews/tasks/{task.pk}/")


def test_a_showcased_review_without_an_author_is_signed_buyer_in_the_readers_language(shop, agent, client):
    from shouhou.reviews.services import review_showcase_set

    good = reviews_ingest(shop=shop, actor=SYSTEM, items=[
        ReviewInput(text="面料很舒服，颜色也正，好评", author_name="")]).created[0]
    review_showcase_set(review=good, showcased=True, actor=agent)
    zh = client.get(f"/reviews/showcase/{shop.code}/").content.decode()
    assert '<div class="sub">买家 · ' in zh
    client.cookies["django_language"] = "en"
    en = client.get(f"/reviews/showcase/{shop.code}/").content.decode()
    assert '<div class="sub">Buyer · ' in en and "买家" not in en


def test_every_good_review_can_be_reached_page_by_page(shop, agent):
    """The good-review page cut the list at 50 with no way on: the rest could never be featured."""
    reviews_ingest(shop=shop, actor=SYSTEM, items=[
        ReviewInput(text=f"面料很舒服，颜色也正，好评，第{i}次回购") for i in range(55)])
    c = _client(agent)
    first = c.get("/reviews/good/").content.decode()
    links = re.findall(r'<a href="([^"]*)">下一页</a>', first)
    assert links == ["?page=2"]
    second = c.get("/reviews/good/" + links[0]).content.decode()
    assert second.count('data-testid="showcase-') == 5
    assert "上一页" in second and "2/2" in second


def test_the_next_page_of_tasks_keeps_the_search_and_the_breach_filter(shop, agent):
    reviews_ingest(shop=shop, actor=SYSTEM, items=[
        ReviewInput(text=f"穿了一次就开线了，质量太差，第{i}件") for i in range(52)])
    html = _client(agent).get("/reviews/", {"q": "开线", "breached": "0", "status": ""}).content.decode()
    nxt = re.search(r'<a href="([^"]*)">下一页</a>', html).group(1).replace("&amp;", "&")
    from urllib.parse import parse_qs

    assert parse_qs(nxt[1:]) == {"q": ["开线"], "breached": ["0"], "page": ["2"]}
    page2 = _client(agent).get("/reviews/" + nxt).content.decode()
    assert page2.count('data-testid="task-row"') == 2


def test_a_closed_task_shows_the_amount_of_its_remedy(shop, supervisor, task):
    """The closed task said 方案: 退款 and not how much: the amount is shown as money."""
    from decimal import Decimal

    from shouhou.reviews import services

    services.recovery_contact(task=task, note="电话联系，顾客同意退款", actor=supervisor)
    services.recovery_set_remedy(task=task, remedy="refund", amount=Decimal("12.5"), note="", actor=supervisor)
    services.recovery_close(task=task, outcome="resolved", actor=supervisor)
    html = _client(supervisor).get(f"/reviews/tasks/{task.pk}/").content.decode()
    assert '<span data-testid="remedy-amount">¥12.50</span>' in html


def test_the_community_alerts_table_says_what_its_columns_are(agent):
    html = _client(agent).get("/reviews/").content.decode()
    table = html[html.index('data-testid="alerts"'):]
    table = table[:table.index("</table>")]
    assert re.findall(r"<th>([^<]*)</th>", table) == ["社群", "消息", "问题类型", "时间"]
