import pytest

from shouhou.cases.choices import CaseKind
from shouhou.insight.tests.test_dashboard import PERIOD, _cases


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dashboard_canvas_numbers_and_drill_in_browser(login_page, live_server, shop, agent):
    # given two return cases in the period
    _cases(shop, [CaseKind.RETURN_REFUND, CaseKind.RETURN_REFUND])
    page = login_page("agent")
    # when the dashboard is opened in a real browser
    page.goto(f"{live_server.url}/insight/?start={PERIOD['start']}&end={PERIOD['end']}")
    assert page.locator("canvas#rates-chart").count() == 1
    assert page.locator('[data-metric="return"] a').inner_text() == "2"
    # then the drill-down link lists the two cases
    page.click('[data-metric="return"] a')
    page.wait_for_load_state("networkidle")
    assert page.locator("tr.drill-row").count() == 2
