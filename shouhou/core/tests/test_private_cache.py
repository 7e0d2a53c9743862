"""Staff pages and API answers are not kept by the browser or a proxy (core/middleware.py: private_no_store):
after 退出登录 on a shared PC, Back must not show the last customer's case again from the cache."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.services import token_issue
from shouhou.core.testing.factories import CustomerFactory
from shouhou.inbox.choices import Channel, Direction
from shouhou.inbox.models import Conversation, Message


def _no_store(response) -> bool:
    parts = {p.strip() for p in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= parts


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/cases/", "/desk/queue/", "/reviews/", "/insight/", "/api/accounts/me",
                                  "/api/cases/", "/no-such-page/"])
def test_a_signed_in_page_or_api_answer_is_not_stored(agent_client, path):
    response = agent_client.get(path)
    assert response.status_code in (200, 404), (path, response.status_code)
    assert _no_store(response), (path, response.get("Cache-Control"))


@pytest.mark.django_db
def test_an_api_answer_to_a_token_is_not_stored(client, shop):
    issued = token_issue(shop=shop, name="t", scopes=["*"], role="agent", actor=SYSTEM)
    response = client.get("/api/notifications/messages", HTTP_AUTHORIZATION=issued.header)
    assert response.status_code == 200 and _no_store(response)


@pytest.mark.django_db
def test_a_view_that_says_how_to_cache_keeps_its_own_header(agent_client, shop):
    customer = CustomerFactory(shop=shop)
    conversation = Conversation.objects.create(shop=shop, channel=Channel.EMAIL, customer=customer,
                                               contact_handle="eve@example.com")
    message = Message(shop=shop, conversation=conversation, direction=Direction.INBOUND, body="[附件] a.pdf")
    message.attachment.save("a.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    response = agent_client.get(f"/desk/m/{message.pk}/file/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, max-age=3600"  # core/uploads.py's choice, untouched
