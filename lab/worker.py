"""Background training for the app: a job thread per run (training in a worker process or there).

No Streamlit here (the worker threads must never call st.*): the page reads what the
threads publish through EventBuffer and TrainJob.progress(), and a session-scoped
resource calls SessionRuns.release() when the browser tab goes.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from lab.config import RunConfig
from lab.data import Mnist
from lab.events import EpochEnded, Event, RunEnded, RunRecord, RunStarted, StepsLogged
from lab.history import HistoryEntry, RunHistory
from lab.models import build_from_config, plain_state_dict
from lab.runqueue import RunQueue, run_queue
from lab.train import Trainer
from lab.workproc import WorkerProcess

LOG = logging.getLogger(__name__)
_job_ids = itertools.count(1)
MAX_ACTIVE_PER_SESSION = 6  # queued + running runs one student may have; a shared machine is small


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
        self.number, self.group, self._on_done, self._data = number, group, on_done, data
        self.id = next(_job_ids)  # unique in this server: worker messages are tagged with it
        self.stop_event = threading.Event()
        self.buffer = EventBuffer()
        # In-thread runs train here; process runs build their Trainer in the worker process.
        self.trainer = None if queue.pool else Trainer(config, self._publish, self.stop_event, data=data)
        self._remote: WorkerProcess | None = None
        self._weights: dict[str, torch.Tensor] | None = None  # a process run's final weights
        self._step, self._steps_per_epoch = 0, 0  # a process run's progress, from its events
        self.state = "new"  # new -> queued -> running -> done
        self.started_at: float | None = None
        self.ended: RunEnded | None = None
        self.source = ModelSource(label, config, self.snapshot, lambda: self.state != "done")
        self._view, self._cursor, self._view_lock = RunRecord(), 0, threading.Lock()
        self._thread = threading.Thread(target=self._main, name=f"relulab-run-{number}", daemon=True)

    @property
    def step(self) -> int:
        """Steps done: exact for an in-thread run, as of the last logged block for a process run."""
        return self.trainer.step if self.trainer is not None else self._step

    def _publish(self, event: Event) -> None:
        """Trainer callback (worker thread): keep the end, publish everything."""
        if isinstance(event, RunEnded):
            self.ended, self._step = event, event.step
        elif isinstance(event, RunStarted):
            self._steps_per_epoch = event.steps_per_epoch
        elif isinstance(event, StepsLogged) and event.steps:
            self._step = event.steps[-1]
        elif isinstance(event, EpochEnded):
            self._step = max(self._step, event.epoch * self._steps_per_epoch)
        self.buffer.append(event)

    def _keep_weights(self, weights: dict[str, torch.Tensor]) -> None:
        """The worker's final weights of a process run (job thread)."""
        self._weights = weights

    def snapshot(self) -> dict[str, torch.Tensor]:
        """plain_state_dict of the run's weights now (a process run asks its worker)."""
        if self.trainer is not None:
            return self.trainer.snapshot()
        remote = self._remote
        weights = remote.snapshot(self.id) if remote is not None else None
        weights = weights if weights is not None else self._weights
        if weights is not None:
            return weights
        if self.state == "done":
            raise RuntimeError(f"run {self.label} ended without weights: {self.ended and self.ended.message}")
        # Not started in its worker yet: its initial weights, which the seeded init makes exact.
        return plain_state_dict(build_from_config(self.config))

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
            self.started_at = time.monotonic()
            self.state = "running"
            if self.trainer is None:
                self._train_in_worker()
            else:
                torch.set_num_threads(self.queue.threads_per_run)
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

    def _train_in_worker(self) -> None:
        """Train in one of the pool's worker processes; a worker that dies fails this run only."""
        try:
            worker = self.queue.pool.acquire()
        except Exception:  # noqa: BLE001 - no worker could start: train here rather than not at all
            LOG.exception("no training worker; run %s trains in the server process", self.label)
            self.trainer = Trainer(self.config, self._publish, self.stop_event, data=self._data)
            torch.set_num_threads(self.queue.threads_per_run)
            self.trainer.run()
            return
        self._remote = worker
        try:
            worker.run(self.id, self.config, self.queue.threads_per_run, self._publish, self._keep_weights,
                       self.stop_event)
        except Exception as exc:  # noqa: BLE001 - WorkerDied, a broken pipe: this run fails
            LOG.warning("run %s: %s", self.label, exc)
            worker.close()  # in an unknown state (it may still be training): never reuse it
            if self.ended is None:
                seconds = time.monotonic() - (self.started_at or time.monotonic())
                self._publish(RunEnded("failed", str(exc)[:1].upper() + str(exc)[1:] + ".", self._step,
                                       None, seconds))
        finally:
            self._remote = None
            self.queue.pool.release(worker)

    def stop(self) -> None:
        """Ask the run to end after its current step (or to leave the queue at once)."""
        self.stop_event.set()
        if (remote := self._remote) is not None:
            remote.stop(self.id)
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
        step = self.step  # an int the worker rebinds: a safe read
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
        # The run's events are all in its buffer by now, so its view is the whole record.
        self.history.add(HistoryEntry(job.number, job.label, job.config, job.view(), job.ended,
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
