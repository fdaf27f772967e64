"""The run store: every run's config, owner, status, events, metrics and weights, in one database.

It is the one truth about runs and the channel between a page and a trainer: a page
inserts a queued run and asks it to stop; an executor claims it, writes its events,
checkpoints and end; any server process reads them back. Events are folded into a
RunRecord in one place (RecordCache), cached per run id and sequence number.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from lab.engine.config import RunConfig
from lab.engine.events import ActivationsProbed, EpochEnded, Event, RunEnded, RunRecord, RunStarted, StepsLogged, finite
from lab.runs import schema as S
from lab.runs.schema import StoreError, database_url

ACTIVE = ("queued", "running")
ENDED = ("finished", "stopped", "diverged", "failed", "interrupted")
EVENT_KINDS = {cls.__name__: cls for cls in (RunStarted, StepsLogged, EpochEnded, ActivationsProbed, RunEnded)}
STALE_HEARTBEAT_S = 90.0  # a running run on another node whose heartbeat is older is taken as dead
NODE = socket.gethostname()


@dataclass(frozen=True)
class StoredRun:
    """One row of the runs table, with its config as a RunConfig."""

    id: str
    owner: str
    class_id: str | None
    nickname: str | None
    number: int
    group_name: str | None
    config: RunConfig
    executor: str
    status: str
    stop_requested: bool
    node: str | None
    pid: int | None
    created: float
    started: float | None
    ended: float | None
    heartbeat: float | None
    step: int
    total_steps: int
    final_loss: float | None
    train_acc: float | None
    test_acc: float | None
    seconds: float | None
    grad_first: float | None
    grad_out: float | None
    message: str
    last_seq: int

    @property
    def active(self) -> bool:
        """Queued or training."""
        return self.status in ACTIVE

    @property
    def label(self) -> str:
        """Short name, e.g. '#3 relu · adam 0.001 · 2×256'."""
        return run_label(self.number, self.config)

    def metrics(self) -> dict:
        """Final (or latest) numbers: steps, loss, accuracies, seconds."""
        return {"steps": self.step, "final_loss": self.final_loss, "train_acc": self.train_acc,
                "test_acc": self.test_acc, "seconds": round(self.seconds or 0.0, 2)}

    def summary(self) -> dict:
        """JSON-ready dict of the row (what `python -m lab runs --json` lists)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["config"] = self.config.to_dict()
        out["label"] = self.label
        return finite(out)


def run_label(number: int, config: RunConfig) -> str:
    """Short name of a run, e.g. '#3 relu · adam 0.001 · 2×256'."""
    shape = f"{config.depth}×{config.width}" if config.depth else "softmax"
    return f"#{number} {config.activation} · {config.optimizer} {config.effective_lr:g} · {shape}"


def new_token() -> str:
    """A random, unguessable id (run ids, owner tokens, class keys)."""
    return secrets.token_urlsafe(16)


def is_run_id(text: str) -> bool:
    """True if text has the shape of a run id (before asking the database)."""
    return 16 <= len(text) <= 32 and all(c.isalnum() or c in "-_" for c in text)


def event_to_row(event: Event) -> tuple[str, str]:
    """(kind, payload JSON) of an event."""
    return type(event).__name__, json.dumps(asdict(event), separators=(",", ":"))


def event_from_row(kind: str, payload: str) -> Event:
    """The event a (kind, payload) row holds."""
    return EVENT_KINDS[kind](**json.loads(payload))


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


class Store:
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
        self.records = RecordCache(self)

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        """One transaction; database errors become StoreError with a sentence for people."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except StoreError:
            raise
        except (SQLAlchemyError, DBAPIError, OSError) as exc:
            raise StoreError(S.explain(exc, self.url)) from exc

    # --- runs -------------------------------------------------------------------------------
    def create_run(self, config: RunConfig, owner: str, group: str | None = None, class_id: str | None = None,
                   nickname: str | None = None, executor: str = "local", status: str = "queued") -> StoredRun:
        """Insert a run (queued, unless the caller trains it at once) and return it."""
        run_id = new_token()
        with self._tx() as conn:
            number = conn.execute(select(func.count()).where(S.runs.c.owner == owner)).scalar_one() + 1
            conn.execute(insert(S.runs).values(
                id=run_id, owner=owner, class_id=class_id, nickname=nickname, number=number, group_name=group,
                config=config.to_json(), executor=executor, status=status, stop_requested=False,
                created=time.time(), step=0, total_steps=0, message="", last_seq=0))
        return self.get_run(run_id)

    def get_run(self, run_id: str) -> StoredRun | None:
        """The run with this id, or None."""
        if not is_run_id(run_id):
            return None
        with self._tx() as conn:
            row = conn.execute(select(S.runs).where(S.runs.c.id == run_id)).mappings().first()
        return _to_run(row) if row else None

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
        with self._tx() as conn:
            rows = conn.execute(query).mappings().all()
        return [_to_run(r) for r in reversed(rows)]

    def delete_run(self, run_id: str, owner: str) -> bool:
        """Delete an ended run of this owner with its events and weights; False if not allowed."""
        with self._tx() as conn:
            gone = conn.execute(delete(S.runs).where(S.runs.c.id == run_id, S.runs.c.owner == owner,
                                                     S.runs.c.status.in_(ENDED))).rowcount
            if gone:
                conn.execute(delete(S.events).where(S.events.c.run_id == run_id))
                conn.execute(delete(S.weights).where(S.weights.c.run_id == run_id))
        if gone:
            self.records.forget(run_id)
        return bool(gone)

    def queue_place(self, run: StoredRun) -> int:
        """1-based place of a queued run among the queued runs of its executor; 0 if not queued."""
        if run.status != "queued":
            return 0
        with self._tx() as conn:
            ahead = conn.execute(select(func.count()).where(
                S.runs.c.status == "queued", S.runs.c.executor == run.executor,
                or_(S.runs.c.created < run.created, and_(S.runs.c.created == run.created,
                                                          S.runs.c.id < run.id)))).scalar_one()
        return ahead + 1

    def load(self) -> tuple[int, int]:
        """(runs training, runs queued) in the whole store."""
        with self._tx() as conn:
            counts = dict(conn.execute(select(S.runs.c.status, func.count()).where(
                S.runs.c.status.in_(ACTIVE)).group_by(S.runs.c.status)).all())
        return counts.get("running", 0), counts.get("queued", 0)

    # --- the executor's side ------------------------------------------------------------------
    def claim(self, executor: str = "local", run_id: str | None = None, node: str = NODE,
              pid: int | None = None) -> StoredRun | None:
        """Move a queued run to running (this one, or the oldest of this executor); None if none."""
        for _ in range(5):  # another worker may win the same row: try the next one
            with self._tx() as conn:
                if run_id is None:
                    pick = select(S.runs.c.id).where(S.runs.c.status == "queued", S.runs.c.executor == executor)
                    pick = pick.order_by(S.runs.c.created, S.runs.c.id).limit(1).with_for_update(skip_locked=True)
                    target = conn.execute(pick).scalar()
                    if target is None:
                        return None
                else:
                    target = run_id
                now = time.time()
                won = conn.execute(update(S.runs).where(S.runs.c.id == target, S.runs.c.status == "queued").values(
                    status="running", node=node, pid=pid or os.getpid(), started=now, heartbeat=now)).rowcount
            if won:
                return self.get_run(target)
            if run_id is not None:
                return None
        return None

    def append_events(self, run_id: str, items: list[Event], heartbeat: bool = True, **row: object) -> None:
        """Append events in order and keep the run row's live figures current (one transaction)."""
        if not items:
            return
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
        with self._tx() as conn:
            last = conn.execute(select(S.runs.c.last_seq).where(S.runs.c.id == run_id)).scalar_one()
            rows = [{"run_id": run_id, "seq": last + i + 1, "kind": kind, "payload": payload}
                    for i, (kind, payload) in enumerate(map(event_to_row, items))]
            conn.execute(insert(S.events), rows)
            conn.execute(update(S.runs).where(S.runs.c.id == run_id).values(last_seq=last + len(rows), **values))

    def beat(self, run_id: str) -> bool:
        """Refresh a running run's heartbeat; True if a stop was asked for."""
        with self._tx() as conn:
            conn.execute(update(S.runs).where(S.runs.c.id == run_id).values(heartbeat=time.time()))
            return bool(conn.execute(select(S.runs.c.stop_requested).where(S.runs.c.id == run_id)).scalar())

    def finish(self, run_id: str, ended: RunEnded, final: dict | None = None,
               event_written: bool = False) -> None:
        """Record how a run ended (its end event unless already written) after its final weights."""
        if final is not None:  # weights first: a run that reads as ended has them
            self.save_weights(run_id, final, ended.step, "final")
        values = {"status": ended.status, "message": ended.message, "ended": time.time(),
                  "seconds": ended.seconds, "step": ended.step}
        if ended.loss is not None:
            values["final_loss"] = finite(ended.loss)
        if event_written:
            with self._tx() as conn:
                conn.execute(update(S.runs).where(S.runs.c.id == run_id).values(**values))
        else:
            self.append_events(run_id, [ended], **values)

    def end_without_events(self, run_id: str, status: str, message: str, only_active: bool = True) -> bool:
        """End a run from outside its trainer (it died, or never started); False if it had ended."""
        now = time.time()
        with self._tx() as conn:
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
        return bool(done)

    # --- requests from pages ---------------------------------------------------------------------
    def request_stop(self, run_id: str, owner: str | None = None) -> bool:
        """Ask a run to stop (a queued one ends at once); owner=None skips the ownership check."""
        run = self.get_run(run_id)
        if run is None or not run.active or (owner is not None and run.owner != owner):
            return False
        if run.status == "queued" and self.end_without_events(run_id, "stopped", "Stopped before it started."):
            return True
        with self._tx() as conn:
            conn.execute(update(S.runs).where(S.runs.c.id == run_id).values(stop_requested=True))
        return True

    def stop_requested(self, run_id: str) -> bool:
        """True once someone asked this run to stop."""
        with self._tx() as conn:
            return bool(conn.execute(select(S.runs.c.stop_requested).where(S.runs.c.id == run_id)).scalar())

    # --- weights --------------------------------------------------------------------------------
    def save_weights(self, run_id: str, state: dict, step: int, kind: str = "checkpoint") -> None:
        """Keep a plain state_dict (a checkpoint is replaced by the next one)."""
        import torch

        buffer = io.BytesIO()
        torch.save(state, buffer)
        row = {"run_id": run_id, "kind": kind, "step": step, "blob": buffer.getvalue(), "updated": time.time()}
        with self._tx() as conn:
            conn.execute(delete(S.weights).where(S.weights.c.run_id == run_id, S.weights.c.kind == kind))
            conn.execute(insert(S.weights).values(**row))

    def load_weights(self, run_id: str) -> tuple[dict, str, int] | None:
        """(state_dict, kind, step): the final weights, else the latest checkpoint; None if neither."""
        import torch

        with self._tx() as conn:
            rows = conn.execute(select(S.weights.c.kind, S.weights.c.step, S.weights.c.blob).where(
                S.weights.c.run_id == run_id)).all()
        if not rows:
            return None
        kind, step, blob = sorted(rows, key=lambda r: r.kind != "final")[0]
        return torch.load(io.BytesIO(blob), weights_only=True), kind, step

    def has_weights(self, run_ids: Iterable[str]) -> set[str]:
        """The ids among run_ids that have final weights or a checkpoint."""
        ids = list(run_ids)
        if not ids:
            return set()
        with self._tx() as conn:
            return set(conn.execute(select(S.weights.c.run_id).where(S.weights.c.run_id.in_(ids))).scalars())

    # --- events -----------------------------------------------------------------------------------
    def events(self, run_id: str, after: int = 0) -> list[tuple[int, Event]]:
        """(seq, event) of a run with seq > after, in order."""
        with self._tx() as conn:
            rows = conn.execute(select(S.events.c.seq, S.events.c.kind, S.events.c.payload).where(
                S.events.c.run_id == run_id, S.events.c.seq > after).order_by(S.events.c.seq)).all()
        return [(seq, event_from_row(kind, payload)) for seq, kind, payload in rows]

    def record(self, run_id: str) -> RunRecord:
        """The run's record so far (folded from its events; cached per run id and seq)."""
        return self.records.get(run_id)

    # --- owners (a browser's token) and recovery ------------------------------------------------------
    def owner_present(self, token: str, present: bool = True) -> None:
        """A tab of this owner opened (present) or its last tab closed (not present)."""
        now = time.time()
        with self._tx() as conn:
            if conn.execute(select(S.owners.c.token).where(S.owners.c.token == token)).first() is None:
                conn.execute(insert(S.owners).values(token=token, seen=now, left_at=None if present else now))
            else:
                conn.execute(update(S.owners).where(S.owners.c.token == token).values(
                    seen=now, left_at=None if present else now))

    def stop_abandoned(self, grace_s: float) -> int:
        """Stop the active runs of owners whose last tab closed more than grace_s ago; how many."""
        cutoff = time.time() - grace_s
        with self._tx() as conn:
            gone = select(S.owners.c.token).where(S.owners.c.left_at.is_not(None), S.owners.c.left_at < cutoff)
            ids = conn.execute(select(S.runs.c.id).where(S.runs.c.status.in_(ACTIVE), S.runs.c.owner.in_(gone),
                                                         S.runs.c.stop_requested.is_(False))).scalars().all()
        return sum(self.request_stop(run_id) for run_id in ids)

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


def _to_run(row) -> StoredRun:
    """A StoredRun from a runs-table mapping."""
    data = dict(row)
    data["config"] = RunConfig.from_dict(json.loads(data["config"]))
    data["stop_requested"] = bool(data["stop_requested"])
    return StoredRun(**data)


class RecordCache:
    """Runs' records folded from their stored events; each call folds only what is new."""

    def __init__(self, store: Store, limit: int = 256):
        self.store, self.limit = store, limit
        self._records: dict[str, tuple[RunRecord, int]] = {}
        self._lock = threading.Lock()

    def get(self, run_id: str) -> RunRecord:
        """The run's record with every stored event folded in (the one fold of stored events)."""
        with self._lock:
            record, seen = self._records.pop(run_id, (RunRecord(), 0))
            for seq, event in self.store.events(run_id, after=seen):
                record.add(event)
                seen = seq
            self._records[run_id] = (record, seen)  # re-inserted: the dict's order is recency
            while len(self._records) > self.limit:
                self._records.pop(next(iter(self._records)))
            return record

    def forget(self, run_id: str) -> None:
        """Drop a deleted run's record."""
        with self._lock:
            self._records.pop(run_id, None)


_stores: dict[str, Store] = {}
_stores_lock = threading.Lock()


def open_store(url: str | None = None) -> Store:
    """The process's Store for url (default: $RELULAB_DB, else the SQLite file); StoreError if unusable."""
    url = database_url(url)
    with _stores_lock:
        if url not in _stores:
            _stores[url] = Store(url)
        return _stores[url]
