"""Bad input never reaches a decision: the claim JSON (CLI and API), the pure decide() and a case's claim
data each answer a located error — the field and what is wrong — never a traceback, never a default."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from decimal import Decimal

import pytest

from shouhou.policies.claims import ClaimInputError, claim_from_data, facts_from_json
from shouhou.policies.document import DEFAULT_PATH
from shouhou.policies.engine import Claim, LineFacts, decide

GOOD = {"category": "clothing", "reason": "no_reason", "order_date": "2026-03-01", "ship_date": "2026-03-02",
        "delivery_date": "2026-03-03", "now": "2026-03-05", "price_paid": "99"}


def _errors(raw) -> list[str]:
    with pytest.raises(ClaimInputError) as exc:
        facts_from_json(raw)
    return exc.value.errors


def test_a_good_claim_decides():
    line, claim, now = facts_from_json(GOOD)
    assert (line.ordered_on, line.shipped_on, line.delivered_on, now) == (
        dt.date(2026, 3, 1), dt.date(2026, 3, 2), dt.date(2026, 3, 3), dt.date(2026, 3, 5))
    assert decide(line, claim, now).recommended == "return_refund"


@pytest.mark.parametrize(("patch", "error"), [
    # impossible chronologies, each located at the later event
    ({"delivery_date": "2026-02-20"}, "claim.delivery_date: 签收日期 2026-02-20 早于下单日期 2026-03-01（claim.order_date）"),
    ({"now": "2026-02-27"}, "claim.now: 当前日期 2026-02-27 早于下单日期 2026-03-01（claim.order_date）"),
    ({"now": "2026-03-02"}, "claim.now: 当前日期 2026-03-02 早于签收日期 2026-03-03（claim.delivery_date）"),
    ({"ship_date": "2026-03-04"}, "claim.delivery_date: 签收日期 2026-03-03 早于发货日期 2026-03-04（claim.ship_date）"),
    ({"ship_date": "2026-02-01"}, "claim.ship_date: 发货日期 2026-02-01 早于下单日期 2026-03-01（claim.order_date）"),
    # missing dates
    ({"order_date": None}, "claim.order_date: 缺少日期（YYYY-MM-DD）"),
    ({"now": None}, "claim.now: 缺少日期（YYYY-MM-DD）"),
    ({"order_date": "2026-3-1"}, "claim.order_date: 日期格式应为 YYYY-MM-DD，收到 '2026-3-1'"),
    ({"now": "2026-03-05garbage"}, "claim.now: 日期格式应为 YYYY-MM-DD"),
    ({"now": 20260305}, "claim.now: 日期格式应为 YYYY-MM-DD，收到 20260305"),
    # dates no order has (and whose deadlines could not be written past 9999)
    ({"order_date": "9999-12-29", "delivery_date": "9999-12-30", "now": "9999-12-31"},
     "claim.order_date: 日期超出范围（2000-01-01 至 2099-12-31），收到 9999-12-29"),
    ({"order_date": "1999-12-31"}, "claim.order_date: 日期超出范围"),
    # a line total above unit × quantity
    ({"price_paid": 1, "paid_total": 99999999}, "claim.paid_total: 整行实付 99999999.00 元超过单价 1.00 × 数量 1"),
    # booleans as strings or numbers
    ({"washed": "false"}, "claim.washed: 必须是 true 或 false（JSON 布尔值），收到 'false'"),
    ({"return_insurance": "true"}, "claim.return_insurance: 必须是 true 或 false"),
    ({"has_photo": 1}, "claim.has_photo: 必须是 true 或 false"),
    ({"confirmed_exclusion_at_purchase": "yes"}, "claim.confirmed_exclusion_at_purchase: 必须是 true 或 false"),
    # unknown and misspelt keys
    ({"delivery_dte": "2026-03-03"}, "claim.delivery_dte: 未知字段（是否想写 delivery_date？）"),
    ({"colour": "red"}, "claim.colour: 未知字段，可用字段:"),
    # amounts: NaN, Infinity, negative, huge, sub-fen, wrong types
    ({"price_paid": float("nan")}, "claim.price_paid: 必须是有限的金额数字"),
    ({"price_paid": float("inf")}, "claim.price_paid: 必须是有限的金额数字"),
    ({"price_paid": "Infinity"}, "claim.price_paid: 必须是有限的金额数字"),
    ({"price_paid": "NaN"}, "claim.price_paid: 必须是有限的金额数字"),
    ({"price_paid": -5}, "claim.price_paid: 不能为负数"),
    ({"price_paid": 10 ** 30}, "claim.price_paid: 金额过大（上限 100000000 元）"),
    ({"price_paid": "1e400"}, "claim.price_paid: 金额过大"),
    ({"price_paid": "9.999"}, "claim.price_paid: 金额最多两位小数（精确到分）"),
    ({"price_paid": True}, "claim.price_paid: 必须是金额数字，收到 True"),
    ({"price_paid": [99]}, "claim.price_paid: 必须是金额数字"),
    ({"price_paid": None}, "claim.price_paid: 缺少金额"),
    ({"current_price": float("-inf")}, "claim.current_price: 必须是有限的金额数字"),
    ({"gift_value": -1}, "claim.gift_value: 不能为负数"),
    # integers and choices
    ({"quantity": 0}, "claim.quantity: 必须是不小于 1 的整数"),
    ({"quantity": "2"}, "claim.quantity: 必须是整数，收到 '2'"),
    ({"quantity": 2.5}, "claim.quantity: 必须是整数"),
    ({"quantity": 10 ** 12}, "claim.quantity: 不能大于 100000"),
    ({"exchanges_so_far": -1}, "claim.exchanges_so_far: 必须是不小于 0 的整数"),
    ({"failed_repairs": True}, "claim.failed_repairs: 必须是整数"),
    ({"category": "boats"}, "claim.category: 未知取值 'boats'，可选: clothing"),
    ({"condition": "like new"}, "claim.condition: 未知取值 'like new'"),
    ({"tier": 3}, "claim.tier: 未知取值 3"),
    # a partial return: at least one unit, never more than the line has
    ({"quantity": 2, "return_quantity": 3}, "claim.return_quantity: 应为 1–2 的整数，收到 3（本行共 2 件）"),
    ({"return_quantity": 0}, "claim.return_quantity: 必须是不小于 1 的整数"),
    ({"main_part": "true"}, "claim.main_part: 必须是 true 或 false"),
])
def test_bad_claim_json_is_a_located_error(patch, error):
    raw = {k: v for k, v in {**GOOD, **patch}.items()}
    errors = _errors(json.loads(json.dumps(raw, allow_nan=True)) if not _has_big(raw) else raw)
    assert any(e.startswith(error) for e in errors), errors


def _has_big(raw: dict) -> bool:
    return any(isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2 ** 53 for v in raw.values())


def test_missing_keys_are_each_reported():
    errors = _errors({"category": "clothing", "reason": "no_reason"})
    assert errors == ["claim.order_date: 缺少日期（YYYY-MM-DD）", "claim.now: 缺少日期（YYYY-MM-DD）",
                      "claim.price_paid: 缺少金额"]


def test_a_misspelt_delivery_date_never_reads_as_not_delivered():
    # the defect: {"delivery_dat": ...} was ignored, the line counted as not delivered → auto-approved refund
    errors = _errors({**{k: v for k, v in GOOD.items() if k != "delivery_date"}, "delivery_dat": "2026-03-03"})
    assert errors == ["claim.delivery_dat: 未知字段（是否想写 delivery_date？）"]


def test_aliases_still_read():
    line, claim, _ = facts_from_json({**{k: v for k, v in GOOD.items() if k not in ("delivery_date", "ship_date")},
                                      "signed_date": "2026-03-03", "membership_tier": "vip", "insurance": True,
                                      "item_condition": "opened_unused", "shipped_date": "2026-03-02"})
    assert (line.delivered_on, line.tier, line.return_insurance, claim.condition, line.shipped_on) == (
        dt.date(2026, 3, 3), "vip", True, "opened_unused", dt.date(2026, 3, 2))


def test_one_field_written_twice_is_refused():
    errors = _errors({**GOOD, "signed_date": "2026-03-03"})
    assert errors == ["claim.signed_date: 与 delivery_date 是同一字段的两种写法，只能写一个"]


def test_a_datetime_now_is_read_in_shanghai():
    _, _, now = facts_from_json({**GOOD, "now": "2026-03-04T17:00:00+00:00"})  # 01:00 on the 5th in Shanghai
    assert now == dt.date(2026, 3, 5)


def test_not_an_object():
    assert _errors([GOOD]) == ["claim: 必须是 JSON 对象"]


# --- the pure decide() refuses impossible facts too ------------------------------------------------------

LINE = dict(category="clothing", price_paid=Decimal("99"), ordered_on=dt.date(2026, 3, 1),
            delivered_on=dt.date(2026, 3, 3))


@pytest.mark.parametrize(("line", "claim", "now", "error"), [
    ({"ordered_on": None}, {}, dt.date(2026, 3, 5), "line.ordered_on: 缺少下单日期"),
    ({"delivered_on": dt.date(2026, 2, 1)}, {}, dt.date(2026, 3, 5), "line.delivered_on: 签收日期 2026-02-01 早于下单日期"),
    ({"shipped_on": dt.date(2026, 3, 4)}, {}, dt.date(2026, 3, 5), "line.delivered_on: 签收日期 2026-03-03 早于发货日期"),
    ({}, {}, dt.date(2026, 2, 28), "now: 当前日期 2026-02-28 早于下单日期"),
    ({"price_paid": Decimal("NaN")}, {}, dt.date(2026, 3, 5), "line.price_paid: 应为有限的金额"),
    ({"price_paid": Decimal("-1")}, {}, dt.date(2026, 3, 5), "line.price_paid: 不能为负数"),
    ({"price_paid": 99.5}, {}, dt.date(2026, 3, 5), "line.price_paid: 应为金额（Decimal）"),
    ({"quantity": 0}, {}, dt.date(2026, 3, 5), "line.quantity: 应为 1–100000 的整数"),
    ({"category": "boats"}, {}, dt.date(2026, 3, 5), "line.category: 未知取值 'boats'"),
    ({}, {"washed": "false"}, dt.date(2026, 3, 5), "claim.washed: 应为 true 或 false（布尔值），收到 'false'"),
    ({}, {"gift_value": Decimal("Infinity")}, dt.date(2026, 3, 5), "claim.gift_value: 应为有限的金额"),
    ({}, {"reason": "whim"}, dt.date(2026, 3, 5), "claim.reason: 未知取值 'whim'"),
    ({}, {"condition": "mint"}, dt.date(2026, 3, 5), "claim.condition: 未知取值 'mint'"),
])
def test_decide_refuses_impossible_facts(line, claim, now, error):
    with pytest.raises(ClaimInputError) as exc:
        decide(LineFacts(**{**LINE, **line}), Claim(**{"reason": "no_reason", **claim}), now)
    assert any(e.startswith(error) for e in exc.value.errors), exc.value.errors


def test_an_aware_now_is_the_shanghai_day():
    # 2026-03-10 17:00 UTC is already the 11th in Shanghai: day 8 after a sign-off on the 3rd
    now = dt.datetime(2026, 3, 10, 17, 0, tzinfo=dt.UTC)
    assert decide(LineFacts(**LINE), Claim(reason="no_reason"), now).day == 8


# --- a case's claim data is read as strictly ---------------------------------------------------------------

@pytest.mark.parametrize(("data", "error"), [
    ({"washed": "false"}, "claim.washed: 必须是 true 或 false"),
    ({"exchanges_so_far": "x"}, "claim.exchanges_so_far: 必须是整数"),
    ({"current_price": "NaN"}, "claim.current_price: 必须是有限的金额数字"),
    ({"conditon": "used"}, "claim.conditon: 未知字段（是否想写 condition？）"),
])
def test_case_claim_data_is_strict(data, error):
    with pytest.raises(ClaimInputError) as exc:
        claim_from_data(data, reason="quality", has_photo=False)
    assert exc.value.errors[0].startswith(error), exc.value.errors


def test_case_claim_data_blank_current_price_is_absent():
    claim = claim_from_data({"current_price": "", "washed": True}, reason="price_drop", has_photo=True)
    assert (claim.current_price, claim.washed, claim.has_photo) == (None, True, True)


# --- the CLI prints located errors, exit 1, no traceback ----------------------------------------------------

def _cli(tmp_path, raw_text: str):
    claim = tmp_path / "claim.json"
    claim.write_bytes(raw_text.encode("utf-8") if isinstance(raw_text, str) else raw_text)
    env = {**os.environ, "SHOUHOU_DATA_DIR": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "shouhou", "policy", "decide", "--policy", str(DEFAULT_PATH),
                           "--claim", str(claim)], capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.parametrize(("text", "error"), [
    (json.dumps({**GOOD, "price_paid": float("nan")}), "claim.price_paid: 必须是有限的金额数字"),
    ('{"category": "clothing", "reason": "no_reason", "order_date": "2026-03-01", "now": "2026-03-05", '
     '"price_paid": Infinity}', "claim.price_paid: 必须是有限的金额数字"),
    (json.dumps({**GOOD, "signed_date": "2026-02-01", "delivery_date": None}), "claim.signed_date"),
    (json.dumps({**GOOD, "washed": "false"}), "claim.washed: 必须是 true 或 false"),
    (json.dumps({k: v for k, v in GOOD.items() if k != "order_date"}), "claim.order_date: 缺少日期"),
    ("[1, 2]", "claim: 必须是 JSON 对象"),
    ("{not json", "不是有效的 JSON 文件"),
    ("[" * 200_000 + "]" * 200_000, "不是有效的 JSON 文件"),
])
def test_cli_decide_bad_claims(tmp_path, text, error):
    res = _cli(tmp_path, text)
    assert res.returncode == 1
    assert error in res.stderr
    assert "Traceback" not in res.stderr


def test_cli_decide_not_utf8(tmp_path):
    res = _cli(tmp_path, "{\"category\": \"衣服\"}".encode("gbk"))
    assert res.returncode == 1 and "不是有效的 JSON 文件" in res.stderr and "Traceback" not in res.stderr


def test_a_partial_return_and_a_main_part_fault_read_from_the_claim_json_and_case_data():
    # given three units bought for 100 yuan, one sent back
    line, claim, now = facts_from_json({**GOOD, "category": "home", "price_paid": "33.33", "quantity": 3,
                                        "paid_total": "100", "return_quantity": 1})
    # then the refund is that unit's share of what was paid
    assert decide(line, claim, now).refund_amount == Decimal("33.33")
    assert claim_from_data({"return_quantity": 2, "main_part": True}, reason="quality", has_photo=False) == Claim(
        reason="quality", return_quantity=2, main_part=True)
