"""Replays: a run whose key (lab.runs.identity) matches a run that ended deterministically takes that run's
result instead of training; one whose key matches a run still queued or training follows it live.

A replay is a row of its own (its owner's history, Draw, downloads, the class board) with its own copy of
the original's events (same sequence numbers, so the one fold reads it as it read the original) and
final weights, marked replay_of. A live follower is kept in step with its original in the original's
own transactions (sync() after each of them); when the original ends finished or diverged (both are
what the config and seed determine) its followers end the same way; when it ends otherwise (stopped,
failed, interrupted), they train for real: the oldest is queued as a run of its own and the others
follow it. The functions run in the caller's transaction (a Connection from Store.tx()); StoreReplays is
the part of the Store that opens them.
"""

from __future__ import annotations

import time

from sqlalchemy import Connection, Float, String, cast, delete, func, insert, literal, select, update

from lab.runs import schema as S
from lab.runs.stored import ACTIVE

REPLAYABLE = ("finished", "diverged")  # ends the config and seed alone decide (a divergence is in the losses)
MIRRORED = ("step", "total_steps", "final_loss", "train_acc", "test_acc", "grad_first", "grad_out", "seconds",
            "message", "node", "heartbeat")
# A run queued again keeps its last_seq: its new events continue the numbering (a reader's cached fold
# goes on from where it was, and RunRecord.add starts afresh at the new RunStarted).
FRESH = dict(status="queued", step=0, total_steps=0, final_loss=None, train_acc=None, test_acc=None,
             seconds=None, grad_first=None, grad_out=None, message="", node=None, pid=None, started=None,
             ended=None, heartbeat=None, stop_requested=False)


def source_of(conn: Connection, key: str, exclude: str) -> dict | None:
    """The run to replay for key: an ended one (an original first), else an original still queued or training."""
    runs = S.runs.c
    ended = conn.execute(select(S.runs).where(runs.run_key == key, runs.status.in_(REPLAYABLE), runs.id != exclude)
                         .order_by(runs.replay_of.is_not(None), runs.created).limit(1).with_for_update()
                         ).mappings().first()
    if ended is not None:
        return dict(ended)
    live = conn.execute(select(S.runs).where(runs.run_key == key, runs.status.in_(ACTIVE), runs.replay_of.is_(None),
                                             runs.stop_requested.is_(False), runs.id != exclude)
                        .order_by(runs.created).limit(1).with_for_update()).mappings().first()
    return dict(live) if live is not None else None


def attach(conn: Connection, run_id: str, key: str) -> str | None:
    """Make the new run run_id a replay (or a live follower) of the run its key matches; that run's id, or None."""
    source = source_of(conn, key, run_id)
    if source is None:
        return None
    now, done = time.time(), source["status"] in REPLAYABLE
    copy_events(conn, source["id"], run_id, 0)
    if done:
        copy_final(conn, source["id"], run_id, now)
    values = {name: source[name] for name in MIRRORED}
    # A replay plays from now at the original's pace. A follower keeps the original's clock: one that joins
    # a run in training sees at once what it has done so far, then the rest live (a class pressing the same
    # preset within seconds all finish with it); a follower of a queued run starts with it (sync()).
    values.update(status=source["status"], last_seq=source["last_seq"], ended=now if done else None,
                  started=now if done else source["started"],
                  replay_of=(source["replay_of"] or source["id"]) if done else source["id"])
    conn.execute(update(S.runs).where(S.runs.c.id == run_id).values(**values))
    return values["replay_of"]


def copy_events(conn: Connection, source: str, target: str, after: int) -> None:
    """The source's events with seq > after, as target's events with the same seq."""
    ev = S.events.c
    rows = select(cast(literal(target), String(32)), ev.seq, ev.kind, ev.payload).where(ev.run_id == source,
                                                                                      ev.seq > after)
    conn.execute(insert(S.events).from_select(["run_id", "seq", "kind", "payload"], rows))


def copy_final(conn: Connection, source: str, target: str, now: float) -> None:
    """The source's final weights as target's (none if the source has none, e.g. a diverged run)."""
    w = S.weights.c
    conn.execute(delete(S.weights).where(w.run_id == target))
    rows = select(cast(literal(target), String(32)), w.kind, w.step, w.blob, cast(literal(now), Float)).where(
        w.run_id == source, w.kind == "final")
    conn.execute(insert(S.weights).from_select(["run_id", "kind", "step", "blob", "updated"], rows))


def sync(conn: Connection, original: str) -> None:
    """Bring the live followers of a run in line with it: its new events, its figures, its end."""
    runs = S.runs.c
    # Locked: two syncs of one run (its writer and a settle() elsewhere) copy each event once.
    followers = conn.execute(select(runs.id, runs.last_seq).where(runs.replay_of == original, runs.status.in_(ACTIVE))
                             .order_by(runs.id).with_for_update()).all()
    if not followers:
        return
    row = conn.execute(select(S.runs).where(runs.id == original)).mappings().first()
    ids = [f.id for f in followers]
    if row is None or row["status"] not in (*ACTIVE, *REPLAYABLE):
        requeue(conn, ids)
        return
    if any(f.last_seq < row["last_seq"] for f in followers):  # one statement for all of them
        fol = S.runs.alias("follower")
        ev, f = S.events.c, fol.c
        rows = select(f.id, ev.seq, ev.kind, ev.payload).join_from(S.events, fol, f.replay_of == ev.run_id)
        conn.execute(insert(S.events).from_select(["run_id", "seq", "kind", "payload"], rows.where(
            ev.run_id == original, f.status.in_(ACTIVE), ev.seq > f.last_seq)))
    values = {name: row[name] for name in MIRRORED}
    values.update(status=row["status"], last_seq=row["last_seq"], started=func.coalesce(runs.started, row["started"]))
    if row["status"] in REPLAYABLE:
        now = time.time()
        values["ended"] = now
        for follower in ids:
            copy_final(conn, original, follower, now)
    conn.execute(update(S.runs).where(runs.id.in_(ids)).values(**values))


def requeue(conn: Connection, ids: list[str]) -> None:
    """Followers whose original will not finish train for real: the oldest is queued, the others follow it."""
    rows = conn.execute(select(S.runs.c.id, S.runs.c.last_seq).where(S.runs.c.id.in_(ids)).order_by(
        S.runs.c.created, S.runs.c.id)).all()
    if not rows:
        return
    conn.execute(delete(S.events).where(S.events.c.run_id.in_(ids)))
    conn.execute(delete(S.weights).where(S.weights.c.run_id.in_(ids)))
    lead, top = rows[0].id, max(r.last_seq for r in rows)
    conn.execute(update(S.runs).where(S.runs.c.id == lead).values(**FRESH, last_seq=top, replay_of=None))
    if len(rows) > 1:
        conn.execute(update(S.runs).where(S.runs.c.id.in_([r.id for r in rows[1:]])).values(
            **FRESH, last_seq=top, replay_of=lead))


def rekey(conn: Connection, run_id: str, key: str) -> None:
    """The run trains with another key than it was queued with (e.g. no GPU after all): its followers train."""
    conn.execute(update(S.runs).where(S.runs.c.id == run_id).values(run_key=key))
    followers = conn.execute(select(S.runs.c.id).where(S.runs.c.replay_of == run_id,
                                                       S.runs.c.status.in_(ACTIVE)).with_for_update()).scalars().all()
    if followers:
        requeue(conn, list(followers))


def orphaned(conn: Connection) -> list[str]:
    """Runs that have live followers but are no longer active themselves (sync() settles them)."""
    runs = S.runs.c
    led = select(runs.replay_of).where(runs.replay_of.is_not(None), runs.status.in_(ACTIVE)).distinct()
    active = select(runs.id).where(runs.status.in_(ACTIVE))
    return list(conn.execute(led.where(runs.replay_of.not_in(active))).scalars())


class StoreReplays:
    """Store's replay methods (a part of lab.runs.store.Store); they run in the Store's transactions (self.tx())."""

    def rekey(self, run_id: str, key: str) -> None:
        """The key the run really trains with (its device and threads as found); followers of a wrong key train."""
        with self.tx() as conn:
            if conn.execute(select(S.runs.c.run_key).where(S.runs.c.id == run_id)).scalar() != key:
                rekey(conn, run_id, key)

    def settle_replays(self) -> int:
        """Live followers of runs no longer active (a crash between two writes): ended with them or re-queued."""
        with self.tx() as conn:
            stale = orphaned(conn)
            for original in stale:
                sync(conn, original)
        return len(stale)

    def train_anyway(self, run_id: str, owner: str) -> bool:
        """Train a replay for real (its owner's choice): queued as a run of its own; False unless it is theirs."""
        with self.tx() as conn:
            row = conn.execute(select(S.runs.c.owner, S.runs.c.replay_of).where(S.runs.c.id == run_id)
                               .with_for_update()).first()
            if row is None or row.owner != owner or row.replay_of is None:
                return False
            requeue(conn, [run_id])
        self.records.forget(run_id)
        return True
