#!/usr/bin/env bash
# The whole GPU session in one script (device tool): checks, then the benchmark.
set -u
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD
OUT=${OUT:-/tmp/gpu_out}; mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 | tee "$OUT/nvidia-smi.txt"
python3 -c "import torch, torchvision; print(torch.__version__, torchvision.__version__)"
timeout 300 python3 bench/cuda_check.py 2>&1 | tee "$OUT/cuda_check.log"
timeout 240 python3 -m lab bench --device cuda --epochs 3 --reference-epochs 2 --json "$OUT/bench_cuda.json" 2>&1 | tee "$OUT/bench_cuda.log"
/usr/bin/time -v timeout 120 python3 -m lab train --preset lesson-nn --device cuda --quiet 2>&1 | tail -25 | tee "$OUT/lesson_nn_cuda.log"
