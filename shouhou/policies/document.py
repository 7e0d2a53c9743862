"""Policy documents: parse TOML and validate, reporting every error with its location."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

CATEGORIES = ["clothing", "underwear", "shoes_bags", "cosmetics", "electronics", "mobile_phone", "food", "fresh",
              "home", "jewelry", "toys", "books_periodicals", "digital_goods", "audio_video_software", "custom_made",
              "other"]
REASONS = ["no_reason", "quality", "not_as_described", "wrong_item", "missing_parts", "damaged_in_transit", "size_fit",
           "performance_fault", "price_drop", "late_shipment", "lost_parcel", "recall", "other"]
TIERS = ["regular", "silver", "gold", "vip"]
COMP_KINDS = ["coupon", "red_packet", "points", "gift"]
DEFAULT_PATH = Path(__file__).with_name("default_policy.toml")


class PolicyError(ValueError):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def default_source() -> str:
    return DEFAULT_PATH.read_text(encoding="utf-8")


def parse(source: str) -> dict:
    """Parse and validate; raise PolicyError listing every located error (key path and line)."""
    try:
        doc = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError([f"TOML 语法错误: {exc}"]) from exc
    errors = validate(doc)
    if errors:
        raise PolicyError(with_lines(errors, source))
    return doc


_TABLE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$")
_ARRAY_TABLE = re.compile(r"^\s*\[\[\s*([^\[\]]+?)\s*\]\]\s*(?:#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_.\-\"' ]+?)\s*=")
_INLINE_KEY = re.compile(r"([A-Za-z0-9_\-]+)\s*=")


def _key(text: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in text.split("."))


def key_lines(source: str) -> dict[str, int]:
    """Dotted key path → 1-based line number where it is written. A small line scanner, good for the
    policy documents people write (tables, arrays of tables, keys, one-line inline tables)."""
    lines: dict[str, int] = {}
    table = ""
    counts: dict[str, int] = {}
    for number, line in enumerate(source.splitlines(), start=1):
        if m := _ARRAY_TABLE.match(line):
            name = _key(m.group(1))
            counts[name] = counts.get(name, -1) + 1
            table = f"{name}[{counts[name]}]"
            lines.setdefault(table, number)
            lines.setdefault(name, number)
            continue
        if m := _TABLE.match(line):
            table = _key(m.group(1))
            lines.setdefault(table, number)
            continue
        if m := _KEY.match(line):
            path = f"{table}.{_key(m.group(1))}" if table else _key(m.group(1))
            lines.setdefault(path, number)
            rest = line[m.end():]
            if rest.lstrip().startswith("{"):
                for inner in _INLINE_KEY.finditer(rest):
                    lines.setdefault(f"{path}.{inner.group(1)}", number)
    return lines


def with_lines(errors: list[str], source: str) -> list[str]:
    """Append （第N行） to each 'path: message' error whose path (or nearest parent) is in the source."""
    where = key_lines(source)
    out = []
    for error in errors:
        path, sep, _msg = error.partition(": ")
        probe = re.sub(r"\[\d+\]$", "", path) if path not in where else path
        while probe and probe not in where:
            probe = probe.rpartition(".")[0]
        out.append(f"{error}（第{where[probe]}行）" if sep and probe else error)
    return out


def load_default() -> dict:
    return parse(default_source())


class _V:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def err(self, loc: str, msg: str) -> None:
        self.errors.append(f"{loc}: {msg}")

    def table(self, doc: dict, key: str, loc: str, required: bool = True) -> dict:
        value = doc.get(key)
        if value is None:
            if required:
                self.err(f"{loc}{key}", "缺少此节")
            return {}
        if not isinstance(value, dict):
            self.err(f"{loc}{key}", "必须是表（table）")
            return {}
        return value

    def int_(self, t: dict, key: str, loc: str, lo: int, hi: int, required: bool = True) -> None:
        if key not in t:
            if required:
                self.err(f"{loc}.{key}", "缺少此项")
            return
        v = t[key]
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            self.err(f"{loc}.{key}", f"必须是 {lo}–{hi} 的整数")

    def num(self, t: dict, key: str, loc: str, required: bool = True) -> None:
        if key not in t:
            if required:
                self.err(f"{loc}.{key}", "缺少此项")
            return
        v = t[key]
        if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
            self.err(f"{loc}.{key}", "必须是不小于 0 的数字")

    def bool_(self, t: dict, key: str, loc: str, required: bool = False) -> None:
        if key not in t:
            if required:
                self.err(f"{loc}.{key}", "缺少此项")
            return
        if not isinstance(t[key], bool):
            self.err(f"{loc}.{key}", "必须是 true 或 false")

    def choices(self, t: dict, key: str, loc: str, allowed: list[str], required: bool = True) -> None:
        if key not in t:
            if required:
                self.err(f"{loc}.{key}", "缺少此项")
            return
        v = t[key]
        if not isinstance(v, list):
            self.err(f"{loc}.{key}", "必须是列表")
            return
        for i, item in enumerate(v):
            if item not in allowed:
                self.err(f"{loc}.{key}[{i}]", f"未知取值 {item!r}，可选: {', '.join(allowed)}")

    def choice(self, t: dict, key: str, loc: str, allowed: list[str], required: bool = True) -> None:
        if key not in t:
            if required:
                self.err(f"{loc}.{key}", "缺少此项")
            return
        if t[key] not in allowed:
            self.err(f"{loc}.{key}", f"必须是 {' / '.join(allowed)} 之一")


def validate(doc: Any) -> list[str]:
    v = _V()
    if not isinstance(doc, dict):
        return ["(根): 必须是 TOML 文档"]
    if doc.get("schema") != 1:
        v.err("schema", "必须是 1")
    if not isinstance(doc.get("name"), str) or not doc.get("name"):
        v.err("name", "必须是非空字符串")
    nr = v.table(doc, "no_reason", "")
    v.int_(nr, "days", "no_reason", 0, 30)
    v.choices(nr, "legal_exceptions", "no_reason", CATEGORIES)
    q = v.table(doc, "quality", "")
    v.int_(q, "return_days", "quality", 0, 90)
    v.int_(q, "exchange_days", "quality", 0, 180)
    v.int_(q, "transit_damage_report_days", "quality", 0, 30)
    s = v.table(doc, "shipping", "")
    v.choices(s, "merchant_reasons", "shipping", REASONS)
    v.choice(s, "no_reason_payer", "shipping", ["buyer", "merchant"])
    v.bool_(s, "insurance_covers_no_reason", "shipping", required=True)
    v.choices(s, "vip_free_return_tiers", "shipping", TIERS)
    sb = v.table(doc, "sanbao", "")
    v.choices(sb, "categories", "sanbao", CATEGORIES)
    for key, hi in (("return_days", 30), ("exchange_days", 90), ("warranty_days", 3650)):
        v.int_(sb, key, "sanbao", 0, hi)
    v.int_(sb, "failed_repairs_for_exchange", "sanbao", 1, 10)
    v.num(sb, "onsite_repair_min_price", "sanbao")
    v.choices(sb, "onsite_repair_categories", "sanbao", CATEGORIES, required=False)
    if sb.get("return_days", 0) > sb.get("exchange_days", 0) if all(
            isinstance(sb.get(k), int) for k in ("return_days", "exchange_days")) else False:
        v.err("sanbao.exchange_days", "不能小于 return_days")
    pp = v.table(doc, "price_protection", "")
    v.int_(pp, "days", "price_protection", 0, 90)
    v.choice(pp, "refund_to", "price_protection", ["original", "balance"])
    ex = v.table(doc, "exchange", "")
    v.int_(ex, "max_exchanges", "exchange", 0, 10)
    aa = v.table(doc, "auto_approve", "")
    v.choices(aa, "reasons", "auto_approve", REASONS)
    v.num(aa, "max_price", "auto_approve")
    v.choices(aa, "photo_required_reasons", "auto_approve", REASONS, required=False)
    comp = v.table(doc, "compensation", "")
    v.num(comp, "agent_approval_limit", "compensation")
    ladder = comp.get("ladder", [])
    if not isinstance(ladder, list):
        v.err("compensation.ladder", "必须是数组表 [[compensation.ladder]]")
        ladder = []
    for i, step in enumerate(ladder):
        loc = f"compensation.ladder[{i}]"
        if not isinstance(step, dict):
            v.err(loc, "必须是表")
            continue
        v.choice(step, "reason", loc, [*REASONS, "exchange_limit"])
        v.choice(step, "tier", loc, [*TIERS, "*"])
        v.choice(step, "kind", loc, COMP_KINDS)
        v.num(step, "amount", loc)
    cats = v.table(doc, "categories", "", required=False)
    for name, rule in cats.items():
        loc = f"categories.{name}"
        if name not in CATEGORIES:
            v.err(loc, f"未知品类，可选: {', '.join(CATEGORIES)}")
            continue
        if not isinstance(rule, dict):
            v.err(loc, "必须是表")
            continue
        for key in rule:
            if key not in ("no_reason", "intact", "sanbao", "care"):
                v.err(f"{loc}.{key}", "未知配置项，可选: no_reason, intact, sanbao, care")
        cnr = v.table(rule, "no_reason", f"{loc}.", required=False)
        v.int_(cnr, "days", f"{loc}.no_reason", 0, 30, required=False)
        v.bool_(cnr, "enabled", f"{loc}.no_reason")
        v.bool_(cnr, "confirm_exclusion_when_opened", f"{loc}.no_reason")
        intact = v.table(rule, "intact", f"{loc}.", required=False)
        for key in ("opened_unused_ok", "tags_required", "accessories_required", "gifts_required"):
            v.bool_(intact, key, f"{loc}.intact")
        csb = v.table(rule, "sanbao", f"{loc}.", required=False)
        v.int_(csb, "return_days", f"{loc}.sanbao", 0, 30, required=False)
        v.int_(csb, "exchange_days", f"{loc}.sanbao", 0, 90, required=False)
        v.int_(csb, "warranty_days", f"{loc}.sanbao", 0, 3650, required=False)
        care = v.table(rule, "care", f"{loc}.", required=False)
        for key in ("washed_following_label", "washed_against_label"):
            v.choice(care, key, f"{loc}.care", ["quality", "misuse"], required=False)
    return v.errors
