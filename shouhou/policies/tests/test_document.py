from __future__ import annotations

import json
import subprocess
import sys

import pytest

from shouhou.policies.document import PolicyError, default_source, parse, validate


def _doc(**patch):
    import tomllib

    doc = tomllib.loads(default_source())
    for path, value in patch.items():
        node = doc
        keys = path.split("__")
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        node[keys[-1]] = value
    return doc


def test_default_policy_is_valid():
    assert validate(_doc()) == []


@pytest.mark.parametrize(("patch", "error"), [
    ({"no_reason__days": 31}, "no_reason.days: 必须是 0–30 的整数"),
    ({"no_reason__days": "7"}, "no_reason.days: 必须是 0–30 的整数"),
    ({"categories__cosmetics__no_reason": {"days": 40}}, "categories.cosmetics.no_reason.days: 必须是 0–30 的整数"),
    ({"no_reason__legal_exceptions": ["fresh", "cars"]}, "no_reason.legal_exceptions[1]: 未知取值 'cars'"),
    ({"shipping__no_reason_payer": "platform"}, "shipping.no_reason_payer: 必须是 buyer / merchant 之一"),
    ({"shipping__insurance_covers_no_reason": "yes"}, "shipping.insurance_covers_no_reason: 必须是 true 或 false"),
    ({"sanbao__exchange_days": 5}, "sanbao.exchange_days: 不能小于 return_days"),
    ({"price_protection__refund_to": "cash"}, "price_protection.refund_to: 必须是 original / balance 之一"),
    ({"compensation__agent_approval_limit": -1}, "compensation.agent_approval_limit: 必须是不小于 0 的数字"),
    ({"schema": 2}, "schema: 必须是 1"),
    ({"categories__spaceships": {}}, "categories.spaceships: 未知品类"),
    ({"categories__clothing__intact": {"opened_unused_ok": 1}}, "categories.clothing.intact.opened_unused_ok: 必须是 true 或 false"),
    ({"categories__clothing__colour": {}}, "categories.clothing.colour: 未知配置项"),
])
def test_validator_reports_located_errors(patch, error):
    errors = validate(_doc(**patch))
    assert any(e.startswith(error) for e in errors), errors


def test_every_error_is_reported_not_only_the_first():
    doc = _doc(no_reason__days=99, exchange__max_exchanges=-1)
    doc["compensation"]["ladder"][1]["kind"] = "cash"
    errors = validate(doc)
    assert "no_reason.days: 必须是 0–30 的整数" in errors
    assert "exchange.max_exchanges: 必须是 0–10 的整数" in errors
    assert "compensation.ladder[1].kind: 必须是 coupon / red_packet / points / gift 之一" in errors


def test_missing_section_and_bad_toml():
    doc = _doc()
    del doc["sanbao"]
    assert "sanbao: 缺少此节" in validate(doc)
    with pytest.raises(PolicyError) as exc:
        parse("schema = = 1")
    assert exc.value.errors[0].startswith("TOML 语法错误")


def _cli(*args, tmp_path):
    import os

    env = {**os.environ, "SHOUHOU_DATA_DIR": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "shouhou", "policy", *args], capture_output=True, text=True,
                          env=env, timeout=60)


def test_cli_check_ok_and_bad(tmp_path):
    from shouhou.policies.document import DEFAULT_PATH

    ok = _cli("check", str(DEFAULT_PATH), tmp_path=tmp_path)
    assert ok.returncode == 0 and "政策文件有效" in ok.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text(default_source().replace("days = 7                         # 自签收次日起算", "days = 70"),
                   encoding="utf-8")
    res = _cli("check", str(bad), tmp_path=tmp_path)
    assert res.returncode == 1
    assert "no_reason.days: 必须是 0–30 的整数" in res.stderr


def test_cli_decide_prints_json_and_refuses_bad_claim(tmp_path):
    from shouhou.policies.document import DEFAULT_PATH

    claim = tmp_path / "claim.json"
    claim.write_text(json.dumps({"category": "mobile_phone", "reason": "performance_fault",
                                 "order_date": "2026-01-01", "delivery_date": "2026-01-03", "now": "2026-02-02",
                                 "condition": "opened_unused", "tier": "vip", "return_insurance": True,
                                 "exchanges_so_far": 0, "price_paid": "3999", "current_price": "3799"}),
                     encoding="utf-8")
    res = _cli("decide", "--policy", str(DEFAULT_PATH), "--claim", str(claim), tmp_path=tmp_path)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert (out["allowed"], out["day"], out["shipping_payer"]) == (["exchange", "repair"], 30, "merchant")
    claim.write_text(json.dumps({"category": "boats", "reason": "no_reason", "now": "2026-13-01",
                                 "price_paid": "x"}), encoding="utf-8")
    res = _cli("decide", "--policy", str(DEFAULT_PATH), "--claim", str(claim), tmp_path=tmp_path)
    assert res.returncode == 1
    assert "claim.category: 未知取值 'boats'" in res.stderr
    assert "claim.now: 日期格式应为 YYYY-MM-DD" in res.stderr
    assert "claim.price_paid: 必须是金额数字" in res.stderr


def test_parse_errors_carry_the_line_they_are_on():
    # given the default policy with errors: a plain key, an inline-table key, an array-of-tables item,
    # a missing key (located at its section) and an unknown category
    source = (default_source()
              .replace("transit_damage_report_days = 3", "transit_damage_report_days = 99")
              .replace("intact = { opened_unused_ok = true, tags_required = true, accessories_required = true, "
                       "gifts_required = true }\ncare", "intact = { opened_unused_ok = 1 }\ncare")
              .replace('kind = "points"', 'kind = "cash"')
              .replace("failed_repairs_for_exchange = 2\n", "")) + "\n[categories.rockets]\nintact = {}\n"
    lines = source.splitlines()

    def line_of(text: str) -> int:
        return next(i for i, line in enumerate(lines, start=1) if text in line)

    cash = line_of('kind = "cash"')
    ladder = [i for i, line in enumerate(lines, start=1) if line.strip() == "[[compensation.ladder]]"]
    step = sum(1 for i in ladder if i < cash) - 1
    # when it is parsed
    with pytest.raises(PolicyError) as exc:
        parse(source)
    errors = exc.value.errors
    # then each error names its key path and its line
    assert f"quality.transit_damage_report_days: 必须是 0–30 的整数（第{line_of('transit_damage_report_days')}行）" in errors
    assert f"sanbao.failed_repairs_for_exchange: 缺少此项（第{line_of('[sanbao]')}行）" in errors
    assert (f"compensation.ladder[{step}].kind: 必须是 coupon / red_packet / points / gift 之一（第{cash}行）"
            in errors)
    assert (f"categories.clothing.intact.opened_unused_ok: 必须是 true 或 false"
            f"（第{line_of('intact = { opened_unused_ok = 1')}行）") in errors
    rockets = line_of("[categories.rockets]")
    assert any(e.startswith("categories.rockets: 未知品类") and e.endswith(f"（第{rockets}行）") for e in errors)


def test_cli_check_prints_line_numbers(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(default_source().replace('no_reason_payer = "buyer"', 'no_reason_payer = "platform"'),
                   encoding="utf-8")
    line = next(i for i, text in enumerate(bad.read_text(encoding="utf-8").splitlines(), start=1)
                if "platform" in text)
    res = _cli("check", str(bad), tmp_path=tmp_path)
    assert res.returncode == 1
    assert f"shipping.no_reason_payer: 必须是 buyer / merchant 之一（第{line}行）" in res.stderr


# The statutory floors: a policy may be more generous than the law, never less. Each error cites its clause.
@pytest.mark.parametrize(("patch", "error", "clause"), [
    ({"no_reason__days": 3}, "no_reason.days: 不得少于 7 天", "消法第25条"),
    ({"categories__clothing__no_reason": {"days": 5}}, "categories.clothing.no_reason.days: 不得少于 7 天", "消法第25条"),
    ({"no_reason__legal_exceptions": ["fresh", "clothing"]}, "no_reason.legal_exceptions[1]: 'clothing' 不是法定不适用",
     "消法第25条"),
    ({"categories__home__no_reason": {"enabled": False}}, "categories.home.no_reason.enabled: 不能关闭无理由退货", "消法第25条"),
    ({"categories__toys__no_reason": {"confirm_exclusion_when_opened": True}},
     "categories.toys.no_reason.confirm_exclusion_when_opened: 该品类不属于拆封后不宜退货的商品", "暂行办法》第七条"),
    ({"categories__cosmetics__intact": {"opened_unused_ok": False}},
     "categories.cosmetics.intact.opened_unused_ok: 不能设为 false", "暂行办法》第八条"),
    ({"categories__toys__intact": {"seal_required": True}}, "categories.toys.intact.seal_required: 仅适用于", "第九条"),
    ({"quality__return_days": 3}, "quality.return_days: 不得少于 7 天", "消法第24条"),
    ({"quality__exchange_days": 10}, "quality.exchange_days: 不得少于 15 天", "消法第24条"),
    ({"shipping__merchant_reasons": ["wrong_item"]}, "shipping.merchant_reasons: 缺少 quality, not_as_described",
     "消法第24条"),
    ({"sanbao__return_days": 0}, "sanbao.return_days: 不得少于 7 天", "规定》第九条"),
    ({"sanbao__exchange_days": 0, "sanbao__return_days": 0}, "sanbao.exchange_days: 不得少于 15 天", "规定》第十条"),
    ({"sanbao__warranty_days": 0}, "sanbao.warranty_days: 不得少于 365 天", "三包有效期"),
    ({"sanbao__failed_repairs_for_exchange": 3}, "sanbao.failed_repairs_for_exchange: 不得多于 2 次", "规定》第十一条"),
    ({"categories__mobile_phone__sanbao": {"exchange_days": 0}}, "categories.mobile_phone.sanbao.exchange_days: 不得少于 15 天",
     "规定》第十条"),
    ({"sanbao__categories": ["electronics"]}, "sanbao.categories: 缺少 mobile_phone", "三包"),
])
def test_validator_refuses_less_than_the_law_and_cites_the_clause(patch, error, clause):
    # given the default policy made less generous than the law; when it is validated
    errors = validate(_doc(**patch))
    # then the error names the key and cites the clause
    hit = [e for e in errors if e.startswith(error)]
    assert hit and clause in hit[0], errors


@pytest.mark.parametrize("patch", [
    {"no_reason__days": 15}, {"quality__return_days": 30}, {"sanbao__warranty_days": 730},
    {"sanbao__failed_repairs_for_exchange": 1}, {"no_reason__legal_exceptions": ["fresh"]},
    {"categories__cosmetics__intact": {"seal_required": False}}, {"shipping__no_reason_payer": "merchant"},
])
def test_more_generous_than_the_law_is_valid(patch):
    assert validate(_doc(**patch)) == []


def test_cli_check_refuses_an_unlawful_policy_with_its_clause(tmp_path):
    # given a policy with a 3-day no-reason window and clothing as a statutory exception
    bad = tmp_path / "bad.toml"
    bad.write_text(default_source().replace("days = 7                         # 自签收次日起算", "days = 3")
                   .replace('"books_periodicals"]', '"books_periodicals", "clothing"]'), encoding="utf-8")
    # when it is checked, then it fails with both errors, located and cited
    res = _cli("check", str(bad), tmp_path=tmp_path)
    assert res.returncode == 1
    assert "no_reason.days: 不得少于 7 天（消法第25条" in res.stderr
    assert "no_reason.legal_exceptions[5]: 'clothing' 不是法定不适用无理由退货的商品（消法第25条" in res.stderr
    assert "（第" in res.stderr  # with the line
