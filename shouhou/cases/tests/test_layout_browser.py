"""Pages whose cards hold text or a form: the cards are wide enough to read, not number-tile wide."""

from __future__ import annotations

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as svc


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_case_detail_and_order_import_cards_are_readable_width(login_page, live_server, shop, shop_admin, line):
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality")
    page = login_page("shopadmin")
    page.set_viewport_size({"width": 1400, "height": 900})
    for path, selector in [(f"/cases/{case.pk}/", ".cards.panels > .card"),
                           ("/commerce/import/", "[data-testid=import-form]")]:
        page.goto(f"{live_server.url}{path}")
        widths = [box["width"] for box in (el.bounding_box() for el in page.locator(selector).all())]
        assert widths and min(widths) >= 280, (path, widths)
