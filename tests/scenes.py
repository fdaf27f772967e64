"""Runs and classes written into a store as trainers and students write them, for the browser tests and
scripts/screenshots.py: a page can then be looked at mid-run without waiting for (or paying for) training.

Every event goes through Store.append_events, as the store's writer sends a trainer's events; the
running run is claimed by this process, so a server's recovery sees its trainer alive.
"""

from __future__ import annotations

import math
import random

from lab.classroom import classes as C
from lab.engine.config import RunConfig
from lab.engine.events import ActivationsProbed, EpochEnded, RunEnded, RunStarted, StepsLogged
from lab.runs.store import Store, StoredRun

# A browser's owner token and a teacher key, set as cookies in the test's browser contexts.
OWNER = "owner-room-test-0001"
STEPS_PER_EPOCH = 600
VANISHING = RunConfig(activation="sigmoid", depth=6, width=128, optimizer="sgd", lr=0.1, epochs=3, seed=777)
LEARNING = VANISHING.replace(activation="relu")


def layer_names(config: RunConfig) -> tuple[list[str], list[str]]:
    """The trainer's layer names (fc1..fcN, out) and hidden layers (fc1..fcN)."""
    hidden = [f"fc{i + 1}" for i in range(config.depth)]
    return hidden + ["out"], hidden


def write_run(store: Store, config: RunConfig, owner: str, upto: int, end: str | None = None,
              seed: int = 0, **run_args) -> StoredRun:
    """A run claimed by this process that has logged steps 1..upto (every 10th), with its epochs and
    probes; ended with status `end` (finished, stopped, diverged) or left training when end is None."""
    rng = random.Random(seed)
    run = store.create_run(config, owner, **run_args)
    store.claim(run_id=run.id)
    layers, hidden = layer_names(config)
    total = STEPS_PER_EPOCH * config.epochs
    store.append_events(run.id, [RunStarted(config.to_dict(), "cpu", "", layers, hidden, STEPS_PER_EPOCH, total)])
    stalls = config.activation == "sigmoid" and config.depth >= 4
    loss, acc = 2.31, 0.1
    for block in range(1, upto + 1, 50):
        steps = list(range(block, min(block + 50, upto + 1), 10))
        losses, grads = [], []
        for step in steps:
            loss = loss * (0.9998 if stalls else 0.992) + rng.uniform(-0.01, 0.01)
            if end == "diverged" and step >= upto - 20:
                loss = math.nan
            losses.append(loss)
            # Gradient norms from the input layer to the output: sigmoid's shrink ~6x a layer.
            grads.append([(0.18 if stalls else 0.9) ** (len(layers) - 1 - i) * 0.4 * (1 + 0.1 * rng.random())
                          for i in range(len(layers))])
        batch: list = [StepsLogged(steps, losses, grads)]
        if (block - 1) % 100 == 0:
            dead = [0.0] * len(hidden) if config.activation != "relu" else [0.02 + 0.04 * i for i in range(len(hidden))]
            batch.append(ActivationsProbed(block, [0.85 if stalls else 0.05] * len(hidden), dead))
        for epoch in range(1, config.epochs + 1):
            if block <= epoch * STEPS_PER_EPOCH < block + 50 and epoch * STEPS_PER_EPOCH <= upto:
                acc = 0.1135 if stalls else min(0.97, 0.88 + 0.03 * epoch)
                batch.append(EpochEnded(epoch, loss, acc, acc, 20.0))
        store.append_events(run.id, batch)
    if end is not None:
        store.finish(run.id, RunEnded(end, f"{end} (scene)", upto, losses[-1] if upto else None, 60.0))
    return store.get_run(run.id)


def a_class(store: Store, students: int = 6, name: str = "7B physics") -> tuple[C.ClassRow, str, list[str]]:
    """An open class with students (owners 'student-NN'), each with a finished run and some training."""
    klass, key = C.create_class(store, name, max_students=200, max_runs=100)
    owners = []
    acts = ("sigmoid", "relu", "tanh", "leaky_relu", "gelu", "silu")
    for i in range(students):
        owner = f"student-room-{i:04d}"
        nickname = ["Ada", "Bo", "김철수", "Dana", "Eun", "Farid"][i % 6] + str(i // 6 or "")
        member = C.join(store, klass.code, owner, nickname)
        owners.append(owner)
        config = VANISHING.replace(activation=acts[i % len(acts)], depth=(6, 4, 2)[i % 3], epochs=1)
        write_run(store, config, owner, STEPS_PER_EPOCH, end="finished", seed=i, **member.run_args())
        if i % 2 == 0:
            write_run(store, config.replace(optimizer="adam", lr=None), owner, 300, seed=100 + i, **member.run_args())
    return klass, key, owners
