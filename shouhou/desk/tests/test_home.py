from decimal import Decimal

import pytest

from shouhou.core.testing.factories import OrderFactory, ShopFactory

pytestmark = pytest.mark.django_db


def test_home_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_home_shows_only_own_shop_numbers(agent_client, shop):
    OrderFactory.create_batch(3, shop=shop, total_paid=Decimal("100.50"))
    OrderFactory.create_batch(5, shop=ShopFactory(name="别人的店"))
    response = agent_client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "小鹿直播旗舰店" in html
    assert 'data-testid="orders-count">3<' in html
    assert "¥301.50" in html
    assert "别人的店" not in html


def test_login_page_is_chinese_by_default(client):
    html = client.get("/accounts/login/").content.decode()
    assert "登录" in html and 'lang="zh-hans"' in html


@pytest.mark.browser
def test_browser_login_sees_shop_numbers(login_page, agent, shop):
    OrderFactory.create_batch(2, shop=shop, total_paid=Decimal("88.00"))
    page = login_page("agent")
    assert page.get_by_test_id("shop-name").inner_text().startswith("小鹿直播旗舰店")
    assert page.get_by_test_id("orders-count").inner_text() == "2"
    assert page.get_by_test_id("gmv").inner_text() == "¥176.00"


@pytest.mark.browser
@pytest.mark.usefixtures("demo_clock")
def test_browser_demo_login_sees_the_demo_shops_numbers(login_page):
    # Given the demo live-stream shop (all apps' demo data, a smaller order count to stay quick)
    from django.contrib.humanize.templatetags.humanize import intcomma
    from django.db.models import Sum

    from shouhou.commerce.demo import DEMO_SHOP_CODE, demo_build
    from shouhou.commerce.models import Customer, Order

    demo_build(seed=42, orders=800, customers=300)
    orders = Order.objects.filter(shop__code=DEMO_SHOP_CODE)
    gmv = orders.aggregate(total=Sum("total_paid"))["total"]

    # When the printed demo login is used in a real browser
    page = login_page("demo", "shouhou-demo")

    # Then the home page shows the demo shop and exactly its numbers
    assert page.get_by_test_id("shop-name").inner_text().startswith("小鹿直播旗舰店")
    assert page.get_by_test_id("orders-count").inner_text() == "800"
    assert page.get_by_test_id("customers-count").inner_text() == str(
        Customer.objects.filter(shop__code=DEMO_SHOP_CODE).count())
    assert page.get_by_test_id("gmv").inner_text() == f"¥{intcomma(f'{gmv:.2f}')}"
