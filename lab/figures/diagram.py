"""The home page's forward/backward diagram as inline SVG.

The same boxes and arrows as lab/family_tree's Plotly diagrams, drawn as plain SVG so that the
landing page needs no Plotly at all: Streamlit's Plotly chart code is a 4.7 MB script, and on a
busy 2-core server every new student's browser had to fetch and parse it before the home page
was complete.
"""

from __future__ import annotations

import math
import re
from html import escape

from lab.i18n import t
from lab.lessons.family_tree import BACKWARD, FONT, PLAIN, Box, arrow_ends, backprop_parts

LINE_HEIGHT = 1.25  # em between the lines of a box's text
LABEL_GAP = 8  # canvas units between an arrow and its label


def _tspans(line: str) -> str:
    """One line of Plotly's HTML subset (<b>, <i>) as SVG tspans."""
    out, bold, italic = [], False, False
    for part in re.split(r"(</?[bi]>)", line):
        if part in ("<b>", "</b>"):
            bold = part == "<b>"
        elif part in ("<i>", "</i>"):
            italic = part == "<i>"
        elif part:
            style = (' font-weight="bold"' if bold else "") + (' font-style="italic"' if italic else "")
            out.append(f"<tspan{style}>{escape(part)}</tspan>")
    return "".join(out)


def _text(x: float, y: float, html: str, color: str, anchor: str = "middle", halo: bool = False) -> str:
    """Multi-line text centred vertically on (x, y); a white halo keeps it readable over lines."""
    lines = html.split("<br>")
    first_dy = -(len(lines) - 1) / 2 * LINE_HEIGHT
    spans = "".join(f'<tspan x="{x:.1f}" dy="{first_dy if i == 0 else LINE_HEIGHT:.2f}em">'
                    f"{_tspans(line)}</tspan>" for i, line in enumerate(lines))
    outline = ' stroke="white" stroke-width="5" paint-order="stroke"' if halo else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" fill="{color}" font-size="{FONT}" text-anchor="{anchor}" '
            f'dominant-baseline="central"{outline}>{spans}</text>')


def label_anchor(x0: float, y0: float, x1: float, y1: float, side: float) -> tuple[float, float]:
    """Where a label beside a line starts so that no part of its line of text touches the line."""
    # A sloped line moves sideways by |dx/dy| per unit of height: the text's top and bottom corners
    # (half a line above and below its middle) must clear it too, not only its middle.
    half = FONT * LINE_HEIGHT / 2
    lean = abs((x1 - x0) / (y1 - y0)) * half if y1 != y0 else 0.0
    return (x0 + x1) / 2 + side * (LABEL_GAP + lean), (y0 + y1) / 2


def diagram_svg(boxes: dict[str, Box], arrows: list[tuple[str, str, str, str, bool, float]],
                width: float, height: float, label: str = "") -> str:
    """Boxes and arrows on a width x height canvas; arrows: (from, to, colour, label, dashed, shift).

    label is the diagram's text alternative (what it shows, for a screen reader)."""
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
             f'role="img" aria-label="{escape(label)}" font-family="Source Sans Pro, Noto Sans CJK KR, sans-serif">',
             "<defs>" + "".join(
                 f'<marker id="head{i}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="4" '
                 f'markerHeight="4" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
                 f'fill="{color}"/></marker>' for i, color in enumerate((PLAIN, BACKWARD))) + "</defs>"]
    for box in boxes.values():
        parts.append(f'<rect x="{box.x - box.w / 2:.1f}" y="{box.y - box.h / 2:.1f}" width="{box.w}" '
                     f'height="{box.h}" rx="6" fill="{box.fill}" stroke="{box.color}" stroke-width="3"/>')
        parts.append(_text(box.x, box.y, box.text, "#222"))
    for start, end, color, label, dashed, shift in arrows:
        x0, y0, x1, y1, nx = arrow_ends(boxes[start], boxes[end], shift)
        dash = ' stroke-dasharray="9 6"' if dashed else ""
        parts.append(f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}" stroke="{color}" '
                     f'stroke-width="3"{dash} marker-end="url(#head{int(color == BACKWARD)})"/>')
        if label:  # beside the line: on the side it was shifted to, else to its right
            side = math.copysign(1, nx) if shift else 1
            x, y = label_anchor(x0, y0, x1, y1, side)
            parts.append(_text(x, y, f"<b>{label}</b>", color, "start" if side > 0 else "end", halo=True))
    return "".join(parts) + "</svg>"


def backprop_svg(lang: str = "en") -> str:
    """Forward (black) and backward (red, dashed) pass through one sigmoid layer, as SVG."""
    boxes, arrows, width, height = backprop_parts(lang)
    label = f"{t('home.diagram.title', lang)}. {t('home.diagram.caption', lang)}"
    return diagram_svg(boxes, arrows, width, height, re.sub(r"[*_`]", "", label))
