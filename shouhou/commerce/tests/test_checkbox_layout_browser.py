"""A tick box in a stacked form keeps its own size: the form's `input {width:100%}` drew every tick box as a
full-width box on a line of its own, above its label (the import page's 「跳过有错误的行」 among others)."""

from __future__ import annotations

import pytest

from shouhou.core.testing.browser import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_import_pages_tick_box_is_a_tick_box(page, live_server, supervisor):
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, live_server.url, "supervisor")
    page.goto(f"{live_server.url}/commerce/import/")
    box = page.locator("form.stack input[type=checkbox]").first.bounding_box()
    assert box is not None and box["width"] < 40
