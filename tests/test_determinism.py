"""What a run's key promises, checked on each executor: the same key trains the same numbers, step by step.

The same config trained twice by the local worker processes, twice by the CLI (`python -m lab train`, its
own process) and twice by Ray tasks (two nodes, in a private network namespace, tests/ray_netns.py) gives
identical records apart from the clock; the key a run was queued with is the one it trained with; and
the CLI's run, with one torch thread like a worker's, has the worker's key and the worker's numbers, so
`--reuse` replays it. The thread count is in the key because it changes the numbers (measured below).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import torch

from lab.engine.config import RunConfig
from lab.engine.train import Trainer
from lab.runs.identity import key_for, run_key
from lab.runs.store import Store
from tests.conftest import ROOT
from tests.test_executors import ended, executor, store  # noqa: F401 - fixtures: local, and Ray in the netns
from tests.test_replay import untimed

pytest_plugins = ["tests.ray_netns"]

CONFIG = RunConfig(depth=2, width=64, epochs=2, train_subset=2000, batch_size=50, log_every=1, seed=31)


def train_twice(store: Store, executor) -> tuple[dict, dict, str]:  # noqa: F811 - the fixture's name
    """Two runs of CONFIG, trained one after the other by the executor (no replay): their records and key."""
    key = key_for(CONFIG, executor)
    records = []
    for _ in range(2):
        run = store.create_run(CONFIG, "det", executor=executor.name, key=key)
        executor.submit(run.id)
        done = ended(store, run.id, timeout=300)
        assert done.status == "finished" and done.run_key == key, done.message  # the key held when it trained
        records.append(store.record(run.id).to_dict())
    return records[0], records[1], key


def test_the_same_key_trains_the_same_numbers_on_each_executor(store, executor):  # noqa: F811
    first, second, key = train_twice(store, executor)
    assert len(first["steps"]) == 80 and untimed(first) == untimed(second)
    assert first["seconds"] != second["seconds"]  # really trained twice
    replay = store.create_run(CONFIG, "det2", executor=executor.name, key=key, reuse=True)
    assert replay.replay_of and store.record(replay.id).to_dict()["steps"] == first["steps"]


def cli(tmp_path, db: str, name: str, *extra: str) -> tuple[dict, str]:
    """`python -m lab train` of CONFIG with one torch thread (as a worker has): its --json record and stderr."""
    out = tmp_path / f"{name}.json"
    args = ["--depth", "2", "--width", "64", "--epochs", "2", "--train-subset", "2000", "--batch-size", "50",
            "--log-every", "1", "--seed", "31", "--quiet", "--db", db, "--json", str(out), *extra]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "lab", "train", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text()), done.stderr


def test_the_cli_trains_the_workers_numbers_and_reuse_replays_the_workers_run(tmp_path):
    from lab.runs.executor import LocalExecutor

    db = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    runs_db = Store(db)
    worker = LocalExecutor(runs_db, slots=1, threads_per_run=1)
    try:
        run = runs_db.create_run(CONFIG, "page", key=key_for(CONFIG, worker), reuse=True)
        assert ended(runs_db, run.id, timeout=300).status == "finished"
    finally:
        worker.close()
    by_worker = runs_db.record(run.id).to_dict()
    first, said = cli(tmp_path, db, "a")
    assert "exact result" not in said  # the CLI trains by default
    second, _ = cli(tmp_path, db, "b")
    fields = list(by_worker)  # the record's fields (the CLI's JSON adds the run's id, status, node, ...)
    first, second = ({k: d[k] for k in fields} for d in (first, second))
    assert untimed(first) == untimed(second) == untimed(by_worker) and len(first["steps"]) == 80
    assert len({first["seconds"], second["seconds"], by_worker["seconds"]}) == 3  # three trainings
    cli_runs = runs_db.list_runs(owner="cli")
    assert len(cli_runs) == 2 and {r.run_key for r in cli_runs} == {runs_db.get_run(run.id).run_key}
    replayed, said = cli(tmp_path, db, "c", "--reuse")
    assert "Same configuration and seed as run" in said and {k: replayed[k] for k in fields} == by_worker
    assert runs_db.get_run(replayed["id"]).replay_of == run.id  # the oldest run of that key: the worker's


def test_one_and_two_cpu_threads_give_different_numbers(mnist):
    # Why threads are in the key on the CPU: same config, same seed, one thread count repeats exactly,
    # another does not (from some step on: how a matrix product splits its sums).
    config = CONFIG.replace(epochs=1, width=256, device="cpu")
    before = torch.get_num_threads()
    losses = {}
    try:
        for threads in (1, 2, 1):
            torch.set_num_threads(threads)
            losses.setdefault(threads, []).append([s["loss"] for s in Trainer(config, data=mnist).run().steps])
    finally:
        torch.set_num_threads(before)
    assert losses[1][0] == losses[1][1] and losses[1][0] != losses[2][0]
    assert run_key(config, "cpu", 1) != run_key(config, "cpu", 2)
