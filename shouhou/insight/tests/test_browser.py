import pytest
from playwright.sync_api import expect

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
    expect(page.locator('[data-testid="drill-total"]')).to_have_text("3")
    assert page.locator("tr.drill-row").count() == 3


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_weekly_report_draws_its_charts_from_the_same_figures(login_page, live_server, shop, agent):
    # given the same world; 2026-11-16 .. 11-23 is ISO week 2026-W47
    build_world(shop, agent)
    page = login_page("agent")
    page.goto(f"{live_server.url}/insight/report/?week=2026-W47")
    # then every chart of the report is drawn (Chart.js from static) ...
    canvases = ["report-rates", "report-sessions", "report-pareto-reason", "report-pareto-complaint_type"]
    for canvas in canvases:
        assert page.evaluate(f"Chart.getChart(document.getElementById('{canvas}')) !== undefined"), canvas
    # ... with the table's numbers: 3 return cases on 6 order lines is a 50% return rate
    rates = page.evaluate("(() => { const c = Chart.getChart(document.getElementById('report-rates'));"
                          " return Object.fromEntries(c.data.labels.map((l, i) => [l, c.data.datasets[0].data[i]])); })()")
    assert rates["退货率"] == 50.0
    # and printing (or saving as PDF) leaves the menu and the controls out
    page.emulate_media(media="print")
    assert page.locator(".topbar").is_hidden() and page.get_by_test_id("print").is_hidden()
    assert page.get_by_test_id("report-overview").is_visible()
