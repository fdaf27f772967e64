"""The models a browser has: its stored runs' weights (final, or the latest checkpoint while training).

This is the one accessor the Draw page uses; the Train page writes nothing for it.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from lab.engine.config import RunConfig
from lab.runs.store import Store
from lab.runs.stored import StoredRun

USABLE = ("finished", "stopped", "interrupted", "queued", "running")  # diverged/failed weights are no use


class ModelSource:
    """A model for other pages: label, config, live flag, and consistent CPU weights on demand."""

    def __init__(self, label: str, config: RunConfig, snapshot: Callable[[], dict[str, torch.Tensor]],
                 is_live: Callable[[], bool], test_acc: float | None = None, run_id: str | None = None,
                 status: str = "finished"):
        self.label, self.config, self.test_acc, self.run_id = label, config, test_acc, run_id
        self.status = status  # as listed: finished, stopped, interrupted, queued or running
        self._snapshot, self._is_live = snapshot, is_live

    @property
    def live(self) -> bool:
        """True while the run is queued or training."""
        return self._is_live()

    def snapshot(self) -> dict[str, torch.Tensor]:
        """plain_state_dict of the current weights."""
        return self._snapshot()


def source_of(store: Store, run: StoredRun) -> ModelSource:
    """A ModelSource reading a stored run's weights (re-read on each snapshot: checkpoints move on)."""
    def snapshot() -> dict[str, torch.Tensor]:
        found = store.load_weights(run.id)
        if found is None:
            raise RuntimeError(f"run {run.label} has no weights yet")
        return found[0]

    def is_live() -> bool:
        current = store.get_run(run.id)
        return current is not None and current.active

    return ModelSource(run.label, run.config, snapshot, is_live, run.test_acc, run.id, run.status)


def browser_models(store: Store, owner: str) -> list[ModelSource]:
    """This browser's runs that have weights, oldest first."""
    runs = [r for r in store.list_runs(owner=owner) if r.status in USABLE]
    with_weights = store.has_weights(r.id for r in runs)
    return [source_of(store, r) for r in runs if r.id in with_weights]


def run_model(store: Store, run_id: str) -> ModelSource | None:
    """Any run's model by its id (a permanent link), or None if it has no weights."""
    run = store.get_run(run_id)
    if run is None or not store.has_weights([run.id]):
        return None
    return source_of(store, run)
