"""Install size and time: today's PyPI torch (CUDA build on Linux) against the Cloud-shaped CPU-only install.

Usage: python bench/install.py [--cpu-wheel PATH] [--keep]

Makes two fresh virtual environments side by side in one run, with this machine's pip setup:
  local   `pip install -r requirements/local.txt` (what scripts/start.sh installs: PyPI's torch)
  cloud   requirements/app.txt, a CPU-only torch wheel given as a file (--cpu-wheel; this machine
          cannot reach PyTorch's CPU pages, so the newest +cpu wheel on disk stands in for
          torch==2.14.1+cpu) and torchvision==0.29.1 without its dependencies
and prints wall seconds, site-packages size and the share of torch, nvidia, triton and cuda.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "nvidia", "triton", "cuda")


def du(path: Path) -> int:
    """Bytes under path (files only, links not followed)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def install(steps: list[list[str]]) -> tuple[float, dict[str, int]]:
    """A fresh venv, the pip steps timed; returns (seconds, MB by top-level folder group)."""
    folder = Path(tempfile.mkdtemp(prefix="relulab-install-"))
    try:
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
        pip = [str(folder / "bin" / "python"), "-m", "pip", "install", "-q", "--no-cache-dir"]
        start = time.perf_counter()
        for step in steps:
            subprocess.run([*pip, *step], cwd=ROOT, check=True)
        seconds = time.perf_counter() - start
        site = next((folder / "lib").glob("python3*/site-packages"))
        sizes = {"total": du(site)}
        for group in HEAVY:
            sizes[group] = sum(du(p) for p in site.glob(f"{group}*") if p.is_dir())
        return seconds, sizes
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    """Both installs, one after the other, then a side-by-side table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--cpu-wheel", type=Path, default=max(Path("/opt/wheels").glob("torch-*+cpu-*.whl"),
                                                                  default=None))
    args = parser.parse_args()
    if args.cpu_wheel is None:
        sys.exit("no CPU-only torch wheel on disk: pass --cpu-wheel PATH")
    variants = {
        "local (PyPI torch)": [["-r", "requirements/local.txt"]],
        f"cloud ({args.cpu_wheel.name.split('-')[1]})": [
            ["-r", "requirements/app.txt", str(args.cpu_wheel)], ["--no-deps", "torchvision==0.29.1"]],
    }
    rows = {}
    for name, steps in variants.items():
        rows[name] = install(steps)
        seconds, sizes = rows[name]
        print(f"{name}: {seconds:.0f} s, " + ", ".join(f"{k} {v / 1e6:.0f} MB" for k, v in sizes.items()),
              flush=True)
    (a_s, a), (b_s, b) = rows.values()
    print(f"\ncloud / local: time {b_s / a_s:.2f}, size {b['total'] / a['total']:.2f} "
          f"({time.strftime('%Y-%m-%d')}, wheel {args.cpu_wheel.stat().st_size / 1e6:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
