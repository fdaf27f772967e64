"""The Train page's logic without Streamlit: choices, presets, URL <-> widgets, progress and end messages."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from lab.engine.config import PRESETS, ConfigError, RunConfig
from lab.engine.events import RunEnded
from lab.engine.optim_table import OPTIMIZERS
from lab.i18n import t

LR_GRID = (1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5,
           1.0, 2.0, 5.0, 10.0)
WIDTHS = (16, 32, 64, 128, 256, 512, 1024)
BATCHES = (16, 32, 64, 100, 128, 256, 512, 1000)
SHOOTOUT_OPTIMIZERS = ("sgd", "adagrad", "rmsprop", "adam")
PRESET_MENU = ("lesson-softmax", "lesson-nn", "vanishing", "shootout")  # the page's preset buttons
GROUP_PRESETS = ("vanishing", "shootout")  # presets that train several runs side by side
CONFIG_FIELDS = tuple(f.name for f in dataclasses.fields(RunConfig) if f.name != "opt_params")


def preset_configs(name: str) -> list[RunConfig]:
    """The configs of a preset: one for the lesson's nets, several for the comparisons."""
    if name == "vanishing":  # same seed, same shapes: identical initial weights and batch order
        return [PRESETS["vanishing-sigmoid"], PRESETS["vanishing-relu"]]
    if name == "shootout":  # one net, several optimizers, each at its own default lr
        base = RunConfig(activation="relu", depth=2, width=128, epochs=1, seed=777)
        return [base.replace(optimizer=opt) for opt in SHOOTOUT_OPTIMIZERS]
    if name in PRESETS:
        return [PRESETS[name]]
    raise KeyError(name)


def all_widget_values(config: RunConfig) -> dict[str, Any]:
    """Every widget's value for a config, every optimizer's settings included (defaults where unset).

    A preset or a reset writes all of these, so nothing a student set before (an lr, SGD's
    momentum, a subset of the images) survives into it: a preset is the defaults plus its fields.
    """
    values = widget_values(config)
    for name in OPTIMIZERS:
        values.update(opt_param_values(config, name))
    return values


def reset_values() -> dict[str, Any]:
    """Every widget back to the page's defaults (RunConfig())."""
    return all_widget_values(RunConfig())


def preset_fields(name: str) -> dict[str, Any]:
    """The fields a preset sets away from the defaults (for the first config of a comparison)."""
    config, default = preset_configs(name)[0], RunConfig()
    return {f: getattr(config, f) for f in CONFIG_FIELDS if getattr(config, f) != getattr(default, f)}


def leftovers(config: RunConfig, preset: str | None) -> dict[str, Any]:
    """Fields still at the preset's non-default value after the student changed others (else {})."""
    if not preset or not known_preset(preset) or config == preset_configs(preset)[0]:
        return {}
    return {f: v for f, v in preset_fields(preset).items() if getattr(config, f) == v}


def without_leftovers(config: RunConfig, preset: str | None) -> RunConfig:
    """The config with the preset's leftover fields back at their defaults; the student's changes stay."""
    default = RunConfig()
    return config.replace(**{f: getattr(default, f) for f in leftovers(config, preset)})


SATURATING = ("sigmoid", "tanh")
LOW_LR_FACTOR = 20  # a fixed lr this many times below the optimizer's own default barely moves


def hint_reasons(config: RunConfig) -> list[str]:
    """Why this config cannot show the lesson's point (vanishing gradients, learning): reason keys."""
    reasons = []
    if config.activation in SATURATING and config.depth >= 3 and config.init == "normal":
        # std-1 weights on 784 inputs: |z| ~ 10-30, every sigmoid saturated from the first step, so the
        # gradient no longer shrinks layer by layer (fc1's can exceed the output layer's).
        reasons.append("normal_init")
    default_lr = OPTIMIZERS[config.optimizer].default_lr
    if config.lr is not None and config.lr * LOW_LR_FACTOR <= default_lr:
        reasons.append("low_lr")
    return reasons


def config_hint(config: RunConfig, preset: str | None, lang: str) -> str | None:
    """A sentence saying what in this config hides the lesson's point, naming what the preset left."""
    reasons = hint_reasons(config)
    if not reasons:
        return None
    spec, lr = OPTIMIZERS[config.optimizer], config.effective_lr
    values = dict(act=config.activation, depth=config.depth, lr=f"{lr:g}", name=spec.cls_name,
                  default=f"{spec.default_lr:g}", factor=f"{spec.default_lr / lr:g}")
    parts = [t(f"train.hint.{r}", lang, **values) for r in reasons]
    left = leftovers(config, preset)
    if left:
        shown = ", ".join(f"{k}={'default' if v is None else v}" for k, v in left.items())
        parts.append(t("train.hint.leftover", lang, preset=t(f"train.preset.{preset}", lang), fields=shown))
    return " ".join(parts)


def known_preset(name: str) -> bool:
    """True for a name preset_configs() accepts."""
    return name in PRESET_MENU or name in PRESETS


def with_value(options: tuple, value: Any) -> list:
    """The options plus value (from a URL, say), sorted, so a select slider can show it."""
    return sorted(set(options) | {value})


def is_config_key(key: str) -> bool:
    """Query keys that belong to the RunConfig (not lang, preset, ...)."""
    return key in CONFIG_FIELDS or key.startswith("o.")


def incoming_config(query: dict[str, str], current: RunConfig | None,
                    cuda: bool) -> tuple[RunConfig | None, list[str], str | None]:
    """A config the URL asks for (new to this session), notices for bad values, and the preset used."""
    notices: list[str] = []
    config, preset = None, None
    name = query.get("preset")
    if name and known_preset(name):
        config, preset = preset_configs(name)[0], name
    else:
        if name:
            notices.append(f"preset={name!r} ignored (choose one of {', '.join(PRESET_MENU)})")
        wanted = {k: v for k, v in query.items() if is_config_key(k)}
        if wanted and (current is None or wanted != current.to_query()):
            config, more = RunConfig.from_query(wanted)
            notices += more
    if config is not None and config.device == "cuda" and not cuda:
        notices.append("device='cuda' ignored (no CUDA GPU on this server)")
        config = config.replace(device="auto")
    return config, notices, preset


def widget_values(config: RunConfig) -> dict[str, Any]:
    """Each widget's value for a config (keys without the page's prefix)."""
    values = {name: getattr(config, name) for name in CONFIG_FIELDS if name != "lr"}
    values["default_lr"] = config.lr is None
    values["lr"] = config.effective_lr
    values.update(opt_param_values(config, config.optimizer))
    return values


def opt_param_values(config: RunConfig, optimizer: str) -> dict[str, Any]:
    """Widget values of one optimizer's hyperparameters: the config's overrides, else defaults."""
    own = config.opt_params if config.optimizer == optimizer else {}
    return {f"opt.{optimizer}.{k}": own.get(k, h.default) for k, h in OPTIMIZERS[optimizer].params.items()}


def config_from_widgets(values: dict[str, Any], base: RunConfig) -> RunConfig:
    """The RunConfig the widgets describe; fields without a widget value keep base's (validated)."""
    optimizer = values.get("optimizer", base.optimizer)
    overrides = {}
    for name, hyper in OPTIMIZERS[optimizer].params.items():
        value = values.get(f"opt.{optimizer}.{name}", hyper.default)
        value = int(value) if hyper.kind == "int" else bool(value) if hyper.kind == "bool" else float(value)
        if value != hyper.default:
            overrides[name] = value  # only what differs, so the URL stays short
    changes = {name: values[name] for name in CONFIG_FIELDS if name in values and name != "lr"}
    lr = None if values.get("default_lr", base.lr is None) else float(values.get("lr", base.effective_lr))
    try:
        return base.replace(**changes, lr=lr, opt_params=overrides)
    except ConfigError:
        return base


def format_seconds(seconds: float) -> str:
    """12 s, 3:05 (min:s) or 1:02:03."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, sec = divmod(seconds, 60)
    return f"{minutes}:{sec:02d}" if minutes < 60 else f"{minutes // 60}:{minutes % 60:02d}:{sec:02d}"


def progress_text(progress, label: str, lang: str) -> str:
    """One line for a run's progress bar: queue place, or epoch, step, elapsed time and ETA."""
    if progress.state == "queued":
        if getattr(progress, "start_in", None) is not None:  # an estimate from recent runs (lab/runs/queue.py)
            return t("queue.waiting", lang, label=label, place=max(progress.place, 1),
                     start=format_seconds(progress.start_in))
        return t("train.queued", lang, label=label, place=max(progress.place, 1))
    if progress.total_steps == 0:
        return t("train.preparing", lang, label=label)
    values = dict(label=label, epoch=progress.epoch, epochs=progress.epochs, step=progress.step,
                  total=progress.total_steps, elapsed=format_seconds(progress.elapsed))
    if not eta_ready(progress):
        return t("train.progress_no_eta", lang, **values)
    return t("train.progress", lang, **values, eta=format_seconds(progress.eta))


ETA_AFTER_S = 5.0  # warm-up (threads, first batches) makes the first seconds' pace far too slow
ETA_AFTER_FRACTION = 0.05


def eta_ready(progress) -> bool:
    """True once enough of the run has passed for its pace to say when it ends."""
    return (progress.eta is not None and progress.state == "running" and progress.elapsed >= ETA_AFTER_S
            and progress.fraction >= ETA_AFTER_FRACTION)


def end_message(ended: RunEnded | None, config: RunConfig, test_acc: float | None,
                lang: str, stopped_by: str | None = None) -> tuple[str, str] | None:
    """(level, text) saying how a run ended: success, info, or error with a hint; never a traceback.

    stopped_by is who asked a stopped run to stop (Store.stop_origin): a teacher's stop is said so."""
    if ended is None:
        return None
    if ended.status == "stopped" and stopped_by == "teacher":
        if ended.step == 0 and not ended.seconds:
            return "warning", t("room.stopped_by_teacher_queued", lang)
        if test_acc is None:
            return "warning", t("room.stopped_by_teacher_early", lang, step=ended.step)
        return "warning", t("room.stopped_by_teacher", lang, step=ended.step, acc=f"{test_acc:.2%}")
    if ended.status == "diverged":
        loss = "NaN" if ended.loss is None or math.isnan(ended.loss) else f"{ended.loss:g}"
        lr = config.effective_lr
        return "error", t("train.diverged", lang, step=ended.step, loss=loss, lr=f"{lr:g}",
                          lower=f"{lr / 10:g}")
    if ended.status == "failed":
        return "error", t("train.failed", lang, message=ended.message)
    if ended.status == "interrupted":
        return "warning", t("runs.interrupted", lang, message=ended.message)
    if test_acc is None and ended.status != "finished":  # stopped before any epoch was tested
        return "info", t("train.stopped_early", lang, step=ended.step)
    acc = f"{test_acc:.2%}" if test_acc is not None else "—"
    key = "train.finished" if ended.status == "finished" else "train.stopped"
    level = "success" if ended.status == "finished" else "info"
    return level, t(key, lang, step=ended.step, acc=acc, seconds=f"{ended.seconds:.1f}")


def status_text(status: str, lang: str) -> str:
    """A run's status (finished, stopped, diverged, failed, running, queued) in the page's language."""
    return t(f"train.status.{status}", lang)


HISTORY_FORMATS = {"test_acc": "percent", "train_acc": "percent", "final_loss": "%.4f", "seconds": "%.1f",
                   "lr": "%g"}


def history_formats(lang: str) -> dict[str, str]:
    """Translated column header -> number format of the history table (accuracies in percent)."""
    return {t(f"train.col.{k}", lang): f for k, f in HISTORY_FORMATS.items()}


def history_table(rows: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """History rows for the page: translated headers and status values (the CSV keeps the raw ones)."""
    return [{t(f"train.col.{k}", lang): status_text(v, lang) if k == "status" else v for k, v in row.items()}
            for row in rows]
