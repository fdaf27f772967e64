"""Plotly figures of a run (loss, accuracy, gradient norms, saturation) and of several runs compared."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence

import plotly.graph_objects as go
from plotly.colors import qualitative, sample_colorscale

from lab.engine.events import RunRecord, finite
from lab.figures.layout import end_labels, figure, fit_legend, note
from lab.i18n import t

MAX_POINTS = 1500  # per line: more points than pixels only slow the live redraw


def _c(key: str, lang: str) -> str:
    """A chart string from the catalogue."""
    return t(f"train.chart.{key}", lang)


def _positive(value: float | None) -> float | None:
    """The value, or None where a log axis could not draw it (zero, negative, non-finite)."""
    value = finite(value)
    return value if value is not None and value > 0 else None


def smooth(values: Sequence[float | None], weight: float = 0.9) -> list[float | None]:
    """Bias-corrected exponential moving average (TensorBoard's); gaps stay gaps."""
    out: list[float | None] = []
    avg, norm = 0.0, 0.0
    for value in values:
        value = finite(value)
        if value is None:
            out.append(None)
            continue
        avg = weight * avg + (1 - weight) * value
        norm = weight * norm + (1 - weight)
        out.append(avg / norm)
    return out


def _thin(items: Sequence) -> list:
    """Every k-th item (and the last) so that at most about MAX_POINTS remain."""
    stride = math.ceil(len(items) / MAX_POINTS) if items else 1
    kept = list(items[::stride])
    if items and kept[-1] is not items[-1]:
        kept.append(items[-1])
    return kept


def layer_colors(n: int) -> list[str]:
    """One colour per layer, dark at the input and light at the output (viridis: colour-blind safe, and its
    brightness alone orders the layers on a washed-out projector); the lines are also named at their ends."""
    return sample_colorscale("Viridis", [i / max(1, n - 1) * 0.8 for i in range(n)])


def loss_step_figure(record: RunRecord, lang: str = "en") -> go.Figure:
    """Training loss at every logged step: raw (faint) and smoothed (bold)."""
    fig = figure("loss-step", _c("loss_step", lang), _c("step", lang), _c("loss", lang))
    if not record.steps:
        return note(fig, _c("waiting", lang))
    losses = [finite(s["loss"]) for s in record.steps]
    points = _thin(list(zip([s["step"] for s in record.steps], losses, smooth(losses), strict=True)))
    steps, raw, smoothed = (list(column) for column in zip(*points, strict=True))
    fig.add_scatter(x=steps, y=raw, mode="lines", name=_c("raw", lang),
                    line=dict(width=1, color="#e4572e"), opacity=0.35)
    fig.add_scatter(x=steps, y=smoothed, mode="lines", name=_c("smoothed", lang),
                    line=dict(width=3, color="#e4572e"))
    return fit_legend(fig)


def _epoch_figure(record: RunRecord, meta: str, title_key: str, y_key: str, series, lang: str) -> go.Figure:
    """One line per (name, colour, value of an epoch's summary) against the finished epochs."""
    fig = figure(meta, _c(title_key, lang), _c("epoch", lang), _c(y_key, lang))
    if not record.epochs:
        return note(fig, _c("waiting_epoch", lang))
    epochs = [e["epoch"] for e in record.epochs]
    for name, color, value in series:
        fig.add_scatter(x=epochs, y=[value(e) for e in record.epochs], mode="lines+markers",
                        name=_c(name, lang), line=dict(width=3, color=color))
    fig.update_xaxes(dtick=1)
    return fit_legend(fig)


def epoch_loss_figure(record: RunRecord, lang: str = "en") -> go.Figure:
    """Mean training loss of each finished epoch."""
    return _epoch_figure(record, "loss-epoch", "loss_epoch", "loss",
                         [("train", "#e4572e", lambda e: finite(e["train_loss"]))], lang)


def accuracy_figure(record: RunRecord, lang: str = "en") -> go.Figure:
    """Train and test accuracy of each finished epoch, in percent."""
    return _epoch_figure(record, "accuracy", "accuracy", "accuracy_pct",
                         [("train", "#e4572e", lambda e: 100 * e["train_acc"]),
                          ("test", "#2e86ab", lambda e: 100 * e["test_acc"])], lang)


def grad_norm_figure(record: RunRecord, lang: str = "en") -> go.Figure:
    """Each layer's weight-gradient norm per logged step, on a log scale."""
    fig = figure("grad-lines", _c("grad_lines", lang), _c("step", lang),
                  _c("grad_norm", lang), log_y=True)
    if not record.steps:
        return note(fig, _c("waiting", lang))
    logged = _thin(record.steps)
    steps = [s["step"] for s in logged]
    for i, (name, color) in enumerate(zip(record.layers, layer_colors(len(record.layers)), strict=True)):
        fig.add_scatter(x=steps, y=[_positive(s["grad_norms"][i]) for s in logged], mode="lines",
                        name=name, line=dict(width=2.5, color=color))
    return fit_legend(end_labels(fig, log_y=True))


def grad_heatmap(record: RunRecord, lang: str = "en") -> go.Figure:
    """Layer x step heatmap of log10 gradient norms: a vanishing gradient is a dark band at the input."""
    fig = figure("grad-heatmap", _c("grad_heatmap", lang), _c("step", lang), _c("layer", lang))
    if not record.steps:
        return note(fig, _c("waiting", lang))
    logged = _thin(record.steps)
    steps = [s["step"] for s in logged]
    # z: (layers, logged steps), output layer on top so the input sits at the bottom of the chart
    z = [[math.log10(v) if (v := _positive(s["grad_norms"][i])) else None for s in logged]
         for i in range(len(record.layers))]
    fig.add_heatmap(x=steps, y=record.layers, z=z, colorscale="Viridis",
                    colorbar=dict(title=dict(text="log₁₀ ‖∇W‖")), hoverongaps=False)
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=record.layers)
    return fit_legend(fig)


def saturation_figure(record: RunRecord, lang: str = "en") -> go.Figure:
    """Per hidden layer: % of saturated unit-samples (solid) and % of dead units (dashed)."""
    fig = figure("saturation", _c("saturation", lang), _c("step", lang), _c("percent", lang))
    if not record.hidden_layers:
        return note(fig, _c("no_hidden", lang))
    if not record.activations:
        return note(fig, _c("waiting", lang))
    steps = [a["step"] for a in record.activations]
    colors = layer_colors(len(record.layers))
    # One legend entry per layer (its solid line; the title says what solid and dashed mean): with
    # 6 layers, 6 short entries instead of 12 long ones. A click on it hides both of the layer's lines.
    for i, name in enumerate(record.hidden_layers):
        for key, dash, label in (("saturated", "solid", "saturated"), ("dead", "dash", "dead")):
            text = f"{name} {_c(label, lang)}"
            fig.add_scatter(x=steps, y=[100 * a[key][i] for a in record.activations], mode="lines+markers",
                            name=name if key == "saturated" else text, legendgroup=name,
                            showlegend=key == "saturated",
                            hovertemplate=f"{text}: %{{y:.1f}}%<extra></extra>",
                            line=dict(width=2, dash=dash, color=colors[i]))
    fig.update_yaxes(range=[-2, 102])
    return fit_legend(end_labels(fig))


def run_figures(record: RunRecord, lang: str = "en") -> dict[str, go.Figure]:
    """Every chart of one run, by meta name."""
    return {name: build(record, lang) for name, (build, _) in LIVE_PARTS.items()}


Runs = Sequence[tuple[str, RunRecord]]  # (label, record) of each run to overlay


# Each live chart and the part of the record it draws (a chart is rebuilt only when its part grows).
LIVE_PARTS = {"loss-step": (loss_step_figure, "steps"), "accuracy": (accuracy_figure, "epochs"),
              "grad-lines": (grad_norm_figure, "steps"), "grad-heatmap": (grad_heatmap, "steps"),
              "saturation": (saturation_figure, "activations"), "loss-epoch": (epoch_loss_figure, "epochs")}


def record_version(record: RunRecord) -> tuple:
    """Changes whenever the record gains an event: the key of its figures."""
    return id(record), len(record.steps), len(record.epochs), len(record.activations), record.status


class FigureMemo:
    """The live view redraws every second for every tab; rebuild figures only when their data changed.

    Building Plotly figures (validation, deep copies) was most of a busy server's CPU: ten tabs
    redrawing unchanged charts each second starved the training runs and the page loads.
    """

    def __init__(self, min_interval: float = 0.0) -> None:
        self.key: object = None
        self.value: object = None
        self.built = -math.inf  # time.monotonic() of the last build
        self.min_interval = min_interval
        self._lock = threading.Lock()  # tabs sharing a memo (a replay's followers) build each figure once

    def get(self, key: object, build):
        """build() the first time and whenever key differs from the last call's (at most once a min_interval)."""
        with self._lock:
            if key != self.key and time.monotonic() - self.built >= self.min_interval:
                self.key, self.value, self.built = key, build(), time.monotonic()
            return self.value


class LiveFigures:
    """A run's charts, each rebuilt only when the part of the record it draws has changed.

    An unchanged chart is sent as the same object, which the browser does not draw again: in
    Chromium on 2 cores, redrawing all six charts every second took a whole core, and every click,
    reload and Stop waited behind it. `draw` turns a built figure into what the page shows (the Train
    page: an SVG image, sketch.img_of); by default the Plotly figure itself.
    """

    def __init__(self, draw: Callable[[go.Figure], object] | None = None, min_interval: float = 0.0) -> None:
        # min_interval: tabs that share these charts (a replay's followers) each poll once a second at their
        # own moment while the run logs every ~0.1 s: without it each tab's poll found new steps and rebuilt.
        self._memos: defaultdict[str, FigureMemo] = defaultdict(lambda: FigureMemo(min_interval))  # one per chart
        self._draw = draw or (lambda fig: fig)

    def get(self, record: RunRecord, paired: Runs, lang: str = "en") -> dict[str, object]:
        """The run's charts by meta name, plus "group" overlaying a paired comparison, each drawn."""
        draw = self._draw
        figures = {name: self._memos[name].get((lang, id(record), len(getattr(record, part))),
                                               lambda build=build: draw(build(record, lang)))
                   for name, (build, part) in LIVE_PARTS.items()}
        if len(paired) > 1:
            key = (lang, *(record_version(r) for _, r in paired))
            figures["group"] = self._memos["group"].get(key, lambda: draw(compare_loss_figure(paired, lang)))
        return figures


def compare_figures(runs: Runs, lang: str = "en") -> list[go.Figure]:
    """The three comparison charts under the run history: loss, accuracy, gradient norms."""
    builders = (compare_loss_figure, compare_accuracy_figure, compare_grad_figure)
    return [build(runs, lang) for build in builders]


def _run_color(i: int) -> str:
    """A distinct colour per compared run."""
    palette = qualitative.D3
    return palette[i % len(palette)]


def compare_loss_figure(runs: Runs, lang: str = "en") -> go.Figure:
    """Smoothed training loss of several runs against the step."""
    fig = figure("compare-loss", _c("compare_loss", lang), _c("step", lang), _c("loss", lang))
    for i, (label, record) in enumerate(runs):
        smoothed = smooth([s["loss"] for s in record.steps])
        points = _thin(list(zip([s["step"] for s in record.steps], smoothed, strict=True)))
        fig.add_scatter(x=[p[0] for p in points], y=[p[1] for p in points], mode="lines", name=label,
                        line=dict(width=3, color=_run_color(i)))
    return fit_legend(fig) if runs else note(fig, _c("pick_runs", lang))


def compare_accuracy_figure(runs: Runs, lang: str = "en") -> go.Figure:
    """Test accuracy per epoch of several runs."""
    fig = figure("compare-accuracy", _c("compare_accuracy", lang), _c("epoch", lang),
                  _c("accuracy_pct", lang))
    for i, (label, record) in enumerate(runs):
        fig.add_scatter(x=[e["epoch"] for e in record.epochs], y=[100 * e["test_acc"] for e in record.epochs],
                        mode="lines+markers", name=label, line=dict(width=3, color=_run_color(i)))
    fig.update_xaxes(dtick=1)
    return fit_legend(fig) if runs else note(fig, _c("pick_runs", lang))


def compare_grad_figure(runs: Runs, lang: str = "en") -> go.Figure:
    """Each run's gradient norm by layer at its last logged step (input on the left), log scale."""
    fig = figure("compare-grad", _c("compare_grad", lang), _c("layer", lang),
                  _c("grad_norm", lang), log_y=True)
    for i, (label, record) in enumerate(runs):
        if record.steps:
            fig.add_scatter(x=record.layers, y=[_positive(v) for v in record.steps[-1]["grad_norms"]],
                            mode="lines+markers", name=label, line=dict(width=3, color=_run_color(i)),
                            marker=dict(size=10))
    fig.update_xaxes(type="category")
    return fit_legend(fig) if runs else note(fig, _c("pick_runs", lang))
