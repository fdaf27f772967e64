"""Runs in worker processes (the app's default): the same numbers as in a thread, Stop, weights,
a killed worker fails only its run, and no worker outlives the server."""

from __future__ import annotations

import threading
import time

import pytest
import torch

from lab.events import RunStarted
from lab.models import build_from_config, plain_state_dict
from lab.runqueue import use_processes
from lab.worker import RunQueue, SessionRuns
from lab.workproc import WorkerProcess
from tests.test_worker import LONG, TINY, wait_until


@pytest.fixture(scope="module")
def process_queue():
    """One warm worker for the module (starting one imports torch: seconds)."""
    queue = RunQueue(limit=1, threads_per_run=1, processes=True)
    queue.pool.release(queue.pool.acquire())
    yield queue
    queue.pool.close()


def test_a_process_run_matches_the_same_run_in_a_thread(process_queue, mnist):
    in_thread = SessionRuns(queue=RunQueue(limit=1, threads_per_run=1), data=mnist)
    in_process = SessionRuns(queue=process_queue)
    a, b = in_thread.start(TINY), in_process.start(TINY)
    assert in_thread.join(120) and in_process.join(120)
    assert b.trainer is None and b.ended.status == "finished"
    assert [s["loss"] for s in b.view().steps] == [s["loss"] for s in a.view().steps]
    assert b.view().epochs[-1]["test_acc"] == a.view().epochs[-1]["test_acc"]
    final_a, final_b = a.snapshot(), b.snapshot()
    assert all(torch.equal(final_a[k], final_b[k]) for k in final_a)
    (entry,) = in_process.history.entries()
    assert entry.record.status == "finished" and entry.source.snapshot().keys() == final_a.keys()


def test_stop_ends_a_process_run_at_once(process_queue):
    runs = SessionRuns(queue=process_queue)
    job = runs.start(LONG)
    wait_until(lambda: job.state == "running" and job.step >= 100)
    asked = time.monotonic()
    job.stop()
    assert job.join(timeout=10), "the run did not stop"
    seconds = time.monotonic() - asked
    print(f"stop took {seconds * 1000:.0f} ms, at step {job.ended.step}")
    assert job.ended.status == "stopped" and seconds < 2 and process_queue.load() == (0, 0)


def test_snapshots_while_training_never_hang_the_run(process_queue):
    """The Draw page asks a live run for weights every second; answers may cross the run's end."""
    blocker = SessionRuns(queue=process_queue).start(LONG)  # holds the only slot meanwhile
    runs = SessionRuns(queue=process_queue)
    job = runs.start(TINY.replace(epochs=6))
    initial = plain_state_dict(build_from_config(job.config))
    first = job.snapshot()  # still queued: the exact initial weights, without a worker
    assert job.state == "queued" and all(torch.equal(first[k], initial[k]) for k in initial)
    blocker.stop()
    seen, halt = [], threading.Event()

    def ask() -> None:
        while not halt.is_set():
            seen.append(job.snapshot()["fc1.weight"].sum().item())

    askers = [threading.Thread(target=ask) for _ in range(3)]
    for asker in askers:
        asker.start()
    try:
        assert job.join(timeout=60), "a snapshot request hung the run"
    finally:
        halt.set()
        for asker in askers:
            asker.join(10)
    assert job.ended.status == "finished" and len(set(seen)) > 1  # the weights moved while we looked
    assert not any(asker.is_alive() for asker in askers)


def test_a_killed_worker_fails_its_run_only_and_the_next_run_trains(process_queue):
    runs = SessionRuns(queue=process_queue)
    job = runs.start(LONG)
    wait_until(lambda: job._remote is not None and job.step >= 50)
    job._remote.proc.kill()  # what the kernel's out-of-memory killer would do
    assert job.join(timeout=20)
    assert job.ended.status == "failed" and "ended unexpectedly" in job.ended.message
    assert "exit code -9" in job.ended.message and process_queue.load() == (0, 0)
    with pytest.raises(RuntimeError, match="without weights"):
        job.snapshot()  # the Draw page shows this as a message
    after = runs.start(TINY)  # a fresh worker takes over
    assert runs.join(120) and after.ended.status == "finished"


def test_a_closed_tab_stops_its_process_run(process_queue):
    tab = SessionRuns(queue=process_queue)
    job = tab.start(LONG)
    queued = tab.start(TINY)
    wait_until(lambda: job.state == "running" and job.step >= 50)
    tab.release()
    assert tab.join(timeout=10) and job.ended.status == "stopped" and queued.ended is None
    assert process_queue.load() == (0, 0)


def test_a_worker_exits_when_the_server_side_closes():
    worker = WorkerProcess()
    worker.wait_ready()
    worker._out.close()  # the server process is gone: its end of the pipe closes
    worker.proc.wait(timeout=10)
    assert worker.proc.returncode == 0
    worker.close()


def test_the_app_trains_in_processes_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("RELULAB_WORKERS", raising=False)
    assert use_processes()
    monkeypatch.setenv("RELULAB_WORKERS", "thread")
    assert not use_processes()


def test_a_worker_that_cannot_start_leaves_the_run_in_a_thread(monkeypatch):
    from lab import workproc

    def broken(self):
        raise OSError("no processes left (simulated)")

    monkeypatch.setattr(workproc.WorkerProcess, "__init__", broken)
    queue = RunQueue(limit=1, threads_per_run=1, processes=True)
    runs = SessionRuns(queue=queue)
    job = runs.start(TINY)
    assert runs.join(120) and job.ended.status == "finished" and job.trainer is not None
    assert isinstance(job.buffer.since(0)[0][0], RunStarted)
