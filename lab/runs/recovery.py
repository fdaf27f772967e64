"""Who is still there: a browser's owner token and its open tabs, and the processes training runs.

StoreRecovery is a part of Store (lab.runs.store): runs whose owner left for good are stopped, and
runs whose trainer died become interrupted.
"""

from __future__ import annotations

import os
import socket
import time

from sqlalchemy import insert, select, update

from lab.runs import schema as S
from lab.runs.stored import ACTIVE

STALE_HEARTBEAT_S = 90.0  # a running run on another node whose heartbeat is older is taken as dead
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
            dead = (run.node == node and not pid_alive(run.pid)) or (
                (run.heartbeat or 0) < now - STALE_HEARTBEAT_S)
            if dead and self.end_without_events(run.id, "interrupted", (
                    f"Interrupted at step {run.step}: the process training it stopped (a server restart "
                    "or a lost node). Its last checkpoint is kept; train it again to finish.")):
                count += 1
        return count

