"""Why the app trains in worker processes: a training thread beside busy Python threads (not in pytest).

Usage: python bench/gil.py [--rounds 3] [--subset 6000]

Trains the same run (784-256-256-10 ReLU, Adam, one torch thread, `--subset` images) three ways,
interleaved round by round on this machine: in a thread of an idle process, in a thread beside
one busy pure-Python thread (what a Streamlit server's page reruns are), and in a worker process
(lab/runs/executor.py) while that busy thread runs here. Prints medians and ratios.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from lab.engine.config import RunConfig  # noqa: E402
from lab.engine.data import load_mnist  # noqa: E402
from lab.engine.train import Trainer  # noqa: E402
from lab.runs.executor import LocalExecutor  # noqa: E402
from lab.runs.store import Store  # noqa: E402


class Busy:
    """A pure-Python thread that never waits: it holds the GIL whenever the interpreter lets it."""

    def __enter__(self) -> Busy:
        self.halt = threading.Event()
        self.thread = threading.Thread(target=self._spin, daemon=True)
        self.thread.start()
        return self

    def _spin(self) -> None:
        total = 0
        while not self.halt.is_set():
            for i in range(10_000):
                total += i * i

    def __exit__(self, *exc) -> None:
        self.halt.set()
        self.thread.join()


def in_thread(config: RunConfig, data) -> float:
    """Seconds to train config on a thread of this process."""
    trainer = Trainer(config, data=data)
    start = time.perf_counter()
    runner = threading.Thread(target=trainer.run)
    runner.start()
    runner.join()
    return time.perf_counter() - start


def in_worker(config: RunConfig, store: Store) -> float:
    """Seconds to train config in a warm worker process, as the app does (queued in the store)."""
    start = time.perf_counter()
    run = store.create_run(config, "bench")
    while store.get_run(run.id).active:
        time.sleep(0.01)
    return time.perf_counter() - start


def main() -> None:
    """Interleave the three ways for a few rounds; print medians and ratios."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--subset", type=int, default=6000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = load_mnist()
    config = RunConfig(epochs=1, train_subset=args.subset, device="cpu")
    store = Store(f"sqlite:///{tempfile.mkdtemp()}/gil.sqlite3")
    executor = LocalExecutor(store, slots=1, threads_per_run=1)
    in_worker(config, store)  # warm: torch imported, MNIST loaded
    times: dict[str, list[float]] = {"thread, idle server": [], "thread, busy server": [],
                                     "worker process, busy server": []}
    in_thread(config, data)  # warm-up
    for round_ in range(args.rounds):
        times["thread, idle server"].append(in_thread(config, data))
        with Busy():
            times["thread, busy server"].append(in_thread(config, data))
            times["worker process, busy server"].append(in_worker(config, store))
        print(f"round {round_ + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()), flush=True)
    base = statistics.median(times["thread, idle server"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:30} {median:7.2f} s  ({median / base:5.1f}x the idle thread)")
    executor.close()


if __name__ == "__main__":
    main()
