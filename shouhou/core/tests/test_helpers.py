from decimal import Decimal

import pytest

from shouhou.core.money import MoneyError, fen_to_yuan, to_yuan, yuan_to_fen
from shouhou.core.phones import PhoneError, mask_phone, normalize_phone
from shouhou.core.signatures import SignatureError, sign, verify


@pytest.mark.parametrize(("raw", "expected"), [
    ("¥1,299.00", Decimal("1299.00")), ("88", Decimal("88.00")), (12.345, Decimal("12.35")),
    ("  ￥0.5元 ", Decimal("0.50")),
])
def test_to_yuan_parses_common_formats(raw, expected):
    assert to_yuan(raw) == expected


@pytest.mark.parametrize("raw", ["", "abc", "NaN", None])
def test_to_yuan_rejects_garbage(raw):
    with pytest.raises(MoneyError):
        to_yuan(raw)


def test_fen_round_trip():
    assert fen_to_yuan(12999) == Decimal("129.99")
    assert yuan_to_fen(Decimal("129.99")) == 12999


def test_phone_normalise_and_mask():
    assert normalize_phone("+86 138-1234-5678") == "13812345678"
    assert mask_phone("13812345678") == "138****5678"
    with pytest.raises(PhoneError):
        normalize_phone("12")


def test_signature_verification_rejects_tampering_and_replay():
    import time

    ts = str(int(time.time()))
    body = b'{"a":1}'
    verify("s3cret", ts, body, sign("s3cret", ts, body))
    with pytest.raises(SignatureError):
        verify("s3cret", ts, b'{"a":2}', sign("s3cret", ts, body))
    old = str(int(time.time()) - 3600)
    with pytest.raises(SignatureError, match="重放"):
        verify("s3cret", old, body, sign("s3cret", old, body))
