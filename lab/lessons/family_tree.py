"""Lesson diagrams as Plotly figures: the optimizer family tree and the forward/backward pass.

Plotly rather than Graphviz: st.graphviz_chart forces every label to ~10 px, too small for a
projector; here boxes, arrows and 16-18 px text sit at fixed positions on a 1000-unit-wide canvas.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass

import plotly.graph_objects as go

from lab.i18n import t

IDEA_WIDTH = 24  # latin characters per line of an idea (Hangul counts about 1.5 each)
DIRECTION, STEP_SIZE, BOTH, PLAIN, BACKWARD = "#1f77b4", "#e4572e", "#6a3d9a", "#444444", "#d62728"
FONT = 16


@dataclass(frozen=True)
class Node:
    """One optimizer of the tree: its short name, the torch.optim call, and its branch colour."""

    key: str
    title: str
    torch_call: str  # what a student types; its class must exist in torch.optim
    color: str


NODES: tuple[Node, ...] = (
    Node("gd", "GD", "SGD(full batch)", PLAIN),
    Node("sgd", "SGD", "SGD(lr=0.1)", PLAIN),
    Node("momentum", "Momentum", "SGD(momentum=0.9)", DIRECTION),
    Node("nag", "NAG", "SGD(momentum=0.9, nesterov=True)", DIRECTION),
    Node("adagrad", "Adagrad", "Adagrad", STEP_SIZE),
    Node("rmsprop", "RMSProp", "RMSprop", STEP_SIZE),
    Node("adadelta", "AdaDelta", "Adadelta", STEP_SIZE),
    Node("adam", "Adam", "Adam", BOTH),
    Node("nadam", "Nadam", "NAdam", BOTH),
)
# Centre of each box on the 1000 x 800 canvas (y grows downward as rows of the tree).
POSITIONS = {"gd": (500, 60), "sgd": (500, 215), "momentum": (270, 385), "adagrad": (730, 385),
             "nag": (140, 550), "rmsprop": (560, 550), "adadelta": (860, 550), "adam": (400, 715),
             "nadam": (150, 865)}
# The rest of torch.optim: (key, title, its torch.optim class, branch colour, the tree node it comes from).
_EXTRAS = (
    ("asgd", "ASGD", "ASGD", PLAIN, "sgd"), ("rprop", "Rprop", "Rprop", PLAIN, "gd"),
    ("lbfgs", "L-BFGS", "LBFGS", PLAIN, "gd"), ("adamw", "AdamW", "AdamW", BOTH, "adam"),
    ("adamax", "Adamax", "Adamax", BOTH, "adam"), ("radam", "RAdam", "RAdam", BOTH, "adam"),
    ("sparseadam", "SparseAdam", "SparseAdam", BOTH, "adam"),
)
EXTRA_NODES: tuple[Node, ...] = tuple(Node(*row[:4]) for row in _EXTRAS)
EXTRA_PARENTS = {row[0]: row[4] for row in _EXTRAS}
EDGES: tuple[tuple[str, str, str, str], ...] = (  # (parent, child, branch colour, label key or "")
    ("gd", "sgd", PLAIN, "batch"),
    ("sgd", "momentum", DIRECTION, "direction"), ("momentum", "nag", DIRECTION, ""),
    ("sgd", "adagrad", STEP_SIZE, "step_size"), ("adagrad", "rmsprop", STEP_SIZE, ""),
    ("adagrad", "adadelta", STEP_SIZE, ""),
    ("rmsprop", "adam", STEP_SIZE, ""), ("momentum", "adam", DIRECTION, ""),
    ("adam", "nadam", BOTH, ""), ("nag", "nadam", DIRECTION, ""),
)


@dataclass(frozen=True)
class Box:
    """A labelled box centred at (x, y) on the canvas, w x h units."""

    x: float
    y: float
    w: float
    h: float
    text: str  # Plotly's HTML subset: <b>, <br>
    color: str
    fill: str = "white"


def torch_class(node: Node) -> str:
    """The torch.optim class a node's call names (the text before any parenthesis)."""
    return node.torch_call.split("(")[0]


def _wrap(text: str, width: int = IDEA_WIDTH) -> str:
    """Wrap to lines of about width latin characters (Hangul is wider) joined by <br>."""
    return "<br>".join(textwrap.wrap(text, width if text.isascii() else width * 2 // 3))


def _border_point(box: Box, toward: tuple[float, float]) -> tuple[float, float]:
    """Where the segment from the box's centre toward a point leaves the box."""
    dx, dy = toward[0] - box.x, toward[1] - box.y
    scale = min(box.w / 2 / abs(dx) if dx else math.inf, box.h / 2 / abs(dy) if dy else math.inf)
    return box.x + dx * scale, box.y + dy * scale


def arrow_ends(a: Box, b: Box, shift: float) -> tuple[float, float, float, float, float]:
    """An arrow from box a to box b between their borders, moved sideways by shift (for a return
    arrow beside a forward one): x0, y0, x1, y1 and the sideways x offset."""
    (x0, y0), (x1, y1) = _border_point(a, (b.x, b.y)), _border_point(b, (a.x, a.y))
    length = math.hypot(x1 - x0, y1 - y0)
    nx, ny = -(y1 - y0) / length * shift, (x1 - x0) / length * shift
    return x0 + nx, y0 + ny, x1 + nx, y1 + ny, nx


def _diagram(boxes: dict[str, Box], arrows: list[tuple[str, str, str, str, bool, float]],
             width: float, height: float, pixels_per_unit: float) -> go.Figure:
    """Boxes and arrows on a width x height canvas; arrows: (from, to, colour, label, dashed, shift)."""
    # pixels_per_unit: the expected screen scale (container width / canvas width), for the height.
    fig = go.Figure()
    for start, end, color, label, dashed, shift in arrows:
        x0, y0, x1, y1, nx = arrow_ends(boxes[start], boxes[end], shift)
        length = math.hypot(x1 - x0, y1 - y0)
        fig.add_trace(go.Scatter(x=[x0, x1], y=[y0, y1], mode="lines", hoverinfo="skip", showlegend=False,
                                 line=dict(color=color, width=3, dash="dash" if dashed else "solid")))
        back = 18 / length  # the arrowhead: a short solid arrow ending on the box border
        fig.add_annotation(x=x1, y=y1, ax=x1 - (x1 - x0) * back, ay=y1 - (y1 - y0) * back, xref="x", yref="y",
                           axref="x", ayref="y", showarrow=True, arrowhead=2, arrowsize=1.3, arrowwidth=3,
                           arrowcolor=color, text="")
        if label:  # beside the line: on the side it was shifted to, else to its right
            side = math.copysign(1, nx) if shift else 1
            fig.add_annotation(x=(x0 + x1) / 2 + side * 6, y=(y0 + y1) / 2, text=f"<b>{label}</b>",
                               showarrow=False, xanchor="left" if side > 0 else "right",
                               font=dict(size=FONT, color=color), bgcolor="rgba(255,255,255,0.9)")
    for box in boxes.values():
        fig.add_shape(type="rect", x0=box.x - box.w / 2, x1=box.x + box.w / 2, y0=box.y - box.h / 2,
                      y1=box.y + box.h / 2, line=dict(color=box.color, width=3), fillcolor=box.fill,
                      layer="below")
        fig.add_annotation(x=box.x, y=box.y, text=box.text, showarrow=False,
                           font=dict(size=FONT, color="#222"))
    fig.update_xaxes(range=[0, width], visible=False, fixedrange=True)
    fig.update_yaxes(range=[height, 0], visible=False, fixedrange=True, scaleanchor="x")
    fig.update_layout(height=round(height * pixels_per_unit) + 20, margin=dict(l=10, r=10, t=10, b=10),
                      plot_bgcolor="white", paper_bgcolor="white", dragmode=False)
    return fig


def family_tree_figure(lang: str = "en") -> go.Figure:
    """The lesson's optimizer family tree: GD at the top, Nadam at the bottom."""
    boxes = {}
    for node in NODES:
        call = node.torch_call.replace(", ", ",<br>")  # one argument a line keeps NAG's box narrow
        idea = _wrap(t(f"tree.idea.{node.key}", lang))
        text = f"<b>{node.title}</b><br>torch.optim.{call}<br><i>{idea}</i>"
        lines = text.count("<br>") + 1
        boxes[node.key] = Box(*POSITIONS[node.key], 270, 22 * lines + 14, text, node.color)
    arrows = [(p, c, color, t(f"tree.branch.{label}", lang) if label else "", False, 0.0)
              for p, c, color, label in EDGES]
    return _diagram(boxes, arrows, 1000, 935, 0.93)


def extras_rows(lang: str = "en") -> list[dict[str, str]]:
    """The other torch.optim optimizers: class, the tree node it comes from, its idea."""
    titles = {n.key: n.title for n in NODES}
    return [{"class": f"torch.optim.{torch_class(n)}", "from": titles[EXTRA_PARENTS[n.key]],
             "idea": t(f"tree.idea.{n.key}", lang)} for n in EXTRA_NODES]


def backprop_parts(lang: str = "en") -> tuple[dict[str, Box], list, float, float]:
    """Boxes, arrows and canvas size of the forward (black) and backward (red, dashed) pass
    through one sigmoid layer (drawn as SVG by lab/figures/diagram.py)."""
    s = lambda key: t(f"diag.{key}", lang)  # noqa: E731
    boxes = {
        "x": Box(100, 50, 170, 64, f"<b>{s('input')}</b><br>x", PLAIN, "#f4f7fb"),
        "w": Box(420, 50, 170, 64, f"<b>{s('weight')}</b><br>W, b", PLAIN, "#f4f7fb"),
        "z": Box(260, 190, 190, 50, "z = W·x + b", PLAIN, "#f4f7fb"),
        "yhat": Box(260, 330, 190, 64, f"<b>{s('prediction')}</b><br>ŷ = σ(z)", PLAIN, "#f4f7fb"),
        "y": Box(470, 330, 130, 64, f"<b>{s('label')}</b><br>y", PLAIN, "#f4f7fb"),
        "loss": Box(360, 470, 190, 64, f"<b>{s('loss')}</b><br>loss(ŷ, y)", BACKWARD, "#fde9e4"),
    }
    arrows = [("x", "z", PLAIN, "", False, 0.0), ("w", "z", PLAIN, "", False, 0.0),
              ("z", "yhat", PLAIN, s("sigmoid"), False, -25.0), ("yhat", "loss", PLAIN, "", False, -14.0),
              ("y", "loss", PLAIN, "", False, 0.0),
              ("loss", "yhat", BACKWARD, "∂loss/∂ŷ", True, -14.0),
              ("yhat", "z", BACKWARD, "× σ'(z) ≤ 0.25", True, -25.0),
              ("z", "w", BACKWARD, s("update"), True, 16.0)]  # right of W -> z: no arrow under its label
    return boxes, arrows, 580, 510
