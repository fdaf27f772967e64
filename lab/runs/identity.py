"""A run's identity: the key of everything that determines its result, so an identical run trains once.

The key hashes the whole RunConfig (seed included) with its device resolved to the kind it trains
on, the engine's code (a hash of every lab/engine source file: any change to the engine is a new
engine, with no version constant to forget), torch's version and, on the CPU, the number of torch
threads: measured here (bench/RESULTS.md, issue 24), 1 and 2 threads give losses that differ from
about the 20th step on, while one thread count repeats exactly. On CUDA the thread count does not
enter the arithmetic (the batch order is drawn on the CPU by a seeded generator).
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from lab.engine.config import RunConfig

ENGINE_DIR = Path(__file__).resolve().parents[1] / "engine"


def engine_hash(folder: Path = ENGINE_DIR) -> str:
    """SHA-256 of the engine's source files (names and bytes, in name order): the engine's version."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


# Read when this process loads the engine, not later: code changed on disk under a running server is not
# the code it runs.
_ENGINE = engine_hash()


def this_engine() -> str:
    """The engine_hash() of the engine this process runs."""
    return _ENGINE


@functools.cache
def torch_version() -> str:
    """torch.__version__ (with its build, e.g. 2.14.1+cpu), imported only when a key is asked for."""
    import torch

    return torch.__version__


def device_kind(config: RunConfig, cuda: bool) -> str:
    """The device a run trains on, as the Trainer resolves it: cuda if asked (or auto) and present, else cpu."""
    return "cuda" if config.device in ("auto", "cuda") and cuda else "cpu"


def run_key(config: RunConfig, device: str, threads: int, engine: str | None = None,
            torch: str | None = None) -> str:
    """The key of a run: 32 hex digits of SHA-256 over everything that determines its result."""
    fields = config.to_dict()
    fields["device"] = device
    fields["lr"] = config.effective_lr  # None means the optimizer's default: the same run as that value
    identity = {"config": fields, "engine": engine or this_engine(), "torch": torch or torch_version(),
                "threads": threads if device == "cpu" else None}
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:32]


def local_trains_on(config: RunConfig, threads: int) -> tuple[str, int]:
    """(device kind, torch threads) of a run trained by a process on this host with this many threads."""
    import torch

    return device_kind(config, torch.cuda.is_available()), threads


def key_for(config: RunConfig, executor) -> str:
    """The key a run of config gets when this executor (lab.runs.execute.Executor) trains it."""
    device, threads = executor.trains_on(config)
    return run_key(config, device, threads)
