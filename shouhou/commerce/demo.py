"""The demo live-stream shop: deterministic from a seed, set-based, a few seconds on SQLite.

`demo_build()` makes the shop, staff accounts and the commerce data, then calls every other app's
`shouhou.<app>.demo.seed(shop=shop, rng=rng)` that exists.
"""

from __future__ import annotations

import datetime as dt
import importlib
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from shouhou.accounts.choices import Role
from shouhou.accounts.models import Membership
from shouhou.commerce.choices import (
    Carrier,
    Category,
    MembershipTier,
    OrderStatus,
    Platform,
    ReturnAddressKind,
    ShipmentStatus,
)
from shouhou.commerce.models import (
    SKU,
    Customer,
    Host,
    LiveSession,
    Order,
    OrderLine,
    Product,
    ReturnAddress,
    Shipment,
    Shop,
)
from shouhou.core.clock import localnow

DEMO_SHOP_CODE = "xiaolu-demo"
DEMO_SHOP_NAME = "小鹿直播旗舰店"
DEMO_PASSWORD = "shouhou-demo"  # noqa: S105 - the documented demo login
SEED_APPS = ["policies", "cases", "sla", "inbox", "notifications", "logistics", "reviews", "insight"]

# --- catalogue -----------------------------------------------------------------------------------
# (category, how many products, brands, nouns, specs, price range in yuan, warranty days)
CATALOGUE: list[tuple[str, int, list[str], list[str], list[str], tuple[int, int], int]] = [
    (Category.CLOTHING, 70, ["鹿小姐", "北岸", "森屿", "暖阳", "简一"],
     ["加绒卫衣", "羊毛双面大衣", "高腰直筒牛仔裤", "针织开衫", "轻薄羽绒服", "百褶半身裙", "法式衬衫",
      "运动休闲套装", "摇粒绒外套", "阔腿西装裤", "连帽棉服", "羊绒围巾", "高领打底衫", "灯芯绒夹克"],
     ["白色 S", "白色 M", "白色 L", "黑色 M", "黑色 L", "燕麦色 M", "雾霾蓝 L", "卡其色 XL"], (59, 699), 0),
    (Category.UNDERWEAR, 25, ["棉语", "轻羽", "素肌"],
     ["无痕内衣", "纯棉内裤4条装", "德绒保暖内衣套装", "运动文胸", "中筒棉袜10双装", "真丝睡衣"],
     ["75B", "80B", "M", "L", "XL", "均码"], (29, 299), 0),
    (Category.COSMETICS, 55, ["花知", "水光研", "植萃堂", "玉容坊", "初颜"],
     ["玻尿酸保湿面霜", "烟酰胺精华液", "氨基酸洗面奶", "防晒霜SPF50+", "哑光口红", "气垫粉底",
      "补水面膜10片", "卸妆油", "眼霜", "身体乳", "控油散粉"],
     ["30ml", "50ml", "100ml", "套装", "#01 自然色", "#02 象牙白"], (39, 459), 0),
    (Category.ELECTRONICS, 35, ["声阔", "极米克", "小绿", "沃度"],
     ["降噪蓝牙耳机", "智能手表", "便携充电宝20000mAh", "空气炸锅", "破壁料理机", "电动牙刷", "吹风机",
      "扫地机器人", "桌面音箱", "迷你投影仪"],
     ["白色", "黑色", "标准版", "Pro 版"], (99, 2999), 365),
    (Category.MOBILE_PHONE, 10, ["星耀", "青橙"],
     ["5G 智能手机", "折叠屏手机", "老人机", "游戏手机"],
     ["8GB+256GB 曜石黑", "12GB+256GB 冰川蓝", "12GB+512GB 月光白"], (799, 5999), 365),
    (Category.FOOD, 45, ["三只鹿", "良品集", "老灶坊", "山里来"],
     ["每日坚果", "手撕牛肉干", "螺蛳粉", "麻辣小龙虾尾", "黑芝麻丸", "红枣枸杞茶", "奶酪棒",
      "全麦面包", "酱香饼", "即食燕窝", "纯牛奶整箱"],
     ["500g", "1kg", "30包装", "6盒装", "整箱24瓶"], (19, 299), 0),
    (Category.FRESH, 25, ["产地直发", "鲜到家", "海之味"],
     ["阳光玫瑰葡萄", "赣南脐橙", "舟山带鱼", "内蒙古羔羊肉卷", "车厘子JJ级", "大闸蟹礼盒", "土鸡蛋30枚"],
     ["2斤装", "5斤装", "10斤装", "礼盒装"], (29, 599), 0),
    (Category.HOME, 35, ["木集", "暖居", "净享"],
     ["四件套纯棉床品", "记忆棉枕头", "加厚毛巾3条装", "收纳箱", "香薰蜡烛", "不粘锅", "保温杯",
      "懒人沙发", "珊瑚绒毯子", "玻璃保鲜盒"],
     ["1.5m床", "1.8m床", "单只装", "两只装", "大号", "小号"], (19, 499), 0),
]

HOSTS = ["小鹿", "阿杰", "糖糖", "老王说好物", "芒果姐姐"]
SESSION_THEMES = [
    ("双11返场宠粉专场", [Category.CLOTHING, Category.COSMETICS, Category.FOOD]),
    ("冬季保暖服饰专场", [Category.CLOTHING, Category.UNDERWEAR]),
    ("美妆护肤节", [Category.COSMETICS]),
    ("数码尖货夜", [Category.ELECTRONICS, Category.MOBILE_PHONE]),
    ("年货零食节", [Category.FOOD, Category.FRESH]),
    ("产地直发生鲜专场", [Category.FRESH, Category.FOOD]),
    ("居家好物推荐", [Category.HOME, Category.ELECTRONICS]),
    ("内衣家居服上新", [Category.UNDERWEAR, Category.CLOTHING]),
    ("周末福利秒杀", [Category.CLOTHING, Category.HOME, Category.FOOD, Category.COSMETICS]),
    ("手机以旧换新专场", [Category.MOBILE_PHONE, Category.ELECTRONICS]),
    ("宠粉清仓专场", [Category.CLOTHING, Category.HOME, Category.UNDERWEAR]),
    ("开播三周年庆", [Category.COSMETICS, Category.ELECTRONICS, Category.FOOD, Category.CLOTHING]),
]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈")
GIVEN = list("伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平刚桂英华玉兰萍红梅鑫婷雪琳晨欣怡子涵浩宇思佳梓轩")
PLACES = [
    ("上海市", "浦东新区", ["世纪大道", "张杨路", "川沙路"]), ("北京市", "朝阳区", ["建国路", "望京街", "酒仙桥路"]),
    ("广东省广州市", "天河区", ["天河路", "体育西路", "珠江新城华夏路"]), ("广东省深圳市", "南山区", ["科技园南路", "海德三道"]),
    ("浙江省杭州市", "西湖区", ["文三路", "古墩路"]), ("江苏省南京市", "鼓楼区", ["中山北路", "湖南路"]),
    ("四川省成都市", "武侯区", ["天府大道", "科华北路"]), ("湖北省武汉市", "洪山区", ["珞喻路", "光谷大道"]),
    ("山东省济南市", "历下区", ["泉城路", "经十路"]), ("河南省郑州市", "金水区", ["花园路", "农业路"]),
    ("陕西省西安市", "雁塔区", ["小寨东路", "科技路"]), ("福建省厦门市", "思明区", ["湖滨南路", "莲前西路"]),
]
CARRIER_WEIGHTS = [(Carrier.ZTO, 25), (Carrier.YTO, 20), (Carrier.YUNDA, 15), (Carrier.STO, 10), (Carrier.SF, 12),
                   (Carrier.JT, 10), (Carrier.JD, 5), (Carrier.EMS, 3)]
TRACKING_PREFIX = {"ZTO": "7", "YTO": "YT", "YD": "43", "STO": "77", "SF": "SF", "JTSD": "JT", "JD": "JDV",
                   "EMS": "98"}
# shipment status by the order's age in days: [(status, weight), ...]
AGE_BUCKETS: list[tuple[float, list[tuple[str, int]]]] = [
    (1, [(ShipmentStatus.PENDING, 55), (ShipmentStatus.INFO_RECEIVED, 30), (ShipmentStatus.PICKED_UP, 15)]),
    (3, [("late", 10), (ShipmentStatus.PICKED_UP, 12), (ShipmentStatus.IN_TRANSIT, 48),
         (ShipmentStatus.OUT_FOR_DELIVERY, 20), (ShipmentStatus.EXCEPTION, 6), (ShipmentStatus.INFO_RECEIVED, 4)]),
    (7, [(ShipmentStatus.IN_TRANSIT, 15), (ShipmentStatus.OUT_FOR_DELIVERY, 10), (ShipmentStatus.DELIVERY_FAILED, 7),
         (ShipmentStatus.SIGNED, 60), (ShipmentStatus.EXCEPTION, 4), (ShipmentStatus.RETURNED, 4)]),
    (10_000, [(ShipmentStatus.SIGNED, 89), (ShipmentStatus.RETURNED, 4), (ShipmentStatus.DELIVERY_FAILED, 2),
              (ShipmentStatus.EXCEPTION, 3), ("cancelled", 2)]),
]


@dataclass
class DemoResult:
    shop: Shop
    counts: dict[str, int] = field(default_factory=dict)
    seeded_apps: list[str] = field(default_factory=list)
    skipped: bool = False


def _pick(rng: random.Random, weighted: list[tuple]) -> object:
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted], k=1)[0]


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, 1))).quantize(Decimal("0.01"))


def _price(rng: random.Random, low: int, high: int) -> Decimal:
    raw = rng.uniform(low, high)
    return Decimal(int(raw) // 10 * 10 + 9 if raw > 30 else int(raw) + 0.9).quantize(Decimal("0.01"))


def _make_products(shop: Shop, rng: random.Random) -> tuple[list[Product], dict[int, list[SKU]]]:
    products: list[Product] = []
    specs_for: list[list[str]] = []
    prices: list[tuple[int, int]] = []
    seen: set[str] = set()
    for category, count, brands, nouns, specs, price_range, warranty in CATALOGUE:
        made = 0
        while made < count:
            name = f"{rng.choice(brands)}{rng.choice(nouns)}"
            if name in seen:
                name = f"{name}（{rng.choice(['新款', '升级款', '经典款', '冬季款', '直播专享'])}）"
            if name in seen:
                continue
            seen.add(name)
            products.append(Product(shop=shop, name=name, category=category, warranty_days=warranty,
                                    external_id=f"{3_500_000_000 + len(products) * 7919 + rng.randrange(7000)}"))
            specs_for.append(rng.sample(specs, k=min(len(specs), rng.randint(1, 4))))
            prices.append(price_range)
            made += 1
    Product.objects.bulk_create(products)
    skus: list[SKU] = []
    for index, product in enumerate(products):
        base = _price(rng, *prices[index])
        for n, spec in enumerate(specs_for[index]):
            skus.append(SKU(shop=shop, product=product, code=f"XL{index + 1:04d}-{n + 1:02d}", spec=spec,
                            price=base + (Decimal(10 * n) if "Pro" in spec or "512" in spec else 0)))
    SKU.objects.bulk_create(skus)
    by_product: dict[int, list[SKU]] = {}
    for sku in skus:
        by_product.setdefault(sku.product_id, []).append(sku)
    return products, by_product


def _make_customers(shop: Shop, rng: random.Random, count: int, anchor: dt.datetime, agents: list) -> list[Customer]:
    phones: dict[str, None] = {}
    prefixes = ["138", "139", "136", "135", "150", "151", "158", "177", "180", "186", "187", "188", "199"]
    while len(phones) < count:
        phones[f"{rng.choice(prefixes)}{rng.randrange(10**8):08d}"] = None
    customers = []
    for phone in phones:
        tier = _pick(rng, [(MembershipTier.REGULAR, 70), (MembershipTier.SILVER, 16), (MembershipTier.GOLD, 10),
                           (MembershipTier.VIP, 4)])
        consent = rng.random() < 0.86
        customers.append(Customer(
            shop=shop, name=rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, k=rng.choice([1, 2]))),
            phone=phone, phone_last4=phone[-4:], tier=tier, contact_consent=consent,
            opted_out_at=None if consent or rng.random() < 0.5 else anchor - dt.timedelta(days=rng.randint(1, 60)),
            wechat_id=f"wxid_{rng.randrange(16**10):010x}" if rng.random() < 0.35 else "",
            dedicated_agent=rng.choice(agents) if tier == MembershipTier.VIP and agents else None,
            points=rng.randint(0, 5000) if tier != MembershipTier.REGULAR else rng.randint(0, 300),
        ))
    Customer.objects.bulk_create(customers)
    return customers


def _make_sessions(shop: Shop, rng: random.Random, anchor: dt.datetime, products: list[Product]
                   ) -> tuple[list[LiveSession], dict[int, list[Product]]]:
    hosts = [Host(shop=shop, name=name) for name in HOSTS]
    Host.objects.bulk_create(hosts)
    by_category: dict[str, list[Product]] = {}
    for p in products:
        by_category.setdefault(p.category, []).append(p)
    sessions: list[LiveSession] = []
    pitched: list[list[Product]] = []
    days_back = [30, 27, 24, 21, 18, 15, 12, 9, 6, 4, 2, 1]
    for (title, categories), back in zip(SESSION_THEMES, days_back, strict=True):
        start = anchor - dt.timedelta(days=back) + dt.timedelta(hours=rng.choice([19, 20]), minutes=rng.choice([0, 30]))
        pool = [p for c in categories for p in by_category.get(c, [])]
        chosen = rng.sample(pool, k=min(len(pool), rng.randint(18, 36)))
        # yesterday evening's session ends by midnight: a demo built just after midnight has no order in the future
        ended = min(start + dt.timedelta(hours=rng.choice([3, 4, 5])), anchor)
        sessions.append(LiveSession(shop=shop, title=f"{start:%m月%d日} {title}", host=rng.choice(hosts),
                                    started_at=start, ended_at=ended))
        pitched.append(chosen)
    LiveSession.objects.bulk_create(sessions)
    through = LiveSession.products.through
    through.objects.bulk_create([through(livesession_id=s.pk, product_id=p.pk)
                                 for s, chosen in zip(sessions, pitched, strict=True) for p in chosen])
    return sessions, {s.pk: chosen for s, chosen in zip(sessions, pitched, strict=True)}


def _make_orders(shop: Shop, rng: random.Random, anchor: dt.datetime, count: int, customers: list[Customer],
                 sessions: list[LiveSession], pitched: dict[int, list[Product]], skus: dict[int, list[SKU]],
                 all_products: list[Product]) -> dict[str, int]:
    # Repeat buyers: a fifth of the customers place most orders.
    loyal = customers[: max(1, len(customers) // 5)]
    orders: list[Order] = []
    line_specs: list[list[tuple[Product, SKU, int, Decimal]]] = []
    ship_specs: list[tuple[str, dt.datetime | None]] = []
    for i in range(count):
        if rng.random() < 0.9:
            session = rng.choice(sessions)
            span = (session.ended_at - session.started_at).total_seconds()
            placed = session.started_at + dt.timedelta(seconds=rng.uniform(60, span))
            pool = pitched[session.pk]
        else:  # private-domain orders (WeChat group, mini programme) between sessions
            session = None
            placed = anchor - dt.timedelta(days=rng.uniform(0.05, 30))
            pool = all_products
        placed = placed.replace(microsecond=0)
        customer = rng.choice(loyal) if rng.random() < 0.45 else rng.choice(customers)
        chosen = []
        for product in rng.sample(pool, k=min(len(pool), _pick(rng, [(1, 70), (2, 22), (3, 8)]))):
            sku = rng.choice(skus[product.pk])
            qty = _pick(rng, [(1, 80), (2, 15), (3, 5)])
            paid = (sku.price * qty * Decimal(str(rng.choice([1, 1, 0.95, 0.9, 0.85])))).quantize(Decimal("0.01"))
            chosen.append((product, sku, qty, paid))
        age_days = (anchor - placed).total_seconds() / 86400
        status = next(_pick(rng, weights) for limit, weights in AGE_BUCKETS if age_days < limit)
        paid_at = placed + dt.timedelta(seconds=rng.randint(5, 600))
        city, district, roads = rng.choice(PLACES)
        orders.append(Order(
            shop=shop, order_no=f"69{placed:%y%m%d}{i:07d}{rng.randrange(1000):03d}", customer=customer,
            live_session=session, placed_at=placed, paid_at=paid_at, total_paid=sum(c[3] for c in chosen),
            receiver_name=customer.name, receiver_phone=customer.phone,
            address=f"{city}{district}{rng.choice(roads)}{rng.randint(1, 999)}号{rng.randint(1, 30)}栋{rng.randint(101, 2802)}室",
            return_insurance=rng.random() < 0.6,
        ))
        line_specs.append(chosen)
        ship_specs.append((status, paid_at))
    shipments: list[Shipment] = []
    tracking_seq = 0
    for order, (status, paid_at) in zip(orders, ship_specs, strict=True):
        order.status = OrderStatus.PAID
        if status == "cancelled":
            order.status = OrderStatus.CANCELLED
            continue
        late = status == "late"
        if late:
            status = ShipmentStatus.PENDING
        promised = paid_at + dt.timedelta(hours=24 if late else 48)
        ship = Shipment(shop=shop, order=order, status=status, promised_ship_by=promised)
        if status != ShipmentStatus.PENDING:
            carrier = _pick(rng, CARRIER_WEIGHTS)
            tracking_seq += 1
            ship.carrier = carrier
            ship.tracking_no = f"{TRACKING_PREFIX[carrier]}{rng.randrange(10**6):06d}{tracking_seq:07d}"
            shipped = paid_at + dt.timedelta(hours=rng.uniform(3, 40))
            ship.shipped_at = order.shipped_at = min(shipped, anchor - dt.timedelta(minutes=5)).replace(microsecond=0)
            ship.last_event_at = ship.shipped_at + dt.timedelta(hours=rng.uniform(1, 20))
            order.status = OrderStatus.SHIPPED
            if status == ShipmentStatus.SIGNED:
                # signed before the demo's "now" (a parcel is never delivered in the future)
                signed = min(ship.shipped_at + dt.timedelta(hours=rng.uniform(30, 90)), anchor - dt.timedelta(minutes=10))
                if signed <= ship.shipped_at:
                    signed = ship.shipped_at + (anchor - ship.shipped_at) / 2
                ship.signed_at = order.delivered_at = signed.replace(microsecond=0)
                ship.last_event_at = ship.signed_at
                order.status = OrderStatus.COMPLETED if (anchor - ship.signed_at).days > 7 else OrderStatus.DELIVERED
            elif status == ShipmentStatus.RETURNED:
                order.status = OrderStatus.CANCELLED
            ship.last_event_at = min(ship.last_event_at, anchor - dt.timedelta(minutes=1)).replace(microsecond=0)
        shipments.append(ship)
    Order.objects.bulk_create(orders, batch_size=1000)
    for ship in shipments:
        ship.order_id = ship.order.pk
    Shipment.objects.bulk_create(shipments, batch_size=1000)
    lines = []
    for order, chosen in zip(orders, line_specs, strict=True):
        for n, (product, sku, qty, paid) in enumerate(chosen, start=1):
            batch = f"{product.category[:2].upper()}{(order.placed_at - dt.timedelta(days=20 + product.pk % 40)):%Y%m}-{product.pk % 7 + 1:02d}"
            lines.append(OrderLine(shop=shop, order_id=order.pk, line_key=f"{order.order_no}-{n}", product=product,
                                   sku=sku, product_name=product.name, spec=sku.spec, category=product.category,
                                   quantity=qty, price_paid=paid, batch_no=batch))
    OrderLine.objects.bulk_create(lines, batch_size=1000)
    return {"orders": len(orders), "order_lines": len(lines), "shipments": len(shipments)}


def _make_users(shop: Shop) -> list:
    user_model = get_user_model()
    password = make_password(DEMO_PASSWORD)
    wanted = [("demo", Role.ADMIN, True, "演示管理员"), ("zhuguan", Role.SUPERVISOR, False, "客服主管"),
              *[(f"kefu{n}", Role.AGENT, False, f"客服{n}号") for n in range(1, 5)]]
    users = []
    for username, role, superuser, first_name in wanted:
        user, _ = user_model.objects.update_or_create(
            username=username,
            defaults={"password": password, "is_staff": True, "is_superuser": superuser, "first_name": first_name,
                      "is_active": True})
        Membership.objects.update_or_create(
            user=user, shop=shop,
            defaults={"role": role, "approval_limit": Decimal("500.00") if role != Role.AGENT else Decimal("50.00")})
        users.append(user)
    return users


def _make_return_addresses(shop: Shop) -> int:
    """Where the demo's returns go: the main warehouse, and a repair centre for electronics and phones."""
    common = {"shop": shop, "kind": ReturnAddressKind.WAREHOUSE, "province": "浙江省", "city": "杭州市",
              "note": "请勿寄到付；包裹内请附售后单号"}
    rows = [ReturnAddress(**common, name="杭州退货仓", contact_name="王仓管", phone="0571-8888-6666",
                          district="余杭区", street="仓前街道文一西路 1 号 3 号库", postal_code="311121",
                          is_default=True),
            *[ReturnAddress(**common, name=f"数码维修中心（{label}）", contact_name="李工", phone="0571-8888-7777",
                            district="滨江区", street="长河街道江虹路 88 号 2 楼", postal_code="310052",
                            category=category)
              for category, label in ((Category.ELECTRONICS, "数码家电"), (Category.MOBILE_PHONE, "手机"))]]
    ReturnAddress.objects.bulk_create(rows)
    return len(rows)


def seed_other_apps(*, shop: Shop, rng: random.Random) -> list[str]:
    done = []
    for app in SEED_APPS:
        module_name = f"shouhou.{app}.demo"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.seed(shop=shop, rng=rng)
        done.append(app)
    return done


def _demo_shop_delete(shop: Shop) -> None:
    """Cases and recalls protect their order, SKU and policy version (a real shop's after-sales history
    must not vanish with a product); the demo shop is thrown away whole, so they go first."""
    from django.apps import apps

    for label in ("cases.Case", "cases.Recall"):
        apps.get_model(label).objects.filter(shop=shop).delete()
    shop.delete()


def demo_build(*, seed: int = 42, orders: int = 5000, customers: int = 3000, if_empty: bool = False,
               anchor: dt.datetime | None = None, other_apps: bool = True) -> DemoResult:
    """Build (or rebuild) the demo shop. With if_empty, do nothing when any shop exists."""
    existing = Shop.objects.filter(code=DEMO_SHOP_CODE).first()
    if if_empty and Shop.objects.exists():
        return DemoResult(shop=existing or Shop.objects.order_by("pk").first(), skipped=True)
    rng = random.Random(seed)
    anchor = anchor or localnow().replace(hour=0, minute=0, second=0, microsecond=0)
    with transaction.atomic():
        if existing:
            _demo_shop_delete(existing)
        shop = Shop.objects.create(name=DEMO_SHOP_NAME, code=DEMO_SHOP_CODE, platform=Platform.DOUYIN,
                                   service_phone="400-820-5566",
                                   settings={"demo": True, "seed": seed, "anchor": anchor.isoformat()})
        users = _make_users(shop)
        addresses = _make_return_addresses(shop)
        products, skus = _make_products(shop, rng)
        people = _make_customers(shop, rng, customers, anchor, [u for u in users if u.username.startswith("kefu")])
        sessions, pitched = _make_sessions(shop, rng, anchor, products)
        counts = _make_orders(shop, rng, anchor, orders, people, sessions, pitched, skus, products)
        counts.update(products=len(products), skus=sum(len(v) for v in skus.values()), customers=len(people),
                      live_sessions=len(sessions), hosts=len(HOSTS), users=len(users),
                      return_addresses=addresses)
        seeded = seed_other_apps(shop=shop, rng=rng) if other_apps else []
    return DemoResult(shop=shop, counts=counts, seeded_apps=seeded)
