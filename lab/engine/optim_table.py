"""The optimizers' table without torch: each one's default learning rate, knobs, ranges and quirks.

Apart from optim.py so that validating a RunConfig (every page, the store) never imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lab.engine.errors import ConfigError


@dataclass(frozen=True)
class Hyper:
    """One exposed hyperparameter: its default and allowed range."""

    default: float | bool | int
    lo: float = 0.0
    hi: float = 1.0
    kind: str = "float"  # float | int | bool
    log: bool = False  # show on a log slider


@dataclass(frozen=True)
class OptSpec:
    """An optimizer: its torch class, the lr that trains the MLP well, its knobs and quirks."""

    name: str
    cls_name: str
    default_lr: float
    params: dict[str, Hyper] = field(default_factory=dict)
    full_batch: bool = False  # designed for the whole dataset per step (Rprop, LBFGS)
    needs_closure: bool = False  # LBFGS re-evaluates the loss inside step()
    sparse: bool = False  # SparseAdam: only sparse gradients
    fused: bool = False  # torch offers fused kernels on CPU and CUDA
    capturable: bool = False  # can run inside a CUDA graph

    @property
    def torch_class(self) -> type:
        """The torch.optim class."""
        import torch

        return getattr(torch.optim, self.cls_name)


_BETAS = {"beta1": Hyper(0.9, 0.0, 0.999), "beta2": Hyper(0.999, 0.0, 0.99999)}
_WD = {"weight_decay": Hyper(0.0, 0.0, 0.1)}

# default_lr: measured to train the 784-256-256-10 ReLU net to >90% in one epoch at
# batch 100 (tests/test_optim.py); PyTorch's own defaults differ 1000x between classes.
OPTIMIZERS: dict[str, OptSpec] = {
    spec.name: spec
    for spec in (
        OptSpec("sgd", "SGD", 0.1, {"momentum": Hyper(0.0, 0.0, 0.99),
                                     "nesterov": Hyper(False, kind="bool"), **_WD}, fused=True),
        OptSpec("adadelta", "Adadelta", 1.0, {"rho": Hyper(0.9, 0.0, 0.999), **_WD},
                capturable=True),
        OptSpec("adagrad", "Adagrad", 0.01, {"lr_decay": Hyper(0.0, 0.0, 0.1), **_WD}),
        OptSpec("adam", "Adam", 1e-3, {**_BETAS, **_WD}, fused=True, capturable=True),
        OptSpec("sparseadam", "SparseAdam", 1e-3, dict(_BETAS), sparse=True),
        OptSpec("adamax", "Adamax", 2e-3, {**_BETAS, **_WD}, capturable=True),
        OptSpec("asgd", "ASGD", 0.1, {"lambd": Hyper(1e-4, 0.0, 0.1), "alpha": Hyper(0.75, 0.0, 2.0),
                                      **_WD}, capturable=True),
        OptSpec("lbfgs", "LBFGS", 1.0, {"max_iter": Hyper(4, 1, 50, kind="int"),
                                        "history_size": Hyper(10, 1, 100, kind="int")},
                full_batch=True, needs_closure=True),
        OptSpec("rmsprop", "RMSprop", 1e-3, {"alpha": Hyper(0.99, 0.0, 0.9999),
                                             "momentum": Hyper(0.0, 0.0, 0.99),
                                             "centered": Hyper(False, kind="bool"), **_WD},
                capturable=True),
        OptSpec("rprop", "Rprop", 1e-3, {"eta_minus": Hyper(0.5, 0.01, 1.0),
                                         "eta_plus": Hyper(1.2, 1.0, 3.0)},
                full_batch=True, capturable=True),
        OptSpec("adamw", "AdamW", 1e-3, {**_BETAS, "weight_decay": Hyper(0.01, 0.0, 0.1)},
                fused=True, capturable=True),
        OptSpec("nadam", "NAdam", 2e-3, {**_BETAS, **_WD}, capturable=True),
        OptSpec("radam", "RAdam", 1e-3, {**_BETAS, **_WD}, capturable=True),
    )
}


def validate_opt_params(name: str, opt_params: dict[str, Any]) -> None:
    """Raise ConfigError if an override is unknown for this optimizer or out of range."""
    spec = OPTIMIZERS.get(name)
    if spec is None:
        raise ConfigError(f"optimizer={name!r}: choose one of {', '.join(OPTIMIZERS)}")
    for key, value in opt_params.items():
        hyper = spec.params.get(key)
        if hyper is None:
            allowed = ", ".join(spec.params) or "none"
            raise ConfigError(f"{spec.cls_name} has no setting {key!r} (settings: {allowed})")
        if hyper.kind == "bool":
            if not isinstance(value, bool):
                raise ConfigError(f"{key}={value!r}: expected true or false")
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key}={value!r}: expected a number")
        if not hyper.lo <= value <= hyper.hi or (hyper.kind == "int" and value != int(value)):
            raise ConfigError(f"{key}={value!r}: must be between {hyper.lo:g} and {hyper.hi:g}")


def parse_opt_params(name: str, raw: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Parse text overrides (URL/CLI); returns the good ones and a notice per bad one."""
    good: dict[str, Any] = {}
    bad: list[str] = []
    spec = OPTIMIZERS[name]
    for key, text in raw.items():
        hyper = spec.params.get(key)
        try:
            if hyper is None:
                raise ValueError(f"{spec.cls_name} has no setting {key!r}")
            if hyper.kind == "bool":
                value: Any = {"true": True, "1": True, "false": False, "0": False}[str(text).lower()]
            else:
                value = float(text)
                value = int(value) if hyper.kind == "int" and value == int(value) else value
            validate_opt_params(name, {key: value})
            good[key] = value
        except (ValueError, KeyError) as exc:
            bad.append(f"{key}={text!r} ignored ({exc})")
    return good, bad


def optimizer_kwargs(name: str, lr: float, opt_params: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for the torch class: defaults, overrides, betas folded."""
    spec = OPTIMIZERS[name]
    values = {k: h.default for k, h in spec.params.items()} | dict(opt_params)
    if "beta1" in values:
        values["betas"] = (values.pop("beta1"), values.pop("beta2"))
    if "eta_minus" in values:
        values["etas"] = (values.pop("eta_minus"), values.pop("eta_plus"))
    if name == "lbfgs":
        values["max_iter"] = int(values["max_iter"])
        values["history_size"] = int(values["history_size"])
        # On noisy mini-batches a fixed LBFGS step can blow up; a line search keeps each step
        # from raising the batch's loss.
        values["line_search_fn"] = "strong_wolfe"
    if name == "sgd" and values.get("nesterov") and values.get("momentum", 0) == 0:
        values["momentum"] = 0.9  # Nesterov needs momentum; torch raises otherwise
    return {"lr": lr, **values}
