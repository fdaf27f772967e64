"""A browser's run history as a table: rows of stored runs, and their CSV and JSON exports."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from lab.engine.events import RunEnded, finite
from lab.runs.store import Store
from lab.runs.stored import StoredRun

MAX_HISTORY = 30  # the Train page shows this browser's newest runs; older ones stay in the store

# Column order of the table and the CSV file, as people read it: which run, how it did, then
# what it was. The page translates the headers and the status values.
COLUMNS = ("run", "status", "test_acc", "final_loss", "seconds", "activation", "optimizer", "lr", "depth",
           "width", "init", "batch_size", "epochs", "seed", "train_subset", "steps", "train_acc")


def row(run: StoredRun) -> dict[str, Any]:
    """A flat table row (COLUMNS) of a run's config and final metrics."""
    cfg = run.config
    values = {"run": run.label, "status": run.status, "activation": cfg.activation, "optimizer": cfg.optimizer,
              "lr": cfg.effective_lr, "depth": cfg.depth, "width": cfg.width, "init": cfg.init,
              "batch_size": cfg.batch_size, "epochs": cfg.epochs, "seed": cfg.seed,
              "train_subset": cfg.train_subset or 60000, **run.metrics()}
    return {name: values[name] for name in COLUMNS}


def csv_text(runs: list[StoredRun]) -> str:
    """CSV text: a header of COLUMNS and one line per run (NaN and infinities left empty)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for run in runs:
        writer.writerow({k: "" if v is None else v for k, v in finite(row(run)).items()})
    return out.getvalue()


def run_dict(store: Store, run: StoredRun) -> dict[str, Any]:
    """JSON-ready dict of one run: id, label, group, config, metrics, end message and whole record."""
    return finite({"id": run.id, "run": run.label, "group": run.group_name, "config": run.config.to_dict(),
                   "metrics": run.metrics(), "status": run.status, "node": run.node, "message": run.message,
                   "record": store.record(run.id).to_dict()})


def json_text(store: Store, runs: list[StoredRun]) -> str:
    """Strict JSON text: a list of every run's config, metrics and full record."""
    return json.dumps([run_dict(store, r) for r in runs], indent=1, allow_nan=False)


def ended_of(run: StoredRun) -> RunEnded | None:
    """How an ended run ended, as the trainer's RunEnded (None while it is queued or training)."""
    if run.active:
        return None
    return RunEnded(run.status, run.message, run.step, run.final_loss, run.seconds or 0.0)
