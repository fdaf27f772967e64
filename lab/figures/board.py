"""The class board's Plotly figures: every run's loss curve, final accuracy by activation x depth and by optimizer.

Built from plain dicts without Plotly's validation, with large fonts and few colours for a
projector. They carry activation, optimizer and depth names only, never a student's nickname.
"""

from __future__ import annotations

import html
import math
from collections import defaultdict

import numpy as np
import plotly.graph_objects as go

from lab.classroom.board import Board, BoardRun
from lab.i18n import t

COLOR_BY = ("activation", "optimizer", "depth")
# Okabe-Ito: told apart by colour-blind eyes (D3's red and green, relu and tanh, were not); yellow left out.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#000000", "#999999")
FONT = 20  # projector: readable from the back of a room
MAX_CURVE_POINTS = 20_000  # all curves together; each run gets its share (at most 300, at least 30)


def _layout(meta: str, title: str, x_title: str, y_title: str, height: int = 480, **extra) -> dict:
    """A plain layout with the board's look (large fonts, white background)."""
    return dict(meta=meta, title=dict(text=title, font=dict(size=FONT + 4)), height=height,
                font=dict(size=FONT), margin=dict(l=80, r=30, t=70, b=70), uirevision=meta,
                xaxis=dict(title=dict(text=x_title), tickfont=dict(size=FONT - 2)),
                yaxis=dict(title=dict(text=y_title), tickfont=dict(size=FONT - 2)),
                legend=dict(font=dict(size=FONT)), **extra)


def group_value(run: BoardRun, color_by: str) -> str:
    """The value a run is coloured by (activation, optimizer or depth)."""
    return str(getattr(run.config, color_by))


def _decimate(steps: list[int], losses: list[float], most: int) -> tuple[list[int], list[float]]:
    """Every k-th point and the last, so that at most about `most` remain."""
    if len(steps) <= most:
        return steps, losses
    k = math.ceil(len(steps) / most)
    xs, ys = steps[::k], losses[::k]
    if xs[-1] != steps[-1]:
        xs, ys = xs + [steps[-1]], ys + [losses[-1]]
    return xs, ys


def curves_figure(board: Board, color_by: str = "activation", lang: str = "en", height: int = 560) -> go.Figure:
    """Every run's training loss against the step, one colour (one trace) per activation, optimizer or depth."""
    layout = _layout("board-curves", t("class.chart.curves", lang), t("class.chart.step", lang),
                     t("class.chart.loss", lang), height=height)
    layout["yaxis"]["type"] = "log"
    drawn = [r for r in board.runs if board.curves.get(r.id, ([], []))[0]]
    if not drawn:
        layout["annotations"] = [dict(text=t("class.chart.waiting", lang), showarrow=False, xref="paper",
                                      yref="paper", x=0.5, y=0.5, font=dict(size=FONT + 2, color="#777"))]
        return go.Figure(layout=layout, _validate=False)
    groups = sorted({group_value(r, color_by) for r in drawn}, key=lambda v: (len(v), v))
    most = max(30, min(300, MAX_CURVE_POINTS // len(drawn)))
    # One trace per colour, its runs joined by NaN gaps: a few traces of float32 arrays (sent as
    # base64) instead of 300 traces keeps the figure's build and JSON under ~30 ms for 300 runs.
    xs: dict[str, list] = defaultdict(list)
    ys: dict[str, list] = defaultdict(list)
    for run in drawn:
        group = group_value(run, color_by)
        x, y = _decimate(*board.curves[run.id], most)
        xs[group] += [*x, math.nan]
        ys[group] += [v if v is not None and v > 0 else math.nan for v in y] + [math.nan]
    data = [dict(type="scatter", mode="lines", name=g, x=np.asarray(xs[g], dtype=np.float32),
                 y=np.asarray(ys[g], dtype=np.float32), line=dict(width=2.5, color=PALETTE[i % len(PALETTE)]),
                 opacity=0.75, hovertemplate=f"{html.escape(g)}<br>%{{x}}: %{{y:.3f}}<extra></extra>")
            for i, g in enumerate(groups)]
    layout["legend"]["title"] = dict(text=t(f"class.by.{color_by}", lang))
    return go.Figure(data=data, layout=layout, _validate=False)


def _mean(values: list[float]) -> float:
    """The mean of a non-empty list."""
    return sum(values) / len(values)


def accuracy_grid(board: Board) -> tuple[list[str], list[int], list[list[float | None]], list[list[int]]]:
    """(activations, depths, mean test accuracy [activation][depth] or None, run counts) of scored runs."""
    cells: dict[tuple[str, int], list[float]] = defaultdict(list)
    for run in board.runs:
        if run.scored:
            cells[(run.config.activation, run.config.depth)].append(run.test_acc)
    acts = sorted({a for a, _ in cells})
    depths = sorted({d for _, d in cells})
    z = [[_mean(cells[(a, d)]) if cells.get((a, d)) else None for d in depths] for a in acts]
    n = [[len(cells.get((a, d), [])) for d in depths] for a in acts]
    return acts, depths, z, n


def accuracy_heatmap(board: Board, lang: str = "en") -> go.Figure:
    """Mean final test accuracy by activation (rows) and depth (columns), the value written in each cell."""
    acts, depths, z, n = accuracy_grid(board)
    layout = _layout("board-heatmap", t("class.chart.heatmap", lang), t("class.chart.depth", lang),
                     t("class.chart.activation", lang), height=max(360, 120 + 80 * len(acts)))
    if not acts:
        layout["annotations"] = [dict(text=t("class.chart.waiting_acc", lang), showarrow=False, xref="paper",
                                      yref="paper", x=0.5, y=0.5, font=dict(size=FONT + 2, color="#777"))]
        return go.Figure(layout=layout, _validate=False)
    text = [[f"{v:.0%} ({k})" if v is not None else "" for v, k in zip(row, counts, strict=True)]
            for row, counts in zip(z, n, strict=True)]
    layout["xaxis"].update(type="category")
    layout["yaxis"].update(type="category")
    data = [dict(type="heatmap", x=[str(d) for d in depths], y=acts, z=z, text=text, texttemplate="%{text}",
                 textfont=dict(size=FONT + 2), zmin=0, zmax=1, xgap=3, ygap=3,
                 # Red to blue through white (colour-blind safe; the dark cell text readable on each).
                 colorscale=[[0, "#e7857a"], [0.5, "#f7f7f7"], [1, "#74add1"]],
                 colorbar=dict(tickformat=".0%"), hovertemplate="%{y}, %{x}: %{z:.1%}<extra></extra>")]
    return go.Figure(data=data, layout=layout, _validate=False)


def optimizer_bars(board: Board, lang: str = "en") -> go.Figure:
    """Mean final test accuracy by optimizer (bars, best first)."""
    by: dict[str, list[float]] = defaultdict(list)
    for run in board.runs:
        if run.scored:
            by[run.config.optimizer].append(run.test_acc)
    layout = _layout("board-optimizers", t("class.chart.optimizers", lang), t("class.chart.optimizer", lang),
                     t("class.chart.test_acc", lang), height=420)
    layout["yaxis"].update(range=[0, 1], tickformat=".0%")
    if not by:
        layout["annotations"] = [dict(text=t("class.chart.waiting_acc", lang), showarrow=False, xref="paper",
                                      yref="paper", x=0.5, y=0.5, font=dict(size=FONT + 2, color="#777"))]
        return go.Figure(layout=layout, _validate=False)
    names = sorted(by, key=lambda k: -_mean(by[k]))
    means = [_mean(by[k]) for k in names]
    data = [dict(type="bar", x=names, y=means, marker=dict(color=PALETTE[0]),
                 text=[f"{m:.0%} ({len(by[k])})" for k, m in zip(names, means, strict=True)],
                 textposition="outside", textfont=dict(size=FONT))]
    return go.Figure(data=data, layout=layout, _validate=False)


# --- text alternatives: what each chart shows, for a screen reader ---------------------------------------
def _last_loss(board: Board, run: BoardRun) -> float | None:
    """The run's last finite logged loss."""
    losses = [v for v in board.curves.get(run.id, ([], []))[1] if v is not None and math.isfinite(v)]
    return losses[-1] if losses else None


def curves_alt(board: Board, color_by: str = "activation", lang: str = "en") -> str:
    """The curves chart in words: how many runs, and the lowest last loss of each colour."""
    title = t("class.chart.curves", lang)
    best: dict[str, float] = {}
    for run in board.runs:
        if (loss := _last_loss(board, run)) is not None:
            group = group_value(run, color_by)
            best[group] = min(loss, best.get(group, math.inf))
    if not best:
        return t("room.alt.empty", lang, title=title, note=t("class.chart.waiting", lang))
    values = ", ".join(f"{g} {v:.3g}" for g, v in sorted(best.items(), key=lambda kv: kv[1]))
    return t("room.alt.curves", lang, title=title, n=sum(1 for r in board.runs if r.id in board.curves),
             by=t(f"class.by.{color_by}", lang), values=values)


def heatmap_alt(board: Board, lang: str = "en") -> str:
    """The accuracy grid in words: each activation and depth with its mean test accuracy."""
    acts, depths, z, n = accuracy_grid(board)
    title = t("class.chart.heatmap", lang)
    if not acts:
        return t("room.alt.empty", lang, title=title, note=t("class.chart.waiting_acc", lang))
    depth = t("class.chart.depth", lang)
    values = "; ".join(f"{a}, {depth} {d}: {v:.0%} ({k})" for a, row, counts in zip(acts, z, n, strict=True)
                       for d, v, k in zip(depths, row, counts, strict=True) if v is not None)
    return t("room.alt.grid", lang, title=title, values=values)


def bars_alt(board: Board, lang: str = "en") -> str:
    """The optimizer bars in words: each optimizer's mean test accuracy, best first."""
    fig = optimizer_bars(board, lang)
    title = t("class.chart.optimizers", lang)
    if not fig.data:
        return t("room.alt.empty", lang, title=title, note=t("class.chart.waiting_acc", lang))
    bars = fig.data[0]
    return t("room.alt.grid", lang, title=title, values=", ".join(f"{x} {y:.0%}" for x, y in zip(bars.x, bars.y,
                                                                                               strict=True)))
