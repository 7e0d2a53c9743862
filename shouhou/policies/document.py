"""Policy documents: parse TOML and validate, reporting every error with its location."""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path
from typing import Any

CATEGORIES = ["clothing", "underwear", "shoes_bags", "cosmetics", "electronics", "mobile_phone", "food", "fresh",
              "home", "jewelry", "toys", "books", "books_periodicals", "digital_goods", "audio_video_software", "custom_made",
              "other"]
REASONS = ["no_reason", "quality", "not_as_described", "wrong_item", "missing_parts", "damaged_in_transit", "size_fit",
           "performance_fault", "price_drop", "late_shipment", "lost_parcel", "recall", "other"]
TIERS = ["regular", "silver", "gold", "vip"]
COMP_KINDS = ["coupon", "red_packet", "points", "gift"]
DEFAULT_PATH = Path(__file__).with_name("default_policy.toml")

# --- the statutory floors (docs/policy.md "Law"). A shop's policy may be more generous, never less. -------
CRPL_24 = "消法第24条"
CRPL_25 = "消法第25条"
MEASURES = "《网络购买商品七日无理由退货暂行办法》"
SANBAO = "《部分商品修理更换退货责任规定》"
NO_REASON_MIN_DAYS = 7        # CRPL art. 25 para. 1: seven days from receipt
QUALITY_RETURN_MIN_DAYS = 7   # CRPL art. 24: return within seven days of receipt for a quality problem
QUALITY_EXCHANGE_MIN_DAYS = 15  # exchange (or repair) after the return period, as the 三包 15-day rule
SANBAO_MIN_DAYS = {"return_days": 7, "exchange_days": 15, "warranty_days": 365}  # 三包 arts. 9, 10; 1-year unit
SANBAO_MAX_FAILED_REPAIRS = 2  # 三包 art. 11: two failed repairs → exchange or return
# the categories under the national 三包 catalogue (mobile phones; computers, household audio-video goods and
# appliances — 数码家电): 三包 applies to them by law, so a shop's `sanbao.categories` may add others, never drop these
SANBAO_CATEGORIES = ("electronics", "mobile_phone")
# CRPL art. 25 para. 1 (1)–(4): the only goods excluded by law without the buyer's confirmation. Digital
# goods, audio-video and software are excluded only once downloaded or unsealed by the consumer.
STATUTORY_EXCEPTIONS = ("custom_made", "fresh", "digital_goods", "audio_video_software", "books_periodicals")
SEALED_EXCEPTIONS = ("digital_goods", "audio_video_software")
# CRPL art. 25 para. 2, Measures art. 7 (1): goods whose unsealing affects health or safety may be excluded
# once opened, and only when the buyer confirmed it at purchase.
CONFIRMABLE_CATEGORIES = ("underwear", "cosmetics", "food")
# Measures art. 9 (1): food and cosmetics are not intact once their one-time seal is broken.
SEAL_CATEGORIES = ("food", "cosmetics")
# CRPL art. 24 para. 2: returns, exchanges and repairs for a quality problem travel at the merchant's cost
# (wrong, incomplete or transit-damaged deliveries and recalls are the merchant's failures too).
STATUTORY_MERCHANT_REASONS = ("quality", "not_as_described", "performance_fault", "wrong_item", "missing_parts",
                              "damaged_in_transit", "recall")
REFUND_WITHIN_DAYS = 7  # CRPL art. 25 para. 3: refund within seven days of receiving the returned goods


class PolicyError(ValueError):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def default_source() -> str:
    return DEFAULT_PATH.read_text(encoding="utf-8")


def parse(source: str, *, law: bool = True) -> dict:
    """Parse and validate; raise PolicyError listing every located error (key path and line).
    `law=False` skips the statutory floors: only for reading versions published before a floor existed
    (the engine applies the floors itself, so such a version still decides lawfully)."""
    try:
        doc = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError([f"TOML 语法错误: {exc}"]) from exc
    errors = validate(doc, law=law)
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

    def int_(self, t: dict, key: str, loc: str, lo: int, hi: int, required: bool = True, why: str = "") -> None:
        if key not in t:
            if required:
                self.err(f"{loc}.{key}", "缺少此项")
            return
        v = t[key]
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            self.err(f"{loc}.{key}", f"必须是 {lo}–{hi} 的整数" + (f"（{why}）" if why else ""))

    def num(self, t: dict, key: str, loc: str, required: bool = True) -> None:
        if key not in t:
            if required:
                self.err(f"{loc}.{key}", "缺少此项")
            return
        v = t[key]
        # TOML has nan and inf: a limit of nan passed and then broke every decision (Decimal comparison)
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
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


def validate(doc: Any, *, law: bool = True) -> list[str]:
    """Every error with its key path. With `law` (the default) the statutory floors are checked too,
    each error citing its clause: a policy may be more generous than the law, never less."""
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
    v.int_(sb, "main_part_warranty_days", "sanbao", 0, 3650, required=False)
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
    v.num(aa, "max_refund", "auto_approve", required=False)
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
    periods = v.table(doc, "periods", "", required=False)
    v.bool_(periods, "extend_past_rest_days", "periods")
    for key in periods:
        if key != "extend_past_rest_days":
            v.err(f"periods.{key}", "未知配置项，可选: extend_past_rest_days")
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
        for key in ("opened_unused_ok", "tags_required", "accessories_required", "gifts_required", "seal_required"):
            v.bool_(intact, key, f"{loc}.intact")
        for key in intact:
            if key not in INTACT_KEYS:
                v.err(f"{loc}.intact.{key}", f"未知配置项，可选: {', '.join(INTACT_KEYS)}")
        csb = v.table(rule, "sanbao", f"{loc}.", required=False)
        v.int_(csb, "return_days", f"{loc}.sanbao", 0, 30, required=False)
        v.int_(csb, "exchange_days", f"{loc}.sanbao", 0, 90, required=False)
        v.int_(csb, "warranty_days", f"{loc}.sanbao", 0, 3650, required=False)
        v.int_(csb, "main_part_warranty_days", f"{loc}.sanbao", 0, 3650, required=False)
        care = v.table(rule, "care", f"{loc}.", required=False)
        for key in ("washed_following_label", "washed_against_label"):
            v.choice(care, key, f"{loc}.care", ["quality", "misuse"], required=False)
    if law:
        _law(doc, v)
    return v.errors


INTACT_KEYS = ("opened_unused_ok", "tags_required", "accessories_required", "gifts_required", "seal_required")


def _floor(v: _V, loc: str, value: Any, least: int, why: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and value < least:
        v.err(loc, f"不得少于 {least} 天（{why}），收到 {value}")


def _law(doc: dict, v: _V) -> None:
    """The statutory floors, each error citing its clause (values of the wrong type were reported already)."""
    def table(t: Any, key: str) -> dict:
        value = t.get(key) if isinstance(t, dict) else None
        return value if isinstance(value, dict) else {}

    def items(t: dict, key: str) -> list:
        value = t.get(key, [])
        return value if isinstance(value, list) else []

    nr, q, ship, sb = (table(doc, k) for k in ("no_reason", "quality", "shipping", "sanbao"))
    nr_why = f"{CRPL_25}：自收到商品之日起七日内可无理由退货；{MEASURES}第十条：自签收次日起算"
    _floor(v, "no_reason.days", nr.get("days"), NO_REASON_MIN_DAYS, nr_why)
    for i, cat in enumerate(items(nr, "legal_exceptions")):
        if cat not in STATUTORY_EXCEPTIONS:
            v.err(f"no_reason.legal_exceptions[{i}]",
                  f"{cat!r} 不是法定不适用无理由退货的商品（{CRPL_25}第一款只列：消费者定作的、鲜活易腐的、在线下载或"
                  "消费者拆封的音像制品和计算机软件等数字化商品、交付的报纸期刊；其他商品须经消费者购买时确认，"
                  "见 confirm_exclusion_when_opened）")
    _floor(v, "quality.return_days", q.get("return_days"), QUALITY_RETURN_MIN_DAYS,
           f"{CRPL_24}：商品不符合质量要求的，消费者可以自收到商品之日起七日内退货")
    _floor(v, "quality.exchange_days", q.get("exchange_days"), QUALITY_EXCHANGE_MIN_DAYS,
           f"{CRPL_24}：七日后可要求更换、修理；{SANBAO}第十条：十五日内可换货或修理")
    missing = [r for r in STATUTORY_MERCHANT_REASONS if r not in items(ship, "merchant_reasons")]
    if missing and isinstance(ship.get("merchant_reasons"), list):
        v.err("shipping.merchant_reasons",
              f"缺少 {', '.join(missing)}（{CRPL_24}第二款：因质量问题退货、更换、修理的，经营者应当承担运输等必要费用；"
              "发错、少发、运输破损与召回同属经营者责任）")
    sb_why = {"return_days": f"{SANBAO}第九条：售出7日内发生性能故障可退货、换货或修理",
              "exchange_days": f"{SANBAO}第十条：售出15日内发生性能故障可换货或修理",
              "warranty_days": f"{SANBAO}：整机三包有效期不少于一年"}

    def sanbao_floors(t: dict, loc: str) -> None:
        for key, least in SANBAO_MIN_DAYS.items():
            _floor(v, f"{loc}.{key}", t.get(key), least, sb_why[key])
        repairs = t.get("failed_repairs_for_exchange")
        if isinstance(repairs, int) and not isinstance(repairs, bool) and repairs > SANBAO_MAX_FAILED_REPAIRS:
            v.err(f"{loc}.failed_repairs_for_exchange",
                  f"不得多于 {SANBAO_MAX_FAILED_REPAIRS} 次（{SANBAO}第十一条：三包有效期内修理两次仍不能正常使用的，"
                  f"应换货或退货），收到 {t['failed_repairs_for_exchange']}")

    sanbao_floors(sb, "sanbao")
    dropped = [c for c in SANBAO_CATEGORIES if c not in items(sb, "categories")]
    if dropped and isinstance(sb.get("categories"), list):
        v.err("sanbao.categories",
              f"缺少 {', '.join(dropped)}（{SANBAO}：列入国家三包目录的商品——移动电话、微型计算机、家用视听商品、家用电器等——"
              "依法实行三包，店铺不能排除）")
    for name, rule in table(doc, "categories").items():
        loc = f"categories.{name}"
        cnr, intact = table(rule, "no_reason"), table(rule, "intact")
        _floor(v, f"{loc}.no_reason.days", cnr.get("days"), NO_REASON_MIN_DAYS, nr_why)
        if cnr.get("enabled") is False:
            v.err(f"{loc}.no_reason.enabled",
                  f"不能关闭无理由退货（{CRPL_25}：除法定例外和经消费者购买时确认的商品外，均适用七日无理由退货）")
        if cnr.get("confirm_exclusion_when_opened") and name not in CONFIRMABLE_CATEGORIES:
            v.err(f"{loc}.no_reason.confirm_exclusion_when_opened",
                  f"该品类不属于拆封后不宜退货的商品（{CRPL_25}第二款、{MEASURES}第七条：仅拆封后影响人身安全、"
                  f"生命健康或品质的商品，如 {', '.join(CONFIRMABLE_CATEGORIES)}，且须消费者购买时确认）")
        if intact.get("opened_unused_ok") is False:
            v.err(f"{loc}.intact.opened_unused_ok",
                  f"不能设为 false（{MEASURES}第八条：为查验打开包装或合理调试不影响商品完好；拆封后不退须经消费者"
                  "购买时确认，见 no_reason.confirm_exclusion_when_opened）")
        if intact.get("seal_required") is True and name not in SEAL_CATEGORIES:
            v.err(f"{loc}.intact.seal_required",
                  f"仅适用于 {', '.join(SEAL_CATEGORIES)}（{MEASURES}第九条第（一）项：食品、化妆品等必要的一次性密封"
                  "包装被损坏才视为不完好）")
        sanbao_floors(table(rule, "sanbao"), f"{loc}.sanbao")
