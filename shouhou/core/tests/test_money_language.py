"""A refused amount is said in the reader's language (core/money.py): whole sentences with the field and the value
named, the value without Python's quotes; callers tell the kinds of refusal apart by code, whatever the language."""

from __future__ import annotations

import pytest
from django.utils import translation

from shouhou.core import money
from shouhou.core.money import MoneyError, positive_amount, to_yuan


def _refused(call, *args, **kwargs) -> MoneyError:
    with pytest.raises(MoneyError) as refused:
        call(*args, **kwargs)
    return refused.value


def _refusal(call, *args, language: str, **kwargs) -> str:
    """What the refusal says to a reader of `language` (the sentence is made when it is said)."""
    refused = _refused(call, *args, **kwargs)
    with translation.override(language):
        return str(refused)


@pytest.mark.parametrize(("typed", "zh", "en"), [
    ("abc", "补偿金额必须是数字（只含数字和小数点），收到 abc",
     "Compensation amount must be a number (digits and a decimal point only), got abc"),
    ("NaN", "补偿金额必须是有限的数字，收到 NaN", "Compensation amount must be a finite number, got NaN"),
    ("", "请填写补偿金额", "Compensation amount is required."),
    ("-5", "补偿金额必须大于 0。", "Compensation amount must be greater than 0."),
    ("1e30", "补偿金额过大（上限 99999999.99）", "Compensation amount is too large (at most 99999999.99)"),
    ("12.345", "补偿金额最多两位小数（精确到分）", "Compensation amount has at most two decimals (to the fen)"),
])
def test_a_typed_amount_is_refused_in_the_readers_language(typed, zh, en):
    assert _refusal(positive_amount, typed, field="补偿金额", language="zh-hans") == zh
    assert _refusal(positive_amount, typed, field="补偿金额", language="en") == en


def test_a_boolean_and_fractional_points_are_refused_in_either_language():
    assert _refusal(positive_amount, True, field="金额", language="en") == "Amount must be a number, got True"
    assert _refusal(positive_amount, "2.5", field="补偿积分", language="zh-hans", points=True) == "补偿积分应为整数积分"
    assert _refusal(positive_amount, "2.5", field="补偿积分", language="en", points=True) == \
        "Compensation points must be whole points"


@pytest.mark.parametrize(("raw", "code", "zh", "en"), [
    ("abc", money.NOT_AN_AMOUNT, "不是有效金额：abc", "Not a valid amount: abc"),
    ("1e30", money.OUT_OF_RANGE, "金额超出范围（上限 99999999.99）：1e30", "Amount out of range (at most 99999999.99): 1e30"),
    ("", money.EMPTY, "金额为空", "The amount is empty"),
])
def test_a_file_amount_is_refused_in_the_readers_language_with_its_code(raw, code, zh, en):
    with translation.override("en"):
        assert _refused(to_yuan, raw).code == code  # the same code whatever language is active when it is raised
    chinese, english = _refusal(to_yuan, raw, language="zh-hans"), _refusal(to_yuan, raw, language="en")
    assert (chinese, english) == (zh, en)
    assert "'" not in chinese + english


def test_a_field_already_in_the_readers_language_is_said_as_given():
    assert _refusal(positive_amount, "0", field="Price now (yuan)", language="en") == \
        "Price now (yuan) must be greater than 0."
