"""Background tasks of sla (safe to run twice)."""

from __future__ import annotations


def sla_sweep_task() -> dict:
    from dataclasses import asdict

    from shouhou.sla.services import sla_sweep

    return asdict(sla_sweep())
