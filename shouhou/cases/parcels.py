"""The buyer's return parcel as typed by a person: which carrier, which tracking number. Pure, no database.

A carrier must be one we know (`commerce.choices.Carrier`: its code, its name, or a common short name such as
「顺丰」, the words the order importer reads); a tracking number is read the way phones type it — spaces dropped,
full-width letters and digits made half-width (NFKC), upper-cased — and must then be 6–32 letters or digits.
No carrier-specific number formats are checked: shouhou/logistics keeps none, and a wrong guess would refuse a
real parcel; the carrier's own tracking tells a wrong number soon enough."""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext

from shouhou.commerce.choices import Carrier, carrier_label

TRACKING_NO = re.compile(r"[A-Z0-9]{6,32}")


class ParcelError(ValueError):
    """What the person typed cannot be a return parcel; the message names the field (Chinese)."""


def carrier_code(raw: str) -> str:
    """The Carrier code for what was chosen or typed ("SF", "sf", "顺丰速运", "顺丰"); ParcelError otherwise."""
    from shouhou.commerce.importers.parse import CARRIER_WORDS

    text = unicodedata.normalize("NFKC", raw or "").strip()
    words = {**{str(label): value for value, label in Carrier.choices}, **CARRIER_WORDS}
    code = words.get(text) or words.get(text.upper())
    if code is None:
        raise ParcelError(gettext("快递公司：请从列表中选择寄回所用的快递公司。"))
    return code


def tracking_no_normalize(raw: str) -> str:
    """「ｓｆ 1234 5678 90」→「SF1234567890」: full-width to half-width, every space dropped, upper case."""
    text = unicodedata.normalize("NFKC", raw or "")
    return "".join(text.split()).upper()


def tracking_no_check(raw: str) -> str:
    """The normalised tracking number, or ParcelError naming the field."""
    number = tracking_no_normalize(raw)
    if not number:
        raise ParcelError(gettext("快递单号：自行寄回需填写快递单号。"))
    if not TRACKING_NO.fullmatch(number):
        raise ParcelError(gettext("快递单号：应为 6–32 位字母或数字，请对照快递面单核对后重新填写。"))
    return number


def return_parcel_text(carrier: str, tracking_no: str) -> str:
    """How the timeline names the parcel: the carrier's name, then the number (「顺丰速运 SF1234567890」)."""
    return " ".join(x for x in (carrier_label(carrier) if carrier else "", tracking_no) if x)
