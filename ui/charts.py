"""A Plotly chart with its text alternative: what it shows, in words, for a screen reader."""

from __future__ import annotations

from html import escape

import plotly.graph_objects as go

from lab.figures.alt import alt_of


def plotly_with_alt(where, figure: go.Figure, alt: str | None, key: str, **chart) -> None:
    """The chart in `where` (st or a column), then its description (alt, or read off the figure), for screen readers."""
    # Plotly draws an SVG with no text alternative of its own; the description follows it in the page.
    where.plotly_chart(figure, key=key, **chart)
    where.markdown(f'<div class="relulab-sr" role="note">{escape(alt if alt is not None else alt_of(figure))}</div>',
                   unsafe_allow_html=True)
