"""The run lifecycle: the store that is the truth about runs, and the executors that train them.

store + schema (SQLAlchemy: SQLite or PostgreSQL) with its parts: stored (a run's row), records
(events as rows, the one fold into a RunRecord), weights, recovery (owners, dead trainers), stops
(stop requests), queue (the fair queue), errors (a sentence for people about any database error),
replay (identical runs train once) with identity (a run's key) and playback (a replay at its
original's pace); execute (a run's trainer and its store writer) with spool (events waiting while the
store is away); executor (local worker processes) and ray_executor, budget (how many runs at once),
progress, table (history and exports), sources (the models a browser has), labels.

May import: lab.engine, lab.i18n. Checked by tests/test_layering.py.
"""
