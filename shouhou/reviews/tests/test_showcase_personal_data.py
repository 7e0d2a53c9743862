"""The showcase shows no buyer's phone number or full name (attacker report #4).

/reviews/showcase/<shop>/ is public; it and GET /api/reviews/showcase printed a showcased review's text and author
as stored: 「…加我微信电话13812345678」 by 王小明, to anyone."""

from __future__ import annotations

import pytest
from django.test import Client

from shouhou.core.testing.roles import token_with_role
from shouhou.reviews.models import Review
from shouhou.reviews.selectors import showcase_public

pytestmark = pytest.mark.django_db
TEXT = "质量很好，非常满意，推荐购买！朋友要买可以加我微信电话13812345678，或者 +86 139-8765-4321"


@pytest.fixture
def showcased(shop):
    return Review.objects.create(shop=shop, platform="wechat", external_id="r1", text=TEXT, author_name="王小明",
                                 rating=5, sentiment=1, sentiment_score=0.95, complaint_type="none",
                                 is_showcased=True)


def test_the_public_page_masks_the_author_and_the_phone_numbers(shop, showcased):
    page = Client().get(f"/reviews/showcase/{shop.code}/").content.decode()
    assert "质量很好，非常满意" in page
    for secret in ("13812345678", "8765-4321", "87654321", "王小明"):
        assert secret not in page
    assert "138****5678" in page and "王**" in page


def test_the_api_showcase_masks_the_phone_numbers(shop, showcased):
    answer = Client().get("/api/reviews/showcase", HTTP_AUTHORIZATION=token_with_role(shop, "agent"))
    assert answer.status_code == 200
    [row] = answer.json()
    assert "13812345678" not in row["text"] and "138****5678" in row["text"]
    assert row["id"] == showcased.pk and row["is_showcased"] is True


def test_the_stored_review_keeps_its_text(shop, showcased):
    [shown] = showcase_public(shop=shop)
    assert shown.author_name == "王**"
    showcased.refresh_from_db()
    assert showcased.text == TEXT and showcased.author_name == "王小明"
