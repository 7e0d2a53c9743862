"""Demo data for SLA: the default calendars and targets, with the desk's night shift (00:00–02:00) since the
demo shop staffs one after its evening live sessions. Idempotent (sla_defaults_install keeps existing rows)."""

from __future__ import annotations

import random

from shouhou.sla.services import sla_defaults_install


def seed(*, shop, rng: random.Random) -> None:
    sla_defaults_install(shop=shop, night_shift=True)
