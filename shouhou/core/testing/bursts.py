"""A burst of calls released at once over two processes (as `shouhou serve` runs one web process per core),
for tests of what must hold across processes (core/counters.py). The processes are forked from the test, so
they use its database (which must be a transactional one, the rows committed) and settings."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from django.db import connections


def _calls_in_threads(barrier, results, call: Callable, calls: Sequence[tuple]) -> None:
    """In a forked process: one thread per call, each on its own database connection."""

    def one(args: tuple):
        barrier.wait(timeout=60)
        try:
            return call(*args)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(len(calls)) as pool:
        for result in pool.map(one, calls):
            results.put((os.getpid(), result))


def burst_in_two_processes(call: Callable, calls: Sequence[tuple]) -> tuple[list, set[int]]:
    """call(*args) for each args of `calls`, half in each of two forked processes, all released by one
    barrier. The results (sorted) and the pids that produced them."""
    assert "pool" not in connections["default"].settings_dict.get("OPTIONS", {})  # nothing shared on fork
    connections.close_all()  # the children open their own connections, never this process's
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(len(calls)), ctx.Queue()
    half = (len(calls) + 1) // 2
    procs = [ctx.Process(target=_calls_in_threads, args=(barrier, results, call, part))
             for part in (calls[:half], calls[half:])]
    for proc in procs:
        proc.start()
    got = [results.get(timeout=120) for _ in calls]
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0, proc.exitcode
    return sorted(result for _, result in got), {pid for pid, _ in got}
