import pytest

from .fixtures import PERIOD, build_world


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dashboard_chart_numbers_and_drill_in_browser(login_page, live_server, shop, agent):
    # given the hand-computed world (3 return cases on 6 order lines in the period)
    build_world(shop, agent)
    page = login_page("agent")
    # when the dashboard is opened in a real browser
    page.goto(f"{live_server.url}/insight/?start={PERIOD['start']}&end={PERIOD['end']}")
    # then Chart.js (served from static, no CDN) drew the charts and the numbers are shown
    assert page.evaluate("typeof window.Chart") == "function"
    assert page.evaluate("Chart.getChart(document.getElementById('rates-chart')) !== undefined")
    number = page.locator('[data-metric="return"] a.num')
    assert number.inner_text() == "3"
    assert page.locator('[data-metric="return"] a.den').inner_text() == "6"
    # and clicking the number lands on the drill list with the same count
    number.click()
    page.wait_for_load_state("networkidle")
    assert page.locator('[data-testid="drill-total"]').inner_text() == "3"
    assert page.locator("tr.drill-row").count() == 3
