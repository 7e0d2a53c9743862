"""Argument types for the commands: a number outside what makes sense is refused by the parser, with the
range, instead of running (`demo --orders -5` made no orders and said so; `report rollup --days -3` said
「已汇总 -3 天」)."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def int_between(lo: int, hi: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"应为整数，收到「{raw}」") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"应在 {lo}–{hi} 之间，收到 {value}")
        return value

    parse.__name__ = "整数"  # argparse names the type in its message
    return parse
