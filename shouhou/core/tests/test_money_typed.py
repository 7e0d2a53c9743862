"""Amounts are read one way everywhere (core/money.py): full-width digits typed in an IME's full-width mode are the
same number; digits of other scripts and underscores are refused with the field named, not read as some other
number."""

from decimal import Decimal

import pytest

from shouhou.core.money import MoneyError, positive_amount, to_yuan


@pytest.mark.parametrize(("typed", "amount"), [
    ("１２", Decimal("12.00")), ("１２．５", Decimal("12.50")), ("1，299", Decimal("1299.00")), (" 5 ", Decimal("5.00")),
    ("0.5", Decimal("0.50")), (".5", Decimal("0.50")), (7, Decimal("7.00")), (12.5, Decimal("12.50")),
    (Decimal("3.10"), Decimal("3.10")),
])
def test_a_typed_amount_in_either_width_is_the_same_number(typed, amount):
    assert positive_amount(typed, field="补偿金额") == amount


@pytest.mark.parametrize(("typed", "words"), [
    ("٣", "必须是数字"), ("1_0", "必须是数字"), ("1 0", "必须是数字"), ("0x10", "必须是数字"), ("1e30", "过大"),
    ("NaN", "有限的数字"), ("-Infinity", "有限的数字"), ("12.345", "最多两位小数"), ("-5", "必须大于 0"),
])
def test_an_amount_that_is_not_plainly_a_number_is_refused_by_name(typed, words):
    with pytest.raises(MoneyError, match=words) as refused:
        positive_amount(typed, field="补偿金额")
    assert str(refused.value).startswith("补偿金额")


@pytest.mark.parametrize("raw", ["٣", "1_000", "１_０", "¥٣٠"])
def test_a_file_amount_in_another_script_or_with_underscores_is_refused(raw):
    with pytest.raises(MoneyError, match="不是有效金额"):
        to_yuan(raw)


@pytest.mark.parametrize(("raw", "amount"), [("￥１７９元", Decimal("179.00")), ("1.5E+3", Decimal("1500.00"))])
def test_a_file_amount_keeps_its_full_width_and_exponent_forms(raw, amount):
    assert to_yuan(raw) == amount
