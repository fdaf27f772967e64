"""What the run store costs (not in pytest): epoch time with it against without, and a page's time with ten writers.

1. The lesson net (784-256-256-10, Adam, batch 100), one epoch on full MNIST, trained by a
   bare Trainer (events dropped) and by execute_run (events, checkpoints and the stop flag
   through the store), interleaved round by round; medians and the ratio.
2. The Train page of a browser with one live run, rendered by AppTest while ten runs write
   their events and checkpoints at once (the rate of ten 2-core runs: a block of 50 steps
   every 0.1 s each, a checkpoint every 5 s); the page's server time per render, alone and
   under the writers.

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
from lab.engine.data import load_mnist  # noqa: E402
from lab.engine.events import EpochEnded, RunStarted, StepsLogged  # noqa: E402
from lab.engine.train import Trainer  # noqa: E402
from lab.runs.execute import execute_run  # noqa: E402
from lab.runs.store import Store  # noqa: E402

LESSON = RunConfig(epochs=1, device="cpu")


def bare(data) -> float:
    """Seconds for one epoch with no store."""
    start = time.perf_counter()
    Trainer(LESSON, lambda event: None, data=data).run()
    return time.perf_counter() - start


def stored(store: Store, data) -> float:
    """Seconds for the same epoch through the store."""
    run = store.create_run(LESSON, "bench")
    start = time.perf_counter()
    execute_run(store, run.id, data=data)
    return time.perf_counter() - start


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
    """Run both measurements and print medians and ratios."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", default="")
    args = parser.parse_args()
    url = args.db or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    torch.set_num_threads(max(1, (os.cpu_count() or 2) // 2))
    data = load_mnist()
    store = Store(url)
    bare(data)  # warm-up
    times: dict[str, list[float]] = {"bare Trainer": [], "through the store": []}
    for round_ in range(args.rounds):
        times["bare Trainer"].append(bare(data))
        times["through the store"].append(stored(store, data))
        print(f"round {round_ + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()), flush=True)
    base = statistics.median(times["bare Trainer"])
    for name, values in times.items():
        print(f"{name:20} {statistics.median(values):6.2f} s/epoch  ({statistics.median(values) / base:.3f}x)")
    pages = page_times(url if args.db else f"sqlite:///{tempfile.mkdtemp()}/page.sqlite3", args.rounds)
    print(f"Train page render, live run: alone {pages['alone'] * 1000:.0f} ms, "
          f"ten runs writing {pages['ten writers'] * 1000:.0f} ms ({pages['ten writers'] / pages['alone']:.2f}x)")


if __name__ == "__main__":
    main()
