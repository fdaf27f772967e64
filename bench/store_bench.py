"""What the run store costs a page (not in pytest): a Train page's server time beside ten runs writing.

The Train page of a browser with one live run, rendered by AppTest while ten runs write their
events and checkpoints at once (the rate of ten 2-core runs: a block of 50 steps every 0.1 s
each, a checkpoint every 5 s); the page's server time per render, alone and under the writers.
What the store costs a training run (epochs through a worker against a bare Trainer, every
epoch) is bench/epochs.py.

    python bench/store_bench.py [--rounds 3] [--db URL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from lab.engine.config import RunConfig  # noqa: E402
from lab.engine.events import EpochEnded, RunStarted, StepsLogged  # noqa: E402
from lab.runs.store import Store  # noqa: E402

LESSON = RunConfig(epochs=1, device="cpu")


def writer(store: Store, run_id: str, halt: threading.Event) -> None:
    """One run's write load: a 50-step block every 0.1 s, a checkpoint every 5 s."""
    store.append_events(run_id, [RunStarted(LESSON.to_dict(), "cpu", "", ["fc1", "fc2", "out"], ["fc1", "fc2"],
                                            600, 600)])
    weights = {k: torch.randn(256, 784) for k in ("fc1.weight",)}
    step, last_ckpt = 0, time.monotonic()
    while not halt.is_set():
        steps = list(range(step + 1, step + 51))
        store.append_events(run_id, [StepsLogged(steps, [0.3] * 50, [[0.1, 0.2, 0.3]] * 50)])
        step += 50
        if step % 600 == 0:
            store.append_events(run_id, [EpochEnded(step // 600, 0.3, 0.9, 0.9, 1.0)])
        if time.monotonic() - last_ckpt > 5:
            store.save_weights(run_id, weights, step)
            last_ckpt = time.monotonic()
        time.sleep(0.1)


def page_times(url: str, rounds: int) -> dict[str, float]:
    """Median server time of a Train page render with a live run, alone and beside ten writers."""
    from streamlit.testing.v1 import AppTest

    os.environ["RELULAB_DB"] = url
    store = Store(url)
    mine = store.create_run(LESSON, "student")
    store.claim("bench", mine.id)
    others = [store.create_run(LESSON, f"s{i}") for i in range(10)]
    for run in others:
        store.claim("bench", run.id)
    halt = threading.Event()
    threading.Thread(target=writer, args=(store, mine.id, halt), daemon=True).start()
    time.sleep(1.0)

    def render() -> float:
        at = AppTest.from_file(str(ROOT / "views" / "train.py"), default_timeout=60)
        at.session_state["lang"], at.session_state["owner"] = "en", "student"
        start = time.perf_counter()
        at.run()
        assert not at.exception, at.exception
        return time.perf_counter() - start

    render()  # warm: imports, figure code
    alone = [render() for _ in range(rounds * 3)]
    threads = [threading.Thread(target=writer, args=(store, r.id, halt), daemon=True) for r in others]
    for th in threads:
        th.start()
    time.sleep(1.0)
    busy = [render() for _ in range(rounds * 3)]
    halt.set()
    return {"alone": statistics.median(alone), "ten writers": statistics.median(busy)}


def main() -> None:
    """Render the page alone and beside ten writers; print medians and the ratio."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", default="")
    args = parser.parse_args()
    pages = page_times(args.db or f"sqlite:///{tempfile.mkdtemp()}/page.sqlite3", args.rounds)
    print(f"Train page render, live run: alone {pages['alone'] * 1000:.0f} ms, "
          f"ten runs writing {pages['ten writers'] * 1000:.0f} ms ({pages['ten writers'] / pages['alone']:.2f}x)")


if __name__ == "__main__":
    main()
