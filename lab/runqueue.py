"""The server's run queue: at most `limit` runs train at once, the rest wait in FIFO order.

Also how many runs and torch threads this machine affords, and whether runs train in
worker processes (lab/workproc.py) or threads.
"""

from __future__ import annotations

import os
import threading
from collections import deque

from lab.workproc import WorkerPool


def cpu_count() -> int:
    """CPU cores this process may use (respects container CPU affinity)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_limit() -> int:
    """Runs that may train at once: $RELULAB_MAX_RUNS, else half the cores (at least one)."""
    env = os.environ.get("RELULAB_MAX_RUNS", "")
    return int(env) if env.isdigit() and int(env) > 0 else max(1, cpu_count() // 2)


def use_processes() -> bool:
    """Train in worker processes (the default) unless $RELULAB_WORKERS is "thread"."""
    return os.environ.get("RELULAB_WORKERS", "process").strip().lower() != "thread"


class RunQueue:
    """Process-wide gate: at most `limit` runs train at once, the others wait in FIFO order."""

    def __init__(self, limit: int | None = None, threads_per_run: int | None = None,
                 processes: bool = False):
        self.limit = limit or default_limit()
        # Worker processes keep training off the server's GIL (see lab/workproc.py); threads are
        # for tests that inject data or patch the Trainer, and the fallback if a worker fails to start.
        self.pool = WorkerPool(self.limit) if processes else None
        # Torch threads per run: all runs together use half the cores, the rest serve the app.
        # Oversubscribed OpenMP threads spin-wait: on a busy 2-core box one 2-thread run was
        # 16x slower per epoch than a 1-thread run (4.1 s against 0.25 s, 6000 images).
        self.threads_per_run = threads_per_run or max(1, cpu_count() // 2 // self.limit)
        self._cond = threading.Condition()
        self._waiting: deque[object] = deque()
        self._running: list[object] = []

    def enqueue(self, job: object) -> None:
        """Take a place at the back of the queue (called before the job's thread starts)."""
        with self._cond:
            self._waiting.append(job)

    def wait_turn(self, job: object, stop_event: threading.Event) -> bool:
        """Block until job is first in line and a slot is free (True), or it is stopped (False)."""
        with self._cond:
            while True:
                if stop_event.is_set():
                    self._remove(job)
                    return False
                if self._waiting and self._waiting[0] is job and len(self._running) < self.limit:
                    self._waiting.popleft()
                    self._running.append(job)
                    self._cond.notify_all()  # the next in line may fit too
                    return True
                self._cond.wait(timeout=1.0)  # woken by done()/wake(); the timeout is a safety net

    def done(self, job: object) -> None:
        """Free the job's slot or place, whatever state it is in, and let the next one go."""
        with self._cond:
            self._remove(job)

    def _remove(self, job: object) -> None:
        """Drop job from both lists and wake the waiters (caller holds the lock)."""
        if job in self._running:
            self._running.remove(job)
        if job in self._waiting:
            self._waiting.remove(job)
        self._cond.notify_all()

    def wake(self) -> None:
        """Wake every waiting thread so stopped ones leave the line at once."""
        with self._cond:
            self._cond.notify_all()

    def place(self, job: object) -> int:
        """1-based place of a waiting job in the line; 0 if it is not waiting."""
        with self._cond:
            return self._waiting.index(job) + 1 if job in self._waiting else 0

    def load(self) -> tuple[int, int]:
        """(runs training now, runs waiting) across the whole server."""
        with self._cond:
            return len(self._running), len(self._waiting)


_queue: RunQueue | None = None
_queue_lock = threading.Lock()


def run_queue() -> RunQueue:
    """The one queue of this process, shared by every browser session."""
    global _queue
    with _queue_lock:
        if _queue is None:
            _queue = RunQueue(processes=use_processes())
            if _queue.pool is not None:
                _queue.pool.prewarm()
        return _queue
