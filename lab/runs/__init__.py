"""The run lifecycle: the store that is the truth about runs, and the executors that train them.

store + schema (SQLAlchemy: SQLite or PostgreSQL), executor (local worker processes) and
ray_executor, budget (how many runs at once), progress, table (history and exports), sources (the
models a browser has), labels.

May import: lab.engine, lab.i18n. Checked by tests/test_layering.py.
"""
