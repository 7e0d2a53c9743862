import pytest
from django.urls import reverse

from shouhou.core.testing.factories import CustomerFactory
from shouhou.inbox.choices import Channel, TicketCategory
from shouhou.inbox.services import ticket_open
from shouhou.insight.models import SurveyInvitation, SurveyResponse
from shouhou.insight.services import SurveyError, survey_invite, survey_submit
from shouhou.notifications.models import OutboundMessage

pytestmark = pytest.mark.django_db


def _ticket(shop, customer):
    return ticket_open(
        shop=shop,
        channel=Channel.values[0],
        category=TicketCategory.values[0],
        subject="耳机没声音",
        body="左耳没声音",
        customer=customer,
    )


def _invite(shop, django_capture_on_commit_callbacks):
    customer = CustomerFactory(shop=shop)
    ticket = _ticket(shop, customer)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = survey_invite(shop=shop, customer=customer, ticket=ticket)
    return invitation, customer, ticket


def test_invite_is_idempotent_per_ticket_and_sends_one_message(shop, settings, django_capture_on_commit_callbacks):
    # given a resolved ticket
    settings.SHOUHOU = {**settings.SHOUHOU, "PUBLIC_BASE_URL": "https://sh.example.cn/"}
    invitation, customer, ticket = _invite(shop, django_capture_on_commit_callbacks)
    # when it is invited again
    with django_capture_on_commit_callbacks(execute=True):
        again = survey_invite(shop=shop, customer=customer, ticket=ticket)
    # then one invitation and one message carrying the public link
    assert again.pk == invitation.pk
    assert SurveyInvitation.objects.filter(shop=shop).count() == 1
    messages = OutboundMessage.objects.filter(idempotency_key=f"survey:{invitation.pk}")
    assert messages.count() == 1
    assert f"https://sh.example.cn/insight/s/{invitation.token}/" in messages.get().body


def test_invite_without_customer_sends_nothing(shop):
    assert survey_invite(shop=shop, customer=None) is None
    assert SurveyInvitation.objects.count() == 0


@pytest.mark.parametrize(
    ("scores", "field"),
    [
        ({"attitude": "", "speed": 3, "outcome": 3}, "attitude"),
        ({"attitude": 3, "speed": 6, "outcome": 3}, "speed"),
        ({"attitude": 3, "speed": 3, "outcome": 0}, "outcome"),
        ({"attitude": 3, "speed": 3, "outcome": "五"}, "outcome"),
    ],
)
def test_submit_rejects_bad_scores_naming_the_field(shop, scores, field, django_capture_on_commit_callbacks):
    invitation, _, _ = _invite(shop, django_capture_on_commit_callbacks)
    with pytest.raises(SurveyError) as err:
        survey_submit(invitation=invitation, **scores)
    assert err.value.field == field
    assert SurveyResponse.objects.count() == 0


def test_submit_once_then_refused(shop, django_capture_on_commit_callbacks):
    invitation, _, _ = _invite(shop, django_capture_on_commit_callbacks)
    response = survey_submit(invitation=invitation, attitude="5", speed=4, outcome=3, comment=" 很快 ")
    assert (response.attitude, response.speed, response.outcome, response.comment) == (5, 4, 3, "很快")
    with pytest.raises(SurveyError) as err:
        survey_submit(invitation=invitation, attitude=1, speed=1, outcome=1)
    assert err.value.field == "invitation"
    assert SurveyResponse.objects.get().outcome == 3


def test_survey_page_get_post_and_second_post(client, shop, django_capture_on_commit_callbacks):
    invitation, _, _ = _invite(shop, django_capture_on_commit_callbacks)
    url = reverse("insight:survey", args=[invitation.token])
    page = client.get(url)
    assert page.status_code == 200
    assert "服务态度" in page.content.decode() and "处理速度" in page.content.decode()
    bad = client.post(url, {"attitude": "5", "speed": "", "outcome": "4"})
    assert bad.status_code == 400
    assert "处理速度" in bad.content.decode()
    ok = client.post(url, {"attitude": "5", "speed": "4", "outcome": "4", "comment": "谢谢"})
    assert ok.status_code == 200
    assert "评价已提交" in ok.content.decode()
    again = client.post(url, {"attitude": "1", "speed": "1", "outcome": "1"})
    assert "您已评价过" in again.content.decode()
    assert SurveyResponse.objects.get().attitude == 5


def test_unknown_token_is_404(client, db):
    assert client.get(reverse("insight:survey", args=["nope"])).status_code == 404


def test_the_survey_scores_are_named_in_english_on_the_english_page(client, shop, django_capture_on_commit_callbacks):
    # a tester on a phone: the English page named its three scores in Chinese
    invitation, _, _ = _invite(shop, django_capture_on_commit_callbacks)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("insight:survey", args=[invitation.token])).content.decode()
    assert "服务态度" not in page and "处理速度" not in page and "处理结果" not in page
    bad = client.post(reverse("insight:survey", args=[invitation.token]), {"attitude": "5", "speed": "", "outcome": "4"})
    assert "处理速度" not in bad.content.decode()
