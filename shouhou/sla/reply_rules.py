"""The platforms' reply-rate rules per buyer message (definitions and sources: docs/metrics.md, 回复率).

A rule names the reply targets in seconds (the rates are "answered by a person within T ÷ buyer messages"),
the local hours whose buyer messages are counted (a message sent outside them is not counted), and the
pass line the platform is reported to use. Bot replies never count as answers (inbox.services).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from shouhou.commerce.choices import Platform


@dataclass(frozen=True)
class ReplyRule:
    platform: str
    targets: tuple[int, ...]                # seconds; the first one is the desk's clock and forecast
    counted_hours: tuple[int, int] | None   # local [start hour, end hour); None: every hour counts
    pass_line: dict[int, Decimal]           # target seconds → the rate the platform is reported to expect
    source: str                             # how sure we are; docs/metrics.md has the references

    @property
    def clock_seconds(self) -> int:
        return self.targets[0]

    def counts_hour(self, hour: int) -> bool:
        if self.counted_hours is None:
            return True
        start, end = self.counted_hours
        return start <= hour < end


# 飞鸽 (抖店): 3-minute human reply rate, buyer messages sent 08:00–23:00.
DOUYIN = ReplyRule(platform=Platform.DOUYIN, targets=(180,), counted_hours=(8, 23), pass_line={},
                   source="secondary")
# 快手小店: 3- and 5-minute reply rates, refreshed daily; the reported pass line is 5 minutes ≥ 80 %.
KUAISHOU = ReplyRule(platform=Platform.KUAISHOU, targets=(180, 300), counted_hours=(8, 23),
                     pass_line={300: Decimal("0.80")}, source="secondary")
# 视频号小店: reported expectations of 5 minutes (pre-sale questions) and 2 hours (after-sale questions).
WECHAT_CHANNELS = ReplyRule(platform=Platform.WECHAT_CHANNELS, targets=(300, 7200), counted_hours=None,
                            pass_line={}, source="unverified")
# Shops without a platform rule (private domain, manual, other platforms): 3 and 5 minutes, all hours.
DEFAULT = ReplyRule(platform="", targets=(180, 300), counted_hours=None, pass_line={}, source="shouhou")

RULES: dict[str, ReplyRule] = {r.platform: r for r in (DOUYIN, KUAISHOU, WECHAT_CHANNELS)}


def reply_rule_for(platform: str) -> ReplyRule:
    return RULES.get(platform, DEFAULT)
