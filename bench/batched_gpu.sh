#!/usr/bin/env bash
# Issue 24 on a CUDA GPU, in one device-tool call of under 3 minutes (python3 with torch, as bench/gpu_run.sh):
#  1. does a CUDA run repeat its numbers exactly (what a replay promises: CUDA graphs on and off)?
#  2. does training same-shape runs as one batched model pay there (bench/batched.py, side by side)?
# Run from the repository root: bash bench/batched_gpu.sh   (results in $OUT, default /tmp/gpu_out)
set -u
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD
OUT=${OUT:-/tmp/gpu_out}; mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 | tee "$OUT/nvidia-smi.txt"
timeout 60 python3 - <<'PY' 2>&1 | tee "$OUT/cuda_repeat.log"
from lab.engine.config import PRESETS
from lab.engine.data import load_mnist
from lab.engine.train import Trainer
data, cfg = load_mnist(), PRESETS["lesson-nn"].replace(train_subset=10000, epochs=2, log_every=1, device="cuda")
for graphs in (True, False):
    a, b = (Trainer(cfg, data=data, use_graphs=graphs).run() for _ in range(2))
    la, lb = [s["loss"] for s in a.steps], [s["loss"] for s in b.steps]
    print(f"CUDA graphs {graphs}: two runs identical {la == lb and a.epochs[-1]['test_acc'] == b.epochs[-1]['test_acc']}"
          f", max |loss diff| {max(abs(x - y) for x, y in zip(la, lb)):.2e} over {len(la)} steps")
PY
timeout 150 python3 bench/batched.py --device cuda --runs 1 4 16 32 --subset 60000 --rounds 2 \
  --json "$OUT/batched_cuda.json" 2>&1 | tee "$OUT/batched_cuda.log"
