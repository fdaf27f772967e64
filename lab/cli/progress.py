"""A terminal progress bar with an ETA, fed by Trainer events."""

from __future__ import annotations

import sys
import time

from lab.engine.events import EpochEnded, Event, RunEnded, RunStarted, StepsLogged


class ProgressPrinter:
    """Listens to a Trainer and draws `epoch 3/15 [#####.....] 41% loss 0.21 ETA 0:09` on stderr."""

    def __init__(self, quiet: bool = False, stream=None, width: int = 30):
        self.quiet, self.stream, self.width = quiet, stream or sys.stderr, width
        self.total = 0
        self.step = 0
        self.loss = float("nan")
        self.epochs = 0
        self.epoch = 0
        self.started = time.perf_counter()

    def __call__(self, event: Event) -> None:
        """Update on each event."""
        if isinstance(event, RunStarted):
            self.total, self.started = event.total_steps, time.perf_counter()
            self.epochs = event.total_steps // max(1, event.steps_per_epoch)  # not its config: a dict (JSON form)
            if event.device_note:
                print(event.device_note, file=self.stream)
        elif isinstance(event, StepsLogged):
            self.step, self.loss = event.steps[-1], event.losses[-1]
            self.draw()
        elif isinstance(event, EpochEnded):
            self.epoch = event.epoch
            if not self.quiet:
                self.stream.write("\r" + " " * 79 + "\r")
                print(f"epoch {event.epoch:>3}: train loss {event.train_loss:.4f}  train acc "
                      f"{event.train_acc:.2%}  test acc {event.test_acc:.2%}  ({event.seconds:.1f} s)",
                      file=self.stream)
        elif isinstance(event, RunEnded):
            self.close()

    def draw(self) -> None:
        """Redraw the bar in place."""
        if self.quiet or not self.total:
            return
        done = self.step / self.total
        elapsed = time.perf_counter() - self.started
        eta = elapsed / done * (1 - done) if done > 0 else 0.0
        filled = int(done * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\repoch {min(self.epoch + 1, self.epochs)}/{self.epochs} [{bar}] {done:4.0%} "
                          f"loss {self.loss:.4f} ETA {int(eta) // 60}:{int(eta) % 60:02d} ")
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line."""
        if not self.quiet:
            self.stream.write("\r" + " " * 79 + "\r")
            self.stream.flush()
