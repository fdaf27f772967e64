"""What a new user gets from the README's start: `bash scripts/start.sh` in a fresh clone, Chromium, the lesson preset.

Not part of pytest. In one run, side by side:

1. A fresh `git clone` of this repository's HEAD (uncommitted changes are not in it) whose `.venv`
   is made inside it by scripts/start.sh, as the README says (pip installs everything: minutes).
   `--reuse` keeps an existing clone and its .venv, moved to this HEAD, for repeated runs. The
   server is the README's command plus a port; loopback through STREAMLIT_SERVER_ADDRESS; the
   default store, runs/relulab.sqlite3 inside the clone, emptied first.
2. ▶ Train -> first point, for --browsers new Chromium browsers one after another (the first right
   after the server started): each opens the home page, follows its "lesson's net" link to the
   Train page and clicks ▶ Train as soon as the button is there, then ■ Stop. The browser's clock
   from the click (pointerdown) to the frame showing the loss chart's first point (bench/latency.py's
   WATCH_JS), and where the time went: how long the server's worker process had been up at the
   click; click -> run row created (the server ran the click) -> claimed by the worker -> its first
   step in the store (the trainer's start and first step, the writer; the store polled every 20 ms)
   -> seen on the page (the page's poll, its script run, the browser's drawing).
3. The lesson preset's 15 epochs through the Train page, one browser watching: click -> the page
   saying "Finished"; the Streamlit server's CPU seconds per wall second from the first point to
   the end (/proc/<pid>/stat of the server, not its workers), and the worker's, the browser's and
   the whole machine's (other work included: on a shared machine the figures say so); every
   epoch's seconds from the store.

Targets (issue 21): server CPU <= 0.3 s/s while a run trains, ▶ Train -> first point <= 1.5 s
(median of the browsers), the 15 epochs <= 20 s.

    python bench/user_path.py [--clone DIR] [--reuse] [--browsers 5] [--start-arg=--cpu] [--env NAME=VALUE]
                              [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.latency import STOPPED_JS, WATCH_JS, seen  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, LOOPBACK, _free_port, stop_process, wait_healthy  # noqa: E402

TARGETS = {"server CPU s per s while training": 0.3, "train -> first point (s)": 1.5, "15 epochs (s)": 20.0}
PRESET = "preset=lesson-nn"
FINISHED_JS = r"() => /Finished after \d+ steps/.test(document.body ? document.body.textContent : '')"
TICK = os.sysconf("SC_CLK_TCK")


def prepare_clone(folder: Path, reuse: bool) -> str:
    """A clone of this repository's HEAD in folder (kept with its .venv if reuse); its short commit."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout.strip()
    if reuse and (folder / ".git").is_dir():
        subprocess.run(["git", "fetch", "-q", str(ROOT), head], cwd=folder, check=True)
        subprocess.run(["git", "checkout", "-q", "--detach", head], cwd=folder, check=True)
    else:
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run(["git", "clone", "-q", str(ROOT), str(folder)], check=True)
        subprocess.run(["git", "checkout", "-q", "--detach", head], cwd=folder, check=True)
    shutil.rmtree(folder / "runs", ignore_errors=True)  # the default store, fresh
    return head[:8]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (all its threads, not its children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (fields 14 and 15)


def open_train_page(playwright, url: str):
    """A new Chromium on the home page, then the Train page through its lesson link; ▶ Train just shown."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    context.add_init_script(WATCH_JS)
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto(f"{url}/?lang=en")  # a new student starts at the README's address
    page.locator(f"a[href*='{PRESET}']").first.click()  # the home page's "train the lesson's net" link
    button = page.get_by_role("button", name="▶ Train")
    button.wait_for()
    return browser, page, button


def worker_age(server_pid: int, at: float) -> float:
    """Seconds the server's (first) training worker had been running at epoch time `at` (nan if none)."""
    boot = next(float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                if line.startswith("btime"))
    for task in Path(f"/proc/{server_pid}/task").glob("*/children"):
        for pid in task.read_text().split():
            if "lab.runs.executor" in Path(f"/proc/{pid}/cmdline").read_text():
                started = boot + int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]) / TICK
                return at - started
    return float("nan")


def click_to_point(page, button) -> dict[str, float]:
    """Click ▶ Train now; seconds to the first point (page clock) and the click's epoch time."""
    button.click()
    page.wait_for_function("() => (window.__lat.seen.point || -1) > 0", timeout=120_000, polling=20)
    clicked = page.evaluate("() => (performance.timeOrigin + window.__lat.down) / 1000")  # epoch seconds
    return {"clicked": clicked, "first point": seen(page, "point")}


def newest_run(store):
    """The run created last in the clone's store."""
    return max(store.list_runs(), key=lambda r: r.created)


def watch_first_step(store, after: float, found: dict, halt: threading.Event) -> None:
    """Poll the store every 20 ms: when a run created after `after` first shows a step (epoch time)."""
    while not halt.is_set() and "stored" not in found:
        runs = [r for r in store.list_runs() if r.created > after]
        if runs and runs[-1].step >= 1:
            found["stored"] = time.time()
        time.sleep(0.02)


def first_clicks(playwright, url: str, store, browsers: int, server_pid: int) -> list[dict[str, float]]:
    """▶ Train -> first point in new browsers, with the server's and the worker's timestamps between."""
    rows = []
    for i in range(browsers):
        browser, page, button = open_train_page(playwright, url)
        found, halt = {}, threading.Event()
        watcher = threading.Thread(target=watch_first_step, args=(store, time.time(), found, halt), daemon=True)
        watcher.start()
        row = click_to_point(page, button)
        halt.set()
        watcher.join()
        run = newest_run(store)
        row |= {"worker age at click": worker_age(server_pid, row["clicked"]),
                "click -> created": run.created - row["clicked"],
                "created -> claimed": (run.started or float("nan")) - run.created,
                "claimed -> step 1 stored": found.get("stored", float("nan")) - (run.started or float("nan"))}
        row["stored -> seen"] = row["first point"] - (found.get("stored", float("nan")) - row["clicked"])
        page.get_by_role("button", name="■ Stop").click()
        page.wait_for_function(f"() => {STOPPED_JS}", timeout=60_000, polling=50)
        browser.close()
        rows.append(row)
        print(f"browser {i + 1}: " + ", ".join(f"{k} {v:.2f} s" for k, v in row.items() if k != "clicked"),
              flush=True)
    return rows


def descendants(pid: int) -> dict[int, str]:
    """Every process below pid (children, theirs...), with its command line."""
    found: dict[int, str] = {}
    todo = [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*/children"):
            try:
                for child in map(int, task.read_text().split()):
                    found[child] = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                    todo.append(child)
            except OSError:
                pass
    return found


def cpu_by_kind(server_pid: int) -> dict[str, float]:
    """CPU seconds so far of the server, its workers, this bench's browsers, and the whole machine."""
    def total(pids) -> float:
        seconds = 0.0
        for pid in pids:
            try:
                seconds += cpu_seconds(pid)
            except OSError:  # ended meanwhile
                pass
        return seconds

    workers = [p for p, cmd in descendants(server_pid).items() if "lab.runs.executor" in cmd]
    browsers = [p for p, cmd in descendants(os.getpid()).items() if "chrom" in cmd]
    busy = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    # A worker's main thread trains; its other threads write to the store (and watch the server).
    main = total(f"{pid}/task/{pid}" for pid in workers)
    waited = 0.0  # seconds the training thread was ready to run but waited for a core (schedstat)
    for pid in workers:
        try:
            waited += int(Path(f"/proc/{pid}/task/{pid}/schedstat").read_text().split()[1]) / 1e9
        except OSError:
            pass
    return {"server": cpu_seconds(server_pid), "worker": total(workers), "worker's training thread": main,
            "... waiting for a core": waited, "browser": total(browsers),
            "machine": (sum(busy) - busy[3] - busy[4]) / TICK}  # all but idle and iowait, every core


def full_run(playwright, url: str, store, server_pid: int) -> dict:
    """The lesson preset's 15 epochs with one browser watching: wall time, CPU by process, epoch seconds."""
    browser, page, button = open_train_page(playwright, url)
    start = time.perf_counter()
    click_to_point(page, button)
    cpu0, wall0 = cpu_by_kind(server_pid), time.perf_counter()
    page.wait_for_function(FINISHED_JS, timeout=600_000, polling=100)
    cpu1, wall1 = cpu_by_kind(server_pid), time.perf_counter()
    browser.close()
    run = newest_run(store)
    record = store.record(run.id)
    per_s = {k: round((cpu1[k] - cpu0[k]) / (wall1 - wall0), 2) for k in cpu0}
    return {"15 epochs (s)": wall1 - start, "server CPU s per s while training": per_s["server"],
            "CPU s per s while training": per_s, "epoch seconds": [round(e["seconds"], 3) for e in record.epochs],
            "status": record.status, "test accuracy": record.epochs[-1]["test_acc"] if record.epochs else None}


def main() -> int:
    """Clone, start with scripts/start.sh, measure in Chromium, print the figures against the targets."""
    from playwright.sync_api import sync_playwright

    from lab.runs.store import Store

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clone", type=Path, default=Path("/tmp/relulab-user-path"))
    parser.add_argument("--reuse", action="store_true", help="keep the clone and its .venv (moved to this HEAD)")
    parser.add_argument("--browsers", type=int, default=5)
    parser.add_argument("--start-arg", action="append", default=[], help="passed to scripts/start.sh (e.g. --cpu)")
    parser.add_argument("--env", action="append", default=[],
                        help="NAME=VALUE for the server and its workers (e.g. RELULAB_THREADS_PER_RUN=2)")
    parser.add_argument("--json")
    args = parser.parse_args()
    commit = prepare_clone(args.clone, args.reuse)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RELULAB_", "STREAMLIT_", "PYTHON"))}
    env |= dict(item.split("=", 1) for item in args.env)
    log = (args.clone / "start.log").open("w")
    began = time.perf_counter()
    # exec: the process started here becomes the Streamlit server itself.
    proc = subprocess.Popen(["bash", "scripts/start.sh", *args.start_arg, "--server.port", str(port)],
                            cwd=args.clone, env={**env, **LOOPBACK}, stdout=log, stderr=subprocess.STDOUT)
    report: dict = {"commit": commit, "date": time.strftime("%Y-%m-%d %H:%M"), "cores": os.cpu_count(),
                    "env": args.env}
    try:
        wait_healthy(url, proc, timeout=3600)
        report["install and start (s)"] = round(time.perf_counter() - began, 1)
        print(f"clone {args.clone} at {commit}: server up after {report['install and start (s)']} s", flush=True)
        store = Store(f"sqlite:///{args.clone / 'runs' / 'relulab.sqlite3'}")
        with sync_playwright() as p:
            clicks = first_clicks(p, url, store, args.browsers, proc.pid)
            report["first clicks"] = clicks
            report |= full_run(p, url, store, proc.pid)
        report["train -> first point (s)"] = statistics.median(c["first point"] for c in clicks)
    finally:
        stop_process(proc, timeout=20)
        log.close()
    print(f"\nepoch seconds: {report['epoch seconds']} ({report['status']}, "
          f"test accuracy {report['test accuracy']})")
    print("CPU seconds per second while the run trained (the machine: all its cores, other work included): "
          + ", ".join(f"{k} {v:.2f}" for k, v in report["CPU s per s while training"].items()))
    for name, target in TARGETS.items():
        print(f"{name:36} {report[name]:7.2f}  (target <= {target})")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
