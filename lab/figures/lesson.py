"""Lesson mode's figures: a prediction's votes, and the Reveal (what the class predicted next to what it measured).

Plain dicts without Plotly's validation, in the board's look (large type for a projector, lab/figures/board.py).
The class's curves of a Run step are the board's own curves figure.
"""

from __future__ import annotations

import plotly.graph_objects as go

from lab.figures.board import FONT, PALETTE
from lab.figures.layout import wrap_title
from lab.i18n import t
from lab.lesson_mode.record import Reveal

VOTE, MEASURED, REPORTED, ANSWER = "#7f7f7f", PALETTE[0], "#555555", "#2ca02c"
MEAN_X = 1.04  # where the mean accuracy is written, just right of 100%


def _mean(values: list[float]) -> float | None:
    """The mean, or None for no values."""
    return sum(values) / len(values) if values else None


def votes_figure(labels: list[str], counts: list[int], answer: int | None, lang: str) -> go.Figure:
    """One horizontal bar per choice with its number of votes; the answer (if shown) in green."""
    colors = [ANSWER if i == answer else VOTE for i in range(len(labels))]
    total = sum(counts) or 1
    # Each choice on lines of at most 18 characters: on one line, beside the bars of a 1024 px projector's
    # narrow column, "The sigmoid's slope: at most 0.25" lost its start.
    data = [dict(type="bar", orientation="h", y=[wrap_title(label, 18) for label in labels], x=counts,
                 marker=dict(color=colors),
                 text=[f"{c} ({c / total:.0%})" for c in counts], textposition="auto", textfont=dict(size=FONT),
                 hovertemplate="%{y}: %{x}<extra></extra>")]
    layout = dict(meta="lesson-votes", height=max(220, 90 + 70 * len(labels)), font=dict(size=FONT),
                  margin=dict(l=20, r=30, t=50, b=50), title=dict(text=t("lesson.chart.votes", lang)),
                  xaxis=dict(title=dict(text=t("lesson.chart.n_votes", lang)), dtick=1, rangemode="tozero"),
                  yaxis=dict(autorange="reversed", automargin=True), showlegend=False)
    return go.Figure(data=data, layout=layout, _validate=False)


def reveal_figure(reveal: Reveal, lang: str, stacked: bool = False) -> go.Figure:
    """The class's votes per choice next to each run's test accuracy (dots), their mean and the lesson's own."""
    # One row per choice or arm. Side by side for the board's projector; stacked (predictions above) and in
    # smaller type for a student's screen, which may be a phone.
    labels, rows = reveal.labels, max(1, len(reveal.labels))
    size = FONT - 2 if not stacked else 15
    voted = any(v is not None for v in reveal.votes)
    panel = 50 + (62 if not stacked else 48) * rows  # px per panel: a row per category
    votes_axes, acc_axes = ("x", "y"), (("x2", "y2" if stacked else "y") if voted else ("x", "y"))
    data: list[dict] = []
    votes = [v or 0 for v in reveal.votes]
    if voted:
        total = sum(votes) or 1
        data.append(dict(type="bar", orientation="h", y=labels, x=votes, name=t("lesson.chart.predicted", lang),
                         xaxis=votes_axes[0], yaxis=votes_axes[1], cliponaxis=False, textposition="outside",
                         marker=dict(color=[ANSWER if i == reveal.answer else VOTE for i in range(rows)]),
                         text=[f"{v} ({v / total:.0%})" if reveal.votes[i] is not None else "—"
                               for i, v in enumerate(votes)], textfont=dict(size=size),
                         hovertemplate="%{y}: %{x}<extra></extra>"))
    means = [_mean(m) for m in reveal.measured]
    on_acc = dict(xaxis=acc_axes[0], yaxis=acc_axes[1])
    data.append(dict(type="bar", orientation="h", y=labels, x=means, name=t("lesson.chart.measured", lang),
                     marker=dict(color=MEASURED, opacity=0.55), hovertemplate="%{y}: %{x:.1%}<extra></extra>",
                     **on_acc))
    # The mean's number in a column of its own right of 100%, clear of the bars and the dots.
    data.append(dict(type="scatter", mode="text", y=labels, x=[MEAN_X] * rows, textposition="middle right",
                     text=[f"<b>{m:.1%}</b> ({len(v)})" if m is not None else "—"
                           for m, v in zip(means, reveal.measured, strict=True)],
                     textfont=dict(size=size), cliponaxis=False, hoverinfo="skip", **on_acc))
    data.append(dict(type="scatter", mode="markers", name=t("lesson.chart.each_run", lang),
                     y=[label for label, accs in zip(labels, reveal.measured, strict=True) for _ in accs],
                     x=[acc for accs in reveal.measured for acc in accs], hovertemplate="%{y}: %{x:.1%}<extra></extra>",
                     marker=dict(color="#1a1a1a", size=11, line=dict(color="white", width=1)), **on_acc))
    if any(r is not None for r in reveal.reported):
        data.append(dict(type="scatter", mode="markers", y=labels, x=reveal.reported, hoverinfo="skip",
                         name=t("lesson.chart.reported", lang), **on_acc,
                         marker=dict(symbol="line-ns-open", size=30, color=REPORTED, line=dict(width=4))))
    acc = dict(range=[0, MEAN_X + (0.42 if not stacked else 0.5)], tickvals=[0, 0.5, 1], ticktext=["0%", "50%", "100%"],
               gridcolor="#e5e5e5", tickfont=dict(size=size), zeroline=False)
    cats = dict(type="category", autorange="reversed", automargin=True, tickfont=dict(size=size))
    count = dict(range=[0, max(votes + [1]) * 1.45], dtick=max(1, round(max(votes + [1]) / 4)), gridcolor="#e5e5e5",
                 tickfont=dict(size=size), zeroline=False)
    layout = dict(meta="lesson-reveal", font=dict(size=size), barmode="overlay", plot_bgcolor="white",
                  showlegend=False, margin=dict(l=10, r=10, t=40, b=30))
    # Side by side, each heading has half the width: the short words; stacked, the long ones.
    measured = t("lesson.chart.measured_acc" if stacked or not voted else "lesson.chart.measured", lang)
    predicted = t("lesson.chart.predicted_votes" if stacked else "lesson.chart.predicted", lang)
    if not voted:
        layout.update(height=panel + 40, xaxis=acc, yaxis=cats, annotations=[_head(measured, 0.5, 1.0, size)])
    elif stacked:
        share = panel / (2 * panel + 60)
        layout.update(height=2 * panel + 60, xaxis=dict(anchor="y", **count), yaxis=dict(domain=[1 - share, 1], **cats),
                      xaxis2=dict(anchor="y2", **acc), yaxis2=dict(domain=[0, share], **cats),
                      annotations=[_head(predicted, 0.5, 1.0, size), _head(measured, 0.5, share, size)])
    else:
        layout.update(height=panel + 40, xaxis=dict(domain=[0, 0.38], **count), yaxis=cats,
                      xaxis2=dict(domain=[0.46, 1], anchor="y", **acc),
                      annotations=[_head(predicted, 0.19, 1.0, size), _head(measured, 0.73, 1.0, size)])
    return go.Figure(data=data, layout=layout, _validate=False)


def _head(text: str, x: float, y: float, size: int) -> dict:
    """A panel's heading just above its plot area (paper coordinates)."""
    return dict(text=f"<b>{text}</b>", xref="paper", yref="paper", x=x, y=y, yshift=6, showarrow=False,
                xanchor="center", yanchor="bottom", font=dict(size=size + 2))
