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
from lab.runs.identity import run_key
from lab.runs.recovery import PATIENCE_S
from lab.runs.spool import Spool
from lab.runs.store import NODE, Store, StoredRun, StoreError
from lab.runs.weights import weights_blob

LOG = logging.getLogger(__name__)
STOP_POLL_S = 0.1  # a training run looks at its stop flag this often (a read: ■ Stop should feel instant)
BEAT_S = 0.5  # and refreshes its heartbeat this often (a write)
CHECKPOINT_S = 5.0  # a running run's weights are stored at most this often (and every epoch)
RETRY_S, RETRY_MAX_S = 0.25, 2.0  # while the store is away the writer tries again after 0.25, 0.5, 1, 2, 2... s
BATCH = 500  # events per transaction when catching up after an outage
USABLE = ("finished", "stopped")  # ends whose weights are kept as the run's final model
WRITERS: dict[str, StoreWriter] = {}  # the runs this process writes now, by id (for a debugger, or a test)


class Executor(Protocol):
    """What runs runs: submit a queued run's id; stop is the store's flag (plus a fallback)."""

    name: str

    def submit(self, run_id: str) -> None:
        """Make sure the queued run will train."""

    def stop(self, run_id: str) -> None:
        """Fallback after the store's stop flag (e.g. cancel a task that never started)."""

    def warm(self) -> None:
        """A run may come soon (someone opened the Train page): load now what a first run would wait for."""

    def trains_on(self, config) -> tuple[str, int]:
        """(device kind, torch threads) a run of this config would train with here: part of its key."""

    def close(self) -> None:
        """Release workers or the cluster connection."""


class StoreWriter:
    """The trainer's on_event: a thread writes events in batches, stores checkpoints, polls the stop flag.

    The trainer never waits for the store. When the store does not answer (a database restarting, a
    full disk, a lock, no free connection), events wait in a Spool, numbered and in order, and the
    writer tries again, less often, while training goes on; the stop flag cannot be read then, nor the
    heartbeat written. After `patience` seconds without the store it stops the trainer: the run ends as
    interrupted, saying why. Whatever it holds is written once the store answers, however late, then
    the run's end; close() waits for that.
    """

    def __init__(self, store: Store, run: StoredRun, trainer_ref: list, patience: float = PATIENCE_S,
                 spool: Spool | None = None):
        self.store, self.run_id, self._trainer, self.patience = store, run.id, trainer_ref, patience
        self.spool = spool or Spool(run.last_seq + 1)
        self._inbox: queue.Queue = queue.Queue()
        self._last_ckpt = time.monotonic()
        self._ckpt_lock = threading.Lock()  # the trainer hands weights over while this thread writes them
        self.ended: RunEnded | None = None  # the trainer's own end (execute_run may reword it)
        self.down_since: float | None = None  # when the store stopped answering (monotonic), while it does not
        self.outages: list[float] = []  # how long each outage lasted, as this writer saw it
        self.error: StoreError | None = None  # the latest failure, for messages
        self.gave_up = False  # patience ran out: the trainer was stopped
        self._end: tuple[RunEnded, dict | None, float] | None = None  # written last, by close()
        self._gone = False  # the run was deleted meanwhile: nothing to write
        self._thread = threading.Thread(target=self._loop, name=f"relulab-writer-{run.id[:6]}", daemon=True)
        WRITERS[run.id] = self
        self._thread.start()

    def __call__(self, event: Event) -> None:
        """Trainer callback: never blocks on the database."""
        if isinstance(event, RunEnded):
            self.ended = event  # written by close(), with the row's end
        else:
            self._inbox.put(event)

    def close(self, ended: RunEnded, weights: bytes | None = None) -> None:
        """Write the run's end last (weights_blob: final if it finished or stopped, else a checkpoint); wait for all."""
        self._inbox.put((ended, weights, time.time()))
        self._thread.join()

    def _loop(self) -> None:
        """Take what the trainer sent, write it, poll the stop flag; try again later while the store is away."""
        last_poll = last_beat = next_try = 0.0
        tries = 0
        while True:
            self._take()
            now = time.monotonic()
            if now < next_try:
                continue
            try:
                written = self._write()
                if not written and now - last_poll >= STOP_POLL_S:
                    last_poll, beat = now, now - last_beat >= BEAT_S
                    last_beat = now if beat else last_beat
                    if self.store.beat(self.run_id) if beat else self.store.stop_requested(self.run_id):
                        self._stop_trainer()
                self._back()
                tries = 0
                if written:
                    WRITERS.pop(self.run_id, None)
                    return
            except StoreError as exc:
                self._away(exc)
                next_try, tries = time.monotonic() + min(RETRY_MAX_S, RETRY_S * 2 ** tries), tries + 1

    def _take(self) -> None:
        """Move what the trainer sent into the spool (waiting up to STOP_POLL_S); take checkpoints as due."""
        try:
            items = [self._inbox.get(timeout=STOP_POLL_S)]
        except queue.Empty:
            return
        while True:
            try:
                items.append(self._inbox.get_nowait())
            except queue.Empty:
                break
        for item in items:
            if isinstance(item, tuple):
                self._end = item
            else:
                self.spool.add(item)
        # Every epoch's end and every CHECKPOINT_S, but never more than once a second:
        # short epochs (a small subset) would otherwise spend the writer on weights.
        since = time.monotonic() - self._last_ckpt
        if since > CHECKPOINT_S and any(isinstance(e, StepsLogged) for e in items) or (
                since > 1.0 and any(isinstance(e, EpochEnded) for e in items)):
            self._checkpoint()

    def _checkpoint(self) -> None:
        """Ask the trainer for its weights (it hands them to take_checkpoint between two steps)."""
        if self._trainer:
            self._trainer[0].request_checkpoint()
            self._last_ckpt = time.monotonic()

    def take_checkpoint(self, weights: dict, step: int) -> None:
        """The trainer's on_checkpoint, on the training thread: serialised there, as the writer runs no torch op."""
        blob = weights_blob(weights)
        with self._ckpt_lock:
            self.spool.checkpoint = (blob, step)  # replaces one not yet written

    def _write(self) -> bool:
        """Write what waits, oldest first, then the latest checkpoint, then the end; True once the end is in."""
        spool = self.spool
        while len(spool) and not self._gone:
            events = spool.head(BATCH)
            self._gone = not self.store.append_events(self.run_id, events, first_seq=spool.first_seq)
            spool.done(len(events))
        if self._gone:  # deleted by its owner after a reader had ended it: stop, keep nothing
            self._stop_trainer()
            return self._end is not None
        ending = self._end is not None and self._end[0].status in USABLE
        with self._ckpt_lock:
            checkpoint, spool.checkpoint = spool.checkpoint, None
        if checkpoint is not None and not ending:  # a final state supersedes it
            try:
                self.store.save_weights(self.run_id, *checkpoint)
            except StoreError:
                with self._ckpt_lock:  # kept for the next try, unless a newer one came meanwhile
                    spool.checkpoint = spool.checkpoint or checkpoint
                raise
        if self._end is None:
            return False
        ended, weights, at = self._end
        if weights is not None and not ending:  # an interrupted run keeps its weights as a checkpoint
            self.store.save_weights(self.run_id, weights, ended.step)
        self.store.finish(self.run_id, ended, weights if ending else None, seq=spool.first_seq, at=at)
        spool.close()
        return True

    @property
    def step(self) -> int:
        """The trainer's step now (0 before it exists)."""
        return self._trainer[0].step if self._trainer else 0

    def _stop_trainer(self) -> None:
        """Ask the trainer to end after its current step."""
        if self._trainer:
            self._trainer[0].stop()

    def _away(self, exc: StoreError) -> None:
        """The store did not answer: training goes on; past the patience the run ends, saying why."""
        now, self.error = time.monotonic(), exc
        if self.down_since is None:
            self.down_since = now
            LOG.warning("run %s: the run store does not answer at step %d; training goes on, its events wait: %s",
                        self.run_id, self.step, exc)
        if now - self.down_since > self.patience and not self.gave_up and self._end is None:
            self.gave_up = True
            LOG.error("run %s: no run store for %.0f s: the run ends; its events are written when it answers",
                      self.run_id, now - self.down_since)
            self._stop_trainer()

    def _back(self) -> None:
        """The store answers again (or never went away)."""
        if self.down_since is not None:
            self.outages.append(time.monotonic() - self.down_since)
            LOG.warning("run %s: the run store answers again after %.1f s, at step %d%s; %d events went through "
                        "the spool file", self.run_id, self.outages[-1], self.step,
                        " (the run had ended)" if self._end else "", self.spool.spilled)
            self.down_since = None


def gave_up_message(step: int, writer: StoreWriter) -> str:
    """Why a run ended after its writer ran out of patience, for people."""
    wait = f"{writer.patience / 60:g} min" if writer.patience >= 60 else f"{writer.patience:g} s"
    return (f"Interrupted at step {step}: the run store could not be reached for {wait}, so the run was ended. "
            "Everything it logged until then is kept, with its weights at that step as a checkpoint; train it "
            "again to finish.")


def execute_run(store: Store, run_id: str, threads: int | None = None, data=None, claimed: bool = False,
                executor: str = "local", node: str = NODE, patience: float = PATIENCE_S) -> RunRecord | None:
    """Claim a queued run (unless claimed), train it, write its events, weights and end; its record."""
    import torch

    from lab.engine.train import Trainer

    run = store.get_run(run_id) if claimed else store.claim(executor, run_id, node=node)
    if run is None:
        return None  # stopped while queued, or another worker took it
    if threads:
        torch.set_num_threads(threads)
    trainer_ref: list = []
    writer = StoreWriter(store, run, trainer_ref, patience)
    try:
        trainer = Trainer(run.config, writer, data=data, on_checkpoint=writer.take_checkpoint)
    except Exception as exc:  # noqa: BLE001 - e.g. CUDA gone: this run fails, the worker stays
        writer.close(RunEnded("failed", f"{type(exc).__name__}: {exc}", 0, None, 0.0))
        return None
    trainer_ref.append(trainer)
    try:  # the key as trained (device and threads as found here): a run queued under another key frees its followers
        store.rekey(run_id, run_key(run.config, trainer.device.type, torch.get_num_threads()))
    except StoreError as exc:  # the store went away just now: the writer rides the outage out; the key can wait
        LOG.warning("run %s: %s", run_id, exc)
    if run.stop_requested:
        trainer.stop()
    record = trainer.run()  # never raises: a failure ends with a RunEnded "failed"
    ended = writer.ended
    if writer.gave_up:
        ended = RunEnded("interrupted", gave_up_message(trainer.step, writer), ended.step, ended.loss, ended.seconds)
    keep = ended.status in USABLE + ("interrupted",) and trainer.step > 0
    # Serialised here, on the training thread (the writer runs no torch op); close() returns once the store has it all.
    writer.close(ended, weights_blob(trainer.snapshot()) if keep else None)
    return record
