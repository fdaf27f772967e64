"""Does training same-shape runs as one batched model pay? R runs one after another (the Trainer, as the
executors train them) against the same R runs as one batched model (lab/engine/batched.py), side by side.

The lesson's 784-256-256-10 ReLU net with Adam, batch 100, differing only in seed; the Trainer with its
probes on (log every 10 steps, activations every 100) as a student's run has them, and with them off
(what the batched trainer logs: losses and gradient norms). On the CPU the time is the process's CPU
time (one torch thread: the work itself, which a shared machine's other load does not inflate much), on
a GPU the wall clock. Rounds alternate solo and batched; medians are printed. Also the largest difference between a
batched run's losses and its solo twin's (same numbers within 1e-6 is the promise).

    python bench/batched.py [--device cpu|cuda] [--runs 1 2 4 8] [--subset 6000] [--threads 1] [--json F]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from lab.engine.batched import train_batched  # noqa: E402
from lab.engine.config import PRESETS  # noqa: E402
from lab.engine.data import load_mnist  # noqa: E402
from lab.engine.train import Trainer  # noqa: E402


def sync(device: str) -> None:
    """Wait for the GPU (timings of queued kernels)."""
    if device == "cuda":
        torch.cuda.synchronize()


def solo(configs, data, device: str, probes: bool) -> tuple[float, list[list[float]]]:
    """CPU seconds (wall on a GPU) to train the configs one after another with the Trainer; their losses."""
    sync(device)
    start = clock(device)
    losses = []
    for config in configs:
        if not probes:
            config = config.replace(probe_every=10**5)
        record = Trainer(config, data=data).run()
        losses.append([s["loss"] for s in record.steps])
    sync(device)
    return clock(device) - start, losses


def batched(configs, data, device: str) -> tuple[float, list[list[float]]]:
    """CPU seconds (wall on a GPU) to train the configs together as one batched model; their losses."""
    sync(device)
    start = clock(device)
    runs = train_batched(configs, data, device)
    sync(device)
    return clock(device) - start, [r.losses for r in runs]


def clock(device: str) -> float:
    """This process's CPU time on the CPU (one thread: the work done), the wall clock on a GPU."""
    return time.process_time() if device == "cpu" else time.perf_counter()


def main() -> int:
    """Time each R side by side and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--runs", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--subset", type=int, default=6000, help="training images per run (60 steps per 6000)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (a local worker has 1 here)")
    parser.add_argument("--json")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        print("error: --device cuda but no CUDA GPU is present")
        return 2
    torch.set_num_threads(args.threads)
    data = load_mnist()
    base = PRESETS["lesson-nn"].replace(train_subset=args.subset, epochs=args.epochs, device=args.device)
    batched([base], data, args.device)  # warm-up: first-use allocations, kernels, torch's lazy imports
    solo([base], data, args.device, True)
    rows = []
    for r in args.runs:
        configs = [base.replace(seed=777 + i) for i in range(r)]
        times: dict[str, list[float]] = {"solo, probes on": [], "solo, probes off": [], "batched": []}
        worst = 0.0
        for _ in range(args.rounds):
            seconds, alone = solo(configs, data, args.device, True)
            times["solo, probes on"].append(seconds)
            times["solo, probes off"].append(solo(configs, data, args.device, False)[0])
            seconds, together = batched(configs, data, args.device)
            times["batched"].append(seconds)
            worst = max(worst, max(abs(a - b) / max(1.0, abs(a)) for x, y in zip(alone, together, strict=True)
                                   for a, b in zip(x, y, strict=True)))
        median = {k: statistics.median(v) for k, v in times.items()}
        rows.append({"runs": r, **{k: round(v, 3) for k, v in median.items()},
                     "solo_off_over_batched": round(median["solo, probes off"] / median["batched"], 2),
                     "solo_on_over_batched": round(median["solo, probes on"] / median["batched"], 2),
                     "max_rel_loss_diff": worst})
    device = torch.cuda.get_device_name(0) if args.device == "cuda" else f"CPU, {args.threads} thread(s)"
    print(f"\n{device}; torch {torch.__version__}; lesson net, batch 100, {args.subset} images x {args.epochs} "
          f"epoch(s) per run; medians of {args.rounds} rounds ({'CPU' if args.device == 'cpu' else 'wall'} "
          "seconds)\n")
    print(f"{'runs':>4} {'solo, probes on':>16} {'solo, probes off':>17} {'batched':>9} {'off/batched':>12} "
          f"{'on/batched':>11} {'max loss diff':>14}")
    for row in rows:
        print(f"{row['runs']:>4} {row['solo, probes on']:>15.2f}s {row['solo, probes off']:>16.2f}s "
              f"{row['batched']:>8.2f}s {row['solo_off_over_batched']:>11.2f}x {row['solo_on_over_batched']:>10.2f}x "
              f"{row['max_rel_loss_diff']:>14.1e}")
    if args.json:
        Path(args.json).write_text(json.dumps({"device": device, "torch": torch.__version__, "subset": args.subset,
                                               "epochs": args.epochs, "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
