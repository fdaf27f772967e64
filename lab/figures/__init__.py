"""Every Plotly figure and SVG the pages show, built from plain data.

train (a run's charts and comparisons, on layout's look), sketch (those charts again as light SVG
images, for the Train page), alt (what a chart shows, in words), activations, race, board, diagram (the
home page's SVG), lesson (lesson mode's votes and reveal).

May import: lab.engine, lab.i18n, lab.lessons, lab.classroom, lab.lesson_mode. Checked by tests/test_layering.py.
"""
