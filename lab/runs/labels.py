"""Run labels that show how runs differ, and the Draw page's model choices (best finished first)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lab.engine.config import RunConfig
from lab.i18n import t

# Fields a label adds when they differ between the runs shown together, in this order; the base
# label always has activation, optimizer, lr and shape. Short URL-style names: the same in both languages.
EXTRA_FIELDS = ("init", "epochs", "batch_size", "train_subset", "seed", "leaky_slope", "augment",
                "opt_params", "log_every", "probe_every", "device")
SHORT = {"batch_size": "batch", "train_subset": "images", "leaky_slope": "slope", "log_every": "log",
         "probe_every": "probe"}


def base_label(config: RunConfig) -> str:
    """'relu · adam 0.001 · 2×256': what every run label starts with."""
    shape = f"{config.depth}×{config.width}" if config.depth else "softmax"
    return f"{config.activation} · {config.optimizer} {config.effective_lr:g} · {shape}"


def _field_text(config: RunConfig, name: str) -> str:
    """One field as the label shows it: init=normal, epochs=3, momentum=0.9, augment."""
    value = getattr(config, name)
    if name == "opt_params":
        return " ".join(f"{k}={_fmt(v)}" for k, v in sorted(value.items()))
    if name == "augment":
        return "augment" if value else "no augment"
    if name == "train_subset":
        value = value or 60000
    return f"{SHORT.get(name, name)}={_fmt(value)}"


def _fmt(value: object) -> str:
    """0.9, 3, normal: floats without trailing zeros."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def distinct_labels(configs: Sequence[RunConfig], numbers: Sequence[int] | None = None) -> list[str]:
    """A label per config that adds every field differing between runs of the same base label."""
    # Only runs that would otherwise read the same are told apart: "#1 relu · adam 0.001 · 2×256 ·
    # init=normal" next to "#2 relu · adam 0.001 · 2×256 · init=default", and not every label grows.
    bases = [base_label(c) for c in configs]
    labels = []
    for i, (config, base) in enumerate(zip(configs, bases, strict=True)):
        twins = [c for c, b in zip(configs, bases, strict=True) if b == base]
        extra = [_field_text(config, f) for f in EXTRA_FIELDS
                 if len({repr(getattr(c, f)) for c in twins}) > 1]
        text = " · ".join([base, *[e for e in extra if e]])
        labels.append(f"#{numbers[i]} {text}" if numbers is not None else text)
    return labels


def relabel(labels: Sequence[str], configs: Sequence[RunConfig]) -> list[str]:
    """Run labels ('#3 relu · …') redone by distinct_labels, keeping each '#n'; other labels stay."""
    texts = distinct_labels(configs)
    return [f"{label.split(' ', 1)[0]} {text}" if label.startswith("#") else label
            for label, text in zip(labels, texts, strict=True)]


@dataclass(frozen=True)
class TrainedModel:
    """What the Draw page's picker knows of a trained model."""

    key: str  # the picker's key (a run label)
    label: str  # the text shown, e.g. from distinct_labels
    status: str  # finished, stopped, running, queued, diverged, failed
    test_acc: float | None  # the last finished epoch's test accuracy, None before the first


def model_text(model: TrainedModel, lang: str) -> str:
    """The picker's text: the label with its test accuracy, or why there is none."""
    if model.status in ("running", "queued"):
        return t("draw.model.training", lang, label=model.label)
    if model.test_acc is None:  # stopped before the first epoch's test, or not reported yet
        return t("draw.model.untested", lang, label=model.label) if model.status == "stopped" else model.label
    return t("draw.model.trained", lang, label=model.label, acc=model.test_acc)


def model_choices(models: Sequence[TrainedModel], lang: str) -> tuple[list[tuple[str, str]], str | None]:
    """(key, text) of each usable model, newest first, and the default: the best finished one."""
    # Diverged and failed runs are of no use to draw with; the newest first keeps the list in the
    # order students trained. The default is the best *finished* run, not the newest: a 9.8% sigmoid
    # run trained last should not answer the class's digits. With no finished run yet, the newest
    # (a live one improves as it learns); with no trained run, None (the caller's shipped model).
    usable = [m for m in reversed(models) if m.status not in ("diverged", "failed")]
    finished = [m for m in usable if m.status == "finished" and m.test_acc is not None]
    best = max(finished, key=lambda m: m.test_acc) if finished else (usable[0] if usable else None)
    return [(m.key, model_text(m, lang)) for m in usable], best.key if best else None
