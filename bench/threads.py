"""Torch threads and OpenMP wait policies for one run, beside other work on the same cores (not in pytest).

Why the app gives a run half the cores (lab/runs/budget.py threads_per_run). Each cell: the lesson
preset trained by a bare Trainer in a fresh process, the median of its epochs 2..E, with
- a thread policy: 1 thread; 2 threads (libgomp's default wait, spinning 300,000 times before
  sleeping); 2 threads with OMP_WAIT_POLICY=PASSIVE (sleep at once); 2 threads with
  GOMP_SPINCOUNT=10000;
- beside a competitor: nothing; a process busy 30% of a core (what the Streamlit server may use
  while a run trains, bench/user_path.py); a process busy a whole core (a page load, a browser,
  another run).
Cells are interleaved round by round; every round's figures are printed, then the medians.

    python bench/threads.py [--epochs 3] [--rounds 2] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POLICIES = {"1 thread": (1, {}), "2 threads": (2, {}), "2, passive": (2, {"OMP_WAIT_POLICY": "PASSIVE"}),
            "2, spin 1e4": (2, {"GOMP_SPINCOUNT": "10000"})}
COMPETITORS = {"alone": 0.0, "0.3 core busy": 0.3, "1 core busy": 1.0}
BUSY = ("import time, sys\nduty = float(sys.argv[1])\nwhile True:\n    t = time.perf_counter()\n"
        "    while time.perf_counter() - t < 0.01 * duty: pass\n    time.sleep(0.01 * (1 - duty))\n")


def epochs_of(threads: int, env: dict[str, str], epochs: int) -> list[float]:
    """The lesson preset's epoch seconds, trained by a Trainer in a fresh process."""
    code = (f"import json, sys, torch; sys.path.insert(0, {str(ROOT)!r}); torch.set_num_threads({threads}); "
            f"from bench.epochs import trainer_epochs; print(json.dumps(trainer_epochs({epochs})))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, **env})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    """Every policy beside every competitor, interleaved; medians of epochs 2..E."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json")
    args = parser.parse_args()
    cells: dict[str, dict[str, list[float]]] = {c: {p: [] for p in POLICIES} for c in COMPETITORS}
    print(f"lesson preset, s/epoch (median of epochs 2-{args.epochs}), {os.cpu_count()} cores", flush=True)
    for round_ in range(1, args.rounds + 1):
        for competitor, duty in COMPETITORS.items():
            busy = subprocess.Popen([sys.executable, "-c", BUSY, str(duty)]) if duty else None
            try:
                for policy, (threads, env) in POLICIES.items():
                    seconds = epochs_of(threads, env, args.epochs)[1:]
                    cells[competitor][policy] += seconds
                    print(f"round {round_}, {competitor:14} {policy:12} " + " ".join(f"{s:.2f}" for s in seconds),
                          flush=True)
            finally:
                if busy:
                    busy.kill()
                    busy.wait()
    print(f"\n{'median s/epoch':16}" + "".join(f"{p:>14}" for p in POLICIES))
    for competitor, row in cells.items():
        print(f"{competitor:16}" + "".join(f"{statistics.median(v):14.2f}" for v in row.values()))
    if args.json:
        Path(args.json).write_text(json.dumps({"date": time.strftime("%Y-%m-%d %H:%M"), "epochs": cells}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
