"""What a run chart shows, in words: the text alternative of each chart image (and of a Plotly chart).

Read off the figure itself (its title, axis title, lines and their last values), so each chart is
described by the same definition that draws it (lab/figures/train.py); no language of its own.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go

from lab.figures.layout import END_LABEL_NAME

SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def number(value: float) -> str:
    """A value for people: 3 significant digits, powers of ten written out (1.2×10⁻⁵)."""
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        mantissa, exponent = f"{value:.2e}".split("e")
        return f"{float(mantissa):.2g}×10{str(int(exponent)).translate(SUPERSCRIPT)}"
    return f"{value:.3g}"


def _last(xs: list, ys: list) -> tuple[object, float] | None:
    """The last (x, y) whose y is a finite number."""
    for x, y in zip(reversed(xs), reversed(ys), strict=False):
        if isinstance(y, int | float) and math.isfinite(y):
            return x, y
    return None


def alt_of_spec(spec: dict) -> str:
    """What a chart shows, in words: its title, then each line's (or heatmap row's) last value."""
    layout, traces = spec["layout"], spec["data"]
    title = layout["title"]["text"].replace("<br>", " ")
    x_title = layout.get("xaxis", {}).get("title", {}).get("text", "")
    notes = [a["text"] for a in layout.get("annotations", ()) if a.get("name") != END_LABEL_NAME]
    heat = next((tr for tr in traces if tr.get("type") == "heatmap"), None)
    if heat and heat.get("x"):  # log10 norms per layer: the last column, as norms
        column = [(name, row[-1]) for name, row in zip(heat["y"], heat["z"], strict=True)]
        values = ", ".join(f"{name} {number(10 ** v)}" for name, v in column if v is not None)
        return f"{title} — {x_title} {heat['x'][-1]}: {values}"
    lines = [(tr.get("name", ""), list(tr.get("x", ())), list(tr.get("y", ()))) for tr in traces if tr.get("x")]
    if not lines:
        return f"{title} — {notes[0]}" if notes else title
    if any(isinstance(x, str) for _, xs, _ in lines for x in xs):  # layers on x: every point of each line
        return f"{title} — " + "; ".join(
            f"{name}: " + ", ".join(f"{x} {number(y)}" for x, y in zip(xs, ys, strict=False)
                                    if isinstance(y, int | float) and math.isfinite(y)) for name, xs, ys in lines)
    ends = [(name, _last(xs, ys)) for name, xs, ys in lines]
    last_x = max((end[0] for _, end in ends if end), default="")
    values = ", ".join(f"{name} {number(end[1])}" for name, end in ends if end)
    return f"{title} — {x_title} {last_x}: {values}"


def alt_of(fig: go.Figure) -> str:
    """What a Plotly figure shows, in words (for a screen reader; the Train page's images and the permalink)."""
    return alt_of_spec(fig.to_dict())
