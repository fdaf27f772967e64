"""The command line behind `python -m lab`: train, runs, predict, bench.

runs (train into the store, list and show runs), predict, progress (a terminal bar), bench.

May import: lab.engine, lab.i18n, lab.draw, lab.runs. Checked by tests/test_layering.py.
"""
