"""A run's weights in the store: a checkpoint while it trains (replaced by the next), its final state_dict.

StoreWeights is a part of Store (lab.runs.store), kept apart by concern: the only part that needs torch.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterable

from sqlalchemy import delete, insert, select

from lab.runs import schema as S
from lab.runs.stored import ACTIVE


def weights_blob(state: dict) -> bytes:
    """A plain state_dict as the bytes the store keeps (torch.save)."""
    import torch

    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


class StoreWeights:
    """Store's weight methods; they run in the Store's transactions (self.tx())."""

    def save_weights(self, run_id: str, state: dict | bytes, step: int, kind: str = "checkpoint") -> None:
        """Keep a plain state_dict, or its weights_blob() (a checkpoint is replaced by the next one)."""
        blob = state if isinstance(state, bytes) else weights_blob(state)
        row = {"run_id": run_id, "kind": kind, "step": step, "blob": blob, "updated": time.time()}
        with self.tx() as conn:
            conn.execute(delete(S.weights).where(S.weights.c.run_id == run_id, S.weights.c.kind == kind))
            conn.execute(insert(S.weights).values(**row))

    def load_weights(self, run_id: str) -> tuple[dict, str, int] | None:
        """(state_dict, kind, step): the final weights, else the latest checkpoint; None if neither."""
        import torch

        with self.tx() as conn:
            rows = conn.execute(select(S.weights.c.kind, S.weights.c.step, S.weights.c.blob).where(
                S.weights.c.run_id == run_id)).all()
            lead = None if rows else conn.execute(select(S.runs.c.replay_of).where(  # a live follower's: its
                S.runs.c.id == run_id, S.runs.c.status.in_(ACTIVE))).scalar()  # original's checkpoint
        if not rows:
            return self.load_weights(lead) if lead else None
        kind, step, blob = sorted(rows, key=lambda r: r.kind != "final")[0]
        return torch.load(io.BytesIO(blob), weights_only=True), kind, step

    def has_weights(self, run_ids: Iterable[str]) -> set[str]:
        """The ids among run_ids that have final weights or a checkpoint."""
        ids = list(run_ids)
        if not ids:
            return set()
        with self.tx() as conn:
            found = set(conn.execute(select(S.weights.c.run_id).where(S.weights.c.run_id.in_(ids))).scalars())
            leads = dict(conn.execute(select(S.runs.c.id, S.runs.c.replay_of).where(
                S.runs.c.id.in_(set(ids) - found), S.runs.c.replay_of.is_not(None), S.runs.c.status.in_(ACTIVE))).all())
            if leads:  # live followers have what their originals have (a checkpoint, for the Draw page)
                held = set(conn.execute(select(S.weights.c.run_id).where(S.weights.c.run_id.in_(set(leads.values())))
                                        ).scalars())
                found |= {run for run, lead in leads.items() if lead in held}
        return found

