"""The admin's app headings in the reader's language: twelve of the sixteen were plain Chinese strings, so the
English admin index showed 账号与权限, 店铺与订单 … among English headings."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


def test_every_app_heading_on_the_english_admin_index_is_english(client):
    client.force_login(get_user_model().objects.create_superuser("ops", "ops@example.com", "ops-pass-123"))
    client.cookies["django_language"] = "en"
    html = client.get("/admin/").content.decode()
    captions = re.findall(r'<caption>\s*<a [^>]*>([^<]+)</a>', html)
    assert len(captions) >= 8, captions  # the shop's apps with admin pages, not an empty page
    chinese = [c for c in captions if re.search(r"[\u4e00-\u9fff]", c)]
    assert captions and not chinese, chinese
