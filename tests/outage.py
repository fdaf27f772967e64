"""Helpers of the fault tests: a run's stored events against the trainer's own record, and a run trained aside."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg

from lab.engine.events import Event, RunEnded, RunRecord, StepsLogged
from lab.runs.records import event_to_row
from lab.runs.store import Store
from tests.conftest import wait_until  # noqa: F401 - the outage tests' and bench/faults.py's
from tests.pg import PostgresServer


def assert_nothing_lost(store: Store, run_id: str, record: RunRecord, status: str) -> list[Event]:
    """The stored events are the trainer's record (execute_run's) step by step, each once, and its end; the events."""
    pairs = store.events(run_id)
    assert [seq for seq, _ in pairs] == list(range(1, len(pairs) + 1)), "gaps in the event numbers"
    events = [event for _, event in pairs]
    rows = [event_to_row(e) for e in events]
    assert len(set(rows)) == len(rows), "an event was stored twice"
    stored = store.record(run_id)
    steps = [s for e in events if isinstance(e, StepsLogged) for s in e.steps]
    assert steps == [s["step"] for s in record.steps], "logged steps missing, twice or out of order"
    assert stored.steps == record.steps  # step, loss and every layer's gradient norm, step by step
    assert stored.epochs == record.epochs and stored.activations == record.activations
    assert stored.config == record.config and stored.total_steps == record.total_steps
    assert isinstance(events[-1], RunEnded) and events[-1].status == status, events[-1]
    assert store.get_run(run_id).status == stored.status == status
    return events


def train_aside(execute, *args, **kwargs) -> tuple[threading.Thread, list]:
    """execute(*args, **kwargs) on a thread (as a worker would); the list gets its result."""
    out: list = []
    thread = threading.Thread(target=lambda: out.append(execute(*args, **kwargs)), daemon=True)
    thread.start()
    return thread, out


def hold_every_connection(pg: PostgresServer) -> list:
    """Open connections to pg until it refuses one for lack of slots; the open ones."""
    held = []
    while True:
        try:
            held.append(psycopg.connect(host="127.0.0.1", port=pg.port, user="relulab", password=pg.password,
                                        dbname="postgres", connect_timeout=5))
        except psycopg.OperationalError as exc:
            assert "too many clients" in str(exc), exc
            return held


def refuse_connections(pg: PostgresServer, url: str) -> list:
    """Every slot of pg taken and the store's connections cut; the connections held (close them to end it)."""
    # The store's connections are ended (as an administrator or a failover does) while every slot is taken:
    # a table lock holds them still meanwhile, so the slots they free are taken before they can reconnect.
    dbname = url.rsplit("/", 1)[1]
    locker = psycopg.connect(host="127.0.0.1", port=pg.port, user="relulab", password=pg.password, dbname=dbname)
    locker.execute("LOCK TABLE relulab_runs IN ACCESS EXCLUSIVE MODE")
    held = hold_every_connection(pg)
    locker.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                   "AND pid <> pg_backend_pid()", (dbname,))
    held += hold_every_connection(pg)
    locker.rollback()
    return [*held, locker]


def fill(folder: Path) -> Path:
    """Fill the filesystem of folder to the last byte; the file that fills it."""
    filler = folder / "filler"
    with open(filler, "wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass
    return filler
