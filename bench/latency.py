"""Latency as a student feels it, in Chromium against `streamlit run` on this machine (not in pytest).

Per round: ▶ Train -> the first point on the loss chart; a reload mid-run -> the run in
progress shown again (its progress bar and loss chart); ■ Stop -> the page saying it
stopped. Targets (issue "Runs that outlive the tab"): 1.5 s, 2 s, 1 s. Prints each round
and the medians.

    python bench/latency.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, start_streamlit, wait_for_app  # noqa: E402

QUERY = "lang=en&train_subset=12000&epochs=100&log_every=2"
POINTS_JS = """() => {
  const el = [...document.querySelectorAll('.js-plotly-plot')].find(p => p.layout && p.layout.meta === 'loss-step');
  return el && el.data && el.data[0] && el.data[0].x ? el.data[0].x.length : 0;
}"""
TARGETS = {"train -> first point": 1.5, "reload -> run shown": 2.0, "stop -> stopped": 1.0}


def one_round(page, url: str) -> dict[str, float]:
    """Train, reload, stop once; seconds for each."""
    page.goto(f"{url}/train?{QUERY}")
    wait_for_app(page)
    button = page.get_by_role("button", name="▶ Train")
    button.wait_for()
    page.wait_for_timeout(500)
    start = time.perf_counter()
    button.click()
    page.wait_for_function(f"() => ({POINTS_JS})() > 0", timeout=60_000, polling=20)
    first = time.perf_counter() - start
    page.wait_for_timeout(2000)
    start = time.perf_counter()
    page.reload()
    page.locator("[data-testid='stProgress']").first.wait_for(timeout=60_000)
    page.wait_for_function(f"() => ({POINTS_JS})() > 0", timeout=60_000, polling=20)
    reload = time.perf_counter() - start
    page.wait_for_timeout(1000)
    stop = page.get_by_role("button", name="■ Stop")
    stop.wait_for()
    start = time.perf_counter()
    stop.click()
    page.get_by_text("Stopped at step").wait_for(timeout=30_000)
    stopped = time.perf_counter() - start
    return {"train -> first point": first, "reload -> run shown": reload, "stop -> stopped": stopped}


def main() -> None:
    """Start a server on a fresh store, run the rounds, print medians against the targets."""
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    proc, url = start_streamlit({"RELULAB_DB": f"sqlite:///{tempfile.mkdtemp()}/latency.sqlite3"})
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{url}/?lang=en")  # the first visitor starts the training worker
            wait_for_app(page)
            time.sleep(8)
            results: dict[str, list[float]] = {k: [] for k in TARGETS}
            for round_ in range(args.rounds):
                # a new browser each round: no earlier run's chart on the page to mistake for the new one
                page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
                for name, value in one_round(page, url).items():
                    results[name].append(value)
                print(f"round {round_ + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in results.items()),
                      flush=True)
            for name, values in results.items():
                print(f"{name:22} median {statistics.median(values):5.2f} s  (target {TARGETS[name]} s)")
            browser.close()
    finally:
        proc.kill()


if __name__ == "__main__":
    main()
