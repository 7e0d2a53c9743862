"""factory_boy factories shared by every app's tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from shouhou.accounts.choices import Role
from shouhou.accounts.models import Membership
from shouhou.commerce.choices import Category, MembershipTier, OrderStatus
from shouhou.commerce.models import (
    SKU,
    Customer,
    Host,
    LiveSession,
    Order,
    OrderLine,
    Product,
    Shipment,
    Shop,
)

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop

    name = factory.Sequence(lambda n: f"测试店铺{n}")
    code = factory.Sequence(lambda n: f"shop-{n}")
    platform = "douyin"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"agent{n}")
    password = factory.PostGenerationMethodCall("set_password", "pass-12345")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    shop = factory.SubFactory(ShopFactory)
    role = Role.AGENT
    approval_limit = Decimal("50.00")


class HostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Host

    shop = factory.SubFactory(ShopFactory)
    name = factory.Sequence(lambda n: f"主播{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    shop = factory.SubFactory(ShopFactory)
    name = factory.Sequence(lambda n: f"商品{n}")
    category = Category.CLOTHING


class SKUFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SKU

    shop = factory.SelfAttribute("product.shop")
    product = factory.SubFactory(ProductFactory)
    code = factory.Sequence(lambda n: f"SKU{n:06d}")
    spec = "均码"
    price = Decimal("99.00")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    shop = factory.SubFactory(ShopFactory)
    name = factory.Sequence(lambda n: f"顾客{n}")
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    phone_last4 = factory.LazyAttribute(lambda o: o.phone[-4:])
    tier = MembershipTier.REGULAR


class LiveSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LiveSession

    shop = factory.SubFactory(ShopFactory)
    title = factory.Sequence(lambda n: f"直播场次{n}")
    host = factory.SubFactory(HostFactory, shop=factory.SelfAttribute("..shop"))
    started_at = dt.datetime(2026, 11, 1, 20, 0, tzinfo=SHANGHAI)
    ended_at = dt.datetime(2026, 11, 1, 22, 0, tzinfo=SHANGHAI)


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    shop = factory.SubFactory(ShopFactory)
    order_no = factory.Sequence(lambda n: f"OD{n:010d}")
    customer = factory.SubFactory(CustomerFactory, shop=factory.SelfAttribute("..shop"))
    status = OrderStatus.DELIVERED
    placed_at = dt.datetime(2026, 11, 1, 20, 30, tzinfo=SHANGHAI)
    paid_at = dt.datetime(2026, 11, 1, 20, 31, tzinfo=SHANGHAI)
    shipped_at = dt.datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
    delivered_at = dt.datetime(2026, 11, 4, 15, 0, tzinfo=SHANGHAI)
    total_paid = Decimal("199.00")
    receiver_name = factory.LazyAttribute(lambda o: o.customer.name if o.customer else "收货人")
    receiver_phone = factory.LazyAttribute(lambda o: o.customer.phone if o.customer else "13800000000")
    address = "上海市浦东新区世纪大道100号"


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    shop = factory.SelfAttribute("order.shop")
    product = factory.SubFactory(ProductFactory, shop=factory.SelfAttribute("..shop"))
    product_name = factory.LazyAttribute(lambda o: o.product.name if o.product else "商品")
    category = factory.LazyAttribute(lambda o: o.product.category if o.product else Category.OTHER)
    line_key = factory.Sequence(lambda n: f"L{n}")
    spec = "M"
    quantity = 1
    price_paid = Decimal("199.00")


class ShipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shipment

    order = factory.SubFactory(OrderFactory)
    shop = factory.SelfAttribute("order.shop")
    carrier = "SF"
    tracking_no = factory.Sequence(lambda n: f"SF{n:012d}")
    status = "in_transit"
