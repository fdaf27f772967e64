"""A real two-node Ray cluster on 127.0.0.1 (in a private network namespace, tests/ray_netns.py).

Runs land on both nodes and the store says which; a stop ends each within a second; a node
killed mid-run fails only the run it was training, with a message that says so.
"""

from __future__ import annotations

import time

import pytest

from lab.engine.config import RunConfig
from lab.runs.store import Store
from tests.conftest import wait_until
from tests.test_executors import stop_and_time

pytest_plugins = ["tests.ray_netns"]
pytestmark = pytest.mark.netns

LONG = RunConfig(depth=2, width=256, epochs=50)  # far longer than any test waits: always stopped


@pytest.fixture
def executor(ray_executor):
    """The session's Ray executor on the two-node cluster (None outside the namespace)."""
    return ray_executor


@pytest.fixture
def store(ray_executor):
    """Its store."""
    return ray_executor.store if ray_executor is not None else None


def two_training_runs(store: Store, executor) -> list:
    """Queue two long runs (one CPU each; each node has one) and wait until both train."""
    ids = [store.create_run(LONG, owner="test", executor="ray").id for _ in range(2)]
    for run_id in ids:
        executor.submit(run_id)
    return wait_until(lambda: all(store.get_run(i).step > 0 for i in ids) and [store.get_run(i) for i in ids],
                    timeout=240)  # on a busy 2-core box a fresh Ray worker takes minutes


def test_runs_land_on_both_nodes_and_stop_within_a_second(store, executor, ray_cluster):
    runs = two_training_runs(store, executor)
    nodes = [r.node for r in runs]
    assert len(set(nodes)) == 2, nodes
    assert {n.rsplit("/", 1)[1] for n in nodes} == {i[:12] for i in ray_cluster.node_ids}
    for run in runs:
        seconds = stop_and_time(store, executor, run.id)
        assert seconds < 1.0, f"stopped after {seconds:.2f} s"
        assert store.get_run(run.id).node == run.node  # where it trained stays on record


def test_losing_a_node_fails_only_the_run_it_was_training(store, executor, ray_cluster):
    runs = two_training_runs(store, executor)
    lost_id = ray_cluster.worker.node_id[:12]
    (victim,) = [r for r in runs if r.node.endswith("/" + lost_id)]
    (survivor,) = [r for r in runs if r is not victim]
    killed = time.monotonic()
    ray_cluster.cluster.remove_node(ray_cluster.worker, allow_graceful=False)  # SIGKILL its raylet and workers
    failed = wait_until(lambda: (r := store.get_run(victim.id)).status != "running" and r, timeout=60)
    noticed = time.monotonic() - killed
    assert failed.status == "failed", failed.message
    assert "the Ray node training it was lost" in failed.message and lost_id in failed.message, failed.message
    wait_until(lambda: store.record(victim.id).status == "failed", timeout=10)  # its end event follows the row
    step = store.get_run(survivor.id).step
    wait_until(lambda: store.get_run(survivor.id).step > step, timeout=30)  # the other node's run goes on
    assert store.get_run(survivor.id).status == "running"
    stop_and_time(store, executor, survivor.id)
    ray_cluster.worker = ray_cluster.add_node()  # two nodes again for whatever runs next
    print(f"node loss noticed after {noticed:.1f} s")
