"""The look every run chart shares: sizes for a projector, a wrapped title, the legend under the plot,
or each line named at its end.

train.py builds its charts on figure(); fit_legend() then makes room for the legend's rows;
end_labels() names the lines at their right ends instead (a chart of layers).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import plotly.graph_objects as go

HEIGHT = 340  # readable on a projector, two charts side by side
FONT_SIZE = 15
TICK_SIZE = 14  # Streamlit's chart theme sets ~11 px ticks: too small across a classroom
TITLE_SIZE = 17
# The legend sits under the x-axis title, in the bottom margin, never above the plot where the title
# is: at any number of layers or runs it can only grow downward, and the figure grows with it.
LEGEND_ROW_PX = 26  # height of one row of legend entries at FONT_SIZE
AXIS_BOTTOM_PX = 62  # tick labels and the x-axis title under the plot
NARROWEST_PX = 270  # the narrowest chart the page draws (two side by side at 1024 px, sidebar open)
CHAR_PX = 8.5  # mean width of a legend character at FONT_SIZE (Hangul is wider: counted twice)
TITLE_CHARS = 28  # a title line at most this wide (in latin characters) fits NARROWEST_PX
TITLE_LINE_PX = 22


def text_width(text: str) -> int:
    """Width of a text in latin characters: Hangul and CJK count twice."""
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)


def wrap_title(title: str, width: int = TITLE_CHARS) -> str:
    """The title broken into lines (<br>) at spaces so each fits a narrow chart."""
    lines: list[str] = []
    for word in title.split(" "):
        if lines and text_width(lines[-1] + " " + word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def legend_rows(names: Sequence[str], width_px: float = NARROWEST_PX - 80) -> int:
    """Rows a horizontal legend of these entries needs in a plot width_px wide (0 for none)."""
    # Plotly wraps a horizontal legend at the plot area's width (the chart less its side margins),
    # measured: 7 layer entries take 4 rows of 2 in a 274 px chart.
    rows, used = 0, width_px
    for name in names:
        entry = 48 + CHAR_PX * text_width(name)  # the line sample, the gap, the text
        if used + entry > width_px:
            rows, used = rows + 1, 0.0
        used += entry
    return rows


def log_axis() -> dict:
    """A log axis labelled at powers of ten only: no crowded 8 px minor digits, no "10µ"."""
    return dict(type="log", dtick=1, exponentformat="power", minor=dict(showgrid=False, ticks=""))


def figure(meta: str, title: str, x_title: str, y_title: str, log_y: bool = False) -> go.Figure:
    """An empty figure with the app's look; meta names it for tests and the browser."""
    # The title starts at the chart's left edge, in the top margin (wrapped for narrow columns);
    # the legend lives in the bottom margin: the two can never meet.
    title = wrap_title(title)
    top = 44 + (TITLE_LINE_PX + 4) * title.count("<br>")
    # Anchored at its bottom, just above the plot area. Plotly anchors a title of several lines by its
    # first line (measured: a top-anchored second line pushed the first out of the chart, a bottom-
    # anchored one ran into the plot), so the pad lifts it by the lines that follow.
    lift = 8 + (TITLE_LINE_PX + 2) * title.count("<br>")
    layout = dict(meta=meta, title=dict(text=title, x=0, xref="container", xanchor="left", yref="paper",
                                        y=1, yanchor="bottom", pad=dict(b=lift, l=8),
                                        font=dict(size=TITLE_SIZE)),
                  height=HEIGHT + top - 44, font=dict(size=FONT_SIZE),
                  margin=dict(l=60, r=20, t=top, b=AXIS_BOTTOM_PX),
                  legend=dict(orientation="h", xref="container", x=0, xanchor="left", yref="container",
                              y=0, yanchor="bottom", font=dict(size=FONT_SIZE)),
                  uirevision=meta,  # keep the user's zoom across live redraws
                  xaxis=dict(title=dict(text=x_title, standoff=6, font=dict(size=FONT_SIZE)),
                             tickfont=dict(size=TICK_SIZE)),
                  yaxis=dict(title=dict(text=y_title, font=dict(size=FONT_SIZE)),
                             tickfont=dict(size=TICK_SIZE), **(log_axis() if log_y else dict(type="linear"))))
    # Built from a plain layout without Plotly's validation, and with no template: these charts
    # use Streamlit's theme, which replaces it in the browser. Validating the layout and copying
    # plotly_white into each figure was most of a live redraw's server time (six charts, to_dict
    # included, measured side by side: 96 -> 15 ms).
    return go.Figure(layout=layout, _validate=False)


def fit_legend(fig: go.Figure) -> go.Figure:
    """Make room under the plot for the legend's rows, so it never covers the plot or the title."""
    names = [tr.name for tr in fig.data if tr.name and tr.showlegend is not False
             and tr.type not in ("heatmap",)]
    rows = legend_rows(names)
    extra = rows * LEGEND_ROW_PX
    fig.layout.height = HEIGHT + fig.layout.margin.t - 44 + extra
    fig.layout.margin.b = AXIS_BOTTOM_PX + extra + (6 if rows else 0)
    return fig


def note(fig: go.Figure, text: str) -> go.Figure:
    """Write a centred note on an empty chart."""
    fig.add_annotation(name="note", text=text, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
                       font=dict(size=FONT_SIZE + 2, color="#777"))
    return fig


# A line's name at its end, in the right margin: a coloured swatch, then the name in the page's ink
# (a light line colour would be unreadable as text). Plotly draws it as an annotation; the Train
# page's SVG sketch reads the same annotations (END_LABEL parses their text back).
END_LABEL = re.compile(r'^<span style="color:([^"]+)">━</span> (.*)$')
END_LABEL_NAME = "end-label"
LABEL_GAP = 0.075  # of the plot's height between two labels' middles (a label is ~16 px of ~234)


def spread(fractions: list[float], gap: float = LABEL_GAP) -> list[float]:
    """Label heights (0 bottom .. 1 top of the plot) near the given ones, at least gap apart, in order."""
    order = sorted(range(len(fractions)), key=lambda i: fractions[i])
    placed = [min(1.0, max(0.0, fractions[i])) for i in order]
    for k in range(1, len(placed)):  # push up, then back down from the top
        placed[k] = max(placed[k], placed[k - 1] + gap)
    if placed and placed[-1] > 1.0:
        placed[-1] = 1.0
        for k in range(len(placed) - 2, -1, -1):
            placed[k] = min(placed[k], placed[k + 1] - gap)
    out = [0.0] * len(fractions)
    for k, i in enumerate(order):
        out[i] = placed[k]
    return out


def end_labels(fig: go.Figure, log_y: bool = False) -> go.Figure:
    """Name each legend line at its last point (in the right margin) instead of in a legend.

    The y range is set here (a log axis to whole powers of ten, as the SVG sketch draws it), so that
    a label's height matches its line's end in both renderers."""
    lines = [tr for tr in fig.data if tr.type == "scatter" and tr.name and tr.showlegend is not False]
    ends = []
    for tr in lines:
        ys = [y for y in (tr.y or ()) if y is not None and math.isfinite(y) and (y > 0 or not log_y)]
        ends.append(ys[-1] if ys else None)
    values = [y for tr in fig.data for y in (tr.y or ()) if y is not None and math.isfinite(y) and (y > 0 or not log_y)]
    if not values:
        return fig
    if log_y:
        lo, hi = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
        hi = hi if hi > lo else lo + 1
        fig.update_yaxes(range=[lo, hi])
        at = lambda v: (math.log10(v) - lo) / (hi - lo)  # noqa: E731
    else:
        lo, hi = fig.layout.yaxis.range or (min(values), max(values))
        hi = hi if hi > lo else lo + 1
        at = lambda v: (v - lo) / (hi - lo)  # noqa: E731
    shown = [(tr, end) for tr, end in zip(lines, ends, strict=True) if end is not None]
    heights = spread([at(end) for _, end in shown])
    for (tr, _), y in zip(shown, heights, strict=True):
        tr.showlegend = False
        fig.add_annotation(name=END_LABEL_NAME, text=f'<span style="color:{tr.line.color}">━</span> {tr.name}',
                           x=1, xref="paper", xanchor="left", xshift=6, y=y, yref="paper", yanchor="middle",
                           showarrow=False, font=dict(size=TICK_SIZE))
    fig.layout.margin.r = 20 + label_px(tr.name for tr, _ in shown)
    return fig


def label_px(names) -> int:
    """The right margin end labels need: the widest name, its swatch and a gap."""
    return int(max((CHAR_PX * text_width(n) for n in names), default=0) + 28)
