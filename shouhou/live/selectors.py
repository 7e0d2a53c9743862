"""Reads of the live event table: the last number of a stream, and what came after a number."""

from __future__ import annotations

from shouhou.live.models import LiveEvent, LiveStream

REPLAY_LIMIT = 500


def live_last_seq(stream: str) -> int:
    return LiveStream.objects.filter(key=stream).values_list("last_seq", flat=True).first() or 0


def live_events_after(stream: str, after: int, *, limit: int = REPLAY_LIMIT) -> list[dict]:
    """Frames of the events after `after`, oldest first, at most `limit`."""
    rows = (LiveEvent.objects.filter(stream=stream, seq__gt=after).order_by("seq")
            .values("seq", "kind", "data")[:limit])
    return [{"type": "event", "stream": stream, "seq": r["seq"], "kind": r["kind"], "data": r["data"]}
            for r in rows]
