"""Personal data (PIPL): masking for lists and exports, phone detection for anonymisation."""

from __future__ import annotations

import re

from shouhou.core.phones import mask_phone

# Chinese mobile numbers inside free text (optionally +86 / spaces / dashes).
PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)")
ANONYMISED = "（已匿名）"


def mask_address(address: str) -> str:
    """Keep the first six characters (province/city), hide the rest: '浙江省杭州市西湖区文三路1号' ->
    '浙江省杭州市****'."""
    address = (address or "").strip()
    if not address:
        return ""
    keep = min(6, max(1, len(address) // 2))
    return f"{address[:keep]}****"


def mask_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def scrub_phones(text: str) -> str:
    """Replace each phone number in free text by its masked form."""
    return PHONE_IN_TEXT.sub(lambda m: mask_phone(re.sub(r"\D", "", m.group(0))[-11:]), text or "")


def has_phone(text: str) -> bool:
    return bool(PHONE_IN_TEXT.search(text or ""))


def phone_for(phone: str, *, reveal: bool) -> str:
    return phone if reveal else mask_phone(phone)


def address_for(address: str, *, reveal: bool) -> str:
    return address if reveal else mask_address(address)
