"""RunConfig: the whole description of one training run, serialisable to JSON and URLs."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any

from lab.engine.errors import ConfigError
from lab.engine.optim_table import OPTIMIZERS, parse_opt_params, validate_opt_params

ACTIVATION_NAMES = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu")
INIT_NAMES = ("default", "normal", "xavier", "kaiming")
DEVICE_NAMES = ("auto", "cpu", "cuda")
OPTIMIZER_NAMES = (
    "sgd", "adadelta", "adagrad", "adam", "sparseadam", "adamax", "asgd",
    "lbfgs", "rmsprop", "rprop", "adamw", "nadam", "radam",
)

# Numeric fields: (type, lowest, highest). Bounds keep a tampered URL from asking for
# a 10^9-unit layer; they are wide enough for every experiment the lesson suggests.
NUMERIC_BOUNDS: dict[str, tuple[type, float, float]] = {
    "leaky_slope": (float, 0.0, 1.0),
    "lr": (float, 1e-6, 1e4),
    "depth": (int, 0, 10),
    "width": (int, 1, 2048),
    "batch_size": (int, 1, 60000),
    "epochs": (int, 1, 100),
    "seed": (int, 0, 2**31 - 1),
    "log_every": (int, 1, 10000),
    "probe_every": (int, 1, 100000),
    "train_subset": (int, 0, 60000),
}
CHOICES: dict[str, tuple[str, ...]] = {
    "activation": ACTIVATION_NAMES,
    "optimizer": OPTIMIZER_NAMES,
    "init": INIT_NAMES,
    "device": DEVICE_NAMES,
}
OPT_PARAM_PREFIX = "o."  # URL keys of optimizer hyperparameters: ?o.momentum=0.9


@dataclass
class RunConfig:
    """Everything that defines a run; the same config and seed give the same run."""

    activation: str = "relu"
    leaky_slope: float = 0.01
    optimizer: str = "adam"
    lr: float | None = None  # None: the optimizer's own sensible default (lab.engine.optim_table)
    opt_params: dict[str, Any] = field(default_factory=dict)  # overrides of its hyperparameters
    depth: int = 2  # hidden layers; 0 is softmax regression
    width: int = 256
    init: str = "default"
    batch_size: int = 100
    epochs: int = 15
    device: str = "auto"
    seed: int = 777
    log_every: int = 10  # steps between logged losses / gradient norms
    probe_every: int = 100  # steps between activation statistics
    train_subset: int = 0  # 0: all 60,000 training images; else the first N
    augment: bool = False  # random shifts, rotations, scaling (for freehand digits)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ConfigError naming the first field whose value is not allowed."""
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(f"{name}={getattr(self, name)!r}: choose one of {', '.join(allowed)}")
        for name, (kind, lo, hi) in NUMERIC_BOUNDS.items():
            value = getattr(self, name)
            if value is None and name == "lr":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{name}={value!r}: expected a number")
            if kind is int and value != int(value):
                raise ConfigError(f"{name}={value!r}: expected a whole number")
            if not (math.isfinite(value) and lo <= value <= hi):
                raise ConfigError(f"{name}={value!r}: must be between {lo:g} and {hi:g}")

        validate_opt_params(self.optimizer, self.opt_params)

    @property
    def effective_lr(self) -> float:
        """The learning rate the run uses: the given one or the optimizer's default."""
        return self.lr if self.lr is not None else OPTIMIZERS[self.optimizer].default_lr

    def replace(self, **changes: Any) -> RunConfig:
        """A copy with some fields changed (validated)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict of every field."""
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        """JSON text of every field."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        """Build from a dict such as to_dict() made; unknown keys are an error."""
        unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ConfigError(f"unknown config fields: {', '.join(sorted(unknown))}")
        return cls(**data)

    def to_query(self) -> dict[str, str]:
        """Flat string dict for st.query_params; only fields that differ from the default."""
        default = RunConfig()
        out: dict[str, str] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "opt_params":
                out.update({OPT_PARAM_PREFIX + k: _fmt(v) for k, v in sorted(value.items())})
            elif value != getattr(default, f.name):
                out[f.name] = _fmt(value)
        return out

    @classmethod
    def from_query(cls, query: dict[str, str]) -> tuple[RunConfig, list[str]]:
        """Parse query params; each bad value falls back to its default and adds a notice."""
        notices: list[str] = []
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        opt_params: dict[str, Any] = {}
        for key, raw in query.items():
            if key.startswith(OPT_PARAM_PREFIX):
                opt_params[key[len(OPT_PARAM_PREFIX):]] = raw
            elif key in fields and key != "opt_params":
                try:
                    values[key] = parse_field(key, raw)
                    cls(**{key: values[key]})  # validates this one field alone
                except (ConfigError, ValueError, TypeError) as exc:
                    values.pop(key, None)
                    notices.append(f"{key}={raw!r} ignored ({_reason(exc)})")
        try:
            config = cls(**values)
        except ConfigError as exc:  # a combination that fails, e.g. an out-of-range lr
            notices.append(f"{_reason(exc)}; defaults used")
            config = cls()
        if opt_params:

            good, bad = parse_opt_params(config.optimizer, opt_params)
            notices += bad
            config = config.replace(opt_params=good)
        return config, notices


def parse_field(name: str, raw: str) -> Any:
    """Turn one text value (URL or CLI) into the field's type; ValueError if it can't."""
    raw = str(raw).strip()
    if name in CHOICES:
        return raw.lower()
    if name == "augment":
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError("expected true or false")
    if name == "lr" and raw.lower() in ("", "none", "default"):
        return None
    kind = NUMERIC_BOUNDS[name][0]
    value = float(raw)
    if not math.isfinite(value):
        raise ValueError("expected a finite number")
    if kind is int:
        if value != int(value):
            raise ValueError("expected a whole number")
        return int(value)
    return value


def _fmt(value: Any) -> str:
    """Short text for a URL value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _reason(exc: Exception) -> str:
    """The human part of an exception message."""
    return str(exc) or type(exc).__name__


# The lesson's two experiments (lab-10_1 softmax regression, lab-10_2 3-layer net):
# normal_ init (std 1), Adam 1e-3, batch 100, 15 epochs, seed 777.
PRESETS: dict[str, RunConfig] = {}


def _register_presets() -> None:
    """Fill PRESETS (RunConfigs validate against the optimizer table)."""
    lesson = dict(optimizer="adam", lr=1e-3, init="normal", batch_size=100, epochs=15, seed=777)
    PRESETS["lesson-softmax"] = RunConfig(activation="relu", depth=0, width=256, **lesson)
    PRESETS["lesson-nn"] = RunConfig(activation="relu", depth=2, width=256, **lesson)
    # The vanishing-gradient pair: 6 hidden sigmoid layers against the same net with ReLU.
    deep = dict(depth=6, width=128, init="default", optimizer="sgd", lr=0.1, epochs=3, seed=777)
    PRESETS["vanishing-sigmoid"] = RunConfig(activation="sigmoid", **deep)
    PRESETS["vanishing-relu"] = RunConfig(activation="relu", **deep)


_register_presets()
