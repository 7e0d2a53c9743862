"""Phone numbers: normalise with `phonenumbers`, mask for lists (PIPL)."""

from __future__ import annotations

import phonenumbers


class PhoneError(ValueError):
    pass


def normalize_phone(raw: str, region: str = "CN") -> str:
    """Return the national significant number for CN mobiles ('13812345678'), E.164 for others."""
    text = "".join(ch for ch in str(raw or "") if ch.isdigit() or ch == "+")
    if not text:
        raise PhoneError("手机号为空")
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise PhoneError(f"无法识别的手机号：{raw}")
    if not phonenumbers.is_possible_number(parsed):
        raise PhoneError(f"手机号位数不对：{raw}")
    if parsed.country_code == 86:
        return str(parsed.national_number)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(phone: str) -> str:
    """'13812345678' -> '138****5678'. Short or empty values are fully masked."""
    phone = phone or ""
    if len(phone) >= 7:
        return f"{phone[:3]}****{phone[-4:]}"
    return "*" * len(phone)


def last4(phone: str) -> str:
    return (phone or "")[-4:]
