"""A run's key (lab/runs/identity.py): it differs when anything that decides the result differs, and only then.

Also the store's schema 2 migration: a store written by schema 1 (tests/schema_v1.py, the old table
definitions) is upgraded in place with its runs intact, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time

import pytest
import torch
from sqlalchemy import create_engine, insert, inspect, select

from lab.engine.config import RunConfig
from lab.runs import schema as S
from lab.runs.identity import ENGINE_DIR, engine_hash, run_key, this_engine
from lab.runs.store import Store
from tests import schema_v1

BASE = RunConfig()
# Another allowed value of every RunConfig field.
OTHER = {"activation": "sigmoid", "leaky_slope": 0.2, "optimizer": "sgd", "lr": 0.5, "opt_params": {"beta1": 0.8},
         "depth": 3, "width": 64, "init": "xavier", "batch_size": 50, "epochs": 2, "device": "cuda", "seed": 778,
         "log_every": 5, "probe_every": 50, "train_subset": 1000, "augment": True}


def key(config: RunConfig = BASE, device: str = "cpu", threads: int = 1, **kw) -> str:
    """run_key with this process's engine and torch unless given."""
    return run_key(config, device, threads, **kw)


def test_every_field_engine_torch_device_and_cpu_threads_change_the_key():
    assert {f.name for f in dataclasses.fields(RunConfig)} - {"device"} <= set(OTHER)
    base = key()
    assert len(base) == 32 and key() == base  # the same inputs give the same key, in any process
    for name, value in OTHER.items():
        if name == "device":
            continue  # the device enters as the kind it trains on (below), not as asked
        changed = BASE.replace(**{name: value}) if name != "opt_params" else BASE.replace(opt_params=value)
        assert key(changed) != base, name
    assert key(device="cuda") != base
    assert key(threads=2) != base  # measured: 1 and 2 CPU threads give different losses
    assert key(device="cuda", threads=1) == key(device="cuda", threads=4)  # not on CUDA
    assert key(engine="0" * 64) != base and key(torch="2.0.0+cpu") != base
    assert key(engine=this_engine(), torch=torch.__version__) == base
    # "auto" and "cpu" train the same run on a machine without CUDA: one key for what it trains on.
    assert key(BASE.replace(device="auto")) == key(BASE.replace(device="cpu"))
    # No lr means the optimizer's default: the same run as that lr given.
    assert key(BASE.replace(lr=None)) == key(BASE.replace(lr=BASE.effective_lr))


def test_the_engine_hash_covers_every_engine_source_file(tmp_path):
    copy = tmp_path / "engine"
    shutil.copytree(ENGINE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert engine_hash(copy) == engine_hash() == this_engine()
    for path in sorted(copy.glob("*.py")):
        original = path.read_bytes()
        path.write_bytes(original + b"\n# changed\n")
        assert engine_hash(copy) != this_engine(), path.name
        path.write_bytes(original)
    (copy / "new_part.py").write_text("X = 1\n")
    assert engine_hash(copy) != this_engine()


def v1_store(url: str) -> None:
    """A store as schema 1 left it: its tables, meta rows, a finished run with events and weights."""
    engine = create_engine(url)
    schema_v1.metadata.create_all(engine)
    run = {"id": "r" * 22, "owner": "alice", "number": 1, "config": BASE.replace(epochs=1).to_json(),
           "executor": "local", "status": "finished", "stop_requested": False, "created": time.time() - 60,
           "started": time.time() - 50, "ended": time.time() - 10, "step": 600, "total_steps": 600,
           "test_acc": 0.97, "seconds": 40.0, "message": "Finished 1 epochs.", "last_seq": 2}
    with engine.begin() as conn:
        conn.execute(insert(schema_v1.meta), [{"key": "app", "value": "relulab"},
                                              {"key": "schema_version", "value": "1"}])
        conn.execute(insert(schema_v1.runs).values(**run))
        conn.execute(insert(schema_v1.events), [
            {"run_id": run["id"], "seq": 1, "kind": "StepsLogged",
             "payload": json.dumps({"steps": [1], "losses": [2.3], "grad_norms": [[1.0, 2.0]]})},
            {"run_id": run["id"], "seq": 2, "kind": "RunEnded", "payload": json.dumps(
                {"status": "finished", "message": "Finished 1 epochs.", "step": 600, "loss": 0.1, "seconds": 40.0})}])
        conn.execute(insert(schema_v1.weights).values(run_id=run["id"], kind="final", step=600, blob=b"x",
                                                      updated=time.time()))
    engine.dispose()


def test_a_schema_1_store_is_upgraded_in_place_with_its_runs_intact(store_url):
    v1_store(store_url)
    store = Store(store_url)  # what a server upgraded to schema 2 does on start
    with store.tx() as conn:
        assert dict(conn.execute(select(S.meta.c.key, S.meta.c.value)).all()) == {
            "app": "relulab", "schema_version": str(S.SCHEMA_VERSION)}
        columns = {c["name"] for c in inspect(conn).get_columns("relulab_runs")}
        indexes = {i["name"] for i in inspect(conn).get_indexes("relulab_runs")}
    assert {"run_key", "replay_of"} <= columns and {"ix_relulab_runs_run_key", "ix_relulab_runs_replay_of"} <= indexes
    old = store.get_run("r" * 22)
    assert (old.owner, old.status, old.test_acc, old.run_key, old.replay_of) == ("alice", "finished", 0.97, None, None)
    record = store.record(old.id)
    assert record.steps == [{"step": 1, "loss": 2.3, "grad_norms": [1.0, 2.0]}] and record.status == "finished"
    with store.tx() as conn:
        assert conn.execute(select(S.weights.c.blob)).scalar_one() == b"x"
    fresh = store.create_run(BASE, "bob", key=key(), reuse=True)  # the new columns in use
    assert fresh.run_key == key() and fresh.replay_of is None and fresh.status == "queued"
    assert Store(store_url).get_run(fresh.id).run_key == key()  # a second start finds schema 2: nothing to do
    assert S.MIGRATIONS.keys() == set(range(1, S.SCHEMA_VERSION))


def test_a_store_from_a_newer_schema_is_still_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    Store(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(S.meta.update().where(S.meta.c.key == "schema_version").values(value=str(S.SCHEMA_VERSION + 1)))
    with pytest.raises(S.StoreError, match="newer ReLU Lab"):
        Store(url)
