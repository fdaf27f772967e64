"""Where a stored run stands, for its progress bar: queue place, epoch, step, elapsed time and ETA."""

from __future__ import annotations

import time
from dataclasses import dataclass

from lab.runs.stored import StoredRun


@dataclass
class Progress:
    """Where a run stands, for the progress bar."""

    state: str  # queued | running | done
    place: int  # place in the queue while queued, else 0
    step: int
    total_steps: int
    epoch: int
    epochs: int
    elapsed: float  # seconds since it left the queue
    eta: float | None  # seconds left at the pace so far (None before the first logged step)
    start_in: float | None = None  # while queued: about how many seconds until it starts (lab/runs/queue.py)

    @property
    def fraction(self) -> float:
        """Share of steps done, 0..1."""
        return min(1.0, self.step / self.total_steps) if self.total_steps else 0.0


def progress_of(run: StoredRun, place: int = 0, now: float | None = None, start_in: float | None = None) -> Progress:
    """The progress of a stored run (its row holds the last logged step and the total)."""
    now = time.time() if now is None else now
    state = "queued" if run.status == "queued" else "running" if run.status == "running" else "done"
    elapsed = (run.ended or now) - run.started if run.started else 0.0
    step, total, epochs = run.step, run.total_steps, run.config.epochs
    # Shown only once lab.web.train_form.eta_ready says enough of the run has passed: the first steps
    # include start-up (loading, a CUDA graph's capture), so an early ETA is far off.
    eta = elapsed / step * (total - step) if step and total and state == "running" else None
    spe = total // epochs if total and epochs else 0
    epoch = min(epochs, (max(step, 1) - 1) // spe + 1) if spe else 0
    return Progress(state, place, step, total, epoch, epochs, elapsed, eta, start_in if state == "queued" else None)
