import datetime as dt
import re

import pytest
from django.urls import reverse

from shouhou.cases.choices import CaseKind
from shouhou.cases.models import Case
from shouhou.core.testing.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db
IN = dt.datetime(2026, 11, 18, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
PERIOD = {"start": "2026-11-16", "end": "2026-11-23"}


def _cases(shop, kinds):
    for i, kind in enumerate(kinds):
        line = OrderLineFactory(order=OrderFactory(shop=shop, placed_at=IN))
        case = Case.objects.create(
            shop=shop, number=f"{shop.code}-C{i}", order=line.order, order_line=line, kind=kind
        )
        Case.objects.filter(pk=case.pk).update(created_at=IN)


def test_dashboard_count_equals_drill_rows_and_hides_other_shop(agent_client, shop, other_shop):
    # given 2 return cases and 1 refund case in the shop, and 3 return cases in another shop
    _cases(shop, [CaseKind.RETURN_REFUND, CaseKind.RETURN_REFUND, CaseKind.REFUND_ONLY])
    _cases(other_shop, [CaseKind.RETURN_REFUND] * 3)
    # when the dashboard is opened
    page = agent_client.get(reverse("insight:dashboard"), PERIOD)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="rates-chart"' in html and 'id="insight-chart"' in html
    link = re.search(r'href="(/insight/drill/\?metric=return[^"]*)">(\d+)</a> / (\d+)', html.replace("&amp;", "&"))
    assert link.group(2) == "2" and link.group(3) == "3"
    # then the drill-down lists exactly the counted cases
    drill = agent_client.get(link.group(1)).content.decode()
    assert drill.count('class="drill-row"') == 2
    assert f"{other_shop.code}-C" not in drill


def test_dashboard_requires_login(client, db):
    assert client.get(reverse("insight:dashboard")).status_code == 302


def test_drill_unknown_metric_is_404(agent_client, shop):
    assert agent_client.get(reverse("insight:drill"), {"metric": "nope"}).status_code == 404
