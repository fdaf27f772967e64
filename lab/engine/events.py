"""The events a Trainer emits, and RunRecord, which collects them into the run's JSON form."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RunStarted:
    """The run is set up: where it runs, its layers and how many steps it will take."""

    config: dict[str, Any]
    device: str
    device_note: str  # e.g. "CUDA asked for but not present: using the CPU"; "" if none
    layers: list[str]
    hidden_layers: list[str]
    steps_per_epoch: int
    total_steps: int


@dataclass
class StepsLogged:
    """A block of logged steps: loss and each layer's weight-gradient norm (input side first)."""

    steps: list[int]
    losses: list[float]
    grad_norms: list[list[float]]


@dataclass
class EpochEnded:
    """One epoch's summary; test_acc is over all 10,000 test images."""

    epoch: int
    train_loss: float
    train_acc: float
    test_acc: float
    seconds: float


@dataclass
class ActivationsProbed:
    """Per hidden layer: fraction of saturated unit-samples and of units dead on the batch."""

    step: int
    saturated: list[float]
    dead: list[float]


@dataclass
class RunEnded:
    """Final status: finished, stopped, diverged or failed, with a message for people."""

    status: str
    message: str
    step: int
    loss: float | None
    seconds: float


Event = RunStarted | StepsLogged | EpochEnded | ActivationsProbed | RunEnded


@dataclass
class RunRecord:
    """Everything a run emitted, in the shape `python -m lab train --json` writes."""

    config: dict[str, Any] = field(default_factory=dict)
    device: str = ""
    device_note: str = ""
    layers: list[str] = field(default_factory=list)
    hidden_layers: list[str] = field(default_factory=list)
    total_steps: int = 0
    steps_per_epoch: int = 0
    steps: list[dict[str, Any]] = field(default_factory=list)
    epochs: list[dict[str, Any]] = field(default_factory=list)
    activations: list[dict[str, Any]] = field(default_factory=list)
    status: str = "running"
    message: str = ""
    seconds: float = 0.0

    def add(self, event: Event) -> None:
        """Fold one event into the record."""
        if isinstance(event, RunStarted):  # a run's first event: one trained again after a replay starts afresh
            self.steps, self.epochs, self.activations = [], [], []
            self.status, self.message, self.seconds = "running", "", 0.0
            self.config, self.device, self.device_note = event.config, event.device, event.device_note
            self.layers, self.hidden_layers = event.layers, event.hidden_layers
            self.total_steps, self.steps_per_epoch = event.total_steps, event.steps_per_epoch
        elif isinstance(event, StepsLogged):
            self.steps += [{"step": s, "loss": lo, "grad_norms": g}
                           for s, lo, g in zip(event.steps, event.losses, event.grad_norms)]
        elif isinstance(event, EpochEnded):
            self.epochs.append(dataclasses.asdict(event))
        elif isinstance(event, ActivationsProbed):
            self.activations.append(dataclasses.asdict(event))
        elif isinstance(event, RunEnded):
            self.status, self.message, self.seconds = event.status, event.message, event.seconds

    @property
    def last_step(self) -> int:
        """The latest logged step (0 before any)."""
        return self.steps[-1]["step"] if self.steps else 0

    @property
    def final_test_acc(self) -> float | None:
        """Test accuracy after the last finished epoch, if any."""
        return self.epochs[-1]["test_acc"] if self.epochs else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (non-finite floats become None, since JSON has no NaN)."""
        return finite(dataclasses.asdict(self))


def finite(value: Any) -> Any:
    """NaN and infinities become None, recursively (JSON and CSV have no NaN): the one such helper."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return value
