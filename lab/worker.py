"""Background training for the app: one thread per run, a process-wide FIFO queue, session handles.

No Streamlit here (the worker threads must never call st.*): the page reads what the
threads publish through EventBuffer and TrainJob.progress(), and a session-scoped
resource calls SessionRuns.release() when the browser tab goes.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import torch

from lab.config import RunConfig
from lab.data import Mnist
from lab.events import Event, RunEnded, RunRecord
from lab.history import HistoryEntry, RunHistory
from lab.train import Trainer

LOG = logging.getLogger(__name__)
MAX_ACTIVE_PER_SESSION = 6  # queued + running runs one student may have; a shared machine is small


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


class RunQueue:
    """Process-wide gate: at most `limit` runs train at once, the others wait in FIFO order."""

    def __init__(self, limit: int | None = None, threads_per_run: int | None = None):
        self.limit = limit or default_limit()
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
            _queue = RunQueue()
        return _queue


class EventBuffer:
    """Append-only, thread-safe list of events: the worker appends, readers take what is new."""

    def __init__(self) -> None:
        self._events: list[Event] = []
        self._lock = threading.Lock()

    def append(self, event: Event) -> None:
        """Publish one event (worker thread)."""
        with self._lock:
            self._events.append(event)

    def since(self, cursor: int) -> tuple[list[Event], int]:
        """Events from index cursor on, and the cursor to pass next time."""
        with self._lock:
            return self._events[cursor:], len(self._events)

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)


class ModelSource:
    """A model for other pages: label, config, live flag, and consistent CPU weights on demand."""

    def __init__(self, label: str, config: RunConfig, snapshot: Callable[[], dict[str, torch.Tensor]],
                 is_live: Callable[[], bool]):
        self.label, self.config = label, config
        self._snapshot, self._is_live = snapshot, is_live

    @property
    def live(self) -> bool:
        """True while the run is queued or training."""
        return self._is_live()

    def snapshot(self) -> dict[str, torch.Tensor]:
        """plain_state_dict of the current weights; safe while the run trains in another thread."""
        return self._snapshot()


@dataclass
class Progress:
    """Where a run stands, for the progress bar."""

    state: str  # queued | running | done
    place: int  # place in the server's queue while queued, else 0
    step: int
    total_steps: int
    epoch: int
    epochs: int
    elapsed: float  # seconds since it left the queue
    eta: float | None  # seconds left, once there is a step to extrapolate from

    @property
    def fraction(self) -> float:
        """Share of steps done, 0..1."""
        return min(1.0, self.step / self.total_steps) if self.total_steps else 0.0


class TrainJob:
    """One run on a background thread: waits its turn, trains, publishes events, then reports."""

    def __init__(self, config: RunConfig, label: str, queue: RunQueue, number: int = 0,
                 group: str | None = None, on_done: Callable[[TrainJob], None] | None = None,
                 data: Mnist | None = None):
        self.config, self.label, self.queue = config, label, queue
        self.number, self.group, self._on_done = number, group, on_done
        self.stop_event = threading.Event()
        self.buffer = EventBuffer()
        self.trainer = Trainer(config, self._publish, self.stop_event, data=data)
        self.state = "new"  # new -> queued -> running -> done
        self.started_at: float | None = None
        self.ended: RunEnded | None = None
        self.source = ModelSource(label, config, self.trainer.snapshot, lambda: self.state != "done")
        self._view, self._cursor, self._view_lock = RunRecord(), 0, threading.Lock()
        self._thread = threading.Thread(target=self._main, name=f"relulab-run-{number}", daemon=True)

    def _publish(self, event: Event) -> None:
        """Trainer callback (worker thread): keep the end, publish everything."""
        if isinstance(event, RunEnded):
            self.ended = event
        self.buffer.append(event)

    def start(self) -> TrainJob:
        """Join the queue and start the thread."""
        self.state = "queued"
        self.queue.enqueue(self)
        try:
            self._thread.start()
        except RuntimeError:  # no thread could be made: give the place back
            self.queue.done(self)
            self.state = "done"
            raise
        return self

    def _main(self) -> None:
        """Thread body: wait for a slot, train, always free the slot and report."""
        try:
            if not self.queue.wait_turn(self, self.stop_event):
                return  # stopped while waiting: it never trained, so it joins no history
            torch.set_num_threads(self.queue.threads_per_run)
            self.started_at = time.monotonic()
            self.state = "running"
            self.trainer.run()  # never raises: a failure ends as status "failed"
        finally:
            self.queue.done(self)
            # "done" before the history hears of it: a page that sees the run in the history
            # must never also see it as still training.
            self.state = "done"
            if self._on_done is not None and self.started_at is not None:
                try:
                    self._on_done(self)
                except Exception:  # noqa: BLE001 - reporting must never kill the worker silently
                    LOG.exception("reporting run %s failed", self.label)

    def stop(self) -> None:
        """Ask the run to end after its current step (or to leave the queue at once)."""
        self.stop_event.set()
        self.queue.wake()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread; True if it has ended."""
        if self._thread.ident is not None:
            self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def active(self) -> bool:
        """Queued or training."""
        return self.state in ("queued", "running")

    def view(self) -> RunRecord:
        """The run so far, folded from the published events (reader side, never the worker's)."""
        with self._view_lock:
            events, self._cursor = self.buffer.since(self._cursor)
            for event in events:
                self._view.add(event)
            return self._view

    def progress(self) -> Progress:
        """Queue place, step, epoch and ETA right now."""
        view = self.view()
        step = self.trainer.step  # an int the worker rebinds: a safe read
        elapsed = time.monotonic() - self.started_at if self.started_at else 0.0
        total = view.total_steps
        # The first steps include warm-up, so wait for a few before extrapolating.
        settled = step >= min(20, max(1, total // 20))
        eta = elapsed / step * (total - step) if settled and total and self.state == "running" else None
        spe = view.steps_per_epoch
        epoch = min(self.config.epochs, (max(step, 1) - 1) // spe + 1) if spe else 0
        return Progress(self.state, self.queue.place(self), step, total, epoch, self.config.epochs,
                        elapsed, eta)


def run_label(number: int, config: RunConfig) -> str:
    """Short unique name of a run, e.g. '#3 relu · adam 0.001 · 2×256'."""
    shape = f"{config.depth}×{config.width}" if config.depth else "softmax"
    return f"#{number} {config.activation} · {config.optimizer} {config.effective_lr:g} · {shape}"


class SessionRuns:
    """One browser session's runs and run history; release() stops them all when the tab goes."""

    def __init__(self, queue: RunQueue | None = None, history: RunHistory | None = None,
                 max_active: int = MAX_ACTIVE_PER_SESSION, data: Mnist | None = None):
        self.queue = queue or run_queue()
        self.history = history if history is not None else RunHistory()
        self.max_active, self.data = max_active, data
        self.released = False
        self._jobs: list[TrainJob] = []
        self._count = 0
        self._lock = threading.Lock()

    def start(self, config: RunConfig, group: str | None = None) -> TrainJob | None:
        """Queue one run; None if the session is released or already has max_active runs."""
        with self._lock:
            self._jobs = [j for j in self._jobs if j.active]
            if self.released or len(self._jobs) >= self.max_active:
                return None
            self._count += 1
            job = TrainJob(config, run_label(self._count, config), self.queue, self._count, group,
                           self._report, self.data)
            self._jobs.append(job)
        return job.start()

    def start_group(self, configs: list[RunConfig], group: str) -> list[TrainJob]:
        """Queue runs that belong together (a paired comparison); they train in this order."""
        return [job for cfg in configs if (job := self.start(cfg, group)) is not None]

    def _report(self, job: TrainJob) -> None:
        """A run that trained has ended (worker thread): it joins the history."""
        self.history.add(HistoryEntry(job.number, job.label, job.config, job.trainer.record, job.ended,
                                      job.group, job.source))

    def jobs(self) -> list[TrainJob]:
        """This session's runs that are queued, training, or just ended."""
        with self._lock:
            return list(self._jobs)

    def active(self) -> list[TrainJob]:
        """Runs still queued or training, oldest first."""
        return [j for j in self.jobs() if j.active]

    def focus(self) -> TrainJob | None:
        """The run to show live: the newest training one, else the first queued one."""
        active = self.active()
        running = [j for j in active if j.state == "running"]
        return running[-1] if running else (active[0] if active else None)

    def stop_all(self) -> None:
        """Stop every run of this session, training or queued."""
        for job in self.jobs():
            job.stop()

    def release(self) -> None:
        """The session is gone: stop everything and refuse new runs (called off the script thread)."""
        self.released = True
        self.stop_all()

    def join(self, timeout: float = 30.0) -> bool:
        """Wait until every run of this session has ended; True if they all did."""
        deadline = time.monotonic() + timeout
        return all(j.join(max(0.0, deadline - time.monotonic())) for j in self.jobs())
