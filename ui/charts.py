"""A Plotly chart with its text alternative: what it shows, in words, for a screen reader."""

from __future__ import annotations

from html import escape

import plotly.graph_objects as go


def plotly_with_alt(where, figure: go.Figure, alt: str, key: str) -> None:
    """The chart in `where` (st or a column), then its description, read by screen readers and not shown."""
    # Plotly draws an SVG with no text alternative of its own; the description follows it in the page.
    where.plotly_chart(figure, key=key)
    where.markdown(f'<div class="relulab-sr" role="note">{escape(alt)}</div>', unsafe_allow_html=True)
