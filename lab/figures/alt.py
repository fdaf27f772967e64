"""What a run chart shows, in words: the text alternative of each chart image (and of a Plotly chart).

Read off the figure itself (its title, axis title, lines and their last values), so each chart is
described by the same definition that draws it (lab/figures/train.py); no language of its own.
"""

from __future__ import annotations

import math
import re

import plotly.graph_objects as go

from lab.figures.layout import END_LABEL_NAME

SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
TAG = re.compile(r"<[^>]+>")


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


def _value(value) -> str:
    """A bar's value: a number for people, anything else as it is."""
    return number(value) if isinstance(value, int | float) else plain(str(value))


def plain(text: str) -> str:
    """A figure's text without its HTML (<b>, <br>, <sub>)."""
    return " ".join(TAG.sub(" ", text or "").split())


def alt_of_spec(spec: dict) -> str:
    """What a chart shows, in words: its title, then each line's (or heatmap row's) last value."""
    layout, traces = spec["layout"], spec["data"]
    if not (layout.get("title") or {}).get("text"):
        return untitled_alt(spec)
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


def untitled_alt(spec: dict) -> str:
    """A figure without a title (the lab's explorable pages): its labels, then each named line's end."""
    layout = spec["layout"]
    # An animation (the optimizer race) ends in its last frame: its lines' ends are where each racer stopped.
    traces = [dict(tr) for tr in spec["data"]]
    if spec.get("frames"):
        last = spec["frames"][-1]
        for i, tr in zip(last.get("traces") or range(len(last["data"])), last["data"], strict=False):
            traces[i].update({k: tr[k] for k in ("x", "y") if k in tr})
    named = [tr for tr in traces if (tr.get("name") or tr.get("type") == "bar") and tr.get("x") is not None
             and len(tr.get("x")) > 0]
    axes = [plain(layout[k]["title"]["text"]) for k in sorted(layout)
            if k.startswith(("xaxis", "yaxis")) and (layout[k].get("title") or {}).get("text")]
    notes = [plain(a["text"]) for a in layout.get("annotations", ()) if plain(a.get("text", ""))
             and a.get("name") != END_LABEL_NAME]
    parts, seen = [" · ".join(dict.fromkeys(notes))] if notes else [], set()
    if axes:
        parts.append(" / ".join(axes))
    for tr in named:
        name, xs, ys = plain(tr.get("name") or ""), list(tr["x"]), list(tr.get("y") or ())
        if name in seen or not ys or tr.get("showlegend") is False and len(xs) < 2:
            continue
        seen.add(name)
        if tr.get("orientation") == "h":  # bars along x: each category is a y
            xs, ys = ys, xs
        if tr.get("type") == "bar" or any(isinstance(x, str) for x in xs):  # categories: every bar
            bars = ", ".join(f"{plain(str(x))} {_value(y)}" for x, y in zip(xs, ys, strict=False))
            parts.append(f"{name}: {bars}" if name else bars)
        elif any(isinstance(y, str) for y in ys):
            continue
        elif (end := _last(xs, ys)) is not None:
            parts.append(f"{name}: ({number(end[0])}, {number(end[1])})")
    return "; ".join(p for p in parts if p)


def alt_of(fig: go.Figure) -> str:
    """What a Plotly figure shows, in words (for a screen reader; the Train page's images and the permalink)."""
    spec = fig.to_dict()
    # Plotly 6 writes NumPy arrays as base64 ("bdata"): the values are read from the traces themselves.
    pairs = [(spec["data"], fig.data)] + [(out["data"], frame.data)
                                          for out, frame in zip(spec.get("frames", ()), fig.frames, strict=False)]
    for outs, traces in pairs:
        for out, trace in zip(outs, traces, strict=False):
            for axis in ("x", "y"):
                if (values := getattr(trace, axis, None)) is not None:
                    out[axis] = [v.item() if hasattr(v, "item") else v for v in values]
    return alt_of_spec(spec)
