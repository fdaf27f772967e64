"""The run store on SQLite and on a real PostgreSQL server: runs, events, weights, owners, recovery, faults."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time

import pytest
import torch
from sqlalchemy import create_engine, text

from lab.engine.config import RunConfig
from lab.engine.events import EpochEnded, RunEnded, RunStarted, StepsLogged
from lab.engine.models import build_from_config, plain_state_dict
from lab.runs.execute import execute_run
from lab.runs.progress import progress_of
from lab.runs.schema import SCHEMA_VERSION
from lab.runs.sources import browser_models, run_model
from lab.runs.store import Store, StoreError, is_run_id
from lab.web.train_form import eta_ready

TINY = RunConfig(depth=1, width=32, epochs=2, train_subset=500, batch_size=50, log_every=1, probe_every=3)


def test_a_run_trained_through_the_store_reads_back_as_the_trainer_recorded_it(store_url, mnist):
    store = Store(store_url)
    run = store.create_run(TINY, "alice", group="g1")
    assert run.status == "queued" and run.number == 1 and is_run_id(run.id) and run.config == TINY
    record = execute_run(store, run.id, threads=1, data=mnist)
    done = store.get_run(run.id)
    assert done.status == "finished" and done.step == 20 and done.total_steps == 20 and done.node
    assert done.test_acc == record.epochs[-1]["test_acc"] and done.final_loss == pytest.approx(
        record.steps[-1]["loss"])
    events = [e for _, e in store.events(run.id)]
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunEnded)
    assert [s for e in events if isinstance(e, StepsLogged) for s in e.steps] == list(range(1, 21))
    assert [e.epoch for e in events if isinstance(e, EpochEnded)] == [1, 2]
    read = store.record(run.id)  # the one fold of stored events
    assert read.steps == record.steps and read.epochs == record.epochs and read.status == "finished"
    assert read.activations == record.activations and read.total_steps == 20
    weights, kind, step = store.load_weights(run.id)
    assert kind == "final" and step == 20 and set(weights) == {"fc1.weight", "fc1.bias", "out.weight", "out.bias"}
    again = Store(store_url)  # another process (or a restarted server) sees the same run
    assert again.record(run.id).steps == record.steps and again.get_run(run.id).status == "finished"
    summary = done.summary()
    assert summary["id"] == run.id and summary["config"]["depth"] == 1 and summary["test_acc"] == done.test_acc


def test_each_owner_numbers_its_runs_and_sees_only_them(store_url):
    store = Store(store_url)
    a1, b1, a2 = (store.create_run(TINY, o) for o in ("alice", "bob", "alice"))
    assert (a1.number, b1.number, a2.number) == (1, 1, 2)
    assert [r.id for r in store.list_runs(owner="alice")] == [a1.id, a2.id]
    assert a1.label.startswith("#1 relu · adam 0.001 · 1×32")
    assert not store.request_stop(a1.id, owner="bob")  # another browser cannot stop it
    assert store.get_run(a1.id).status == "queued"
    assert store.request_stop(a1.id, owner="alice") and store.get_run(a1.id).status == "stopped"
    assert not store.delete_run(a2.id, owner="bob") and store.get_run(a2.id) is not None
    assert not store.delete_run(a2.id, owner="alice")  # still queued: an active run is stopped, not deleted
    assert store.delete_run(a1.id, owner="alice") and store.get_run(a1.id) is None
    assert store.get_run("not-a-run") is None and store.get_run("x" * 22) is None


def test_workers_claim_queued_runs_oldest_first_and_never_twice(store_url):
    store = Store(store_url)
    made = [store.create_run(TINY, f"s{i}") for i in range(12)]
    assert [store.queue_place(r) for r in made[:3]] == [1, 2, 3]
    claimed: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        while (run := Store(store_url).claim("local")) is not None:
            with lock:
                claimed.append(run.id)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(claimed) == sorted(r.id for r in made) and len(set(claimed)) == 12
    assert store.claim("local") is None and store.load() == (12, 0)
    ray_run = store.create_run(TINY, "s", executor="ray")
    assert store.claim("local") is None  # a Ray run is not a local worker's
    assert store.claim("ray", ray_run.id).status == "running"


def test_ten_runs_writing_at_once_lose_nothing(store_url):
    store = Store(store_url)
    runs = [store.create_run(TINY, f"s{i}") for i in range(10)]
    for run in runs:
        store.claim("local", run.id)
    errors: list[BaseException] = []

    def write(run_id: str) -> None:
        try:
            mine = Store(store_url)
            for block in range(20):
                steps = list(range(block * 5 + 1, block * 5 + 6))
                mine.append_events(run_id, [StepsLogged(steps, [0.5] * 5, [[1.0, 2.0]] * 5)])
                mine.save_weights(run_id, {"w": torch.full((64, 64), float(block))}, block)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(r.id,)) for r in runs]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []  # no "database is locked"
    for run in runs:
        assert [s["step"] for s in store.record(run.id).steps] == list(range(1, 101))
        assert store.get_run(run.id).last_seq == 20 and store.load_weights(run.id)[2] == 19


def test_stop_reaches_a_training_run_through_the_store_within_a_second(store_url, mnist):
    store = Store(store_url)
    run = store.create_run(RunConfig(depth=2, width=256, epochs=50), "alice")
    box: dict = {}
    thread = threading.Thread(target=lambda: box.update(record=execute_run(store, run.id, threads=1, data=mnist)))
    thread.start()
    deadline = time.monotonic() + 60
    while store.get_run(run.id).step < 50 and time.monotonic() < deadline:
        time.sleep(0.02)
    asked = time.monotonic()
    assert store.request_stop(run.id, owner="alice")
    while store.get_run(run.id).status == "running" and time.monotonic() - asked < 10:
        time.sleep(0.01)
    took = time.monotonic() - asked
    thread.join(30)
    done = store.get_run(run.id)
    # bench/latency.py measures the latency (target 1 s); here only a bound a loaded CI machine keeps.
    assert done.status == "stopped" and took < 5.0, took
    weights, kind, _ = store.load_weights(run.id)
    assert kind == "final" and not torch.equal(weights["fc1.weight"], plain_state_dict(
        build_from_config(run.config))["fc1.weight"])  # it trained, and its weights were kept


def test_a_checkpoint_lets_other_pages_use_a_model_that_is_still_learning(store_url, mnist):
    store = Store(store_url)
    # Long enough that an epoch ends more than a second in (the writer's first checkpoint) well before
    # the last: the final weights are written before the run's status, so a short run could show them
    # to a reader that still reads "running".
    run = store.create_run(RunConfig(depth=1, width=64, epochs=40, train_subset=6000), "alice")
    thread = threading.Thread(target=execute_run, args=(store, run.id), kwargs={"threads": 1, "data": mnist})
    thread.start()
    deadline = time.monotonic() + 120
    while store.load_weights(run.id) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    live = store.load_weights(run.id)
    (learning,) = browser_models(store, "alice")
    still_running, learning_live = store.get_run(run.id).status == "running", learning.live
    store.request_stop(run.id, "alice")
    thread.join(120)
    assert live is not None and live[1] == "checkpoint" and still_running and learning_live
    assert learning.snapshot()["fc1.weight"].shape == (64, 784)
    (source,) = browser_models(store, "alice")
    assert source.run_id == run.id and source.test_acc == store.get_run(run.id).test_acc and not source.live
    assert run_model(store, run.id).snapshot()["fc1.weight"].shape == (64, 784)
    assert browser_models(store, "bob") == [] and run_model(store, "nope" * 5) is None


def test_a_closed_browser_keeps_its_runs_for_the_grace_period_then_they_stop(store_url):
    store = Store(store_url)
    queued = store.create_run(TINY, "alice")
    running = store.create_run(TINY, "alice")
    store.claim("local", running.id)
    store.owner_present("alice", present=False)  # its last tab closed
    assert store.stop_abandoned(grace_s=60) == 0  # a refresh comes back well within a minute
    store.owner_present("alice", present=True)  # ... like this
    store.owner_present("alice", present=False)
    time.sleep(0.05)
    assert store.stop_abandoned(grace_s=0.01) == 2
    assert store.get_run(queued.id).status == "stopped" and store.stop_requested(running.id)


def test_after_a_crash_runs_marked_running_become_interrupted_and_finished_ones_stay(store_url, mnist):
    store = Store(store_url)
    finished = store.create_run(TINY, "alice")
    execute_run(store, finished.id, threads=1, data=mnist)
    orphan = store.create_run(TINY, "alice")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    store.claim("local", orphan.id, pid=int(dead.stdout))  # its process has gone, as after SIGKILL
    waiting = store.create_run(TINY, "alice")
    assert Store(store_url).recover() == 1
    assert store.get_run(orphan.id).status == "interrupted" and "Interrupted" in store.get_run(orphan.id).message
    assert store.record(orphan.id).status == "interrupted"
    assert store.get_run(finished.id).status == "finished" and store.load_weights(finished.id)[1] == "final"
    assert store.get_run(waiting.id).status == "queued"  # it trains when a worker is back


def test_progress_reports_queue_place_then_steps_and_an_eta_once_settled(store_url):
    store = Store(store_url)
    first, second = store.create_run(TINY, "a"), store.create_run(TINY, "a")
    assert progress_of(second, store.queue_place(second)).place == 2
    store.claim("local", first.id)
    store.append_events(first.id, [StepsLogged([1, 2], [2.0, 1.9], [[1.0, 1.0]] * 2)])
    run = store.get_run(first.id)
    early = progress_of(run, now=run.started + 1.0)
    assert early.state == "running" and early.step == 2 and not eta_ready(early)  # too early to guess
    later = progress_of(run.__class__(**{**run.__dict__, "step": 10, "total_steps": 20}), now=run.started + 5.0)
    assert later.eta == pytest.approx(5.0) and later.fraction == 0.5 and later.epoch == 1 and eta_ready(later)


# --- what goes wrong, each a clear message, nothing lost -----------------------------------------------


def test_a_store_written_by_a_newer_version_or_by_someone_else_is_refused_untouched(tmp_path):
    newer = f"sqlite:///{tmp_path / 'newer.sqlite3'}"
    Store(newer)
    with create_engine(newer).begin() as conn:
        conn.execute(text("UPDATE relulab_meta SET value = :v WHERE key = 'schema_version'"),
                     {"v": str(SCHEMA_VERSION + 1)})
    with pytest.raises(StoreError, match="newer ReLU Lab"):
        Store(newer)
    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        conn.execute("INSERT INTO invoices VALUES (1, 9.5)")
    with pytest.raises(StoreError, match="other tables"):
        Store(f"sqlite:///{foreign}")
    with sqlite3.connect(foreign) as conn:
        assert conn.execute("SELECT * FROM invoices").fetchall() == [(1, 9.5)]
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["invoices"]


def test_a_corrupt_or_read_only_sqlite_file_gives_a_clear_message(tmp_path):
    corrupt = tmp_path / "corrupt.sqlite3"
    corrupt.write_bytes(b"this is not a database, it is a shopping list" * 100)
    before = corrupt.read_bytes()
    with pytest.raises(StoreError, match="not a readable SQLite database"):
        Store(f"sqlite:///{corrupt}")
    assert corrupt.read_bytes() == before  # never wiped
    path = tmp_path / "runs.sqlite3"
    Store(f"sqlite:///{path}").create_run(TINY, "alice")
    # Opened read-only, as a file the server's user may not write (root ignores file modes).
    read_only = Store.__new__(Store)
    read_only.__dict__.update(Store(f"sqlite:///{path}").__dict__)
    read_only.engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    assert [r.owner for r in read_only.list_runs()] == ["alice"]  # reading still works
    with pytest.raises(StoreError, match="read-only"):
        read_only.create_run(TINY, "bob")


def test_a_full_disk_gives_a_clear_message(tmp_path):
    url = f"sqlite:///{tmp_path / 'full.sqlite3'}"
    store = Store(url)
    run = store.create_run(TINY, "alice")
    store.claim("local", run.id)
    with store.engine.begin() as conn:  # SQLite's own page limit: the same error as a full disk
        pages = conn.execute(text("PRAGMA page_count")).scalar()
    limited = Store.__new__(Store)
    limited.__dict__.update(store.__dict__)
    from sqlalchemy import event

    from lab.runs.schema import make_engine

    limited.engine = make_engine(url)
    event.listen(limited.engine, "connect", lambda c, _r: c.execute(f"PRAGMA max_page_count={pages + 2}"))
    with pytest.raises(StoreError, match="full"):
        for _ in range(50):
            limited.save_weights(run.id, {"w": torch.randn(256, 256)}, 1)
    assert store.get_run(run.id).status == "running"  # what was there is still there


def test_an_unreachable_or_misconfigured_postgresql_gives_a_clear_message(postgres):
    with pytest.raises(StoreError, match="refused the user name or password"):
        Store(postgres.url("postgres", password="wrong"))
    with pytest.raises(StoreError, match="cannot be reached") as caught:
        Store(f"postgresql+psycopg://relulab:pw@127.0.0.1:{_closed_port()}/x")
    assert "pw@" not in str(caught.value)  # no password in messages
    with pytest.raises(StoreError, match="not a database URL"):
        Store("definitely not a url")


def _closed_port() -> int:
    """A loopback port with nothing listening."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_browser_keeps_its_owner_token_and_a_forged_cookie_is_not_trusted():
    from lab.web.presence import cookie_script, owner_token, valid_token

    mine = owner_token(None, None)
    assert valid_token(mine) and owner_token(mine, None) == mine  # a reload: the cookie's token
    assert owner_token("other-browser-token-123", mine) == mine  # this session's wins
    for forged in ("", "x", "a" * 65, "abc'; alert(1); '" + "a" * 20, "../../etc/passwd0000000"):
        assert not valid_token(forged) and owner_token(forged, None) not in (forged, "")
    assert f"relulab_owner={mine};" in cookie_script(mine) and "max-age=31536000" in cookie_script(mine)
