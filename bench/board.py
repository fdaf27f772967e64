"""The class board's server time per refresh: 300 stored runs of 30 students, SQLite and PostgreSQL.

    python bench/board.py [--runs 300] [--students 30] [--refreshes 20] [--json out.json] [--no-pg]

Each store gets the same synthetic class, written through Store.append_events as a trainer would:
per run one epoch of 600 steps, a StepsLogged event every 50 steps (five logged steps, every 10th),
activation probes every 100 steps, the epoch's end and the run's end. The last 30 runs stay
"training". A refresh is what the board's fragment computes every second: board_data (members, runs,
new loss events), the three figures serialised as Streamlit sends them (to_json) and the table
rows; the CSV and JSON exports are built only on a click (timed apart). "cold" is the first
refresh of a new server process (the curve cache empty); "live" appends one StepsLogged block
to each training run before each refresh (not timed).
PostgreSQL is Debian's, started by tests/pg.py (temp folder, loopback port, stopped at the end).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lab.classroom import board as B  # noqa: E402
from lab.classroom import classes as C  # noqa: E402
from lab.engine.config import RunConfig  # noqa: E402
from lab.engine.events import ActivationsProbed, EpochEnded, RunEnded, RunStarted, StepsLogged  # noqa: E402
from lab.figures import board as F  # noqa: E402
from lab.runs.store import Store  # noqa: E402
from tests.pg import PostgresServer  # noqa: E402

ACTS = ("sigmoid", "relu", "tanh", "leaky_relu", "gelu")
OPTS = ("sgd", "adam", "rmsprop", "adagrad")
DEPTHS = (2, 4, 6)


def synth_class(store: Store, runs: int, students: int, training: int, seed: int = 0) -> tuple[C.ClassRow, str]:
    """A class with `students` members and `runs` runs written as trainers write them."""
    rng = random.Random(seed)
    klass, key = C.create_class(store, "Bench 7B", max_students=200, max_runs=100)
    members = [(f"owner-{i:03d}", C.join(store, klass.code, f"owner-{i:03d}", f"student {i}"))
               for i in range(students)]
    for n in range(runs):
        owner, member = members[n % students]
        config = RunConfig(activation=rng.choice(ACTS), optimizer=rng.choice(OPTS), depth=rng.choice(DEPTHS),
                           width=128, epochs=1)
        run = store.create_run(config, owner, **member.run_args())
        store.claim(run_id=run.id)
        live = n >= runs - training
        last = 300 if live else 600
        stalls = config.activation == "sigmoid" and config.depth >= 4
        loss = 2.3
        store.append_events(run.id, [RunStarted(config.to_dict(), "cpu", "", [], [], 600, 600)])
        for block in range(1, last, 50):
            steps = list(range(block, block + 50, 10))
            losses = []
            for _ in steps:
                loss = loss * (0.9995 if stalls else 0.985) + rng.uniform(-0.02, 0.02)
                losses.append(loss)
            grads = [[(1e-5 if stalls else 0.3)] + [0.5] * (config.depth - 1) + [1.0] for _ in steps]
            batch = [StepsLogged(steps, losses, grads)]
            if (block - 1) % 100 == 0:
                batch.append(ActivationsProbed(block, [0.1] * config.depth, [0.0] * config.depth))
            store.append_events(run.id, batch)
        if not live:
            acc = rng.uniform(0.1, 0.12) if stalls else rng.uniform(0.9, 0.97)
            store.append_events(run.id, [EpochEnded(1, loss, acc, acc, 5.0)])
            store.finish(run.id, RunEnded("finished", "Finished 1 epochs.", 600, loss, 5.0))
    return klass, key


def refresh(store: Store, key: str, lang: str = "en") -> dict[str, float]:
    """One board refresh as the fragment does it; seconds per part."""
    t0 = time.perf_counter()
    board = B.board_data(store, C.board_for(store, key))
    t1 = time.perf_counter()
    for fig in (F.curves_figure(board, "activation", lang), F.accuracy_heatmap(board, lang),
                F.optimizer_bars(board, lang)):
        fig.to_json()
    t2 = time.perf_counter()
    [r.row() for r in board.runs]
    t3 = time.perf_counter()
    return {"data": t1 - t0, "figures": t2 - t1, "table": t3 - t2, "total": t3 - t0}


def exports(store: Store, key: str) -> float:
    """Seconds to build both exports (done when the teacher clicks a download, not per refresh)."""
    board = B.board_data(store, C.board_for(store, key))
    t0 = time.perf_counter()
    B.export_csv(board)
    B.export_json(board)
    return time.perf_counter() - t0


def measure(url: str, runs: int, students: int, training: int, refreshes: int) -> dict:
    """Cold and live refresh times of the synthetic class on the store at url."""
    store = Store(url)
    t0 = time.perf_counter()
    klass, key = synth_class(store, runs, students, training)
    build = time.perf_counter() - t0
    B._curve_caches.clear()  # a new server process: nothing cached yet
    cold = refresh(store, key)
    live_runs = [r.id for r in store.list_runs(class_id=klass.id, statuses=["running"])]
    parts: list[dict[str, float]] = []
    step = 301
    for _ in range(refreshes):
        for run_id in live_runs:  # every training run logs a block between two refreshes
            steps = list(range(step, step + 50, 10))
            store.append_events(run_id, [StepsLogged(steps, [1.0] * 5, [[0.3, 0.5, 1.0]] * 5)])
        step += 50
        parts.append(refresh(store, key))
    export_s = exports(store, key)
    store.engine.dispose()
    med = {k: statistics.median(p[k] for p in parts) for k in parts[0]}
    return {"build_s": build, "cold": cold, "live_median": med,
            "live_max_total": max(p["total"] for p in parts), "refreshes": refreshes, "exports_s": export_s}


def main() -> None:
    """Measure on SQLite and PostgreSQL and print the table (and the ratio between them)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--students", type=int, default=30)
    ap.add_argument("--training", type=int, default=30)
    ap.add_argument("--refreshes", type=int, default=20)
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args()
    results = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
               "date": time.strftime("%Y-%m-%d"), "runs": args.runs, "students": args.students,
               "training": args.training}
    with tempfile.TemporaryDirectory() as tmp:  # warm-up: Plotly builds its validators on first use
        warm = Store(f"sqlite:///{tmp}/warm.sqlite3")
        refresh(warm, synth_class(warm, 2, 2, 1)[1])
        warm.engine.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = measure(f"sqlite:///{tmp}/board.sqlite3", args.runs, args.students,
                                    args.training, args.refreshes)
    if not args.no_pg:
        server = PostgresServer().start()  # the test suite's: loopback only, stopped at the end
        try:
            results["postgresql"] = measure(server.new_database("board"), args.runs, args.students,
                                            args.training, args.refreshes)
        finally:
            server.stop()
    print(f"{args.runs} runs of {args.students} students, {args.training} training; ms per refresh")
    print(f"{'store':<11}{'cold':>8}{'live':>8}{'live max':>10}{'data':>8}{'figures':>9}{'table':>7}{'exports':>9}")
    for name in ("sqlite", "postgresql"):
        if name in results:
            r = results[name]
            live = r["live_median"]
            print(f"{name:<11}{r['cold']['total'] * 1e3:8.1f}{live['total'] * 1e3:8.1f}"
                  f"{r['live_max_total'] * 1e3:10.1f}{live['data'] * 1e3:8.1f}{live['figures'] * 1e3:9.1f}"
                  f"{live['table'] * 1e3:7.1f}{r['exports_s'] * 1e3:9.1f}")
    if "postgresql" in results:
        ratio = results["postgresql"]["live_median"]["total"] / results["sqlite"]["live_median"]["total"]
        print(f"PostgreSQL / SQLite, live refresh: {ratio:.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
