"""The local executor: worker processes on this host that claim queued runs from the store; get_executor().

The local executor needs no queue of its own: its worker processes claim the oldest queued run
from the store and call execute_run() (execute.py), as a Ray task does on a cluster
(ray_executor.py). get_executor() picks one per store URL.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from lab.runs import budget
from lab.runs.execute import Executor, execute_run
from lab.runs.identity import local_trains_on
from lab.runs.store import NODE, Store, StoreError, open_store

LOG = logging.getLogger(__name__)
POLL_S = 0.1  # an idle worker looks for a queued run this often (one indexed SELECT)
GRACE_S = float(os.environ.get("RELULAB_GRACE_S", "60"))  # a closed tab's runs stop after this
LOOK_S = 10.0  # the executor looks for runs whose trainer fell silent this often
WORKER_NICE = 5
ROOT = Path(__file__).resolve().parents[2]


def default_limit() -> int:
    """Runs that may train at once: $RELULAB_MAX_RUNS, else what the container's CPU and memory allow."""
    return budget.run_slots(budget.read_limits())


def _worker_main(url: str, threads: int, parent: int) -> None:
    """A local worker process: claim the oldest queued run, train it, repeat; exit with the server."""
    import torch

    from lab.engine.data import load_mnist

    os.nice(WORKER_NICE)  # pages (a Stop click, a student opening the app) come first
    torch.set_num_threads(threads)
    store, data = open_store(url), load_mnist()

    def watch_parent() -> None:
        while os.getppid() == parent:
            time.sleep(0.25)
        # The server is gone (killed): the run in hand cannot be seen by anyone; end it honestly. A busy
        # store (SQLite locked while a new server starts) is tried again for ~10 s: given up at once, the
        # run read "running" until its heartbeat went stale, minutes later.
        for _ in range(20):
            try:
                for run in store.list_runs(statuses=["running"]):
                    if run.pid == os.getpid():
                        store.end_without_events(run.id, "interrupted",
                                                 f"Interrupted at step {run.step}: the server stopped.")
                break
            except StoreError:  # no store either: its heartbeat goes stale, and any reader ends it
                time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch_parent, name="relulab-parent", daemon=True).start()
    wanted = threading.Event()  # the server asked for a warm-up (a line on stdin)
    threading.Thread(target=lambda: sys.stdin.readline() and wanted.set(), name="relulab-warm", daemon=True).start()
    warmed, away = False, False
    while True:
        if wanted.is_set() and not warmed:
            warm_up()
            warmed = True
        try:
            run = store.claim("local")
        except StoreError as exc:
            if not away:  # once per outage, not every 2 s
                LOG.warning("worker: no run store, waiting for it: %s", exc)
            away = True
            time.sleep(2.0)
            continue
        away = False
        if run is None:
            time.sleep(POLL_S)
            continue
        try:
            execute_run(store, run.id, data=data, claimed=True)
        except StoreError as exc:  # gone between the claim and the start: its heartbeat goes stale
            LOG.error("worker: run %s not started: %s", run.id, exc)


def warm_up() -> None:
    """One tiny training step, so that a student's first run does not wait for torch's lazy imports.

    torch.optim's first optimizer imports torch._dynamo: 2.5-3 s on this 2-core box (cProfile) and
    about 160 MB, so it is done when someone opens the Train page, not when the server starts (the idle
    server's memory is a budget of its own).
    """
    import torch

    model = torch.nn.Linear(4, 2)
    optimizer = torch.optim.Adam(model.parameters())
    model(torch.zeros(3, 4)).sum().backward()
    optimizer.step()


class LocalExecutor:
    """Worker processes on this host (one per run slot), fed by the store's fair queue (lab/runs/queue.py)."""

    name = "local"

    def __init__(self, store: Store, slots: int | None = None, threads_per_run: int | None = None):
        limits, budgeted = budget.server_budget()  # says the budget in the server log
        self.store, self.slots = store, slots or budgeted
        # Torch threads per run: all runs together use half the cores, the rest serve the app
        # (budget.threads_per_run says why, with figures).
        self.threads = threads_per_run or budget.threads_per_run(limits, self.slots)
        self._procs: list[subprocess.Popen] = []
        self._warm = False  # a page asked for warm workers: new ones (replacements) are asked too
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
        command = [sys.executable, "-m", "lab.runs.executor", self.store.url, str(self.threads), str(os.getpid())]
        self._procs.append(subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.PIPE))
        if self._warm:
            self._ask_warm(self._procs[-1])

    def _watch(self) -> None:
        """Replace dead workers (their run ends as interrupted), stop abandoned runs, end runs nobody trains."""
        lost: dict[int, str] = {}  # pid -> why: runs to end, kept until the store answers
        last_look = 0.0
        while not self._closed.wait(1.0):
            with self._lock:
                for proc in [p for p in self._procs if p.poll() is not None]:
                    self._procs.remove(proc)
                    proc.stdin.close()
                    why = "; killed, perhaps for lack of memory" if proc.returncode == -9 else ""
                    lost[proc.pid] = f"the training process ended unexpectedly (exit code {proc.returncode}{why})"
                    if not self._closed.is_set():
                        self._spawn()
            try:
                for pid in list(lost):
                    self._end_runs_of(pid, "interrupted", lost.pop(pid))
                self.store.stop_abandoned(GRACE_S)
                if time.monotonic() - last_look > LOOK_S:  # listing running runs ends those gone silent
                    last_look = time.monotonic()
                    self.store.list_runs(statuses=["running"])
                self.store.settle_replays()  # followers of a run whose end they missed (a crash mid-way)
            except StoreError as exc:
                LOG.warning("executor: %s", exc)

    def _end_runs_of(self, pid: int, status: str, why: str) -> None:
        """A worker has gone: its run (if any) ends with a message people understand."""
        for run in self.store.list_runs(statuses=["running"]):
            if run.pid == pid and run.node == NODE:
                self.store.end_without_events(run.id, status, f"Interrupted at step {run.step}: {why}. Its last "
                                              "checkpoint is kept; train it again to finish.")

    @property
    def pids(self) -> list[int]:
        """The worker processes' pids."""
        with self._lock:
            return [p.pid for p in self._procs]

    def submit(self, run_id: str) -> None:
        """Nothing to do: an idle worker claims the queued run within POLL_S."""

    def trains_on(self, config) -> tuple[str, int]:
        """(device kind, torch threads) of a run here: this host's CUDA, the workers' threads."""
        return local_trains_on(config, self.threads)

    def stop(self, run_id: str) -> None:
        """Nothing beyond the store's flag: the run's writer polls it."""

    def warm(self) -> None:
        """Ask every worker to warm up (a line on its stdin), once; cheap to call on every page run."""
        with self._lock:
            if not self._warm:
                self._warm = True
                for proc in self._procs:
                    self._ask_warm(proc)

    @staticmethod
    def _ask_warm(proc: subprocess.Popen) -> None:
        """One line on the worker's stdin: it warms up between runs."""
        try:
            proc.stdin.write(b"warm\n")
            proc.stdin.flush()
        except OSError:  # it just died: _watch replaces it (and asks the new one)
            pass

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
                proc.stdin.close()
                self._end_runs_of(proc.pid, "interrupted", "the server stopped")
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
                from lab.runs.ray_executor import RayExecutor

                _executors[store.url] = RayExecutor(store, address)
            else:
                _executors[store.url] = LocalExecutor(store)
        return _executors[store.url]


if __name__ == "__main__":
    _worker_main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
