"""Stop requests: a page (the run's owner, its teacher, or its tabs all closed) asks a run to end.

StoreStops is a part of Store (lab.runs.store), kept apart by concern; its methods run in the Store's
transactions (self.tx()). A queued run or a replay ends at once; a training run's trainer polls
stop_requested() and ends itself after its current step.
"""

from __future__ import annotations

import time

from sqlalchemy import insert, select, update

from lab.runs import schema as S


class StoreStops:
    """Store's stop-request methods."""

    def request_stop(self, run_id: str, owner: str | None = None, origin: str = "owner") -> bool:
        """Ask a run to stop (a queued one ends at once); owner=None skips the ownership check.

        origin says who asked (owner, teacher, left: its browser's tabs closed), kept for the page."""
        run = self.get_run(run_id)
        if run is None or not run.active or (owner is not None and run.owner != owner):
            return False
        with self.tx() as conn:  # before the run can end: a page that sees it stopped finds who asked
            if conn.execute(select(S.stop_requests.c.run_id).where(S.stop_requests.c.run_id == run_id)).first() is None:
                conn.execute(insert(S.stop_requests).values(run_id=run_id, origin=origin, at=time.time()))
        if run.status == "queued" and self.end_without_events(run_id, "stopped", "Stopped before it started."):
            return True
        if run.replay and self.end_without_events(run_id, "stopped", f"Stopped at step {run.step} (a replay)."):
            return True  # no trainer of its own: it ends here
        with self.tx() as conn:
            conn.execute(update(S.runs).where(S.runs.c.id == run_id).values(stop_requested=True))
        return True

    def stop_origin(self, run_id: str) -> str | None:
        """Who first asked this run to stop (owner, teacher, left), or None."""
        with self.tx() as conn:
            return conn.execute(select(S.stop_requests.c.origin).where(S.stop_requests.c.run_id == run_id)).scalar()

    def stop_requested(self, run_id: str) -> bool:
        """True once someone asked this run to stop."""
        with self.tx() as conn:
            return bool(conn.execute(select(S.runs.c.stop_requested).where(S.runs.c.id == run_id)).scalar())
