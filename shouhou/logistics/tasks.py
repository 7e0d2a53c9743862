from __future__ import annotations

from shouhou.logistics.services import exception_sweep


def exception_sweep_task() -> dict[str, int]:
    return exception_sweep()


def subscriptions_dispatch_task() -> dict[str, int]:
    from shouhou.logistics.subscriptions import subscriptions_dispatch

    return subscriptions_dispatch()
