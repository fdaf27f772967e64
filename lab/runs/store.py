"""The run store: every run's config, owner, status, events, metrics and weights, in one database.

It is the one truth about runs and the channel between a page and a trainer: a page
inserts a queued run and asks it to stop; an executor claims it, writes its events,
checkpoints and end; any server process reads them back. Events are folded into a
RunRecord in one place (lab.runs.records.RecordCache), cached per run id and sequence number.
The run's shape is in stored, its weights in weights, owners and recovery in recovery, the fair
queue's reads in queue, stop requests in stops.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from lab.engine.config import RunConfig
from lab.engine.events import EpochEnded, Event, RunEnded, RunRecord, RunStarted, StepsLogged, finite
from lab.runs import queue, replay
from lab.runs import schema as S
from lab.runs.errors import StoreError, store_error
from lab.runs.queue import StoreQueue
from lab.runs.records import RecordCache, event_from_row, event_to_row
from lab.runs.recovery import NODE, StoreRecovery
from lab.runs.schema import database_url
from lab.runs.stops import StoreStops
from lab.runs.stored import ACTIVE, ENDED, StoredRun, is_run_id, new_token, to_run
from lab.runs.weights import StoreWeights

__all__ = ["ACTIVE", "ENDED", "NODE", "Store", "StoreError", "StoredRun", "is_run_id", "new_token", "open_store"]


class Store(StoreWeights, StoreRecovery, StoreQueue, StoreStops, replay.StoreReplays):
    """The run store at one database URL (thread-safe; one per process and URL via open_store)."""

    def __init__(self, url: str | None = None):
        self.url = database_url(url)
        self.engine = S.make_engine(self.url)
        try:
            S.ensure_schema(self.engine, self.url)
        except StoreError:
            raise
        except Exception:  # noqa: BLE001 - two processes creating the schema at once: look again
            time.sleep(0.2)
            S.ensure_schema(self.engine, self.url)
        self.records = RecordCache(self.events)

    @contextmanager
    def tx(self) -> Iterator[Connection]:
        """One transaction; database errors become StoreError with a sentence for people."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except StoreError:
            raise
        except (SQLAlchemyError, DBAPIError, OSError) as exc:
            raise store_error(exc, self.url) from exc

    # --- runs -------------------------------------------------------------------------------
    def create_run(self, config: RunConfig, owner: str, group: str | None = None, class_id: str | None = None,
                   nickname: str | None = None, executor: str = "local", status: str = "queued",
                   key: str | None = None, reuse: bool = False) -> StoredRun:
        """Insert a run (queued, unless the caller trains it at once) and return it; reuse: replay an identical one."""
        # With reuse, a run whose key matches one that ended finished or diverged replays it, and one that
        # matches a run queued or in training follows it (lab/runs/replay.py).
        run_id = new_token()
        with self.tx() as conn:
            number = conn.execute(select(func.count()).where(S.runs.c.owner == owner)).scalar_one() + 1
            conn.execute(insert(S.runs).values(
                id=run_id, owner=owner, class_id=class_id, nickname=nickname, number=number, group_name=group,
                config=config.to_json(), executor=executor, status=status, stop_requested=False,
                created=time.time(), step=0, total_steps=0, message="", last_seq=0, run_key=key))
            if reuse and key and status == "queued":  # in the same transaction: the original cannot end meanwhile
                replay.attach(conn, run_id, key)
        return self.get_run(run_id)

    def get_run(self, run_id: str) -> StoredRun | None:
        """The run with this id, or None."""
        if not is_run_id(run_id):
            return None
        with self.tx() as conn:
            row = conn.execute(select(S.runs).where(S.runs.c.id == run_id)).mappings().first()
        return self.reaped([to_run(row)])[0] if row else None

    def list_runs(self, owner: str | None = None, class_id: str | None = None,
                  statuses: Iterable[str] | None = None, limit: int | None = None) -> list[StoredRun]:
        """Runs, oldest first, filtered by owner, class and status; limit keeps the newest."""
        query = select(S.runs)
        if owner is not None:
            query = query.where(S.runs.c.owner == owner)
        if class_id is not None:
            query = query.where(S.runs.c.class_id == class_id)
        if statuses is not None:
            query = query.where(S.runs.c.status.in_(list(statuses)))
        query = query.order_by(S.runs.c.created.desc(), S.runs.c.number.desc())
        if limit:
            query = query.limit(limit)
        with self.tx() as conn:
            rows = conn.execute(query).mappings().all()
        return self.reaped([to_run(r) for r in reversed(rows)])

    def delete_run(self, run_id: str, owner: str) -> bool:
        """Delete an ended run of this owner with its events and weights; False if not allowed."""
        with self.tx() as conn:
            gone = conn.execute(delete(S.runs).where(S.runs.c.id == run_id, S.runs.c.owner == owner,
                                                     S.runs.c.status.in_(ENDED))).rowcount
            if gone:
                conn.execute(delete(S.events).where(S.events.c.run_id == run_id))
                conn.execute(delete(S.weights).where(S.weights.c.run_id == run_id))
                conn.execute(delete(S.stop_requests).where(S.stop_requests.c.run_id == run_id))
        if gone:
            self.records.forget(run_id)
        return bool(gone)

    # --- the executor's side ------------------------------------------------------------------
    def claim(self, executor: str = "local", run_id: str | None = None, node: str = NODE,
              pid: int | None = None) -> StoredRun | None:
        """Move a queued run to running (this one, or the next of this executor's fair queue); None if none."""
        for _ in range(5):  # another worker may win the same row: try the next one
            with self.tx() as conn:
                now = time.time()
                if run_id is None:
                    target = None
                    for candidate, _, _ in queue.order(conn, executor, now)[:8]:
                        # PostgreSQL: a row another server is claiming is skipped, not waited for.
                        lock = select(S.runs.c.id).where(S.runs.c.id == candidate, S.runs.c.status == "queued")
                        if conn.execute(lock.with_for_update(skip_locked=True)).scalar() is not None:
                            target = candidate
                            break
                    if target is None:
                        return None
                else:
                    target = run_id
                won = conn.execute(update(S.runs).where(S.runs.c.id == target, S.runs.c.status == "queued",
                                                        S.runs.c.replay_of.is_(None)).values(
                    status="running", node=node, pid=pid or os.getpid(), started=now, heartbeat=now)).rowcount
                if won:
                    replay.sync(conn, target)
            if won:
                return self.get_run(target)
            if run_id is not None:
                return None
        return None

    def append_events(self, run_id: str, items: list[Event], heartbeat: bool = True, first_seq: int | None = None,
                      **row: object) -> bool:
        """Append events in order and keep the run row's live figures current (one transaction); False if no run."""
        # A trainer's writer numbers its events (first_seq: the number of items[0]) and may send a batch
        # again when it does not know whether the last try was stored (the store went away mid-commit).
        # An event is known by its payload (no two events of a run are alike: each names its steps or
        # epoch), so one already stored at or after first_seq is not written twice; the others go at the
        # end, in order. Usually that is where the writer numbered them; when someone else wrote in
        # between (a reader that took the run for dead while the store was away), after that.
        if not items:
            return True
        values: dict = {"heartbeat": time.time()} if heartbeat else {}
        for item in items:
            if isinstance(item, RunStarted):
                values["total_steps"] = item.total_steps
            elif isinstance(item, StepsLogged) and item.steps:
                values["step"], values["final_loss"] = item.steps[-1], finite(item.losses[-1])
                norms = item.grad_norms[-1]
                values["grad_first"], values["grad_out"] = finite(norms[0]), finite(norms[-1])
            elif isinstance(item, EpochEnded):
                values.update(train_acc=item.train_acc, test_acc=item.test_acc)
        values.update(row)  # e.g. the end's status: readers never see an end without its event
        rows = [event_to_row(item) for item in items]
        with self.tx() as conn:
            # A write first, so that the transaction holds SQLite's write lock (PostgreSQL's row lock)
            # before it reads: nothing can be written between the read and the insert.
            conn.execute(update(S.runs).where(S.runs.c.id == run_id).values(last_seq=S.runs.c.last_seq))
            found = conn.execute(select(S.runs.c.status, S.runs.c.last_seq).where(S.runs.c.id == run_id)).first()
            if found is None:
                return False  # deleted (by its owner, once a reader had ended it): nothing to keep
            status, last = found
            if first_seq is not None:
                stored = set(conn.execute(select(S.events.c.payload).where(
                    S.events.c.run_id == run_id, S.events.c.seq >= first_seq)).scalars())
                rows = [r for r in rows if r[1] not in stored]
                if status not in ACTIVE and "status" not in row:  # ended by a reader while its trainer lived
                    values.update(status="running", ended=None)
            if rows:
                conn.execute(insert(S.events), [{"run_id": run_id, "seq": last + i, "kind": kind, "payload": payload}
                                                for i, (kind, payload) in enumerate(rows, 1)])
            conn.execute(update(S.runs).where(S.runs.c.id == run_id).values(last_seq=last + len(rows), **values))
            replay.sync(conn, run_id)  # its live followers get the same events in the same transaction
        return True

    def beat(self, run_id: str) -> bool:
        """Refresh a running run's heartbeat; True if a stop was asked for."""
        with self.tx() as conn:
            conn.execute(update(S.runs).where(S.runs.c.id == run_id).values(heartbeat=time.time()))
            return bool(conn.execute(select(S.runs.c.stop_requested).where(S.runs.c.id == run_id)).scalar())

    def finish(self, run_id: str, ended: RunEnded, final: dict | None = None, seq: int | None = None,
               at: float | None = None) -> bool:
        """The run's end after its final weights: its end event (seq: its writer's number) and row, ended at `at`."""
        if final is not None:  # weights first: a run that reads as ended has them
            self.save_weights(run_id, final, ended.step, "final")
        values = {"status": ended.status, "message": ended.message, "ended": at or time.time(),
                  "seconds": ended.seconds, "step": ended.step}
        if ended.loss is not None:
            values["final_loss"] = finite(ended.loss)
        return self.append_events(run_id, [ended], heartbeat=False, first_seq=seq, **values)

    def end_without_events(self, run_id: str, status: str, message: str, only_active: bool = True) -> bool:
        """End a run from outside its trainer (it died, or never started); False if it had ended."""
        now = time.time()
        with self.tx() as conn:
            row = conn.execute(select(S.runs.c.status, S.runs.c.step, S.runs.c.started, S.runs.c.last_seq).where(
                S.runs.c.id == run_id).with_for_update()).first()
            if row is None or (only_active and row.status not in ACTIVE):
                return False
            seconds = now - row.started if row.started else 0.0
            done = conn.execute(update(S.runs).where(S.runs.c.id == run_id, S.runs.c.status == row.status).values(
                status=status, message=message, ended=now, seconds=seconds, last_seq=row.last_seq + 1)).rowcount
            if done:  # the end event in the same transaction: a reader sees both or neither
                kind, payload = event_to_row(RunEnded(status, message, row.step, None, seconds))
                conn.execute(insert(S.events).values(run_id=run_id, seq=row.last_seq + 1, kind=kind, payload=payload))
                replay.sync(conn, run_id)  # its followers train for real (re-queued)
        return bool(done)

    # --- events -----------------------------------------------------------------------------------
    def events(self, run_id: str, after: int = 0, upto: int | None = None) -> list[tuple[int, Event]]:
        """(seq, event) of a run with after < seq (<= upto), in order."""
        query = select(S.events.c.seq, S.events.c.kind, S.events.c.payload).where(
            S.events.c.run_id == run_id, S.events.c.seq > after)
        if upto is not None:
            query = query.where(S.events.c.seq <= upto)
        with self.tx() as conn:
            rows = conn.execute(query.order_by(S.events.c.seq)).all()
        return [(seq, event_from_row(kind, payload)) for seq, kind, payload in rows]

    def record(self, run_id: str, upto: int | None = None, max_age: float = 0.0) -> RunRecord:
        """The run's record so far (folded from its events; cached per run id and seq); upto: events seq <= upto;
        max_age: seconds a record read before may be returned as it is (tabs following one run)."""
        return self.records.get(run_id, upto, max_age)


_stores: dict[str, Store] = {}
_stores_lock = threading.Lock()


def open_store(url: str | None = None) -> Store:
    """The process's Store for url (default: $RELULAB_DB, else the SQLite file); StoreError if unusable."""
    url = database_url(url)
    with _stores_lock:
        if url not in _stores:
            _stores[url] = Store(url)
        return _stores[url]
