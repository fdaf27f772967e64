"""Faults of the run store, with the real parts: PostgreSQL stopped and started by the test (10 s, and past
the writer's patience), PostgreSQL refusing new connections, a real small filesystem that fills under
SQLite, another process holding SQLite's write lock for 10 s, and the CLI through a restart.

For each: training goes on, the run's stored events are the trainer's own record step by step (nothing
missing, nothing twice) and its final status is the true one. (A SIGKILLed worker: test_local_runs.py.)
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import uuid

import pytest

from lab.engine.config import RunConfig
from lab.engine.events import RunEnded, StepsLogged
from lab.runs.errors import StoreUnavailable
from lab.runs.execute import WRITERS, execute_run
from lab.runs.recovery import PATIENCE_S, STALE_HEARTBEAT_S
from lab.runs.store import Store
from tests.conftest import ROOT
from tests.outage import assert_nothing_lost, fill, refuse_connections, train_aside, wait_until
from tests.pg import PostgresServer

# 1,200 steps an epoch, 100 epochs: longer than any test waits, so each of these runs ends with a stop.
LONG = RunConfig(depth=1, width=32, epochs=100, batch_size=50, log_every=2, probe_every=25)
SHORT = LONG.replace(epochs=2, train_subset=2000)  # 80 steps: it ends while the database is away
OUTAGE_S = 10.0


@pytest.fixture(scope="module")
def pg():
    """This module's own PostgreSQL (stopped and started by the tests), with few connection slots."""
    server = PostgresServer(max_connections=20).start()
    yield server
    server.stop()


def fresh_db(pg: PostgresServer) -> str:
    """A new database on pg; its URL."""
    return pg.new_database(f"o_{uuid.uuid4().hex[:10]}")


def start(store: Store, config: RunConfig, mnist, **kwargs):
    """A run trained on a thread, as a worker does: (run, thread, [its record], its writer) once a step is stored."""
    run = store.create_run(config, "alice")
    thread, out = train_aside(execute_run, store, run.id, threads=1, data=mnist, **kwargs)
    writer = wait_until(lambda: WRITERS.get(run.id), timeout=60)
    wait_until(lambda: store.get_run(run.id).step > 0, timeout=120)
    return run, thread, out, writer


def stop(store: Store, run, thread) -> None:
    """Ask the run to stop, as a page does, and wait for its trainer to have written everything."""
    assert store.request_stop(run.id)
    thread.join(timeout=120)
    assert not thread.is_alive()


def test_a_10_s_postgresql_restart_loses_nothing_and_runs_end_with_their_true_status(pg, mnist, caplog):
    caplog.set_level(logging.WARNING, logger="lab.runs.execute")
    store = Store(fresh_db(pg))
    long, long_thread, long_out, long_writer = start(store, LONG, mnist)
    long_writer.spool.limit = 10  # past 10 waiting events they go to the spool's file
    short, short_thread, short_out, short_writer = start(store, SHORT, mnist)
    pg.pause()
    down = time.monotonic()
    try:
        wait_until(lambda: long_writer.down_since is not None, timeout=30)
        step = long_writer.step
        with pytest.raises(StoreUnavailable, match="cannot be reached"):  # what a page meets: a sentence
            store.get_run(long.id)
        wait_until(lambda: short_writer.ended is not None, timeout=60)  # it finished with no store
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - down)))
        assert long_writer.step > step  # training went on
    finally:
        pg.resume()
    short_thread.join(timeout=60)
    assert_nothing_lost(store, short.id, short_out[0], "finished")
    assert store.load_weights(short.id)[1:] == ("final", 80)
    wait_until(lambda: long_writer.down_since is None, timeout=30)
    stop(store, long, long_thread)
    assert_nothing_lost(store, long.id, long_out[0], "stopped")
    assert long_writer.spool.spilled > 0 and long_writer.outages[0] >= OUTAGE_S - 1
    back = [r.getMessage() for r in caplog.records if "answers again" in r.getMessage()]
    assert any(short.id in m and "(the run had ended)" in m for m in back), back


def test_past_its_patience_a_run_ends_saying_why_and_its_events_still_arrive(pg, mnist):
    url = fresh_db(pg)
    store = Store(url)
    reader = Store(url)
    reader.stale_after = 6.0  # patience + 3 s here, as STALE_HEARTBEAT_S is PATIENCE_S + 60 s
    assert STALE_HEARTBEAT_S > PATIENCE_S
    run, thread, out, writer = start(store, LONG, mnist, patience=3.0)
    pg.pause()
    try:
        wait_until(lambda: writer.gave_up and writer.ended is not None, timeout=60)
        ended_at = writer.step
        time.sleep(7.0)  # its heartbeat is now older than the reader's limit
        assert writer.step == ended_at  # no training without the store past the patience
    finally:
        pg.resume()
    # A page looks at once: it may end the silent run before its writer gets through; nothing is lost then
    # either, and the writer's own end closes the run.
    reader.list_runs(owner="alice")
    thread.join(timeout=60)
    assert not thread.is_alive()
    events = assert_nothing_lost(store, run.id, out[0], "interrupted")
    assert "the run store could not be reached for 3 s" in events[-1].message
    assert store.get_run(run.id).message == events[-1].message
    assert store.load_weights(run.id)[1:] == ("checkpoint", ended_at)  # what it had learned is kept


def test_the_cli_rides_out_a_postgresql_restart(pg, tmp_path):
    url = fresh_db(pg)
    store = Store(url)
    out = tmp_path / "run.json"
    args = ["--depth", "1", "--width", "32", "--epochs", "100", "--batch-size", "50", "--log-every", "2",
            "--device", "cpu", "--quiet"]
    cli = subprocess.Popen([sys.executable, "-m", "lab", "train", *args, "--db", url, "--json", str(out)],
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        run = wait_until(lambda: (runs := store.list_runs()) and runs[0].step > 0 and runs[0], timeout=180)
        pg.pause()
        try:
            time.sleep(OUTAGE_S)
        finally:
            pg.resume()
        wait_until(lambda: store.get_run(run.id).step > run.step + 100, timeout=120)  # on it goes
        assert store.request_stop(run.id)
        stdout, stderr = cli.communicate(timeout=120)
    finally:
        cli.kill()
    assert cli.returncode == 0, stderr
    assert "Traceback" not in stderr + stdout
    assert stderr.count("the run store cannot be reached") == 1 and "the run store answers again" in stderr
    ended = store.get_run(run.id)
    assert ended.status == "stopped" and stdout.startswith("stopped: ")
    events = [e for _, e in store.events(run.id)]
    steps = [s for e in events if isinstance(e, StepsLogged) for s in e.steps]
    assert steps == list(range(1, ended.step + 1, 2))  # every logged step once, none missing
    assert [seq for seq, _ in store.events(run.id)] == list(range(1, len(events) + 1))
    assert isinstance(events[-1], RunEnded) and sum(isinstance(e, RunEnded) for e in events) == 1
    import json

    assert [s["step"] for s in json.loads(out.read_text())["steps"]] == steps


def test_postgresql_refusing_new_connections_loses_nothing(pg, mnist):
    url = fresh_db(pg)
    store = Store(url)
    run, thread, out, writer = start(store, LONG, mnist)
    held = refuse_connections(pg, url)
    try:
        wait_until(lambda: "refuses new connections" in str(writer.error), timeout=30)  # after its cut connection
        with pytest.raises(StoreUnavailable, match="refuses new connections"):  # a server starting now
            Store(url)
        step = writer.step
        time.sleep(OUTAGE_S)
        assert writer.step > step
    finally:
        for conn in held:
            conn.close()
    wait_until(lambda: writer.down_since is None, timeout=30)
    stop(store, run, thread)
    assert_nothing_lost(store, run.id, out[0], "stopped")


@pytest.fixture
def small_disk(tmp_path):
    """A real 8 MB filesystem (tmpfs) mounted for the test; unmounted after it."""
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(folder)], capture_output=True,
                             text=True)
    assert mounted.returncode == 0, f"mounting a small tmpfs needs root: {mounted.stderr}"
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_disk_under_the_sqlite_store_loses_nothing(small_disk, mnist):
    store = Store(f"sqlite:///{small_disk / 'runs.sqlite3'}")
    run, thread, out, writer = start(store, LONG, mnist)
    filler = fill(small_disk)
    try:
        wait_until(lambda: writer.down_since is not None, timeout=60)
        assert "is full" in str(writer.error)
        assert store.get_run(run.id).status == "running"  # reading still works: pages show the run
        step = writer.step
        wait_until(lambda: writer.step > step + 100, timeout=60)  # training goes on
    finally:
        filler.unlink()
    wait_until(lambda: writer.down_since is None, timeout=30)
    stop(store, run, thread)
    assert_nothing_lost(store, run.id, out[0], "stopped")
    store.engine.dispose()


def test_another_process_holding_the_sqlite_write_lock_for_10_s_loses_nothing(tmp_path, mnist):
    path = tmp_path / "runs.sqlite3"
    store = Store(f"sqlite:///{path}")
    run, thread, out, writer = start(store, LONG, mnist)
    hold = ("import sqlite3, sys, time\nc = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('BEGIN IMMEDIATE')\nprint('locked', flush=True)\ntime.sleep(float(sys.argv[2]))\n"
            "c.execute('ROLLBACK')\n")
    locker = subprocess.Popen([sys.executable, "-c", hold, str(path), str(OUTAGE_S)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert locker.stdout.readline().strip() == "locked"
        stored, step = store.get_run(run.id).step, writer.step
        time.sleep(OUTAGE_S / 2)
        assert store.get_run(run.id).step == stored  # pages still read (WAL); the writer waits for the lock
        assert writer.step > step and locker.poll() is None  # and training goes on meanwhile
        locker.wait(timeout=60)
    finally:
        locker.kill()
    wait_until(lambda: store.get_run(run.id).step > stored, timeout=60)
    stop(store, run, thread)
    assert_nothing_lost(store, run.id, out[0], "stopped")
    assert writer.outages == []  # a lock is waited for (busy_timeout 30 s), not an outage
