"""Who is still there: a browser's owner token and its open tabs, and the processes training runs.

StoreRecovery is a part of Store (lab.runs.store): runs whose owner left for good are stopped, and
runs whose trainer died become interrupted.

Two thresholds go together. A trainer that cannot reach the store keeps training for PATIENCE_S, then
ends its run itself (lab.runs.execute). Its heartbeat cannot be written meanwhile, so a reader takes a
run for dead only once its heartbeat is STALE_HEARTBEAT_S old, a minute past that patience: by then
no trainer is training it any more, whatever the outage. If that trainer still holds events when the
store answers again, they are written after the reader's end and its own end closes the run
(Store.append_events knows an event by its payload), so nothing is lost either way.
"""

from __future__ import annotations

import os
import socket
import time

from sqlalchemy import insert, select, update

from lab.runs import schema as S
from lab.runs.errors import StoreError
from lab.runs.stored import ACTIVE, StoredRun

PATIENCE_S = float(os.environ.get("RELULAB_STORE_PATIENCE_S", "300"))  # a trainer rides out an outage this long
STALE_HEARTBEAT_S = PATIENCE_S + 60.0  # a running run whose heartbeat is older is taken as dead, by anyone
NODE = socket.gethostname()


def pid_alive(pid: int | None) -> bool:
    """True if a process with this pid runs on this host."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True



class StoreRecovery:
    """Store's owner and recovery methods; they run in the Store's transactions (self.tx())."""

    stale_after = STALE_HEARTBEAT_S  # a test may shorten it on its own Store

    def reaped(self, runs: list[StoredRun]) -> list[StoredRun]:
        """runs, those whose trainer fell silent long ago ended as interrupted: whoever looks first ends them."""
        cutoff = time.time() - self.stale_after
        dead = {r.id: r for r in runs if r.status == "running" and (r.heartbeat or r.started or 0) < cutoff}
        for run in dead.values():
            try:
                self.end_without_events(run.id, "interrupted", stale_message(run))
            except StoreError:  # a read that cannot write (a full disk): the next look tries again
                return runs
        return [(self.get_run(r.id) or r) if r.id in dead else r for r in runs]

    def owner_present(self, token: str, present: bool = True) -> None:
        """A tab of this owner opened (present) or its last tab closed (not present)."""
        now = time.time()
        with self.tx() as conn:
            if conn.execute(select(S.owners.c.token).where(S.owners.c.token == token)).first() is None:
                conn.execute(insert(S.owners).values(token=token, seen=now, left_at=None if present else now))
            else:
                conn.execute(update(S.owners).where(S.owners.c.token == token).values(
                    seen=now, left_at=None if present else now))

    def stop_abandoned(self, grace_s: float) -> int:
        """Stop the active runs of owners whose last tab closed more than grace_s ago; how many."""
        cutoff = time.time() - grace_s
        with self.tx() as conn:
            gone = select(S.owners.c.token).where(S.owners.c.left_at.is_not(None), S.owners.c.left_at < cutoff)
            ids = conn.execute(select(S.runs.c.id).where(S.runs.c.status.in_(ACTIVE), S.runs.c.owner.in_(gone),
                                                         S.runs.c.stop_requested.is_(False))).scalars().all()
        return sum(self.request_stop(run_id, origin="left") for run_id in ids)

    def recover(self, node: str = NODE) -> int:
        """At start-up: runs marked running whose process is gone become interrupted; how many."""
        now, count = time.time(), 0
        for run in self.list_runs(statuses=["running"]):
            if run.replay:  # a follower trains nothing: it lives and ends with its original
                continue
            dead = (run.node == node and not pid_alive(run.pid)) or (
                (run.heartbeat or 0) < now - self.stale_after)
            if dead and self.end_without_events(run.id, "interrupted", stale_message(run)):
                count += 1
        self.settle_replays()
        return count


def stale_message(run: StoredRun) -> str:
    """Why a run whose trainer is gone was ended, for people."""
    return (f"Interrupted at step {run.step}: the process training it stopped (a server restart or a lost "
            "node). Its last checkpoint is kept; train it again to finish.")

