"""The case page of a 有赞 request an agent may refuse: it lists the platform's reject reasons through the adapter, and
the 有赞 adapter had none (AttributeError: the page answered 500 for every 有赞 case waiting for review). 有赞's
refund.refuse / returngoods.refuse take {refund_id, version, remark}: no reason codes and no images — the agent's words
go as the remark, and photos are added in the back office."""

from __future__ import annotations

import pytest

from shouhou.platforms.adapters.youzan import YouzanAdapter
from shouhou.platforms.models import PlatformAftersale
from shouhou.platforms.tests import test_youzan_sdk_examples as examples
from shouhou.platforms.tests.test_youzan_sdk_examples import REFUND, URL, _push

box, connected, example_line = examples.box, examples.connected, examples.example_line  # the examples' fixtures


def test_the_youzan_adapter_offers_no_reason_codes_and_takes_no_images():
    adapter = YouzanAdapter(app_key="c", app_secret="s")
    assert adapter.reject_reasons("t", REFUND["refund_id"]) == []
    assert adapter.upload_evidence("t", public_url="https://example.invalid/p.jpg", name="p.jpg") is None


@pytest.mark.django_db(transaction=True)
def test_an_agent_opens_the_case_page_of_a_youzan_request_waiting_for_review(client, box, connected, example_line,
                                                                            claim_clock, agent_client):
    box.refund = {**REFUND, "status": "WAIT_SELLER_AGREE"}
    raw, headers = _push(box)
    assert client.post(URL, data=raw, content_type="application/json", **headers).json()["msg"] == "success"
    case = PlatformAftersale.objects.get().case
    page = agent_client.get(f"/cases/{case.pk}/")
    assert page.status_code == 200
    assert 'id="platform-reject"' in page.content.decode()  # refused with the agent's words (the remark)
