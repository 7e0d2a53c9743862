"""An agent of two shops keeps a desk tab per shop: every read and action of a desk page names the shop it was
drawn for (X-Desk-Shop; `?shop=` on file links and the desk's WebSocket), so choosing the other shop in one tab
does not turn another tab's list, conversation, replies and push to that shop (desk/workbench.py _page_shop)."""

from __future__ import annotations

import re

import pytest
from django.core.files.base import ContentFile

from shouhou.accounts.choices import Role
from shouhou.core.testing.factories import CustomerFactory, MembershipFactory, ShopFactory
from shouhou.inbox.choices import Channel, Direction
from shouhou.inbox.models import Message
from shouhou.inbox.services import message_receive
from shouhou.live.consumers import DeskConsumer
from shouhou.live.services import desk_stream
from shouhou.live.tests.test_push import TIMEOUT, _connect, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_shops(shop, other_shop, agent):
    MembershipFactory(shop=other_shop, role=Role.AGENT, user=agent)
    here = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="小鹿店：面霜漏了",
                           customer=CustomerFactory(shop=shop)).ticket
    there = message_receive(shop=other_shop, channel=Channel.WEB_CHAT, body="隔壁店：发货了吗",
                            customer=CustomerFactory(shop=other_shop)).ticket
    return here, there


def test_a_tab_keeps_its_shop_after_another_tab_chose_the_other_one(agent_client, shop, other_shop, two_shops):
    here, there = two_shops
    tab = {"HTTP_X_DESK_SHOP": str(shop.pk)}
    page = agent_client.get(f"/desk/im/?t={here.pk}").content.decode()
    assert f'data-desk-shop="{shop.pk}"' in page and f'data-live="/ws/desk/?shop={shop.pk}"' in page
    # another tab chooses the other shop (the session's choice)
    agent_client.post("/accounts/shop/", {"shop_id": other_shop.pk})
    assert "隔壁店：发货了吗" in agent_client.get("/desk/im/list/").json()["html"]  # a tab drawn after that
    # this tab's reads stay on its shop
    listed = agent_client.get("/desk/im/list/", {"t": here.pk}, **tab).json()["html"]
    assert "小鹿店：面霜漏了" in listed and "隔壁店" not in listed
    assert agent_client.get(f"/desk/t/{here.pk}/poll/", {"m": 0, "e": 0}, **tab).status_code == 200
    assert agent_client.get(f"/desk/t/{here.pk}/poll/", {"m": 0, "e": 0}).status_code == 404  # before: this
    # and its reply goes to its conversation
    answer = agent_client.post(f"/desk/t/{here.pk}/act/reply/", {"body": "您好，马上为您处理"},
                               HTTP_X_DESK_FETCH="1", **tab).json()
    assert answer["ok"], answer
    assert Message.objects.filter(conversation=here.conversation, direction=Direction.OUTBOUND,
                                  body="您好，马上为您处理").exists()


def test_a_file_link_names_its_shop(agent_client, shop, other_shop, two_shops):
    here, _there = two_shops
    photo = Message(shop=shop, conversation=here.conversation, direction=Direction.INBOUND, body="[图片]")
    photo.attachment.save("leak.png", ContentFile(b"\x89PNG\r\n\x1a\n" + b"0" * 64), save=True)
    pane = agent_client.get(f"/desk/im/t/{here.pk}/").content.decode()
    link = re.search(rf'src="(/desk/m/{photo.pk}/file/\?shop={shop.pk})"', pane)
    assert link
    agent_client.post("/accounts/shop/", {"shop_id": other_shop.pk})
    assert agent_client.get(link.group(1)).status_code == 200
    assert agent_client.get(f"/desk/m/{photo.pk}/file/").status_code == 404  # the session's shop has no such file


def test_a_shop_that_is_not_the_users_is_refused(agent_client, two_shops):
    here, _there = two_shops
    stranger = ShopFactory(name="陌生店", code="stranger")
    for value in (str(stranger.pk), "x", "9" * 30):
        assert agent_client.get("/desk/im/list/", HTTP_X_DESK_SHOP=value).status_code == 403
    assert agent_client.get(f"/desk/t/{here.pk}/poll/", {"shop": stranger.pk}).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_the_desk_socket_hears_the_shop_its_page_names_and_only_a_shop_of_the_users(shop, other_shop, agent):
    MembershipFactory(shop=other_shop, role=Role.AGENT, user=agent)
    stranger = ShopFactory(name="陌生店", code="stranger")
    session = {"shop_id": shop.pk}  # the session chose the first shop; the page was drawn for the other

    async def scenario():
        desk = _connect(DeskConsumer, f"/ws/desk/?shop={other_shop.pk}", {"user": agent, "session": session})
        assert (await desk.connect())[0]
        assert (await desk.receive_json_from(TIMEOUT))["stream"] == desk_stream(other_shop.pk)
        await desk.disconnect()
        plain = _connect(DeskConsumer, "/ws/desk/", {"user": agent, "session": session})
        assert (await plain.connect())[0]
        assert (await plain.receive_json_from(TIMEOUT))["stream"] == desk_stream(shop.pk)
        await plain.disconnect()
        for value in (stranger.pk, "abc"):
            refused = _connect(DeskConsumer, f"/ws/desk/?shop={value}", {"user": agent, "session": session})
            assert await refused.connect() == (False, 4403)

    run(scenario)


def _form_actions(html: str) -> dict[str, str]:
    """The action URL of every desk form of a page that posts, by its last path part (reply, note, status …); the
    menu's shop switcher is the session's choice, not the page's."""
    found = {}
    for action in re.findall(r'<form method="post" action="(/desk/[^"]+)"', html):
        path = action.split("?", 1)[0].rstrip("/")
        found.setdefault(path.rsplit("/", 1)[-1], action.replace("&amp;", "&"))
    return found


def test_the_full_ticket_pages_forms_post_under_the_pages_own_shop(agent_client, shop, other_shop, two_shops):
    here, _there = two_shops
    page = agent_client.get(f"/desk/t/{here.pk}/").content.decode()
    actions = _form_actions(page)
    assert {"reply", "note", "status", "assign", "priority", "escalate"} <= set(actions), actions
    for name, url in actions.items():
        assert url.endswith(f"?shop={shop.pk}"), (name, url)  # every form of the page names its shop
    # another tab chooses the other shop (the session's choice); this tab's forms still act on its own shop
    agent_client.post("/accounts/shop/", {"shop_id": other_shop.pk})
    answer = agent_client.post(actions["reply"], {"body": "您好，订单已经为您加急"})
    assert answer.status_code == 302 and answer["Location"] == f"/desk/t/{here.pk}/?shop={shop.pk}"
    assert Message.objects.filter(conversation=here.conversation, direction=Direction.OUTBOUND,
                                  body="您好，订单已经为您加急").exists()
    # the page it lands on is drawn for its shop, and so are its forms
    again = agent_client.get(answer["Location"]).content.decode()
    assert "您好，订单已经为您加急" in again and _form_actions(again)["note"].endswith(f"?shop={shop.pk}")
    answer = agent_client.post(actions["status"], {"status": "resolved"})
    assert answer.status_code == 302
    here.refresh_from_db()
    assert here.status == "resolved"


def test_a_ticket_page_form_naming_a_shop_that_is_not_the_users_is_refused(agent_client, two_shops):
    here, _there = two_shops
    stranger = ShopFactory(name="陌生店", code="stranger")
    answer = agent_client.post(f"/desk/t/{here.pk}/act/reply/?shop={stranger.pk}", {"body": "错店"})
    assert answer.status_code == 403
    assert agent_client.post(f"/desk/t/{here.pk}/case/create/?shop={stranger.pk}", {}).status_code == 403
    assert not Message.objects.filter(body="错店").exists()


def test_links_to_the_full_ticket_page_name_the_shop_of_the_page_they_are_on(agent_client, shop, two_shops):
    here, _there = two_shops
    pane = agent_client.get(f"/desk/im/t/{here.pk}/").content.decode()
    assert f'href="/desk/t/{here.pk}/?shop={shop.pk}"' in pane
    queue = agent_client.get("/desk/queue/").content.decode()
    assert f'href="/desk/t/{here.pk}/?shop={shop.pk}"' in queue


def test_the_queue_filters_and_links_keep_the_pages_shop(agent_client, shop, other_shop, two_shops):
    """The queue's GET filter form, its badge, clear and page links name the page's shop: a two-shop agent who
    filters the queue of one tab stays on that tab's shop (before: the form carried no shop and the filtered queue
    was the session's shop)."""
    here, there = two_shops
    page = agent_client.get("/desk/queue/", {"shop": shop.pk}).content.decode()
    form = re.search(r'<form method="get" class="filters".*?</form>', page, re.S).group(0)
    assert f'<input type="hidden" name="shop" value="{shop.pk}">' in form
    assert f'href="?shop={shop.pk}"' in form  # 清除
    for card in ("scope=mine", "scope=unassigned", "breached=1", "due_within=15"):
        assert f'href="?{card}&amp;shop={shop.pk}"' in page
    # another tab chooses the other shop; this tab's filter (the form's fields) stays on its own shop
    agent_client.post("/accounts/shop/", {"shop_id": other_shop.pk})
    filtered = agent_client.get("/desk/queue/", {"shop": shop.pk, "scope": "all", "channel": "web_chat"})
    assert here.number in filtered.content.decode() and there.number not in filtered.content.decode()
    # the one-screen desk's conversation links name the shop too (a link opened in a new tab, a reload)
    listed = agent_client.get("/desk/im/list/", {"scope": "all"}, HTTP_X_DESK_SHOP=str(shop.pk)).json()["html"]
    assert f'href="?t={here.pk}&amp;shop={shop.pk}"' in listed


def test_a_call_refused_on_the_queue_returns_to_the_pages_shop(agent_client, shop, other_shop, two_shops):
    response = agent_client.post(f"/desk/call/?shop={other_shop.pk}", {"phone": "", "summary": ""})
    assert response.status_code == 302 and response["Location"].endswith(f"?shop={other_shop.pk}")
