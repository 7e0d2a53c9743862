"""Carrier and Kuaidi100 statuses -> ShipmentStatus. Pure tables, no database.

Kuaidi100 `state` (main status) and sub-status codes (the 3-4 digit codes returned with resultv2):
the numbers below are from Kuaidi100's public documentation as we read it; see docs/logistics.md.
"""

from __future__ import annotations

from shouhou.commerce.choices import Carrier
from shouhou.commerce.choices import ShipmentStatus as St

# Kuaidi100 main state
KUAIDI100_STATE: dict[str, str] = {
    "0": St.IN_TRANSIT,       # 在途
    "1": St.PICKED_UP,        # 揽收
    "2": St.EXCEPTION,        # 疑难
    "3": St.SIGNED,           # 签收
    "4": St.RETURNED,         # 退签
    "5": St.OUT_FOR_DELIVERY, # 派件
    "6": St.RETURNED,         # 退回
    "7": St.IN_TRANSIT,       # 转投
    "8": St.IN_TRANSIT,       # 清关
    "10": St.IN_TRANSIT,      # 待清关
    "11": St.IN_TRANSIT,      # 清关中
    "12": St.IN_TRANSIT,      # 已清关
    "13": St.EXCEPTION,       # 清关异常
    "14": St.DELIVERY_FAILED, # 拒签
}

# Kuaidi100 sub-status codes (statusCode in data[]), more precise than state
KUAIDI100_SUB: dict[str, str] = {
    "101": St.INFO_RECEIVED,   # 已下单
    "102": St.INFO_RECEIVED,   # 待揽收
    "103": St.PICKED_UP,       # 已揽收
    "1001": St.IN_TRANSIT,     # 到达派件城市
    "1002": St.IN_TRANSIT,     # 干线
    "1003": St.IN_TRANSIT,     # 转递
    "501": St.OUT_FOR_DELIVERY,  # 投柜或驿站（待取件）
    "301": St.SIGNED,          # 本人签收
    "302": St.SIGNED,          # 派件异常后签收
    "303": St.SIGNED,          # 代签
    "304": St.SIGNED,          # 投柜或站签收
    "401": St.RETURNED,        # 已销单
    "14": St.DELIVERY_FAILED,  # 拒签
    "201": St.EXCEPTION,       # 超时未签收
    "202": St.EXCEPTION,       # 超时未更新
    "203": St.RETURNED,        # 拒收（退件）
    "204": St.DELIVERY_FAILED, # 派件异常
    "205": St.EXCEPTION,       # 柜或驿站超时未取
    "206": St.DELIVERY_FAILED, # 无法联系
    "207": St.DELIVERY_FAILED, # 超区
    "208": St.EXCEPTION,       # 滞留
    "209": St.EXCEPTION,       # 破损
    "210": St.RETURNED,        # 销单
}

# Kuaidi100 company codes -> our Carrier
KUAIDI100_COM: dict[str, str] = {
    "shunfeng": Carrier.SF, "zhongtong": Carrier.ZTO, "yuantong": Carrier.YTO, "yunda": Carrier.YUNDA,
    "shentong": Carrier.STO, "jd": Carrier.JD, "ems": Carrier.EMS, "jtexpress": Carrier.JT,
}

# The same carriers' own wording, matched in order against the event text (fallback when no code).
KEYWORDS: list[tuple[str, str]] = [
    ("拒收", St.DELIVERY_FAILED), ("拒签", St.DELIVERY_FAILED), ("派送失败", St.DELIVERY_FAILED),
    ("派件异常", St.DELIVERY_FAILED), ("无法联系", St.DELIVERY_FAILED),
    ("退回", St.RETURNED), ("退件", St.RETURNED), ("已退签", St.RETURNED),
    ("已签收", St.SIGNED), ("签收人", St.SIGNED), ("代签收", St.SIGNED), ("已取件", St.SIGNED),
    ("派送中", St.OUT_FOR_DELIVERY), ("派件中", St.OUT_FOR_DELIVERY), ("正在派送", St.OUT_FOR_DELIVERY),
    ("正在派件", St.OUT_FOR_DELIVERY), ("派件员", St.OUT_FOR_DELIVERY), ("派送员", St.OUT_FOR_DELIVERY),
    ("快递员", St.OUT_FOR_DELIVERY), ("驿站", St.OUT_FOR_DELIVERY), ("快递柜", St.OUT_FOR_DELIVERY),
    ("已揽收", St.PICKED_UP), ("揽件", St.PICKED_UP), ("已收取快件", St.PICKED_UP), ("收件", St.PICKED_UP),
    ("下单", St.INFO_RECEIVED), ("已发货", St.INFO_RECEIVED),
    ("问题件", St.EXCEPTION), ("滞留", St.EXCEPTION), ("破损", St.EXCEPTION),
]

# Generic JSON pushes name our statuses directly, or these common carrier status words.
GENERIC: dict[str, str] = {s.value: s.value for s in St} | {
    "ACCEPT": St.PICKED_UP, "TRANSPORT": St.IN_TRANSIT, "DELIVERING": St.OUT_FOR_DELIVERY,
    "SIGN": St.SIGNED, "FAILED": St.DELIVERY_FAILED, "RETURN": St.RETURNED, "PROBLEM": St.EXCEPTION,
}


def status_from_text(text: str, default: str = St.IN_TRANSIT) -> str:
    for word, status in KEYWORDS:
        if word in text:
            return status
    return default


def normalize_kuaidi100(*, state: str | None, status_code: str | None, text: str) -> str:
    """A row's `statusCode` (resultv2) is either a sub-state (3-4 digits) or a main state ("0", "5", ...);
    the sub-state is the most precise, then the row's own main state, then the push's `state`."""
    code = str(status_code).strip() if status_code not in (None, "") else ""
    if code in KUAIDI100_SUB:
        return KUAIDI100_SUB[code]
    if code in KUAIDI100_STATE:
        state = code
    base = KUAIDI100_STATE.get(str(state)) if state is not None else None
    return status_from_text(text, default=base or St.IN_TRANSIT) if base in (None, St.IN_TRANSIT) else base


def carrier_from_kuaidi100(com: str) -> str:
    return KUAIDI100_COM.get(com.lower(), Carrier.OTHER)


KUAIDI100_COM_FOR: dict[str, str] = {carrier: com for com, carrier in KUAIDI100_COM.items()}


def kuaidi100_company(carrier: str) -> str:
    """Our carrier -> Kuaidi100 company code; "" (let Kuaidi100 recognise the number) when unknown."""
    return KUAIDI100_COM_FOR.get(carrier, "")
