"""Load test: ten students train and draw at once on one `streamlit run` server (not part of pytest).

Usage: python bench/load.py [--sessions 10] [--json bench/results/load.json]

Starts the app on localhost, opens N separate Chromium contexts (Playwright, Debian's
/usr/bin/chromium), each starts a one-epoch run on the Train page and, when it has finished,
draws a 7 on the Draw page. Meanwhile an (N+1)th session times the home page. Reports: runs
finished, the (N+1)th page's load time, the server's peak resident memory, aggregate
throughput against one run alone, and what happens when a tab is closed mid-run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.sampling import CpuWatch, MemoryWatch, worker_cpu_seconds  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, start_streamlit, stop_process  # noqa: E402

SEVEN = [[(70, 60), (210, 60)], [(210, 60), (120, 235)]]
RUN_QUERY = "lang=en&epochs=1"


def niced_chromium() -> str:
    """A wrapper that starts Chromium at the lowest CPU priority (Playwright takes one executable path).

    Playwright starts the browser in a session of its own, and with the kernel's autogroup
    scheduling (sched_autogroup_enabled = 1 here) nice only ranks processes inside their session:
    `nice -n 19` alone left ten browsers an equal share with the server and its worker (measured:
    browsers 71 CPU-s, training worker 18 CPU-s over one load run). So the wrapper also lowers
    its session's autogroup, where the kernel offers that.
    """
    wrapper = Path(tempfile.gettempdir()) / "relulab-niced-chromium"
    wrapper.write_text("#!/bin/sh\n(echo 19 > /proc/self/autogroup) 2>/dev/null\n"
                       f'exec nice -n 19 {CHROMIUM} "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


async def open_app(browser, url: str, timed: bool = False):
    """A new browser context at the app's home page, through the router; with timed, also when
    the page's HTML arrived, its scripts had loaded (DOMContentLoaded) and its WebSocket opened."""
    marks: dict[str, float] = {}
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page = await context.new_page()
    page.set_default_timeout(120_000)
    if timed:
        page.on("response", lambda r: marks.setdefault("html", time.perf_counter()))
        page.on("domcontentloaded", lambda _: marks.setdefault("scripts", time.perf_counter()))
        page.on("websocket", lambda _: marks.setdefault("websocket", time.perf_counter()))
    await page.goto(f"{url}/?lang=en")
    await page.locator("[data-testid='stSidebarNav'] a", has_text="Train").wait_for()
    return (context, page, marks) if timed else (context, page)


async def train_one_epoch(page, url: str, clicks: list | None = None,
                          ready: list | None = None) -> tuple[float, float, float]:
    """Start a one-epoch run on the Train page; returns clicked and finished times, training seconds."""
    await page.goto(f"{url}/train?{RUN_QUERY}")
    button = page.get_by_role("button", name="▶ Train")
    await button.wait_for()
    if ready is not None:  # the class presses Train together, as a teacher would ask
        ready.append(page)
        while len(ready) < ready.expected:
            await asyncio.sleep(0.05)
    clicked = time.perf_counter()
    await button.click()
    if clicks is not None:
        clicks.append(clicked)
    done = page.get_by_text("Finished after").first
    await done.wait_for(timeout=900_000)
    finished = time.perf_counter()
    # The page says how long the run itself trained: "Finished after 600 steps in 1.6 s: ...".
    seconds = float(re.search(r" in ([\d.]+) s", await done.inner_text()).group(1))
    return clicked, finished, seconds


class _Ready(list):
    """Students at the Train button; `expected` of them make the class."""

    def __init__(self, expected: int):
        super().__init__()
        self.expected = expected


async def draw_seven(page) -> tuple[str, float]:
    """Draw a 7 with mouse strokes on the Draw page; returns the prediction and seconds to it."""
    await page.locator("[data-testid='stSidebarNav'] a", has_text="Draw").click()
    canvas = page.locator("canvas.upper-canvas")
    await canvas.wait_for()
    await page.wait_for_timeout(500)
    box = await canvas.bounding_box()
    for points in SEVEN:
        await page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
        await page.mouse.down()
        for x, y in points[1:]:
            await page.mouse.move(box["x"] + x, box["y"] + y, steps=12)
        await page.mouse.up()
    drawn = time.perf_counter()
    # Each stroke is a rerun: under load the first stroke's answer (a bar, "It is 4") can still
    # be on screen, so wait for the answer to the whole 7 before reading what it says.
    try:
        await page.get_by_text(re.compile(r"^It is 7")).first.wait_for(timeout=60_000)
    except Exception:  # noqa: BLE001 - a misread is reported, not raised
        pass
    headline = page.get_by_text(re.compile(r"^It is \d")).first
    await headline.wait_for(timeout=120_000)
    return (await headline.inner_text()).strip(), time.perf_counter() - drawn


async def extra_student(browser, url: str, server_pid: int, clicks: list, trained: list,
                        sessions: int) -> list[dict]:
    """An 11th student opening the home page every 2 s from the class's Train click until every run
    has ended; each load notes how busy the training worker was meanwhile (1.0 = training)."""
    while not clicks:
        await asyncio.sleep(0.05)
    loads = []
    while len(trained) < sessions:
        t0, cpu0 = time.perf_counter(), worker_cpu_seconds(server_pid)
        context, _, marks = await open_app(browser, url, timed=True)
        seconds = time.perf_counter() - t0
        busy = (worker_cpu_seconds(server_pid) - cpu0) / seconds
        loads.append({"seconds": round(seconds, 2), "worker_busy": round(busy, 2), "trained": len(trained),
                      **{k: round(v - t0, 2) for k, v in marks.items()}})
        say(f"11th session's home page: {seconds:.2f} s (worker busy {busy:.0%}, {len(trained)} trained)")
        await context.close()
        await asyncio.sleep(2.0)
    return loads


async def student(browser, url: str, index: int, results: list, clicks: list, ready: list,
                  trained: list) -> None:
    """One student: train one epoch (pressing Train with the class), then draw a digit."""
    row = {"session": index}
    page = None
    try:
        context, page = await open_app(browser, url)
        row["clicked"], row["finished"], row["train_seconds"] = await train_one_epoch(
            page, url, clicks, ready)
        trained.append(index)
        row["prediction"], row["prediction_seconds"] = await draw_seven(page)
        if not row["prediction"].startswith("It is 7"):  # keep the evidence of a misread drawing
            await page.screenshot(path=str(ROOT / "bench" / "results" / f"load_draw_{index}.png"))
        await context.close()
    except Exception as exc:  # noqa: BLE001 - a lost run is a result to report, not a crash
        row["error"] = f"{type(exc).__name__}: {exc}"[:300]
        if page is None or page not in ready:
            ready.append(None)  # never got to the button: don't keep the class waiting
        if "clicked" not in row:
            clicks.append(time.perf_counter())  # never pressed: don't keep the 11th student waiting
        if "finished" not in row:
            trained.append(index)
    results.append(row)


def say(text: str) -> None:
    """Progress on stdout, with the time."""
    print(time.strftime("%H:%M:%S"), text, flush=True)


async def main_async(args, report: dict) -> dict:
    """The whole scenario against one server; fills report as it goes."""
    from playwright.async_api import async_playwright

    proc, url = start_streamlit()
    watch = MemoryWatch(proc.pid)
    report |= {"sessions": args.sessions, "date": time.strftime("%Y-%m-%d")}
    try:
        async with async_playwright() as p:
            # The students' browsers run on their own machines in a classroom; here they share the
            # server's 2 cores, so they run at the lowest CPU priority to measure the server.
            browser = await p.chromium.launch(executable_path=niced_chromium(), args=CHROMIUM_ARGS)
            # The 11th student's browser is on a machine of its own too: it runs at normal
            # priority, so its page load measures the server, not ten other simulated browsers.
            own_machine = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            # Warm-up and the baseline: one student alone, twice.
            solo, solo_train = [], []
            for _ in range(3):
                context, page = await open_app(browser, url)
                clicked, finished, seconds = await train_one_epoch(page, url)
                solo.append(finished - clicked)
                solo_train.append(seconds)
                await context.close()
            report["solo_run_seconds"], report["solo_train_seconds"] = solo, solo_train
            say(f"solo runs: {solo}")
            report["rss_before_load_mb"] = watch.rss() / 2**20

            results: list = []
            start = time.perf_counter()
            clicks, ready, trained = [], _Ready(args.sessions), []
            tasks = [asyncio.create_task(student(browser, url, i, results, clicks, ready,
                                                 trained)) for i in range(args.sessions)]
            students_done = asyncio.gather(*tasks)
            cpu_watch = CpuWatch(proc.pid)
            profiler = None
            if args.profile:  # py-spy on the server while the ten train (needs py-spy installed)
                profiler = subprocess.Popen(["py-spy", "record", "-p", str(proc.pid), "-d", "30", "-r", "50",
                                             "-f", "raw", "-o", str(args.profile)],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            loads = await extra_student(own_machine, url, proc.pid, clicks, trained, args.sessions)
            await students_done
            say("all sessions have trained and drawn")
            report["home_loads_during_load"] = loads
            training = [row["seconds"] for row in loads if row["worker_busy"] >= 0.25]
            if training:
                report["extra_session_home_seconds"] = max(training)
                report["extra_session_home_seconds_median"] = statistics.median(training)
                report["extra_session_home_loads_while_training"] = len(training)
            cpu_watch.stop()
            report["cpu_seconds_during_load"] = cpu_watch.totals()
            if profiler is not None:
                profiler.wait()
            report["load_wall_seconds"] = time.perf_counter() - start
            report["results"] = sorted(results, key=lambda r: r["session"])
            done = [r for r in results if "finished" in r]
            report["runs_finished"] = len(done)
            report["predictions"] = [r.get("prediction") for r in report["results"]]
            if done:
                span = max(r["finished"] for r in done) - min(r["clicked"] for r in done)
                report["aggregate_epochs_per_second"] = len(done) / span
                report["solo_epochs_per_second"] = 1 / statistics.median(solo[1:])  # [0] warms up
                report["throughput_ratio"] = report["aggregate_epochs_per_second"] / report[
                    "solo_epochs_per_second"]
                # The same without the page's own latency (fragment refresh, browser): the runs'
                # training seconds under load against alone, as the page reports them.
                report["train_seconds_ratio"] = statistics.median(solo_train[1:]) / statistics.median(
                    r["train_seconds"] for r in done)
            report["rss_after_load_mb"] = watch.rss() / 2**20
            say(f"load done: {report.get('runs_finished')} finished in {report['load_wall_seconds']:.1f} s")

            # A tab closed mid-run: its worker stops, the slot frees, memory settles.
            context, page = await open_app(browser, url)
            await page.goto(f"{url}/train?lang=en&epochs=20")
            await page.get_by_role("button", name="▶ Train").click()
            await page.get_by_text("epoch 1/20").first.wait_for()
            rss_running = watch.rss()
            closed = time.perf_counter()
            await context.close()
            observer, obs_page = await open_app(browser, url)
            # A page with no run of its own draws the server's load once: the observer reloads it (the run
            # stops once its owner has been gone for the worker's grace period, RELULAB_GRACE_S, 60 s).
            while time.perf_counter() - closed < 300:
                await obs_page.goto(f"{url}/train?lang=en")
                await obs_page.get_by_text("Server: ").first.wait_for()
                if await obs_page.get_by_text("Server: 0 training").count():
                    report["closed_tab_run_stopped_after_seconds"] = time.perf_counter() - closed
                    break
                await asyncio.sleep(2)
            await observer.close()
            await asyncio.sleep(2)
            report["closed_tab_rss_running_mb"] = rss_running / 2**20
            report["closed_tab_rss_after_mb"] = watch.rss() / 2**20
            await browser.close()
            await own_machine.close()
    finally:
        report["server_peak_rss_mb"] = watch.server_peak() / 2**20
        report["peak_rss_with_workers_mb"] = watch.peak() / 2**20
        watch.stop()
        stop_process(proc, timeout=20)
    return report


def main() -> int:
    """Run the scenario, print a summary and write JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "load.json")
    parser.add_argument("--profile", type=Path, help="py-spy raw profile of the server under load")
    args = parser.parse_args()
    report: dict = {}
    try:
        asyncio.run(main_async(args, report))
    except Exception as exc:  # noqa: BLE001 - keep the figures gathered so far
        report["error"] = f"{type(exc).__name__}: {exc}"[:500]
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=1))
    for key in ("runs_finished", "solo_run_seconds", "load_wall_seconds", "extra_session_home_seconds",
                "extra_session_home_seconds_median", "extra_session_home_loads_while_training",
                "cpu_seconds_during_load",
                "server_peak_rss_mb", "peak_rss_with_workers_mb", "throughput_ratio", "train_seconds_ratio",
                "predictions",
                "closed_tab_run_stopped_after_seconds", "closed_tab_rss_running_mb",
                "closed_tab_rss_after_mb"):
        print(f"{key:40} {report.get(key)}")
    errors = [r for r in report.get("results", []) if "error" in r]
    for row in errors:
        print("lost:", row)
    return 0 if report.get("runs_finished") == args.sessions else 1


if __name__ == "__main__":
    sys.exit(main())
