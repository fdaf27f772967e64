"""A replay played back at about the pace its original trained, so the lesson still unfolds step by step.

The playback clock starts at the replay's `started`: when it was made, for a replay of an ended run; when
the original began to train, for a live follower (which so sees at once what the original has done and
then follows it live). It runs at the original's pace (its seconds per step). What it shows is its own events up to
the last one whose step the clock has reached, folded by the one fold (Store.record(run_id, upto=seq)).
An event's step: RunStarted 0, a block of logged steps its last, a probe its step, an epoch's end the
epoch's last step, the run's end only once the whole run has been played.
"""

from __future__ import annotations

import bisect
import threading
import time
from dataclasses import dataclass

from lab.engine.events import ActivationsProbed, EpochEnded, RunEnded, RunStarted, StepsLogged
from lab.runs.store import Store
from lab.runs.stored import StoredRun


@dataclass(frozen=True)
class Frame:
    """What a replay shows now: events up to seq, the step reached, and whether the playback is over."""

    seq: int | None  # None: everything stored (the playback is over, or nothing to pace it by)
    step: int
    done: bool


class StepIndex:
    """Per run, the (seq, step) of each stored event, read once (a replay's events never change)."""

    def __init__(self, limit: int = 512) -> None:
        self.limit = limit
        self._runs: dict[str, tuple[int, int, list[int], list[int]]] = {}  # id -> seen, steps/epoch, seqs, steps
        self._lock = threading.Lock()

    def get(self, store: Store, run_id: str) -> tuple[list[int], list[int]]:
        """(seqs, steps) of the run's events so far, steps never decreasing."""
        with self._lock:
            seen, per_epoch, seqs, steps = self._runs.pop(run_id, (0, 0, [], []))
            for seq, event in store.events(run_id, after=seen):
                if seq <= seen:
                    continue
                if isinstance(event, RunStarted):  # a run trained again after a replay starts afresh
                    per_epoch, seqs, steps = event.steps_per_epoch, [], []
                step = event_step(event, per_epoch)
                seqs.append(seq)
                steps.append(max(step, steps[-1] if steps else 0))
                seen = seq
            self._runs[run_id] = (seen, per_epoch, seqs, steps)
            while len(self._runs) > self.limit:
                self._runs.pop(next(iter(self._runs)))
            return seqs, steps


def event_step(event, per_epoch: int) -> float:
    """The training step at which an event happened (the end: after every step)."""
    if isinstance(event, StepsLogged):
        return event.steps[-1] if event.steps else 0
    if isinstance(event, ActivationsProbed):
        return event.step
    if isinstance(event, EpochEnded):
        return event.epoch * per_epoch
    if isinstance(event, RunEnded):
        return float("inf")
    return 0


_index = StepIndex()


def pace(store: Store, run: StoredRun, now: float) -> float | None:
    """Seconds per step of the run this one replays: its recorded time, else the original's pace so far."""
    if not run.active and run.seconds and run.total_steps:
        return run.seconds / run.total_steps
    original = store.get_run(run.replay_of) if run.replay_of else None
    if original is not None and original.started and original.step:
        return ((original.ended or original.heartbeat or now) - original.started) / original.step
    return None


def frame(store: Store, run: StoredRun, now: float | None = None) -> Frame:
    """Where the replay's playback is now; done (everything shown) once its clock has passed the whole run."""
    now = time.time() if now is None else now
    per_step = pace(store, run, now)
    if not run.replay or not run.started or per_step is None or per_step <= 0:
        return Frame(None, run.step, not run.active)
    reached = (now - run.started) / per_step
    if not run.active and reached >= run.total_steps:
        return Frame(None, run.step, True)
    seqs, steps = _index.get(store, run.id)
    shown = bisect.bisect_right(steps, reached)
    return Frame(seqs[shown - 1] if shown else 0, min(int(reached), run.step), False)
