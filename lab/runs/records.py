"""Events as rows of the events table, and RecordCache: the one fold of a run's stored events into its RunRecord.

RunRecord.add (lab.engine.events) says what an event does to a record; RecordCache applies it to
what the store holds, folding only the events newer than those already folded.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict

from lab.engine.events import ActivationsProbed, EpochEnded, Event, RunEnded, RunRecord, RunStarted, StepsLogged

EVENT_KINDS = {cls.__name__: cls for cls in (RunStarted, StepsLogged, EpochEnded, ActivationsProbed, RunEnded)}


def event_to_row(event: Event) -> tuple[str, str]:
    """(kind, payload JSON) of an event."""
    return type(event).__name__, json.dumps(asdict(event), separators=(",", ":"))


def event_from_row(kind: str, payload: str) -> Event:
    """The event a (kind, payload) row holds."""
    return EVENT_KINDS[kind](**json.loads(payload))


class RecordCache:
    """Runs' records folded from their stored events; each call folds only what is new."""

    def __init__(self, read: Callable[[str, int, int | None], list[tuple[int, Event]]], limit: int = 256):
        self.read, self.limit = read, limit  # read(run_id, after, upto): the (seq, event) pairs after < seq <= upto
        self._records: dict[str | tuple[str, str], tuple[RunRecord, int]] = {}
        self._read_at: dict[str | tuple[str, str], float] = {}  # slot -> time.monotonic() of its last read
        self._lock = threading.Lock()

    def get(self, run_id: str, upto: int | None = None, max_age: float = 0.0) -> RunRecord:
        """The run's record with every stored event folded in (the one fold), or only those with seq <= upto;
        max_age: a record read from the store at most this many seconds ago is good enough."""
        # upto: a replay played back; its partial record is kept apart and grows as upto does.
        slot = run_id if upto is None else (run_id, "upto")
        with self._lock:
            record, seen = self._records.pop(slot, (RunRecord(), 0))
            now = time.monotonic()
            if upto is not None and upto < seen:  # played back from an earlier point: fold again
                record, seen = RunRecord(), 0
            if (upto is None or upto > seen) and not (upto is None and now - self._read_at.get(slot, -1e9) < max_age):
                for seq, event in self.read(run_id, seen, upto):
                    record.add(event)
                    seen = seq
                self._read_at[slot] = now
            self._records[slot] = (record, seen)  # re-inserted: the dict's order is recency
            while len(self._records) > self.limit:
                self._read_at.pop(oldest := next(iter(self._records)), None)
                self._records.pop(oldest)
            return record

    def forget(self, run_id: str) -> None:
        """Drop a deleted (or re-queued) run's record."""
        with self._lock:
            self._records.pop(run_id, None)
            self._records.pop((run_id, "upto"), None)
