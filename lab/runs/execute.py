"""Running one stored run, wherever it runs: execute_run(), its store writer, and the Executor interface.

An executor takes run ids; the config and everything else come from the store, and everything a
run produces goes back to it (events, checkpoints, the end). The local executor (executor.py) and
the Ray executor (ray_executor.py) both call execute_run(). A stop is the store's stop flag,
polled by the trainer's writer thread.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Protocol

from lab.engine.events import EpochEnded, Event, RunEnded, RunRecord, StepsLogged
from lab.runs.store import NODE, Store, StoreError
from lab.runs.weights import weights_blob

LOG = logging.getLogger(__name__)
STOP_POLL_S = 0.1  # a training run looks at its stop flag this often (a read: ■ Stop should feel instant)
BEAT_S = 0.5  # and refreshes its heartbeat this often (a write)
CHECKPOINT_S = 5.0  # a running run's weights are stored at most this often (and every epoch)


class Executor(Protocol):
    """What runs runs: submit a queued run's id; stop is the store's flag (plus a fallback)."""

    name: str

    def submit(self, run_id: str) -> None:
        """Make sure the queued run will train."""

    def stop(self, run_id: str) -> None:
        """Fallback after the store's stop flag (e.g. cancel a task that never started)."""

    def warm(self) -> None:
        """A run may come soon (someone opened the Train page): load now what a first run would wait for."""

    def close(self) -> None:
        """Release workers or the cluster connection."""


class StoreWriter:
    """The trainer's on_event: a thread writes events in batches, stores checkpoints, polls the stop flag."""

    def __init__(self, store: Store, run_id: str, trainer_ref: list):
        self.store, self.run_id, self._trainer = store, run_id, trainer_ref
        self._queue: queue.Queue = queue.Queue()
        self._last_ckpt = time.monotonic()
        self._handed: tuple[bytes, int] | None = None  # weights the trainer handed over, not yet stored
        self._handed_lock = threading.Lock()
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
        last_poll, last_beat, done = 0.0, 0.0, False
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
                self._checkpoint(batch)
                now = time.monotonic()
                if not done and now - last_poll >= STOP_POLL_S:
                    last_poll = now
                    beat = now - last_beat >= BEAT_S
                    last_beat = now if beat else last_beat
                    stop = self.store.beat(self.run_id) if beat else self.store.stop_requested(self.run_id)
                    if stop and self._trainer:
                        self._trainer[0].stop()
            except StoreError as exc:  # the disk is full, the database went away: end the run
                LOG.error("run %s: %s", self.run_id, exc)
                self.error = exc
                if self._trainer:
                    self._trainer[0].stop()

    def _checkpoint(self, batch: list[Event]) -> None:
        """Store the weights the trainer handed over (the Draw page can use a model still learning); ask when due."""
        with self._handed_lock:
            handed, self._handed = self._handed, None
        if handed is not None:
            self.store.save_weights(self.run_id, *handed)
            self._last_ckpt = time.monotonic()
        # Every epoch's end and every CHECKPOINT_S, but never more than once a second:
        # short epochs (a small subset) would otherwise spend the writer on weights.
        since = time.monotonic() - self._last_ckpt
        if self._trainer and (since > CHECKPOINT_S and any(isinstance(e, StepsLogged) for e in batch) or (
                since > 1.0 and any(isinstance(e, EpochEnded) for e in batch))):
            self._trainer[0].request_checkpoint()

    def take_checkpoint(self, weights: dict, step: int) -> None:
        """The trainer's on_checkpoint, on the training thread: serialised there, as this thread runs no torch op."""
        blob = weights_blob(weights)
        with self._handed_lock:
            self._handed = (blob, step)

    def close(self) -> None:
        """Write what is left and end the thread."""
        self._queue.put(None)
        self._thread.join(timeout=60)


def execute_run(store: Store, run_id: str, threads: int | None = None, data=None, claimed: bool = False,
                executor: str = "local", node: str = NODE) -> RunRecord | None:
    """Claim a queued run (unless claimed), train it, write its events, weights and end; its record."""
    import torch

    from lab.engine.train import Trainer

    run = store.get_run(run_id) if claimed else store.claim(executor, run_id, node=node)
    if run is None:
        return None  # stopped while queued, or another worker took it
    if threads:
        torch.set_num_threads(threads)
    trainer_ref: list = []
    writer = StoreWriter(store, run_id, trainer_ref)
    try:
        trainer = Trainer(run.config, writer, data=data, on_checkpoint=writer.take_checkpoint)
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
