"""Each fault of issue 22 once, with the real parts: how long, what a page saw, events lost, the run's status after.

    python bench/faults.py [--hold 10] [--json bench/results/faults.json]      (as root: it mounts a tmpfs)

A run trains on a thread as a local worker trains it (execute_run), on a real PostgreSQL (tests/pg.py,
stopped and started here) or a SQLite file; meanwhile a "page" (a second Store, as another process
would hold) reads the run twice a second, as the Train page's fragment does, and notes what it got:
the stored step, or the store's error (the page's banner). After the fault: how long until the page
saw the run caught up with its trainer, and the stored steps against the trainer's own record (lost,
twice). Two more: a worker SIGKILLed mid-run (local executor) and the CLI through a PostgreSQL restart.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from lab.engine.config import RunConfig  # noqa: E402
from lab.engine.data import load_mnist  # noqa: E402
from lab.engine.events import StepsLogged  # noqa: E402
from lab.runs.execute import WRITERS, execute_run  # noqa: E402
from lab.runs.store import Store, StoreError  # noqa: E402
from tests.outage import fill, refuse_connections, train_aside, wait_until  # noqa: E402
from tests.pg import PostgresServer  # noqa: E402

LONG = RunConfig(depth=1, width=32, epochs=100, batch_size=50, log_every=2, probe_every=25)


class Page(threading.Thread):
    """Reads the run twice a second from its own Store: (seconds since start, stored step or None on an error)."""

    def __init__(self, url: str, run_id: str):
        super().__init__(daemon=True)
        self.store, self.run_id, self.seen, self.halt = Store(url), run_id, [], threading.Event()
        self.t0 = time.monotonic()
        self.start()

    def run(self) -> None:
        while not self.halt.wait(0.5):
            try:
                step = self.store.get_run(self.run_id).step
            except StoreError:
                step = None
            self.seen.append((time.monotonic() - self.t0, step))

    def saw(self, since: float, until: float) -> dict:
        """What the page saw between two moments: seconds of store errors, seconds the stored step stood still."""
        window = [(t, s) for t, s in self.seen if since <= t <= until]
        errors = sum(s is None for _, s in window) * 0.5
        steps = [s for _, s in window if s is not None]
        frozen = sum(0.5 for a, b in zip(steps, steps[1:], strict=False) if a == b)
        return {"page_banner_s": errors, "page_step_frozen_s": frozen}


def lost_and_twice(store: Store, run_id: str, record) -> tuple[int, int]:
    """Logged steps the trainer recorded that the store lacks, and stored ones that appear more than once."""
    stored = [s for _, e in store.events(run_id) if isinstance(e, StepsLogged) for s in e.steps]
    mine = [s["step"] for s in record.steps]
    return len(set(mine) - set(stored)), len(stored) - len(set(stored))


def in_process(name: str, url: str, data, apply, release, hold: float, patience: float | None = None) -> dict:
    """A run under one fault: apply(), hold seconds, release(); what the trainer, the page and the store say."""
    store = Store(url)
    run = store.create_run(LONG, "bench")
    kwargs = {"patience": patience} if patience else {}
    thread, out = train_aside(execute_run, store, run.id, threads=1, data=data, **kwargs)
    writer = wait_until(lambda: WRITERS.get(run.id), timeout=60)
    wait_until(lambda: store.get_run(run.id).step > 0, timeout=120)
    page = Page(url, run.id)
    time.sleep(2.0)
    began, step = time.monotonic() - page.t0, writer.step
    held = apply()
    try:
        time.sleep(hold)
    finally:
        release(held)
    ended, at_end = time.monotonic() - page.t0, writer.step
    trained = at_end - step
    caught = wait_until(lambda: (s := page.seen[-1][1]) is not None and s >= min(at_end, writer.step)
                        and page.seen[-1][0], timeout=120)
    if writer.ended is None:
        store.request_stop(run.id)
    thread.join(timeout=120)
    page.halt.set()
    lost, twice = lost_and_twice(store, run.id, out[0])
    final = store.get_run(run.id)
    return {"fault": name, "held_s": round(ended - began, 1),
            "trainer_saw_outage_s": [round(o, 1) for o in writer.outages], "steps_trained_meanwhile": trained,
            **page.saw(began, ended + 1), "page_caught_up_s_after": round(caught - ended, 1),
            "events_spilled_to_file": writer.spool.spilled, "events_lost": lost, "events_twice": twice,
            "status_after": final.status, "message": final.message[:160]}


def sigkill(tmp: Path) -> dict:
    """A local worker killed mid-run: when its run reads as interrupted, when the next queued run trains."""
    from lab.runs.executor import LocalExecutor

    store = Store(f"sqlite:///{tmp / 'kill.sqlite3'}")
    executor = LocalExecutor(store, slots=1, threads_per_run=1)
    try:
        doomed = store.create_run(LONG, "bench")
        after = store.create_run(LONG.replace(epochs=1, train_subset=2000), "bench")
        # killed after its first checkpoint (5 s or an epoch in): what it had learned is kept as one
        wait_until(lambda: store.get_run(doomed.id).step >= 300 and store.has_weights([doomed.id]), timeout=180)
        os.kill(store.get_run(doomed.id).pid, signal.SIGKILL)
        killed = time.monotonic()
        wait_until(lambda: store.get_run(doomed.id).status == "interrupted", timeout=30)
        interrupted = time.monotonic() - killed
        wait_until(lambda: store.get_run(after.id).status == "finished", timeout=180)
        next_done = time.monotonic() - killed
    finally:
        executor.close()
    run = store.get_run(doomed.id)
    stored = [s for _, e in store.events(run.id) if isinstance(e, StepsLogged) for s in e.steps]
    gaps = len(set(range(1, stored[-1] + 1, LONG.log_every)) - set(stored))
    return {"fault": "a worker SIGKILLed mid-run (local executor, SQLite)", "held_s": 0,
            "interrupted_after_s": round(interrupted, 1), "next_queued_run_finished_after_s": round(next_done, 1),
            "events_lost": gaps, "events_twice": len(stored) - len(set(stored)), "status_after": run.status,
            "checkpoint_kept": (store.load_weights(run.id) or (None, "none"))[1], "message": run.message[:160]}


def cli(pg: PostgresServer, hold: float) -> dict:
    """`python -m lab train --db` through a PostgreSQL restart: its exit, its stderr, the stored steps."""
    url = pg.new_database("cli")
    store = Store(url)
    args = ["--depth", "1", "--width", "32", "--epochs", "100", "--batch-size", "50", "--log-every", "2",
            "--device", "cpu", "--quiet", "--db", url]
    proc = subprocess.Popen([sys.executable, "-m", "lab", "train", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    run = wait_until(lambda: (runs := store.list_runs()) and runs[0].step > 0 and runs[0], timeout=180)
    pg.pause()
    time.sleep(hold)
    pg.resume()
    wait_until(lambda: store.get_run(run.id).step > run.step + 100, timeout=120)
    store.request_stop(run.id)
    stdout, stderr = proc.communicate(timeout=120)
    final = store.get_run(run.id)
    stored = [s for _, e in store.events(run.id) if isinstance(e, StepsLogged) for s in e.steps]
    return {"fault": "the CLI (python -m lab train --db) through a PostgreSQL restart", "held_s": hold,
            "exit_code": proc.returncode, "tracebacks": (stdout + stderr).count("Traceback"),
            "stderr_lines": [line for line in stderr.splitlines() if "run store" in line][:3],
            "events_lost": len(set(range(1, final.step + 1, 2)) - set(stored)),
            "events_twice": len(stored) - len(set(stored)), "status_after": final.status}


def main() -> int:
    """Every fault in turn; the table's rows as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hold", type=float, default=10.0, help="seconds each fault lasts (the patience case: 25)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    data, tmp = load_mnist(), Path(tempfile.mkdtemp(prefix="rl-faults-"))
    pg = PostgresServer(max_connections=20).start()
    rows = []
    try:
        rows.append(in_process("PostgreSQL restarted (pg_ctl stop -m fast, start)", pg.new_database("restart"),
                               data, lambda: pg.pause(), lambda _: pg.resume(), args.hold))
        rows.append(in_process("PostgreSQL down past the patience (15 s here; 300 s by default)",
                               pg.new_database("patience"), data, lambda: pg.pause(), lambda _: pg.resume(),
                               25.0, patience=15.0))
        url = pg.new_database("slots")
        rows.append(in_process("PostgreSQL refusing new connections (max_connections reached)", url, data,
                               lambda: refuse_connections(pg, url), lambda held: [c.close() for c in held], args.hold))
        disk = tmp / "small"
        disk.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)], check=True)
        try:
            rows.append(in_process("SQLite: its disk full (an 8 MB tmpfs, filled)", f"sqlite:///{disk / 'r.sqlite3'}",
                                   data, lambda: fill(disk), lambda filler: filler.unlink(), args.hold))
        finally:
            subprocess.run(["umount", "-l", str(disk)], check=False)
        lock_db = tmp / "lock.sqlite3"
        rows.append(in_process("SQLite: another process holds its write lock (BEGIN IMMEDIATE)",
                               f"sqlite:///{lock_db}", data, lambda: lock(lock_db, args.hold),
                               lambda proc: proc.wait(timeout=60), args.hold))
        rows.append(sigkill(tmp))
        rows.append(cli(pg, args.hold))
    finally:
        pg.stop()
    report = {"machine": f"{platform.node()}, {os.cpu_count()} cores",
              "load_average_after": round(os.getloadavg()[0], 1),
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "faults": rows}
    text = json.dumps(report, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0 if all(r["events_lost"] == 0 == r["events_twice"] for r in rows) else 1


def lock(path: Path, seconds: float) -> subprocess.Popen:
    """Another process holding SQLite's write lock on path for seconds."""
    hold = ("import sqlite3, sys, time\nc = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "c.execute('BEGIN IMMEDIATE')\nprint('locked', flush=True)\ntime.sleep(float(sys.argv[2]))\n"
            "c.execute('ROLLBACK')\n")
    proc = subprocess.Popen([sys.executable, "-c", hold, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


if __name__ == "__main__":
    sys.exit(main())
