"""The session's run history: one row per finished or stopped run, exported as CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import math
import threading
from dataclasses import dataclass, field
from typing import Any

from lab.config import RunConfig
from lab.events import RunEnded, RunRecord

MAX_HISTORY = 30  # oldest runs drop out first; each keeps its weights (~1 MB for 784-256-256-10)

# Column order of the table and the CSV file, as people read them: which run, how it ended, how good,
# how long, then the config. The page translates the headers and the status (lab.train_form.history_table).
COLUMNS = ("run", "status", "test_acc", "final_loss", "seconds", "activation", "optimizer", "lr", "depth",
           "width", "init", "batch_size", "epochs", "seed", "train_subset", "steps", "train_acc")


@dataclass
class HistoryEntry:
    """One run that trained: its label, config, full record, how it ended, and its model."""

    number: int
    label: str
    config: RunConfig
    record: RunRecord
    ended: RunEnded | None
    group: str | None = None
    source: Any = None  # lab.worker.ModelSource: the trained weights
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """finished, stopped, diverged or failed."""
        return self.record.status

    def metrics(self) -> dict[str, Any]:
        """Final numbers: steps, last logged loss, last epoch's train/test accuracy, seconds."""
        last_epoch = self.record.epochs[-1] if self.record.epochs else {}
        final_loss = self.ended.loss if self.ended and self.ended.loss is not None else (
            self.record.steps[-1]["loss"] if self.record.steps else None)
        return {"steps": self.ended.step if self.ended else self.record.last_step,
                "final_loss": final_loss, "train_acc": last_epoch.get("train_acc"),
                "test_acc": last_epoch.get("test_acc"), "seconds": round(self.record.seconds, 2)}

    def row(self) -> dict[str, Any]:
        """A flat table row (COLUMNS) of config and final metrics."""
        cfg = self.config
        values = {"run": self.label, "status": self.status, "activation": cfg.activation,
                  "optimizer": cfg.optimizer, "lr": cfg.effective_lr, "depth": cfg.depth,
                  "width": cfg.width, "init": cfg.init, "batch_size": cfg.batch_size,
                  "epochs": cfg.epochs, "seed": cfg.seed, "train_subset": cfg.train_subset or 60000,
                  **self.metrics()}
        return {name: values[name] for name in COLUMNS}

    def final_grad_norms(self) -> list[float]:
        """Each layer's weight-gradient norm at the last logged step (input side first)."""
        return list(self.record.steps[-1]["grad_norms"]) if self.record.steps else []

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: label, group, config, metrics, end message and the whole record."""
        return {"run": self.label, "group": self.group, "config": self.config.to_dict(),
                "metrics": _finite(self.metrics()), "status": self.status,
                "message": self.record.message, "record": self.record.to_dict()}


class RunHistory:
    """Thread-safe list of HistoryEntry: worker threads add, the page reads."""

    def __init__(self, limit: int = MAX_HISTORY):
        self.limit = limit
        self.version = 0  # counts additions, so a reader can tell that a run ended
        self._entries: list[HistoryEntry] = []
        self._lock = threading.Lock()

    def add(self, entry: HistoryEntry) -> None:
        """Append a run; the oldest drops out past the limit."""
        with self._lock:
            self._entries.append(entry)
            del self._entries[: max(0, len(self._entries) - self.limit)]
            self.version += 1

    def entries(self) -> list[HistoryEntry]:
        """A copy of the entries, oldest first."""
        with self._lock:
            return list(self._entries)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def by_label(self, label: str) -> HistoryEntry | None:
        """The entry with this label, if it is still kept."""
        return next((e for e in self.entries() if e.label == label), None)

    def rows(self) -> list[dict[str, Any]]:
        """Table rows, oldest first."""
        return [e.row() for e in self.entries()]

    def to_csv(self) -> str:
        """CSV text: a header of COLUMNS and one line per run (NaN and infinities left empty)."""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in self.rows():
            writer.writerow({k: "" if v is None else v for k, v in _finite(row).items()})
        return out.getvalue()

    def to_json(self) -> str:
        """JSON text: a list of every run's config, metrics and full record."""
        return json.dumps([e.to_dict() for e in self.entries()], indent=1)


def _finite(values: dict[str, Any]) -> dict[str, Any]:
    """Non-finite floats become None (JSON and CSV have no NaN)."""
    return {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in values.items()}
