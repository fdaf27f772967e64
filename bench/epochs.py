"""The lesson net's epochs three ways, side by side: matrix products alone, the Trainer, the store's worker.

Not part of pytest. For the lesson preset (784-256-256-10 ReLU, normal_ init, Adam 1e-3, batch 100,
all 60,000 images, the app's default logging, grad norms and probes, test evaluation included),
each round times epochs 1..E three ways (in this order, reversed every other round):

- floor: a loop doing only that epoch's matrix products: 600 steps of the 3 forward and 5 backward
  products (no gradient for the pixels) on the epoch's own batches (made beforehand), then the test
  evaluation's forward products (10,000 images in chunks of 5,000, as Trainer.evaluate does);
- Trainer: lab.engine.train.Trainer alone in a fresh process, its events dropped;
- worker: the same config queued in a SQLite store and trained by a LocalExecutor worker process
  (lab/runs/executor.py, as the Train page does: a store writer, checkpoints, heartbeats, stop polls),
  its epoch seconds read back from the store's EpochEnded events.

All three at the same torch thread count (default: what the app gives a run here, from
lab/runs/budget.py) and at the worker's nice level. Epoch 1 is left out (first-touch allocations);
the table shows epochs 2..E of every round, then medians and the ratios the targets are on
(issue 21: worker / Trainer <= 1.05, Trainer / floor <= 1.5).

    python bench/epochs.py [--epochs 6] [--rounds 2] [--threads N] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS = {"worker / Trainer": 1.05, "Trainer / floor": 1.5}


def floor_epochs(epochs: int) -> list[float]:
    """Seconds of each epoch's matrix products alone (this process's torch threads)."""
    import torch

    from lab.engine.config import PRESETS
    from lab.engine.data import load_mnist, to_float
    from lab.engine.models import build_from_config, linear_layers
    from lab.engine.train import EVAL_CHUNK

    cfg, data = PRESETS["lesson-nn"], load_mnist()
    w1, w2, w3 = (layer.weight.detach() for _, layer in linear_layers(build_from_config(cfg)))
    batch, steps = cfg.batch_size, len(data.train_labels) // cfg.batch_size
    # The epoch's own batches, as floats, made before the clock starts: each step's products read a
    # batch they have not seen, as the Trainer's do (gathering and converting is not a product).
    order = torch.randperm(len(data.train_labels), generator=torch.Generator().manual_seed(cfg.seed))
    batches = to_float(data.train_images[order[:steps * batch]]).view(steps, batch, -1)  # (600, 100, 784)
    h1, h2 = torch.rand(batch, 256), torch.rand(batch, 256)  # hidden activations
    g1, g2, g3 = torch.rand(batch, 256), torch.rand(batch, 256), torch.rand(batch, 10)  # their gradients
    test = [to_float(data.test_images[i:i + EVAL_CHUNK]) for i in range(0, len(data.test_labels), EVAL_CHUNK)]
    e1, e2 = torch.rand(EVAL_CHUNK, 256), torch.rand(EVAL_CHUNK, 256)  # the evaluation's hidden activations
    seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        for x in batches:  # (100, 784)
            x.mm(w1.t()), h1.mm(w2.t()), h2.mm(w3.t())  # forward
            g3.t().mm(h2), g3.mm(w3), g2.t().mm(h1), g2.mm(w2), g1.t().mm(x)  # weight and input grads
        for chunk in test:  # evaluation: forward only
            chunk.mm(w1.t()), e1.mm(w2.t()), e2.mm(w3.t())
        seconds.append(time.perf_counter() - start)
    return seconds


def trainer_epochs(epochs: int) -> list[float]:
    """Seconds of each epoch of the lesson preset trained by a bare Trainer."""
    from lab.engine.config import PRESETS
    from lab.engine.data import load_mnist
    from lab.engine.events import EpochEnded
    from lab.engine.train import Trainer

    seconds: list[float] = []
    record = Trainer(PRESETS["lesson-nn"].replace(epochs=epochs, device="cpu"),
                     lambda e: seconds.append(e.seconds) if isinstance(e, EpochEnded) else None,
                     data=load_mnist()).run()
    if record.status != "finished":
        raise RuntimeError(f"{record.status}: {record.message}")
    return seconds


def in_child(kind: str, epochs: int, threads: int) -> list[float]:
    """Run floor_epochs or trainer_epochs in a fresh interpreter at the worker's nice level."""
    from lab.runs.executor import WORKER_NICE

    code = (f"import json, os, sys, torch; sys.path.insert(0, {str(ROOT)!r}); os.nice({WORKER_NICE}); "
            f"torch.set_num_threads({threads}); from bench.epochs import {kind}_epochs as f; "
            f"print(json.dumps(f({epochs})))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def worker_epochs(epochs: int, threads: int) -> list[float]:
    """Seconds of each epoch of the lesson preset queued in a SQLite store and trained by a local worker."""
    from lab.engine.config import PRESETS
    from lab.runs.executor import LocalExecutor
    from lab.runs.store import Store

    store = Store(f"sqlite:///{tempfile.mkdtemp(prefix='relulab-epochs-')}/runs.sqlite3")
    executor = LocalExecutor(store, slots=1, threads_per_run=threads)
    try:
        run = store.create_run(PRESETS["lesson-nn"].replace(epochs=epochs, device="cpu"), "bench")
        executor.submit(run.id)
        deadline = time.monotonic() + 60 * epochs
        while store.get_run(run.id).status in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.5)
        record = store.record(run.id)
        if record.status != "finished":
            raise RuntimeError(f"worker run {record.status}: {record.message}")
        return [e["seconds"] for e in record.epochs]
    finally:
        executor.close()


def main() -> int:
    """Rounds of floor, Trainer, worker; every epoch from the second, medians, ratios against the targets."""
    from lab.runs import budget

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6, help="epochs per run (epochs 2..E are compared)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: the app's per run)")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    limits = budget.read_limits()
    threads = args.threads or budget.threads_per_run(limits, budget.run_slots(limits))
    columns = ("floor", "Trainer", "worker")
    rows: dict[str, list[float]] = {c: [] for c in columns}
    print(f"lesson preset, epochs 2-{args.epochs}, {threads} torch thread(s), {os.cpu_count()} cores", flush=True)
    print(f"{'round':>5} {'epoch':>5} " + " ".join(f"{c:>9}" for c in columns), flush=True)
    measure = {"floor": lambda: in_child("floor", args.epochs, threads),
               "Trainer": lambda: in_child("trainer", args.epochs, threads),
               "worker": lambda: worker_epochs(args.epochs, threads)}
    for round_ in range(1, args.rounds + 1):
        order = columns if round_ % 2 else columns[::-1]  # a load that drifts meanwhile hits each side alike
        got = {c: measure[c]() for c in order}
        for epoch in range(2, args.epochs + 1):
            print(f"{round_:5} {epoch:5} " + " ".join(f"{got[c][epoch - 1]:9.3f}" for c in columns), flush=True)
        for c in columns:
            rows[c] += got[c][1:]
    median = {c: statistics.median(v) for c, v in rows.items()}
    ratios = {"worker / Trainer": median["worker"] / median["Trainer"],
              "Trainer / floor": median["Trainer"] / median["floor"]}
    print("median s/epoch: " + ", ".join(f"{c} {median[c]:.3f}" for c in columns))
    print("slowest epoch:  " + ", ".join(f"{c} {max(rows[c]):.3f}" for c in columns))
    for name, value in ratios.items():
        print(f"{name:17} {value:.3f}  (target <= {TARGETS[name]})")
    if args.json:
        Path(args.json).write_text(json.dumps({"date": time.strftime("%Y-%m-%d %H:%M"), "threads": threads,
                                               "epochs": rows, "median": median, "ratios": ratios}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
