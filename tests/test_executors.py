"""The executor contract, once per executor (local worker processes; Ray on a two-node loopback cluster).

Each executor trains a stored run to its end with its events in order, honours a stop within a
second, records finished / stopped / diverged, and a killed training process ends only its own
run (interrupted for a local worker, failed for a Ray task), with a message. The Ray cases run
inside a private network namespace (tests/ray_netns.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from lab.engine.config import RunConfig
from lab.engine.events import EpochEnded, RunEnded, RunStarted, StepsLogged
from lab.runs.store import Store
from tests.conftest import ROOT, wait_until

pytest_plugins = ["tests.ray_netns"]

TINY = RunConfig(depth=1, width=32, epochs=1, train_subset=2000, log_every=10, batch_size=100)
LONG = RunConfig(depth=2, width=256, epochs=50)  # far longer than any test waits: always stopped
DIVERGES = RunConfig(depth=1, width=32, epochs=1, train_subset=2000, optimizer="sgd", lr=1000.0, log_every=1)


@pytest.fixture(scope="module", params=["local", pytest.param("ray", marks=pytest.mark.netns)])
def executor(request, tmp_path_factory):
    """A started executor of each kind on a SQLite store (for Ray: the session's; None outside the namespace)."""
    if request.param == "ray":
        yield request.getfixturevalue("ray_executor")
        return
    from lab.runs.executor import LocalExecutor

    ex = LocalExecutor(Store(f"sqlite:///{tmp_path_factory.mktemp('store') / 'runs.sqlite3'}"), slots=2,
                       threads_per_run=1)
    yield ex
    ex.close()


@pytest.fixture
def store(executor):
    """The executor's store."""
    return executor.store if executor is not None else None


def start(store: Store, executor, config: RunConfig):
    """Queue a run for this executor and hand it over, as a page does."""
    run = store.create_run(config, owner="test", executor=executor.name)
    executor.submit(run.id)
    return run.id


def ended(store: Store, run_id: str, timeout: float = 120.0):
    """The run once it has ended."""
    return wait_until(lambda: (r := store.get_run(run_id)) is not None and not r.active and r, timeout)


def stop_and_time(store: Store, executor, run_id: str) -> float:
    """Ask a training run to stop as a page does; seconds until the store says stopped."""
    asked = time.monotonic()
    assert store.request_stop(run_id)
    executor.stop(run_id)
    run = wait_until(lambda: (r := store.get_run(run_id)).status != "running" and r, timeout=30, every=0.01)
    assert run.status == "stopped", run.message
    return time.monotonic() - asked


def test_a_run_trains_to_the_end_with_its_events_in_order(store, executor):
    run_id = start(store, executor, TINY)
    run = ended(store, run_id)
    assert run.status == "finished", run.message
    assert run.executor == executor.name and run.node and run.started and run.ended >= run.started
    if executor.name == "ray":
        assert run.node.startswith("ray:127.0.0.1/")
    events = [e for _, e in store.events(run_id)]
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunEnded)
    steps = [s for e in events if isinstance(e, StepsLogged) for s in e.steps]
    assert steps == [1, 11]  # 2000 images / 100 per batch = 20 steps, every 10th logged from step 1
    assert [e.epoch for e in events if isinstance(e, EpochEnded)] == [1]
    record = store.record(run_id)
    assert record.status == "finished" and record.final_test_acc == run.test_acc > 0.5
    wait_until(lambda: (w := store.load_weights(run_id)) and w[1:] == ("final", 20), timeout=10)


def test_stop_ends_a_training_run_within_a_second(store, executor):
    run_id = start(store, executor, LONG)
    wait_until(lambda: store.get_run(run_id).step > 0)
    seconds = stop_and_time(store, executor, run_id)
    assert seconds < 1.0, f"stopped after {seconds:.2f} s"
    # A stopped run keeps what it learned (its final weights land just after its status).
    wait_until(lambda: (w := store.load_weights(run_id)) and w[1] == "final", timeout=10)


def test_a_run_that_blows_up_ends_as_diverged(store, executor):
    run_id = start(store, executor, DIVERGES)
    run = ended(store, run_id)
    assert run.status == "diverged" and "learning rate 1000" in run.message, run.message
    assert store.record(run_id).status == "diverged"


def test_a_killed_training_process_ends_only_its_run(store, executor):
    victim, survivor = start(store, executor, LONG), start(store, executor, LONG)
    runs = wait_until(lambda: all(store.get_run(i).step > 0 for i in (victim, survivor))
                    and [store.get_run(i) for i in (victim, survivor)], timeout=240)  # a fresh worker starts
    assert runs[0].pid != runs[1].pid
    os.kill(runs[0].pid, signal.SIGKILL)
    dead = ended(store, victim, timeout=30)
    # A local worker's run is interrupted (its checkpoint kept); a Ray task's fails with what was lost.
    status = "interrupted" if executor.name == "local" else "failed"
    assert dead.status == status and "unexpectedly" in dead.message, dead.message
    # The end is in the events too, for every reader (appended just after the row's status).
    wait_until(lambda: store.record(victim).status == status, timeout=10)
    step = store.get_run(survivor).step
    wait_until(lambda: store.get_run(survivor).step > step, timeout=30)  # the other run goes on
    assert store.get_run(survivor).status == "running"
    stop_and_time(store, executor, survivor)


def test_the_default_start_never_imports_ray():
    # Without RELULAB_RAY_ADDRESS nothing loads ray (no cluster, none of its memory), Ray installed or not.
    code = ("import sys, lab.runs.executor, lab.runs.store, lab.cli.runs, lab.__main__; "
            "from lab.runs.executor import get_executor, LocalExecutor; "
            "assert 'ray' not in sys.modules and 'lab.runs.ray_executor' not in sys.modules, 'ray imported'; "
            "print('ok')")
    env = {k: v for k, v in os.environ.items() if k != "RELULAB_RAY_ADDRESS"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
