"""A run as the store holds it: StoredRun (a row of the runs table), its statuses, its label and its id.

Plain data with no database access, so pages, tables and the class board can name a run's shape
without the Store.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, fields

from lab.engine.config import RunConfig
from lab.engine.events import finite
from lab.runs.labels import base_label

ACTIVE = ("queued", "running")
ENDED = ("finished", "stopped", "diverged", "failed", "interrupted")


@dataclass(frozen=True)
class StoredRun:
    """One row of the runs table, with its config as a RunConfig."""

    id: str
    owner: str
    class_id: str | None
    nickname: str | None
    number: int
    group_name: str | None
    config: RunConfig
    executor: str
    status: str
    stop_requested: bool
    node: str | None
    pid: int | None
    created: float
    started: float | None
    ended: float | None
    heartbeat: float | None
    step: int
    total_steps: int
    final_loss: float | None
    train_acc: float | None
    test_acc: float | None
    seconds: float | None
    grad_first: float | None
    grad_out: float | None
    message: str
    last_seq: int
    run_key: str | None = None  # what determines its result (lab.runs.identity)
    replay_of: str | None = None  # the run whose result this one replays; None if it trained itself

    @property
    def active(self) -> bool:
        """Queued or training."""
        return self.status in ACTIVE

    @property
    def replay(self) -> bool:
        """Its result is another run's (same key), replayed or followed live, not trained here."""
        return self.replay_of is not None

    @property
    def label(self) -> str:
        """Short name, e.g. '#3 relu · adam 0.001 · 2×256'."""
        return run_label(self.number, self.config)

    def metrics(self) -> dict:
        """Final (or latest) numbers: steps, loss, accuracies, seconds."""
        return {"steps": self.step, "final_loss": self.final_loss, "train_acc": self.train_acc,
                "test_acc": self.test_acc, "seconds": round(self.seconds or 0.0, 2)}

    def summary(self) -> dict:
        """JSON-ready dict of the row (what `python -m lab runs --json` lists)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["config"] = self.config.to_dict()
        out["label"] = self.label
        return finite(out)


def run_label(number: int, config: RunConfig) -> str:
    """Short name of a run, e.g. '#3 relu · adam 0.001 · 2×256'."""
    return f"#{number} {base_label(config)}"


def new_token() -> str:
    """A random, unguessable id (run ids, owner tokens, class keys)."""
    return secrets.token_urlsafe(16)


def is_run_id(text: str) -> bool:
    """True if text has the shape of a run id (before asking the database)."""
    return 16 <= len(text) <= 32 and all(c.isalnum() or c in "-_" for c in text)


def to_run(row) -> StoredRun:
    """A StoredRun from a runs-table mapping."""
    data = dict(row)
    data["config"] = RunConfig.from_dict(json.loads(data["config"]))
    data["stop_requested"] = bool(data["stop_requested"])
    return StoredRun(**data)
