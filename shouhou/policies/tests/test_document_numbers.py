"""A policy's amounts and limits are finite: TOML writes nan and inf, and `max_price = nan` used to pass `policy check`
and publishing, then break every decision (a Decimal comparison with NaN raises) — every claim a 500."""

from __future__ import annotations

import pytest

from shouhou.policies.document import PolicyError, default_source, parse


@pytest.mark.parametrize(("line", "bad", "where"), [
    ("max_price = 300", "max_price = nan", "auto_approve.max_price"),
    ("max_price = 300", "max_price = inf", "auto_approve.max_price"),
    ("max_refund = 1000", "max_refund = 1e400", "auto_approve.max_refund"),
    ("agent_approval_limit = 20", "agent_approval_limit = -inf", "compensation.agent_approval_limit"),
])
def test_a_limit_that_is_not_a_finite_number_is_a_located_error(line, bad, where):
    source = default_source()
    assert line in source
    with pytest.raises(PolicyError) as refused:
        parse(source.replace(line, bad, 1))
    assert any(where in str(e) and "必须是不小于 0 的数字" in str(e) for e in refused.value.errors), refused.value.errors
