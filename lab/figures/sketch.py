"""A run's Plotly figure drawn again as a light SVG image, for the Train page's charts.

Why: in Chromium on 2 cores, six Plotly charts redrawn every second kept the page's main thread
busy all the time (Plotly measuring text, 600-2,300 forced layouts per 10 s), and every click,
reload and Stop queued behind it. An SVG of polylines costs the browser almost nothing. A run's
permanent link still shows the Plotly figures (zoom, hover). One drawing rule, read off the figure
itself, so each chart is defined once (lab/figures/train.py).
"""

from __future__ import annotations

import base64
import math
from html import escape

import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from lab.figures.alt import SUPERSCRIPT, alt_of_spec
from lab.figures.layout import (
    CHAR_PX,
    END_LABEL,
    END_LABEL_NAME,
    FONT_SIZE,
    HEIGHT,
    LEGEND_ROW_PX,
    TICK_SIZE,
    TITLE_LINE_PX,
    TITLE_SIZE,
    label_px,
    text_width,
)

WIDTH = 460  # viewBox units. The image scales with its column, which the Train page keeps at least
# CHART_MIN_PX (400) wide (lab/web/style.py): text is drawn at no less than 0.87 of its size in here.
LEFT, RIGHT, COLORBAR = 66, 18, 64  # margins; a heatmap's colour bar takes COLORBAR more on the right
MAX_COLUMNS = 100  # heatmap columns drawn, and MAX_POINTS points of a line: more only costs the browser
MAX_POINTS = 400
DASH = {"dash": "7 5", "dot": "2 4", "dashdot": "7 4 2 4"}
INK = "#31333f"  # Streamlit's light theme text: an SVG drawn as an image cannot inherit the page's colour


def nice_ticks(lo: float, hi: float, count: int = 5, integer: bool = False) -> list[float]:
    """About count round values (1, 2 or 5 times a power of ten apart) covering lo..hi."""
    span = hi - lo if hi > lo else abs(hi) or 1.0
    raw = span / count
    step = min((m * 10 ** math.floor(math.log10(raw)) for m in (1, 2, 5, 10)),
               key=lambda s: abs(s - raw) if s >= raw / 1.5 else math.inf)
    if integer:
        step = max(1.0, round(step))
    first = math.ceil(lo / step - 1e-9) * step
    return [round(first + i * step, 12) for i in range(int((hi - first) / step + 1e-9) + 1)]


def _label(value: float) -> str:
    """A tick label: short, no float noise (2000, 0.5, 1e+06 -> 1M)."""
    if abs(value) >= 1e6:
        return f"{value / 1e6:g}M"
    if abs(value) >= 1e4:
        return f"{value / 1e3:g}k"
    return f"{value:.6g}"


class _Axis:
    """Maps data values to canvas units along one axis (linear or log10)."""

    def __init__(self, values: list[float], a: float, b: float, log: bool = False,
                 fixed: list | None = None, integer: bool = False, names: list[str] | None = None) -> None:
        self.log, self.a, self.b, self.names = log, a, b, names
        if log:
            values = [math.log10(v) for v in values if v is not None and v > 0]
        lo, hi = (fixed if fixed else (min(values), max(values)) if values else (0.0, 1.0))
        if log and not fixed:
            lo, hi = math.floor(lo), math.ceil(hi) if math.ceil(hi) > math.floor(lo) else math.floor(lo) + 1
        elif hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        self.lo, self.hi = lo, hi
        self.ticks = (list(range(int(lo), int(hi) + 1))[::max(1, math.ceil((hi - lo + 1) / 6))] if log
                      else nice_ticks(lo, hi, integer=integer))

    def at(self, value: float | None) -> float | None:
        """Canvas position of a value (None where it cannot be drawn)."""
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return None
        if self.log:
            if value <= 0:
                return None
            value = math.log10(value)
        return self.a + (value - self.lo) / (self.hi - self.lo) * (self.b - self.a)

    def labels(self) -> list[tuple[float, str]]:
        """(position, text) of each tick."""
        if self.names:
            return [(self.at(i), name) for i, name in enumerate(self.names)]
        if self.log:
            return [(self.a + (e - self.lo) / (self.hi - self.lo) * (self.b - self.a),
                     "1" if e == 0 else f"10{str(e).translate(SUPERSCRIPT)}") for e in self.ticks]
        return [(self.at(v), _label(v)) for v in self.ticks]


def _text(x: float, y: float, text: str, size: int, anchor: str = "start", extra: str = "") -> str:
    """One line of text in the page's colour."""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'fill="{INK}"{extra}>{escape(text)}</text>')


def _path(points: list[tuple[float | None, float | None]]) -> str:
    """An SVG path through the points; a missing point breaks the line, as in Plotly."""
    out, pen = [], False
    for x, y in points:
        if x is None or y is None:
            pen = False
            continue
        out.append(f"{'L' if pen else 'M'}{x:.1f} {y:.1f}")
        pen = True
    return "".join(out)


def _legend(entries: list[tuple[str, str, str]], top: float) -> tuple[list[str], int]:
    """Legend entries (name, colour, dash) in rows under the plot; the parts and the rows used."""
    parts, x, row = [], 8.0, 0
    for name, color, dash in entries:
        width = 40 + CHAR_PX * text_width(name)
        if x + width > WIDTH and x > 8:
            x, row = 8.0, row + 1
        y = top + row * LEGEND_ROW_PX
        parts.append(f'<path d="M{x:.1f} {y - 5:.1f}h28" stroke="{color}" stroke-width="3"'
                     f'{_dash_attr(dash)}/>' + _text(x + 34, y, name, FONT_SIZE, extra=' class="legend"'))
        x += width
    return parts, (row + 1 if entries else 0)


def _dash_attr(dash: str | None) -> str:
    """The stroke-dasharray of a Plotly dash name."""
    return f' stroke-dasharray="{DASH[dash]}"' if dash in DASH else ""


def svg_of(fig: go.Figure) -> str:
    """The figure (scatter lines, markers, one heatmap, a centred note) as an SVG document."""
    return _sketch(fig)[0]


def _sketch(fig: go.Figure) -> tuple[str, str, int, str]:
    """The figure's SVG document, its meta name, the x values of its first line, its title."""
    spec = fig.to_dict()
    layout, traces = spec["layout"], spec["data"]
    titles = layout["title"]["text"].split("<br>")
    top = 16 + TITLE_LINE_PX * len(titles)
    heat = next((tr for tr in traces if tr.get("type") == "heatmap"), None)
    annotations = layout.get("annotations", ())
    ends = [(a["y"], *END_LABEL.match(a["text"]).groups()) for a in annotations if a.get("name") == END_LABEL_NAME]
    right = WIDTH - RIGHT - (COLORBAR if heat else 0) - (label_px(name for *_, name in ends) if ends else 0)
    shown = [tr for tr in traces if tr.get("type") != "heatmap" and tr.get("showlegend", True)
             and tr.get("name")]
    entries = [(tr["name"], tr.get("line", {}).get("color", "#444"), tr.get("line", {}).get("dash"))
               for tr in shown]
    plot_bottom = top + HEIGHT - 44 - 62  # the plot area's height as in the Plotly chart
    legend, rows = _legend(entries, plot_bottom + 62)
    height = plot_bottom + 56 + rows * LEGEND_ROW_PX
    xaxis, yaxis = layout.get("xaxis", {}), layout.get("yaxis", {})
    body: list[str] = []
    if heat:
        x_axis, y_axis = _heatmap(heat, body, top, plot_bottom, right)
    else:
        categories = list(dict.fromkeys(x for tr in traces for x in tr.get("x", ()) if isinstance(x, str)))
        if categories:  # e.g. layer names: evenly spaced, half a step in from each side
            traces = [dict(tr, x=[categories.index(x) for x in tr.get("x", ())]) for tr in traces]
        xs = [x for tr in traces for x in tr.get("x", ()) if isinstance(x, int | float)]
        ys = [y for tr in traces for y in tr.get("y", ()) if isinstance(y, int | float) and math.isfinite(y)]
        x_axis = _Axis(xs, LEFT, right, integer=xaxis.get("dtick") == 1,
                       fixed=[-0.5, len(categories) - 0.5] if categories else None, names=categories)
        y_axis = _Axis(ys, plot_bottom, top, log=yaxis.get("type") == "log", fixed=yaxis.get("range"))
        if x_axis.hi > x_axis.lo and xs:
            for tr in traces:
                body.append(_trace(tr, x_axis, y_axis))
    grid = []
    if not heat and any(tr.get("x") for tr in traces):  # an empty chart shows its note, not made-up ticks
        for pos, text in y_axis.labels():
            grid.append(f'<path d="M{LEFT} {pos:.1f}H{right}" stroke="#e6e6e6"/>'
                        + _text(LEFT - 6, pos + 5, text, TICK_SIZE, "end"))
        for pos, text in x_axis.labels():
            grid.append(f'<path d="M{pos:.1f} {top}V{plot_bottom}" stroke="#eeeeee"/>'
                        + _text(pos, plot_bottom + 18, text, TICK_SIZE, "middle"))
    notes = [a["text"] for a in annotations if a.get("name") != END_LABEL_NAME]
    for frac, color, name in ends:  # each line named at its end, in the right margin
        y = plot_bottom - frac * (plot_bottom - top)
        legend.append(f'<path d="M{right + 6:.1f} {y:.1f}h14" stroke="{color}" stroke-width="3"/>'
                      + _text(right + 24, y + 5, name, TICK_SIZE, extra=' class="end-label"'))
    title = "".join(_text(8, 22 + i * TITLE_LINE_PX, line, TITLE_SIZE, extra=' font-weight="600" class="title"')
                    for i, line in enumerate(titles))
    axis_titles = (_text((LEFT + right) / 2, plot_bottom + 40, xaxis.get("title", {}).get("text", ""), FONT_SIZE,
                         "middle")
                   + _text(16, (top + plot_bottom) / 2, yaxis.get("title", {}).get("text", ""), FONT_SIZE,
                           "middle", f' transform="rotate(-90 16 {(top + plot_bottom) / 2:.1f})"'))
    note = "".join(_text((LEFT + right) / 2, (top + plot_bottom) / 2, n, FONT_SIZE + 2, "middle",
                         ' fill-opacity="0.55"') for n in notes)
    frame = (f'<rect class="plot" x="{LEFT}" y="{top}" width="{right - LEFT}" height="{plot_bottom - top}" '
             'fill="none" stroke="#ccc"/>')
    points = len(traces[0].get("x", ())) if traces else 0
    meta, label = layout.get("meta", ""), alt_of_spec(spec)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" data-meta="{escape(meta)}" data-points="{points}" '
           f'viewBox="0 0 {WIDTH} {height:.0f}" width="{WIDTH}" height="{height:.0f}" role="img" '
           f'aria-label="{escape(label)}" font-family="sans-serif">'
           + title + "".join(grid) + frame + "".join(body) + axis_titles + note + "".join(legend) + "</svg>")
    return svg, meta, points, label


def img_of(fig: go.Figure) -> str:
    """The figure's SVG as an <img> (a data URI): the page's HTML stays one element, the browser only decodes it.

    Inline, each SVG's hundreds of elements went through Streamlit's markdown and React on every redraw.
    """
    svg, meta, points, title = _sketch(fig)
    data = base64.b64encode(svg.encode()).decode()
    return (f'<img data-meta="{escape(meta)}" data-points="{points}" alt="{escape(title)}" '
            f'style="width:100%;height:auto;display:block" src="data:image/svg+xml;base64,{data}">')


def _trace(tr: dict, x_axis: _Axis, y_axis: _Axis) -> str:
    """One scatter trace: its line (gaps kept) and, for lines+markers, a dot per point."""
    line = tr.get("line", {})
    color, width = line.get("color", "#444"), line.get("width", 2)
    pairs = list(zip(tr.get("x", ()), tr.get("y", ()), strict=False))
    if len(pairs) > MAX_POINTS:
        pairs = pairs[::math.ceil(len(pairs) / MAX_POINTS)] + pairs[-1:]
    points = [(x_axis.at(x), y_axis.at(y)) for x, y in pairs]
    opacity = f' stroke-opacity="{tr["opacity"]}"' if "opacity" in tr else ""
    out = (f'<path d="{_path(points)}" fill="none" stroke="{color}" stroke-width="{width}"'
           f' stroke-linejoin="round"{opacity}{_dash_attr(line.get("dash"))}><title>{escape(tr.get("name", ""))}'
           "</title></path>")
    if "markers" in tr.get("mode", "") and len(points) <= 60:
        out += "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}"/>'
                       for x, y in points if x is not None and y is not None)
    return out


def _heatmap(tr: dict, body: list[str], top: float, bottom: float, right: float) -> tuple[_Axis, _Axis]:
    """A layer x step heatmap: one row per layer (the first at the bottom), columns thinned; a colour bar."""
    xs, rows, z = list(tr["x"]), list(tr["y"]), [list(r) for r in tr["z"]]
    stride = math.ceil(len(xs) / MAX_COLUMNS) if xs else 1
    columns = range(0, len(xs), stride)
    values = [v for r in z for v in r if v is not None]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    hi = hi if hi > lo else lo + 1
    x_axis = _Axis([float(x) for x in xs], LEFT, right)
    y_axis = _Axis([], bottom, top, fixed=[0, max(1, len(rows))])
    cell_w = (right - LEFT) / max(1, len(columns))
    cell_h = (bottom - top) / max(1, len(rows))
    cells = [(i, j, z[i][c]) for i in range(len(rows)) for j, c in enumerate(columns) if z[i][c] is not None]
    colors = sample_colorscale("Viridis", [(v - lo) / (hi - lo) for *_, v in cells]) if cells else []
    for (i, j, _), color in zip(cells, colors, strict=True):
        body.append(f'<rect x="{LEFT + j * cell_w:.1f}" y="{bottom - (i + 1) * cell_h:.1f}" '
                    f'width="{cell_w + 0.5:.1f}" height="{cell_h + 0.5:.1f}" fill="{color}"/>')
    for i, name in enumerate(rows):
        body.append(_text(LEFT - 6, bottom - (i + 0.5) * cell_h + 5, str(name), TICK_SIZE, "end"))
    for pos, text in x_axis.labels():
        body.append(_text(pos, bottom + 18, text, TICK_SIZE, "middle"))
    bar_x, steps = right + 14, 24
    for k, color in enumerate(sample_colorscale("Viridis", [k / (steps - 1) for k in range(steps)])):
        body.append(f'<rect x="{bar_x}" y="{bottom - (k + 1) * (bottom - top) / steps:.1f}" width="14" '
                    f'height="{(bottom - top) / steps + 0.5:.1f}" fill="{color}"/>')
    for value, y in ((hi, top + 12), (lo, bottom)):
        body.append(_text(bar_x + 18, y, f"{value:.1f}", TICK_SIZE))
    return x_axis, y_axis
