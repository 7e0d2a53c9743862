"""Law vectors, round 12 (an examiner-style reading of the law, 133 vectors run as a claim JSON through
`policies.claims.facts_from_json` and `decide()` under the shipped default policy; the 95 of the first table through
`POST /api/policies/decide` too, which must agree with the engine field by field), and the defects that round found
around the engine.

Sources: 消法 = 消费者权益保护法 — 24 (a quality problem: return within seven days; 「七日后符合法定解除合同条件的，消费者
可以及时退货，不符合法定解除合同条件的，可以要求经营者履行更换、修理等义务」; para. 2 the merchant bears the transport
costs), 25 (no-reason returns), 55 (fraud: three times, at least 500 yuan); 民法典 563 (the contract may be ended when a
breach defeats its purpose: a person judges it); 食品安全法 148 (ten times, at least 1,000 yuan); 办法 =
网络购买商品七日无理由退货暂行办法 6–10, 12, 17, 18; 三包 = 部分商品修理更换退货责任规定 — 第九条 (7 days: return, exchange or
repair), 第十条 (15 days: exchange or repair), 第十一条 (two failed repairs), 第十三条 (a return instead of the exchange due).

New in this round (each failed before its fix):
- 消法24 after day 7: a quality return is a remedy on request (`on_request`, clause `quality.return_on_request`): the
  buyer may ask, a person checks the conditions for ending the contract, never automatic; the refund is set.
- Goods never repaired (food, fresh goods, cosmetics, underwear) are not promised 「维修」 after day 7.
- Policy validation cites 三包 第九条 / 第十条 / 第十一条 (it cited one article lower), and refuses a `sanbao.categories`
  without the national 三包 catalogue (electronics, mobile_phone); the engine applies that catalogue to an old version.
- The public warranty text states the floors the engine applies, not an old version's lower numbers.
- `now` before the sign-off moment on the same day is an impossible order of events (a located error at claim.now).
- Statutory damages at the minimum read 500.00 / 1000.00 (money to the fen).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from shouhou.policies.claims import facts_from_json
from shouhou.policies.document import PolicyError, default_source, load_default, parse
from shouhou.policies.engine import ClaimInputError, decide, needs_person, statutory_damages
from shouhou.policies.selectors import category_rules

POLICY = load_default()
NR = ["return_refund", "exchange"]
SZ = ["exchange", "return_refund"]
Q7 = ["return_refund", "exchange", "repair", "compensation"]
Q7NR = ["return_refund", "exchange", "compensation"]
QX = ["exchange", "repair", "compensation"]


def on(signed: str, day: int) -> str:
    return (dt.date.fromisoformat(signed[:10]) + dt.timedelta(days=day)).isoformat()


def row(cat: str, reason: str, signed: str = "2026-05-10", day: int = 2, price: str = "100.00", **claim) -> dict:
    base = {"category": cat, "reason": reason, "order_date": on(signed, -3), "ship_date": on(signed, -2),
            "price_paid": price, "delivery_date": signed, "now": on(signed, day)}
    return {k: v for k, v in {**base, **claim}.items() if v is not None}


def run(claim: dict, policy: dict | None = None):
    line, parsed, today = facts_from_json(claim)
    return decide(line, parsed, today, policy=policy or POLICY)


VECTORS = [
 # ---- time boundaries: 消法25, 办法10 (七日期间自签收次日起算)
    ("办法10", "t01 signed 00:00:01 day7 23:59", row("home","no_reason", delivery_date="2026-05-10T00:00:01+08:00", now="2026-05-17T23:59:00+08:00"), {"allowed": NR, "day": 7}),
    ("办法10", "t02 signed 23:59:59 day8 00:00:01", row("home","no_reason", delivery_date="2026-05-10T23:59:59+08:00", now="2026-05-18T00:00:01+08:00"), {"allowed": [], "day": 8, "clause": "no_reason.window"}),
    ("办法10", "t03 signed UTC 15:59 = BJ 23:59 same day", row("home","no_reason", delivery_date="2026-05-10T15:59:00Z", now="2026-05-17T15:59:59Z"), {"allowed": NR, "day": 7}),
    ("办法10", "t04 signed UTC 16:00 = BJ next day", row("home","no_reason", delivery_date="2026-05-10T16:00:00Z", now="2026-05-18T15:00:00Z"), {"allowed": NR, "day": 7}),
    ("办法10", "t05 signed in +09:00 Tokyo offset 00:30 = BJ 23:30 prev day", row("home","no_reason", delivery_date="2026-05-11T00:30:00+09:00", now="2026-05-18"), {"allowed": [], "day": 8}),
    ("办法10", "t06 now naive datetime read in Shanghai", row("home","no_reason", now="2026-05-17T23:59:59"), {"allowed": NR, "day": 7}),
    ("办法10", "t07 now naive 2026-05-18T00:00", row("home","no_reason", now="2026-05-18T00:00:00"), {"allowed": [], "day": 8}),
    ("办法10 民法典203(default natural)", "t08 day7 on 劳动节 holiday not extended (default)", row("home","no_reason", signed="2026-04-26", now="2026-05-04"), {"allowed": [], "day": 8}),
    ("办法10", "t09 day7 on 国庆 2026-10-07", row("home","no_reason", signed="2026-09-30", now="2026-10-07"), {"allowed": NR}),
    ("办法10", "t10 day8 in 国庆 not extended", row("home","no_reason", signed="2026-09-30", now="2026-10-08"), {"allowed": []}),
    ("办法10", "t11 signed on 12-31 day 7 in new year", row("home","no_reason", signed="2026-12-31", now="2027-01-07"), {"allowed": NR, "deadline":    ("no_reason_until", "2027-01-07")}),
    ("办法10", "t12 signed 02-28-2027 (common) day7=03-07", row("home","no_reason", signed="2027-02-28", now="2027-03-07"), {"allowed": NR}),
    ("消法24", "t13 quality day7 return", row("home","quality", day=7), {"allowed": Q7, "payer": "merchant"}),
    ("消法24", "t14 quality day8 exchange/repair, a return on request", row("home","quality", day=8), {"allowed": QX, "payer": "merchant", "on_request": ["return_refund"], "refund": "100.00", "person_for": "return_refund"}),
    ("消法24", "t15 quality day15", row("home","quality", day=15), {"allowed": QX, "clause": "quality.exchange", "on_request": ["return_refund"]}),
    ("消法24", "t16 quality day16 still exchange/repair", row("home","quality", day=16), {"allowed": QX, "clause": "quality.after_exchange_period", "on_request": ["return_refund"]}),
    ("三包9", "t17 electronics fault day7", row("electronics","performance_fault", day=7, price="999.00"), {"allowed": ["return_refund","exchange","repair"], "payer": "merchant", "refund": "999.00"}),
    ("三包10", "t18 electronics fault day8", row("electronics","performance_fault", day=8, price="999.00"), {"allowed": ["exchange","repair"], "on_request": ["return_refund"]}),
    ("三包10", "t19 electronics fault day15", row("electronics","performance_fault", day=15, price="999.00"), {"allowed": ["exchange","repair"]}),
    ("三包8", "t20 electronics fault day16 repair", row("electronics","performance_fault", day=16, price="999.00"), {"allowed": ["repair"], "on_request": []}),
    ("三包8 民法典201", "t21 warranty last day 2027-05-10", row("electronics","performance_fault", now="2027-05-10", price="999.00"), {"allowed": ["repair"]}),
    ("三包8", "t22 warranty day after", row("electronics","performance_fault", now="2027-05-11", price="999.00"), {"allowed": [], "clause": "sanbao.warranty_expired"}),
    ("移动电话三包 (shop 30)", "t23 phone day30", row("mobile_phone","performance_fault", day=30, price="2999.00"), {"allowed": ["exchange","repair"]}),
    ("移动电话三包", "t24 phone day31", row("mobile_phone","performance_fault", day=31, price="2999.00"), {"allowed": ["repair"]}),
    ("三包9 UTC", "t25 electronics fault sign 23:50 BJ, now UTC day7 15:59", row("electronics","performance_fault", delivery_date="2026-05-10T23:50:00+08:00", now="2026-05-17T15:59:00Z", price="999.00"), {"allowed": ["return_refund","exchange","repair"], "day": 7}),
    ("三包9 UTC", "t26 electronics fault now UTC day7 16:00 -> day8", row("electronics","performance_fault", delivery_date="2026-05-10T23:50:00+08:00", now="2026-05-17T16:00:00Z", price="999.00"), {"allowed": ["exchange","repair"], "day": 8}),
 # ---- exclusions by nature vs by shop choice: 消法25, 办法6, 7, 20, 条例19
    ("消法25(一)", "x01 custom made unopened", row("custom_made","no_reason"), {"allowed": [], "clause": "no_reason.exception.custom_made"}),
    ("消法25(一)", "x02 custom made size_fit", row("custom_made","size_fit"), {"allowed": []}),
    ("消法24", "x03 custom made quality day 3 -> full quality remedies", row("custom_made","quality", day=3), {"allowed": Q7, "payer": "merchant"}),
    ("消法25(二)", "x04 fresh no_reason", row("fresh","no_reason", day=1), {"allowed": []}),
    ("消法24", "x05 fresh quality day1: return/exchange, no repair", row("fresh","quality", day=1), {"allowed": Q7NR, "payer": "merchant"}),
    ("消法25(三)", "x06 digital sealed", row("digital_goods","no_reason"), {"allowed": NR}),
    ("消法25(三)", "x07 digital downloaded", row("digital_goods","no_reason", downloaded=True), {"allowed": []}),
    ("消法25(三)", "x08 software packaging_discarded (unsealed)", row("audio_video_software","no_reason", condition="packaging_discarded"), {"allowed": []}),
    ("消法25(四)", "x09 periodicals delivered", row("books_periodicals","no_reason"), {"allowed": []}),
    ("消法25", "x10 books (not periodicals) returnable", row("books","no_reason", condition="opened_unused"), {"allowed": NR}),
    ("办法7(一) 条例19", "x11 cosmetics opened no confirmation -> returnable", row("cosmetics","no_reason", condition="opened_unused"), {"allowed": NR}),
    ("办法7(一)", "x12 cosmetics opened confirmed -> excluded", row("cosmetics","no_reason", condition="opened_unused", confirmed_exclusion_at_purchase=True), {"allowed": []}),
    ("办法7(一)", "x13 cosmetics unopened confirmed -> returnable", row("cosmetics","no_reason", confirmed_exclusion_at_purchase=True), {"allowed": NR}),
    ("办法9(一)", "x14 cosmetics seal broken no confirmation -> not intact", row("cosmetics","no_reason", condition="seal_broken"), {"allowed": [], "clause": "categories.cosmetics.intact"}),
    ("办法7(一) 条例19", "x15 underwear opened no confirmation", row("underwear","no_reason", condition="opened_unused"), {"allowed": NR}),
    ("办法7(一)", "x16 underwear opened confirmed", row("underwear","size_fit", condition="opened_unused", confirmed_exclusion_at_purchase=True), {"allowed": []}),
    ("条例19 (no widening)", "x17 clothing confirmed exclusion is not an exclusion", row("clothing","no_reason", condition="opened_unused", confirmed_exclusion_at_purchase=True), {"allowed": NR}),
    ("条例19 北京互联网法院 luxury", "x18 jewelry confirmed exclusion still returnable", row("jewelry","no_reason", condition="opened_unused", confirmed_exclusion_at_purchase=True, price="5000.00"), {"allowed": NR}),
    ("办法7(二)", "x19 electronics activated+confirmed", row("electronics","no_reason", activated=True, confirmed_exclusion_at_purchase=True), {"allowed": [], "clause": "no_reason.confirmed_exclusion.activated"}),
    ("办法7(三)", "x20 flawed confirmed", row("clothing","no_reason", sold_as_flawed=True, confirmed_exclusion_at_purchase=True), {"allowed": []}),
    ("办法7(三) 办法20", "x21 flawed not confirmed", row("clothing","no_reason", sold_as_flawed=True), {"allowed": NR}),
    ("消法25", "x22 fresh quality day 9 exchange only", row("fresh","quality", day=9), {"allowed": ["exchange","compensation"]}),
    ("消法24", "x23 periodicals quality (misprint) day 2", row("books_periodicals","not_as_described"), {"has": "return_refund", "payer": "merchant"}),
 # ---- intact: 办法8, 9
    ("办法8", "i01 electronics opened to test", row("electronics","no_reason", condition="opened_unused", price="999.00"), {"allowed": NR}),
    ("办法8", "i02 clothing box thrown away", row("clothing","no_reason", condition="packaging_discarded"), {"allowed": NR}),
    ("办法9(三)", "i03 shoes tags cut", row("shoes_bags","no_reason", condition="tags_removed"), {"allowed": []}),
    ("办法9(三)", "i04 home textile washed", row("home","no_reason", washed=True), {"allowed": []}),
    ("办法8", "i05 used -> not intact", row("home","no_reason", condition="used"), {"allowed": []}),
    ("办法8", "i06 damaged -> not intact", row("toys","no_reason", condition="damaged"), {"allowed": []}),
    ("办法9(一)", "i07 food seal broken", row("food","no_reason", condition="seal_broken"), {"allowed": []}),
    ("办法8", "i08 food outer box opened, seal intact, no confirmation", row("food","no_reason", condition="opened_unused"), {"allowed": NR}),
    ("办法9(二)", "i09 phone activated no confirmation -> not intact", row("mobile_phone","no_reason", activated=True, condition="opened_unused"), {"allowed": []}),
    ("消法24", "i10 washed clothing per label faded -> quality", row("clothing","quality", washed=True, followed_care_label=True, day=5), {"has": "return_refund", "payer": "merchant"}),
 # ---- gifts (办法12), partial returns, discounts (办法17), free shipping (办法18)
    ("办法12", "g01 gift kept deducted", row("home","no_reason", price="200.00", gift_value="30.00"), {"allowed": NR, "refund": "170.00", "gift": "30.00"}),
    ("办法12", "g02 gift kept on exchange recommended (size) no deduction shown for exchange", row("clothing","size_fit", price="200.00", gift_value="30.00"), {"allowed": SZ}),
    ("消法24", "g03 gift kept on quality return: no deduction (merchant's fault)", row("home","quality", price="200.00", gift_value="30.00"), {"refund": "200.00", "gift": None}),
    ("办法17", "g04 partial return 1 of 3 with 满减 line total", row("home","no_reason", price="100.00", quantity=3, paid_total="270.00", return_quantity=1), {"refund": "90.00"}),
    ("办法17", "g05 partial return 2 of 3 odd fen", row("home","no_reason", price="33.34", quantity=3, paid_total="100.00", return_quantity=2), {"refund": "66.67"}),
    ("办法18", "g06 free shipping lost 8 on partial", row("home","no_reason", price="50.00", quantity=2, return_quantity=1, free_shipping_lost="8.00"), {"refund": "42.00", "ship_deduction": "8.00"}),
    ("办法18 消法24", "g07 free shipping never on quality", row("home","quality", price="50.00", free_shipping_lost="8.00"), {"refund": "50.00", "ship_deduction": None}),
    ("办法18", "g08 free shipping not on wrong item", row("home","wrong_item", price="50.00", free_shipping_lost="8.00", has_photo=True), {"refund": "50.00", "ship_deduction": None}),
    ("办法12 18", "g09 gift + shipping exceeds refund: never negative", row("home","no_reason", price="20.00", gift_value="15.00", free_shipping_lost="10.00"), {"refund": "0.00"}),
    ("消法24", "g10 partial quality return share", row("home","quality", price="100.00", quantity=4, paid_total="360.00", return_quantity=1), {"refund": "90.00", "payer": "merchant"}),
    ("消法24", "g11 wrong item 1 of 2", row("clothing","wrong_item", price="100.00", quantity=2, return_quantity=1, has_photo=True), {"refund": "100.00", "payer": "merchant"}),
 # ---- who pays return shipping: 消法25.3, 办法18 vs 消法24
    ("办法18", "s01 no_reason regular buyer pays", row("home","no_reason"), {"payer": "buyer", "clause": "shipping.no_reason"}),
    ("办法18 (agreement)", "s02 with 运费险", row("home","no_reason", return_insurance=True), {"payer": "insurance"}),
    ("消法24", "s03 quality with 运费险 merchant pays", row("home","quality", return_insurance=True), {"payer": "merchant"}),
    ("消法24", "s04 not_as_described merchant", row("clothing","not_as_described", day=5), {"payer": "merchant"}),
    ("消法24", "s05 wrong item merchant", row("home","wrong_item", has_photo=True), {"payer": "merchant"}),
    ("三包", "s06 performance fault repair merchant pays postage", row("electronics","performance_fault", day=100, price="999.00"), {"payer": "merchant"}),
    ("消法24", "s07 transit damage late: quality, merchant", row("home","damaged_in_transit", day=5, has_photo=True), {"payer": "merchant", "clause": "quality.transit_damage_report", "auto": False}),
    ("消法24", "s08 quality after day 15 merchant pays", row("home","quality", day=40), {"payer": "merchant"}),
 # ---- refund deadline: 消法25.3 / 办法 7 days
    ("消法25.3", "r01 no_reason refund within 7", row("home","no_reason"), {"refund_days": 7}),
    ("消法24", "r02 quality return refund within 7", row("home","quality"), {"refund_days": 7}),
    ("三包13", "r03 三包 exchange period on request refund 7", row("electronics","performance_fault", day=10, price="999.00"), {"refund_days": 7}),
    ("—", "r04 repair only: no refund deadline", row("electronics","performance_fault", day=100, price="999.00"), {"refund_days": None}),
 # ---- person decides / auto
    ("消法24", "p01 quality never auto", row("home","quality", price="10.00"), {"auto": False}),
    ("消法25", "p02 no_reason cheap auto", row("home","no_reason", price="10.00"), {"auto": True}),
    ("auto max_price", "p03 no_reason 301 not auto", row("home","no_reason", price="301.00"), {"auto": False}),
    ("三包13", "p04 三包 return on request needs person", row("electronics","performance_fault", day=10, price="99.00"), {"on_request": ["return_refund"]}),
    ("消法25 民法典787", "p05 custom made shipped not delivered no_reason: person", row("custom_made","no_reason", delivery_date=None) , {"allowed": ["refund_only"], "person": True, "auto": False}),
 # ---- failed repairs
    ("三包11", "f01 two failed repairs day 100", row("electronics","performance_fault", day=100, failed_repairs=2, price="999.00"), {"allowed": ["exchange","return_refund"]}),
    ("三包11", "f02 one failed repair day 100", row("electronics","performance_fault", day=100, failed_repairs=1, price="999.00"), {"allowed": ["repair"]}),
    ("三包11", "f03 two failed repairs after warranty", row("electronics","performance_fault", now="2027-06-01", failed_repairs=2, price="999.00"), {"allowed": []}),
    ("消法24", "f04 quality home failed twice day 60", row("home","quality", day=60, failed_repairs=2), {"has": "return_refund", "payer": "merchant"}),
    ("三包11", "f05 phone day 20 two failed repairs", row("mobile_phone","performance_fault", day=20, failed_repairs=2, price="2999.00"), {"allowed": ["exchange","return_refund"]}),
 # ---- not delivered / 电商法49 / 民法典604
    ("电商法49", "n01 not shipped refund only", row("home","no_reason", delivery_date=None, ship_date=None), {"allowed": ["refund_only"], "refund": "100.00"}),
    ("电商法20", "n02 shipped not delivered quality claim refund only", row("home","quality", delivery_date=None), {"allowed": ["refund_only"]}),
    ("电商法20 民法典604", "n03 lost parcel not signed", row("home","lost_parcel", delivery_date=None), {"has": "refund_only"}),
]

VECTORS_2 = [
    ("三包9", "b01 2 phones 1 faulty day 3 refund share", row("mobile_phone","performance_fault", day=3, price="2000.00", quantity=2, return_quantity=1), {"has": "return_refund", "refund": "2000.00"}),
    ("三包13", "b02 2 units exchange period on request share", row("electronics","performance_fault", day=12, price="500.00", quantity=2, paid_total="900.00", return_quantity=1), {"on_request": ["return_refund"], "refund": "450.00"}),
    ("消法24", "b03 underwear quality day3 no repair", row("underwear","quality", day=3), {"allowed": Q7NR}),
    ("shop rule vs 消法25", "b04 size_fit exchange limit keeps return", row("clothing","size_fit", exchanges_so_far=2), {"has": "return_refund", "lacks": "exchange"}),
    ("消法24 民法典582", "b05 wrong item exchange never capped", row("clothing","wrong_item", exchanges_so_far=5, has_photo=True), {"has": "exchange"}),
    ("消法25(三)", "b06 digital activated (not downloaded)", row("digital_goods","no_reason", activated=True), {"allowed": []}),
    ("办法12", "b07 gift missing no value", row("electronics","no_reason", condition="missing_gifts", price="200.00"), {"allowed": NR, "clause": "no_reason.gifts", "refund": "200.00"}),
    ("办法7(一) 12", "b08 cosmetics sealed gift kept confirmed", row("cosmetics","no_reason", condition="missing_gifts", confirmed_exclusion_at_purchase=True, gift_value="10.00"), {"allowed": NR, "refund": "90.00"}),
    ("消法24 UTC", "b09 quality day7 UTC 15:59", row("home","quality", delivery_date="2026-05-10T15:30:00Z", now="2026-05-17T15:59:00Z"), {"has": "return_refund", "day": 7}),
    ("消法24 UTC", "b10 quality day8 UTC 16:00", row("home","quality", delivery_date="2026-05-10T15:30:00Z", now="2026-05-17T16:00:00Z"), {"lacks": "return_refund", "day": 8}),
    ("消法24 23", "b11 sold as flawed quality (disclosed flaw)", row("clothing","quality", sold_as_flawed=True, confirmed_exclusion_at_purchase=True), {"has": "return_refund"}),
    ("三包 main part", "b12 electronics main part day 400", row("electronics","performance_fault", now="2027-06-20", main_part=True, price="999.00"), {"allowed": ["repair"], "clause": "sanbao.main_part_repair"}),
    ("移动电话三包", "b13 phone main part day 400 expired", row("mobile_phone","performance_fault", now="2027-06-20", main_part=True, price="999.00"), {"allowed": []}),
    ("消法24 约定", "b14 phone 2y promised day 500", row("mobile_phone","performance_fault", now="2027-09-30", warranty_days=730, price="999.00"), {"allowed": ["repair"]}),
    ("三包 换货重新计算", "b15 replaced warranty restart", row("electronics","performance_fault", now="2027-06-01", replaced_date="2026-08-01", price="999.00"), {"allowed": ["repair"], "clause": "sanbao.warranty_restarted"}),
    ("三包8 扣除维修", "b16 repair days extend", row("electronics","performance_fault", now="2027-05-20", repair_days=15, price="999.00"), {"allowed": ["repair"], "clause": "sanbao.repair_time"}),
    ("条例18", "b17 installed 3 days later return day 9", row("electronics","performance_fault", day=9, installed_date="2026-05-13", price="3999.00"), {"has": "return_refund", "clause": "sanbao.from_installation"}),
    ("practice", "b18 lost parcel signed person", row("home","lost_parcel"), {"person": True, "auto": False}),
    ("practice", "b19 missing parts all units person", row("home","missing_parts", quantity=3, has_photo=True), {"person": True, "auto": False}),
    ("消法19", "b20 recall 3 years later", row("electronics","recall", now="2029-06-01", price="999.00"), {"has": "return_refund", "payer": "merchant"}),
    ("条例22 电商法", "b21 late shipment not shipped", row("home","late_shipment", delivery_date=None, ship_date=None), {"has": "refund_only"}),
    ("消法24", "b22 transit damage day3 photo auto", row("home","damaged_in_transit", day=3, has_photo=True), {"auto": True, "payer": "none"}),
    ("消法24", "b23 transit damage day3 no photo", row("home","damaged_in_transit", day=3), {"auto": False}),
    ("办法18", "b24 vip + insurance: insurance first", row("home","no_reason", tier="vip", return_insurance=True), {"payer": "insurance"}),
    ("办法18", "b25 vip free return", row("home","no_reason", tier="vip"), {"payer": "merchant", "clause": "shipping.vip"}),
    ("办法17", "b26 3 units 100.00 return 1 -> 33.33", row("home","no_reason", price="33.33", quantity=3, paid_total="100.00", return_quantity=1), {"refund": "33.33"}),
    ("办法17", "b27 3 units 100.00 return all -> 100.00", row("home","no_reason", price="33.33", quantity=3, paid_total="100.00", return_quantity=3), {"refund": "100.00"}),
    ("电商法49", "b28 not delivered partial 1 of 2", row("home","no_reason", delivery_date=None, quantity=2, return_quantity=1), {"allowed": ["refund_only"], "refund": "100.00"}),
    ("办法12", "b29 gift on size exchange: exchange refunds nothing", row("clothing","size_fit", gift_value="30.00", price="200.00"), {"recommended": "exchange"}),
    ("消法25", "b30 toys seal broken intact", row("toys","no_reason", condition="seal_broken"), {"allowed": NR}),
    ("办法9(一)", "b31 food seal broken + confirmed -> excluded (confirmation)", row("food","no_reason", condition="seal_broken", confirmed_exclusion_at_purchase=True), {"allowed": []}),
    ("消法24", "b32 food quality day 5 seal broken still quality", row("food","quality", day=5, condition="seal_broken"), {"allowed": Q7NR}),
    ("价保 (shop)", "b33 price drop day 7 from order", row("home","price_drop", now=on("2026-05-07", 7), current_price="80.00"), {"allowed": ["price_protect"], "refund": "20.00"}),
    ("价保 (shop)", "b34 price drop day 8 from order", row("home","price_drop", now=on("2026-05-07", 8), current_price="80.00"), {"allowed": []}),
    ("三包11", "b35 2 failed repairs in exchange period electronics", row("electronics","performance_fault", day=12, failed_repairs=2, price="999.00"), {"allowed": ["exchange","return_refund"]}),
    ("消法24", "b36 quality after 2 repairs day 3 -> return path", row("home","quality", day=3, failed_repairs=2), {"allowed": Q7}),
    ("办法10", "b37 signed 2026-05-10 23:59:59.999 +08", row("home","no_reason", delivery_date="2026-05-10T23:59:59.999+08:00", now="2026-05-17T23:59:59.999+08:00"), {"allowed": NR, "day": 7}),
    ("办法10", "b38 now is before sign-off time same day", row("home","no_reason", delivery_date="2026-05-10T20:00:00+08:00", now="2026-05-10T08:00:00+08:00"), {"error": "claim.now: 当前日期 2026-05-10 08:00:00 早于签收日期 2026-05-10 20:00:00"}),
]

ALL = VECTORS + VECTORS_2


def _check(d, expected: dict) -> None:
    for key, want in expected.items():
        if key == "allowed":
            assert d.allowed == want
        elif key == "has":
            assert want in d.allowed
        elif key == "lacks":
            assert want not in d.allowed
        elif key == "refund":
            assert d.refund_amount == Decimal(want)
        elif key == "payer":
            assert d.shipping_payer == want
        elif key == "clause":
            assert want in d.clauses
        elif key == "no_clause":
            assert want not in d.clauses
        elif key == "deadline":
            assert d.deadlines.get(want[0]) == want[1]
        elif key == "day":
            assert d.day == want
        elif key == "gift":
            assert d.gift_deduction == (None if want is None else Decimal(want))
        elif key == "ship_deduction":
            assert d.shipping_deduction == (None if want is None else Decimal(want))
        elif key == "refund_days":
            assert d.refund_within_days == want
        elif key == "auto":
            assert d.auto_approved is want
        elif key == "on_request":
            assert d.on_request == want
        elif key == "person":
            assert needs_person(d, d.recommended) is want
        elif key == "person_for":
            assert needs_person(d, want)
        elif key == "recommended":
            assert d.recommended == want
        else:
            raise AssertionError(f"unknown expectation {key}")


@pytest.mark.parametrize(("claim", "expected"), [v[2:] for v in ALL], ids=[f"{v[1]} [{v[0]}]" for v in ALL])
def test_law_vector(claim, expected):
    # given the facts as a claim JSON, when the default policy decides, then the law's answer comes out — or, for
    # impossible facts, a located error and no decision
    if "error" in expected:
        with pytest.raises(ClaimInputError) as exc:
            run(claim)
        assert expected["error"] in str(exc.value)
        return
    _check(run(claim), expected)


def test_every_vector_id_is_unique():
    ids = [v[1] for v in ALL]
    assert len(ids) == len(set(ids))


@pytest.mark.django_db
def test_the_api_decides_as_the_engine(agent):
    # given the first table's claims, when posted to the decide API, then each answer is the engine's, field by field
    client = Client()
    client.force_login(agent)
    for _, vid, claim, _ in VECTORS:
        r = client.post("/api/policies/decide", {"claim": claim}, content_type="application/json")
        assert r.status_code == 200, (vid, r.content[:300])
        got, want = r.json(), run(claim).to_json()
        for key in ("allowed", "recommended", "shipping_payer", "deadlines", "auto_approved", "clauses", "day",
                    "refund_within_days", "on_request"):
            assert got[key] == want[key], (vid, key)
        assert Decimal(str(got["refund_amount"])) == Decimal(want["refund_amount"]), vid


# --- 1. 消法24: after day 7, a quality return on request ------------------------------------------------------------

@pytest.mark.parametrize("day", [8, 10, 15, 16, 20, 60, 400])
def test_a_quality_return_may_be_asked_for_after_day_7(day):
    # given a defective home item (199.00) past its seven days, when decided, then exchange and repair are granted and
    # a return may be asked for: a person checks the conditions for ending the contract — never automatic, full refund
    d = run(row("home", "quality", day=day, price="199.00"))
    assert d.allowed == QX and d.recommended == "exchange"
    assert d.on_request == ["return_refund"] and "quality.return_on_request" in d.clauses
    assert needs_person(d, "return_refund") and not d.auto_approved
    assert d.refund_amount == Decimal("199.00") and d.refund_within_days == 7 and d.shipping_payer == "merchant"
    assert "符合法定解除合同条件的" in d.explanation_zh and "由客服核实" in d.explanation_zh
    assert "折旧费" not in d.explanation_zh  # 三包13's depreciation is no part of a 消法24 return
    assert "conditions for ending the contract" in d.explanation_en


def test_no_return_on_request_within_seven_days_after_two_repairs_or_on_misuse():
    within = run(row("home", "quality", day=7))
    repaired = run(row("home", "quality", day=60, failed_repairs=2))
    assert "return_refund" in within.allowed and within.on_request == []
    assert "return_refund" in repaired.allowed and repaired.on_request == []  # granted outright
    misuse = run(row("clothing", "quality", day=20, washed=True, followed_care_label=False))
    assert misuse.allowed == [] and misuse.on_request == []


# --- 5. goods never repaired are not promised 「维修」 ------------------------------------------------------------------

@pytest.mark.parametrize(("cat", "day"), [("food", 9), ("cosmetics", 12), ("fresh", 30), ("underwear", 20)])
def test_no_repair_promised_for_goods_never_repaired(cat, day):
    d = run(row(cat, "quality", day=day))
    assert "repair" not in d.allowed and d.on_request == ["return_refund"]
    assert "维修" not in d.explanation_zh and "repair" not in d.explanation_en.lower()


# --- 3, 4. policy validation: the 三包 articles, the 三包 catalogue -----------------------------------------------------

def _errors(old: str, new: str) -> str:
    assert old in default_source()
    with pytest.raises(PolicyError) as exc:
        parse(default_source().replace(old, new, 1))
    return "\n".join(exc.value.errors)


@pytest.mark.parametrize(("old", "new", "article", "says"), [
    ("sanbao = { exchange_days = 30,", "sanbao = { exchange_days = 10,", "第十条", "15日内"),
    ("exchange_days = 15\nwarranty_days", "exchange_days = 10\nwarranty_days", "第十条", "15日内"),
    ("failed_repairs_for_exchange = 2", "failed_repairs_for_exchange = 3", "第十一条", "修理两次"),
    ("return_days = 7\nexchange_days = 15\nwarranty_days", "return_days = 3\nexchange_days = 15\nwarranty_days",
     "第九条", "7日内"),
])
def test_sanbao_floors_cite_their_articles(old, new, article, says):
    message = _errors(old, new)
    assert f"《部分商品修理更换退货责任规定》{article}：" in message and says in message, message


def test_the_quality_exchange_floor_cites_sanbao_article_10():
    message = _errors("exchange_days = 15\ntransit", "exchange_days = 10\ntransit")
    assert "《部分商品修理更换退货责任规定》第十条" in message and "第九条" not in message, message


@pytest.mark.parametrize("categories", ["[]", '["electronics"]', '["mobile_phone", "home"]'])
def test_the_sanbao_catalogue_cannot_be_left_out(categories):
    message = _errors('categories = ["electronics", "mobile_phone"]', f"categories = {categories}")
    assert message.startswith("sanbao.categories: 缺少") and "三包" in message, message


def test_a_shop_may_add_to_the_sanbao_catalogue():
    parse(default_source().replace('categories = ["electronics", "mobile_phone"]',
                                   'categories = ["electronics", "mobile_phone", "toys"]'))


def test_an_old_version_without_the_catalogue_still_decides_under_sanbao():
    # published before the floor (read with law=False): 三包13 and the warranty text hold all the same
    doc = parse(default_source().replace('categories = ["electronics", "mobile_phone"]', "categories = []"), law=False)
    d = run(row("mobile_phone", "performance_fault", day=10, price="2999.00"), doc)
    assert d.allowed == ["exchange", "repair"] and d.on_request == ["return_refund"]
    assert "sanbao.return_instead_of_exchange" in d.clauses
    assert "warranty" in category_rules(doc, "mobile_phone")


# --- 6. the public warranty text states what the engine applies --------------------------------------------------------

def test_public_warranty_text_states_the_floors_for_an_old_version():
    src = (default_source().replace("exchange_days = 15\nwarranty_days", "exchange_days = 10\nwarranty_days", 1)
           .replace("warranty_days = 365              # 整机", "warranty_days = 180              # 整机")
           .replace("failed_repairs_for_exchange = 2", "failed_repairs_for_exchange = 3"))
    doc = parse(src, law=False)
    text = category_rules(doc, "electronics")["warranty"]
    assert "7天内可退货" in text and "15天内可换货" in text and "365天保修期" in text and "维修2次" in text, text
    # and the engine decides at the same floors
    assert run(row("electronics", "performance_fault", day=15, price="999.00"), doc).allowed == ["exchange", "repair"]
    assert run(row("electronics", "performance_fault", day=100, failed_repairs=2, price="999.00"), doc).allowed == [
        "exchange", "return_refund"]


def test_a_more_generous_warranty_is_stated_as_published():
    src = default_source().replace("warranty_days = 365              # 整机", "warranty_days = 730              # 整机")
    assert "730天保修期" in category_rules(parse(src), "electronics")["warranty"]


# --- 7. `now` before the sign-off moment ---------------------------------------------------------------------------

def test_now_before_the_sign_off_moment_on_the_same_day_is_refused():
    # given a sign-off at 20:00 and `now` at 08:00 (00:00 UTC) the same Beijing day, then no day-0 decision: a located
    # error, as for `now` a day before the sign-off
    with pytest.raises(ClaimInputError) as exc:
        run(row("home", "no_reason", delivery_date="2026-05-10T20:00:00+08:00", now="2026-05-10T00:00:00Z"))
    assert exc.value.located == [("claim.now", "当前日期 2026-05-10 08:00:00 早于签收日期 2026-05-10 20:00:00（北京时间，"
                                               "claim.delivery_date），时间顺序不可能")]


@pytest.mark.parametrize(("signed", "now", "day"), [
    ("2026-05-10T20:00:00+08:00", "2026-05-10T20:00:00+08:00", 0),   # the same moment
    ("2026-05-10T20:00:00+08:00", "2026-05-10T20:30:00", 0),         # naive: read in Beijing
    ("2026-05-10T20:00:00+08:00", "2026-05-10", 0),                  # a date alone: the whole day
    ("2026-05-10", "2026-05-10T08:00:00+08:00", 0),
    ("2026-05-10T12:30:00Z", "2026-05-11T01:00:00+08:00", 0),        # 20:30 and 01:00 Beijing: different days
])
def test_a_same_day_claim_after_the_sign_off_is_decided(signed, now, day):
    assert run(row("home", "no_reason", delivery_date=signed, now=now)).day >= day


def test_a_ship_time_after_the_sign_off_time_is_refused_too():
    with pytest.raises(ClaimInputError) as exc:
        run(row("home", "no_reason", ship_date="2026-05-10T21:00:00+08:00", delivery_date="2026-05-10T20:00:00+08:00",
                now="2026-05-12"))
    assert [field for field, _ in exc.value.located] == ["claim.delivery_date"]


# --- 8. statutory damages to the fen ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("basis", "price", "loss", "amount"), [
    ("food_safety", "50", "0", "1000.00"), ("food_safety", "0", "0", "1000.00"), ("fraud", "100", "0", "500.00"),
    ("fraud", "166.66", "0", "500.00"), ("food_safety", "200", "0", "2000.00"), ("fraud", "300", "5000", "900.00"),
])
def test_statutory_damages_are_money_to_the_fen(basis, price, loss, amount):
    d = statutory_damages(basis=basis, price_paid=Decimal(price), loss=Decimal(loss))
    assert d.to_json()["amount"] == amount and f"即 {amount} 元" in d.explanation_zh
