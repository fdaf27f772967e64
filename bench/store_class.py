"""Does the default SQLite store hold a class? 30 students training at once on one server, SQLite vs PostgreSQL.

One `streamlit run app.py` with its local workers (no Ray), the store either the default SQLite file or
a PostgreSQL database, side by side in one go. The students are bench/class_load.py's HTTP-level tabs
(Streamlit's WebSocket protocol, no browser): all connect at once, press ▶ Train on a short run
(train_subset 2000, 1 epoch) and poll the page's fragments until their run has ended. Then the store
is read back: every tab exactly one run, finished, with its final weights, and every run's events
whole (numbered 1..n with no gap, RunStarted first, one RunEnded last, every logged step once, its
epoch); and the server's log (workers included) is searched for "database is locked", a store
outage ("does not answer") and tracebacks. --slots sets RELULAB_MAX_RUNS (default: the server's own
budget, as `bash scripts/start.sh` runs it); more slots mean more writers at once.

    python bench/store_class.py [--students 30] [--slots N] [--stores sqlite postgresql] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.procs import Postgres, free_port, start_replica, stop_processes, wait_http  # noqa: E402
from bench.ws_student import QUERY, students  # noqa: E402

LOG_MARKS = {"database_is_locked": "database is locked", "store_did_not_answer": "does not answer",
             "tracebacks": "Traceback"}


def whole(store, run) -> list[str]:
    """What is wrong with a run's stored events (nothing: an empty list)."""
    from lab.engine.events import EpochEnded, RunEnded, RunStarted, StepsLogged

    pairs = store.events(run.id)
    events = [e for _, e in pairs]
    wrong = []
    if [seq for seq, _ in pairs] != list(range(1, run.last_seq + 1)):
        wrong.append("event numbers with a gap")
    if not events or not isinstance(events[0], RunStarted) or not isinstance(events[-1], RunEnded):
        wrong.append("no RunStarted first or RunEnded last")
    if sum(isinstance(e, RunEnded) for e in events) != 1:
        wrong.append("not exactly one RunEnded")
    steps = [s for e in events if isinstance(e, StepsLogged) for s in e.steps]
    expected = [s for s in range(1, run.step + 1) if (s - 1) % run.config.log_every == 0]
    if steps != expected:
        wrong.append(f"logged steps {steps[:5]}... not {expected[:5]}...")
    if [e.epoch for e in events if isinstance(e, EpochEnded)] != list(range(1, run.config.epochs + 1)):
        wrong.append("epochs missing")
    return wrong


def one_class(kind: str, db: str, n: int, slots: int | None, tmp: Path) -> dict:
    """A server on this store: a visit, one warm-up run, then the class; what the store and the log say."""
    from lab.runs.store import Store

    env = {k: v for k, v in os.environ.items() if k not in ("RELULAB_RAY_ADDRESS", "RELULAB_MAX_RUNS")}
    env.update(RELULAB_DB=db, PYTHONPATH=str(ROOT), RELULAB_SPOOL_DIR=str(tmp))
    if slots:
        env["RELULAB_MAX_RUNS"] = str(slots)
    port, log = free_port(), tmp / f"{kind}-server.log"
    server = start_replica(port, env, log)
    try:
        wait_http(port)
        asyncio.run(students([(f"{kind}-visit", port)], click=False))  # starts the executor: workers load torch
        time.sleep(15)
        asyncio.run(students([(f"{kind}-warm", port)]))
        began = time.time()
        # a seed each: the same config would train once and replay for the others (issue 24), and this
        # bench is about 30 runs writing to the store at once
        tabs = asyncio.run(students([(f"{kind}-student{j:02d}", port, f"{QUERY}&seed={1000 + j}")
                                     for j in range(n)]))
    finally:
        stop_processes([server.pid])
    store = Store(db)
    per_tab = [store.list_runs(owner=t["token"]) for t in tabs]
    runs = [r for rs in per_tab for r in rs]
    finished = [r for r in runs if r.status == "finished"]
    broken = {r.id: w for r in runs if (w := whole(store, r))}
    text = log.read_text(errors="replace")
    click_to_end = sorted(t["t"]["ended_seen"] - t["t"]["click"] for t in tabs)
    first_page = sorted(t["t"]["page"] - t["t"]["connect"] for t in tabs)
    out = {
        "store": kind, "slots": slots or "server budget", "students": len(tabs),
        "tabs_with_exactly_one_run": sum(len(rs) == 1 for rs in per_tab),
        "finished": len(finished),
        "statuses": {s: sum(r.status == s for r in runs) for s in sorted({r.status for r in runs})},
        "with_final_weights": len(store.has_weights([r.id for r in finished])),
        "runs_with_events_not_whole": len(broken), "examples_not_whole": dict(list(broken.items())[:3]),
        "events_stored": sum(r.last_seq for r in runs),
        "page_errors": sum(len(t["errors"]) for t in tabs),
        "page_error_examples": sorted({e for t in tabs for e in t["errors"]})[:3],
        **{name: text.count(mark) for name, mark in LOG_MARKS.items()},
        "workers": len({r.pid for r in runs}),
        "class_makespan_s": round(max(r.ended or 0 for r in runs) - began, 1),
        "median_queue_wait_s": round(sorted(r.started - r.created for r in finished)[len(finished) // 2], 1)
        if finished else None,
        "page_load_s_median_max": [round(first_page[len(first_page) // 2], 1), round(first_page[-1], 1)],
        "click_to_end_seen_s_median_max": [round(click_to_end[len(click_to_end) // 2], 1),
                                           round(click_to_end[-1], 1)],
        "fragment_reruns_sent": sum(t["fragment_reruns"] for t in tabs),
        "load_average_after": round(os.getloadavg()[0], 1),
    }
    out["all_held"] = (out["tabs_with_exactly_one_run"] == out["finished"] == out["with_final_weights"] == n
                       and not (out["runs_with_events_not_whole"] or out["page_errors"] or out["database_is_locked"]
                                or out["tracebacks"]))
    return out


def main() -> int:
    """Each store in turn, the same class; a ratio of their makespans when both ran."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--slots", type=int, default=None, help="RELULAB_MAX_RUNS (default: the server's budget)")
    parser.add_argument("--stores", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="rl-sc-", dir="/tmp"))
    os.chmod(tmp, 0o755)
    report: dict = {"machine": f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                    "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "query": QUERY,
                    "load_average_before": round(os.getloadavg()[0], 1)}
    pg = None
    try:
        for kind in args.stores:
            if kind == "sqlite":
                db = f"sqlite:///{tmp / 'runs.sqlite3'}"
            else:
                pg = pg or Postgres(tmp)
                db = pg.url
            report[kind] = one_class(kind, db, args.students, args.slots, tmp)
            print(json.dumps(report[kind], indent=1), flush=True)
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    if "sqlite" in report and "postgresql" in report:
        report["postgresql_vs_sqlite_makespan"] = round(
            report["postgresql"]["class_makespan_s"] / report["sqlite"]["class_makespan_s"], 2)
    text = json.dumps(report, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0 if all(report[k]["all_held"] for k in args.stores) else 1


if __name__ == "__main__":
    sys.exit(main())
