"""Running a stored run, wherever it runs: execute_run() and the local executor's worker processes.

An executor takes run ids; the config and everything else come from the store, and
everything a run produces goes back to it (events, checkpoints, the end). The local
executor needs no queue of its own: its worker processes claim the oldest queued run
from the store. A Ray executor (lab/ray_executor.py) runs the same execute_run() as a
Ray task. A stop is the store's stop flag, polled by the trainer's writer thread.
"""

from __future__ import annotations

import logging
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Protocol

from lab import budget
from lab.events import EpochEnded, Event, RunEnded, RunRecord, StepsLogged
from lab.store import NODE, Store, StoreError, open_store

LOG = logging.getLogger(__name__)
POLL_S = 0.1  # an idle worker looks for a queued run this often (one indexed SELECT)
STOP_POLL_S = 0.25  # a training run looks at its stop flag this often
CHECKPOINT_S = 5.0  # a running run's weights are stored at most this often (and every epoch)
GRACE_S = float(os.environ.get("RELULAB_GRACE_S", "60"))  # a closed tab's runs stop after this
WORKER_NICE = 5
ROOT = Path(__file__).resolve().parent.parent


class Executor(Protocol):
    """What runs runs: submit a queued run's id; stop is the store's flag (plus a fallback)."""

    name: str

    def submit(self, run_id: str) -> None:
        """Make sure the queued run will train."""

    def stop(self, run_id: str) -> None:
        """Fallback after the store's stop flag (e.g. cancel a task that never started)."""

    def close(self) -> None:
        """Release workers or the cluster connection."""


class StoreWriter:
    """The trainer's on_event: a thread writes events in batches, stores checkpoints, polls the stop flag."""

    def __init__(self, store: Store, run_id: str, trainer_ref: list):
        self.store, self.run_id, self._trainer = store, run_id, trainer_ref
        self._queue: queue.Queue = queue.Queue()
        self._last_ckpt = time.monotonic()
        self.error: StoreError | None = None
        self.ended: RunEnded | None = None
        self._thread = threading.Thread(target=self._loop, name=f"relulab-writer-{run_id[:6]}", daemon=True)
        self._thread.start()

    def __call__(self, event: Event) -> None:
        """Trainer callback: never blocks on the database."""
        if isinstance(event, RunEnded):
            self.ended = event
        self._queue.put(event)

    def _loop(self) -> None:
        """Write what comes, a batch per transaction; check the stop flag between batches."""
        last_poll, done = 0.0, False
        while not done:
            try:
                batch = [self._queue.get(timeout=STOP_POLL_S)]
            except queue.Empty:
                batch = []
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            done = any(e is None for e in batch)
            batch = [e for e in batch if e is not None]
            try:
                self.store.append_events(self.run_id, batch)
                # Every epoch's end and every CHECKPOINT_S, but never more than once a second:
                # short epochs (a small subset) would otherwise spend the writer on weights.
                since = time.monotonic() - self._last_ckpt
                if since > CHECKPOINT_S and any(isinstance(e, StepsLogged) for e in batch) or (
                        since > 1.0 and any(isinstance(e, EpochEnded) for e in batch)):
                    self._checkpoint()
                if not done and time.monotonic() - last_poll >= STOP_POLL_S:
                    last_poll = time.monotonic()
                    if self.store.beat(self.run_id) and self._trainer:
                        self._trainer[0].stop()
            except StoreError as exc:  # the disk is full, the database went away: end the run
                LOG.error("run %s: %s", self.run_id, exc)
                self.error = exc
                if self._trainer:
                    self._trainer[0].stop()

    def _checkpoint(self) -> None:
        """Store the current weights so the Draw page can use a model that is still learning."""
        trainer = self._trainer[0] if self._trainer else None
        if trainer is not None:
            self.store.save_weights(self.run_id, trainer.snapshot(), trainer.step)
            self._last_ckpt = time.monotonic()

    def close(self) -> None:
        """Write what is left and end the thread."""
        self._queue.put(None)
        self._thread.join(timeout=60)


def execute_run(store: Store, run_id: str, threads: int | None = None, data=None, claimed: bool = False,
                executor: str = "local", node: str = NODE) -> RunRecord | None:
    """Claim a queued run (unless claimed), train it, write its events, weights and end; its record."""
    import torch

    from lab.train import Trainer

    run = store.get_run(run_id) if claimed else store.claim(executor, run_id, node=node)
    if run is None:
        return None  # stopped while queued, or another worker took it
    if threads:
        torch.set_num_threads(threads)
    trainer_ref: list = []
    writer = StoreWriter(store, run_id, trainer_ref)
    try:
        trainer = Trainer(run.config, writer, data=data)
    except Exception as exc:  # noqa: BLE001 - e.g. CUDA gone: this run fails, the worker stays
        writer.close()
        store.end_without_events(run_id, "failed", f"{type(exc).__name__}: {exc}")
        return None
    trainer_ref.append(trainer)
    if store.stop_requested(run_id):
        trainer.stop()
    record = trainer.run()  # never raises: a failure ends with a RunEnded "failed"
    writer.close()  # the RunEnded event is written with the rest; finish() records the row's end
    ended = writer.ended
    if writer.error is not None:
        ended = RunEnded("failed", str(writer.error), ended.step, ended.loss, ended.seconds)
    usable = ended.status in ("finished", "stopped") and trainer.step > 0
    try:
        store.finish(run_id, ended, trainer.snapshot() if usable else None, event_written=True)
    except StoreError as exc:
        LOG.error("run %s could not be finished in the store: %s", run_id, exc)
    return record


def default_limit() -> int:
    """Runs that may train at once: $RELULAB_MAX_RUNS, else what the container's CPU and memory allow."""
    return budget.run_slots(budget.read_limits())


def _worker_main(url: str, threads: int, parent: int) -> None:
    """A local worker process: claim the oldest queued run, train it, repeat; exit with the server."""
    import torch

    from lab.data import load_mnist

    os.nice(WORKER_NICE)  # pages (a Stop click, a student opening the app) come first
    torch.set_num_threads(threads)
    store, data = open_store(url), load_mnist()

    def watch_parent() -> None:
        while os.getppid() == parent:
            time.sleep(0.25)
        # The server is gone (killed): the run in hand cannot be seen by anyone; end it honestly.
        for run in store.list_runs(statuses=["running"]):
            if run.pid == os.getpid():
                store.end_without_events(run.id, "interrupted",
                                         f"Interrupted at step {run.step}: the server stopped.")
        os._exit(0)

    threading.Thread(target=watch_parent, name="relulab-parent", daemon=True).start()
    while True:
        try:
            run = store.claim("local")
        except StoreError as exc:
            LOG.error("worker: %s", exc)
            time.sleep(2.0)
            continue
        if run is None:
            time.sleep(POLL_S)
            continue
        execute_run(store, run.id, data=data, claimed=True)


class LocalExecutor:
    """Worker processes on this host (one per run slot), fed by the store's queue (FIFO)."""

    name = "local"

    def __init__(self, store: Store, slots: int | None = None, threads_per_run: int | None = None):
        limits, budgeted = budget.server_budget()  # says the budget in the server log
        self.store, self.slots = store, slots or budgeted
        # Torch threads per run: all runs together use half the cores, the rest serve the app.
        # Oversubscribed OpenMP threads spin-wait: on a busy 2-core box one 2-thread run was
        # 16x slower per epoch than a 1-thread run.
        self.threads = threads_per_run or budget.threads_per_run(limits, self.slots)
        self._procs: list[subprocess.Popen] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self.store.recover()
        for _ in range(self.slots):
            self._spawn()
        self._monitor = threading.Thread(target=self._watch, name="relulab-executor", daemon=True)
        self._monitor.start()

    def _spawn(self) -> None:
        """Start one worker process (a fresh interpreter: never fork a server that holds threads)."""
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
        command = [sys.executable, "-m", "lab.executor", self.store.url, str(self.threads), str(os.getpid())]
        self._procs.append(subprocess.Popen(command, cwd=ROOT, env=env))

    def _watch(self) -> None:
        """Replace dead workers (failing their run only) and stop abandoned runs."""
        while not self._closed.wait(1.0):
            with self._lock:
                for proc in [p for p in self._procs if p.poll() is not None]:
                    self._procs.remove(proc)
                    why = "; killed, perhaps for lack of memory" if proc.returncode == -9 else ""
                    self._end_runs_of(proc.pid, "failed", "The training process ended unexpectedly "
                                      f"(exit code {proc.returncode}{why}).")
                    if not self._closed.is_set():
                        self._spawn()
            try:
                self.store.stop_abandoned(GRACE_S)
            except StoreError as exc:
                LOG.error("executor: %s", exc)

    def _end_runs_of(self, pid: int, status: str, message: str) -> None:
        """A worker has gone: its run (if any) ends with a message people understand."""
        for run in self.store.list_runs(statuses=["running"]):
            if run.pid == pid and run.node == NODE:
                self.store.end_without_events(run.id, status, message)

    @property
    def pids(self) -> list[int]:
        """The worker processes' pids."""
        with self._lock:
            return [p.pid for p in self._procs]

    def submit(self, run_id: str) -> None:
        """Nothing to do: an idle worker claims the queued run within POLL_S."""

    def stop(self, run_id: str) -> None:
        """Nothing beyond the store's flag: the run's writer polls it."""

    def close(self) -> None:
        """Stop the workers (their runs end as interrupted)."""
        self._closed.set()
        with self._lock:
            for proc in self._procs:
                proc.terminate()
            for proc in self._procs:
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                self._end_runs_of(proc.pid, "interrupted", "Interrupted: the server stopped.")
            self._procs.clear()


_executors: dict[str, Executor] = {}
_executor_lock = threading.Lock()


def get_executor(store: Store | None = None) -> Executor:
    """This process's executor for the store (created once): Ray if $RELULAB_RAY_ADDRESS is set, else local."""
    store = store or open_store()
    with _executor_lock:
        if store.url not in _executors:  # one per store URL: a process (a test run) may switch stores
            address = os.environ.get("RELULAB_RAY_ADDRESS", "").strip()
            if address:
                from lab.ray_executor import RayExecutor

                _executors[store.url] = RayExecutor(store, address)
            else:
                _executors[store.url] = LocalExecutor(store)
        return _executors[store.url]


if __name__ == "__main__":
    _worker_main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
