"""The fair queue: which queued run trains next, each queued run's place, and when it will likely start.

The next run is the oldest queued run of the owner who has had the least training time in the last
WINDOW_S (runs that trained, not replays; a run in training counts up to now), so a student's first
run never waits behind another student's fifth, and a student who trained a lot yields to those who
trained little. Ties (e.g. owners who trained nothing yet) go to the oldest run. Replays and live
followers never queue for a worker: they are the original's (lab.runs.replay). Every function here
runs in the caller's transaction (a Connection from Store.tx()).
"""

from __future__ import annotations

import json
import statistics
import time

from sqlalchemy import Connection, func, or_, select

from lab.engine.config import RunConfig
from lab.runs import schema as S
from lab.runs.stored import ACTIVE, StoredRun

WINDOW_S = 1800.0  # "lately": about a lesson
RECENT = 20  # runs whose pace estimates a queued run's start


def usage(conn: Connection, owners: set[str], now: float) -> dict[str, float]:
    """Seconds each owner's runs trained within the last WINDOW_S (only runs that trained themselves)."""
    if not owners:
        return {}
    since, runs = now - WINDOW_S, S.runs.c
    rows = conn.execute(select(runs.owner, runs.started, runs.ended).where(
        runs.owner.in_(owners), runs.replay_of.is_(None), runs.started.is_not(None),
        or_(runs.ended.is_(None), runs.ended > since))).all()
    used = dict.fromkeys(owners, 0.0)
    for owner, started, ended in rows:
        used[owner] += max(0.0, min(ended or now, now) - max(started, since))
    return used


def order(conn: Connection, executor: str, now: float) -> list[tuple[str, str, float]]:
    """(id, owner, created) of the queued runs of an executor, in the order they will train."""
    runs = S.runs.c
    queued = conn.execute(select(runs.id, runs.owner, runs.created).where(
        runs.status == "queued", runs.executor == executor, runs.replay_of.is_(None))).all()
    if not queued:
        return []
    used = usage(conn, {q.owner for q in queued}, now)
    return sorted(((q.id, q.owner, q.created) for q in queued), key=lambda q: (used[q[1]], q[2], q[0]))


def place(conn: Connection, run_id: str, executor: str, now: float) -> tuple[int, list[str]]:
    """1-based place of a queued run in its executor's queue (0 if not there) and the ids ahead of it."""
    ids = [q[0] for q in order(conn, executor, now)]
    if run_id not in ids:
        return 0, []
    at = ids.index(run_id)
    return at + 1, ids[:at]


def steps_of(config) -> int:
    """Optimizer steps a config takes (what the Trainer's RunStarted will say)."""
    n = config.train_subset or 60000
    return config.epochs * (n // min(config.batch_size, n))


def seconds_per_step(conn: Connection) -> float | None:
    """Median seconds per step of the last RECENT runs that trained to the end; None before any."""
    runs = S.runs.c
    rows = conn.execute(select(runs.seconds, runs.step).where(
        runs.status == "finished", runs.replay_of.is_(None), runs.step > 0, runs.seconds > 0).order_by(
        runs.ended.desc()).limit(RECENT)).all()
    return statistics.median(s / n for s, n in rows) if rows else None


def start_in(conn: Connection, executor: str, ahead_steps: list[int], now: float) -> float | None:
    """About how many seconds until a run with these runs ahead starts; None before any run has finished."""
    # What the training runs have left, then the runs ahead, shared among the runs that train at once.
    pace = seconds_per_step(conn)
    if pace is None:
        return None
    runs = S.runs.c
    training = conn.execute(select(runs.step, runs.total_steps, runs.config).where(
        runs.status == "running", runs.executor == executor, runs.replay_of.is_(None))).all()
    left = sum(max(0, (total or steps_of(RunConfig.from_dict(json.loads(config)))) - step) * pace
               for step, total, config in training)
    return (left + sum(ahead_steps) * pace) / max(1, len(training))


class StoreQueue:
    """Store's queue reads (a part of lab.runs.store.Store); they run in the Store's transactions (self.tx())."""

    def queue_place(self, run: StoredRun) -> int:
        """1-based place of a queued run in its executor's fair queue (a follower: its original's); 0 if not queued."""
        return self.queue_wait(run)[0]

    def queue_wait(self, run: StoredRun) -> tuple[int, float | None]:
        """(place in the fair queue, about how many seconds until it starts or None); (0, None) if not queued."""
        if run.status != "queued":
            return 0, None
        lead = self.get_run(run.replay_of) if run.replay_of else run
        if lead is None or lead.status != "queued":
            return 0, None
        now = time.time()
        with self.tx() as conn:
            at, ahead = place(conn, lead.id, lead.executor, now)
            if not at:
                return 0, None
            configs = conn.execute(select(S.runs.c.config).where(S.runs.c.id.in_(ahead))).scalars().all()
            steps = [steps_of(RunConfig.from_dict(json.loads(c))) for c in configs]
            return at, start_in(conn, lead.executor, steps, now)

    def load(self) -> tuple[int, int]:
        """(runs training, runs queued) in the whole store."""
        with self.tx() as conn:
            counts = dict(conn.execute(select(S.runs.c.status, func.count()).where(  # replays cost nothing
                S.runs.c.status.in_(ACTIVE), S.runs.c.replay_of.is_(None)).group_by(S.runs.c.status)).all())
        return counts.get("running", 0), counts.get("queued", 0)
