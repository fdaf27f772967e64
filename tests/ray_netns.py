"""Pytest plugin: tests marked `netns` run inside a private network namespace, with a real Ray cluster.

Ray replaces a 127.0.0.1 it is given by the host's address, so a cluster bound to loopback
only exists in a network namespace whose one interface is lo. A plain `pytest` (what CI runs)
therefore re-runs the selected netns tests once, under `unshare -n` (`unshare -rn` when not
root), and each outer test reports its own inner outcome: pass, or fail with the inner
failure's text. A netns test that did not run inside counts as failed, never skipped.
Modules opt in with `pytest_plugins = ["tests.ray_netns"]`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INSIDE = os.environ.get("RELULAB_IN_NETNS") == "1"
REPORT_ENV = "RELULAB_NETNS_REPORT"
_results: dict[str, dict] = {}
_ran: list[str] = []  # the inner run's output, for failures that have no result of their own


def pytest_configure(config) -> None:
    """Register the marker."""
    config.addinivalue_line("markers", "netns: runs inside a private network namespace (Ray on 127.0.0.1)")


def pytest_runtest_logreport(report) -> None:
    """Inside: write each phase's outcome for the outer run to read."""
    path = os.environ.get(REPORT_ENV)
    if not INSIDE or not path:
        return
    if report.when == "call" or report.outcome != "passed":
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"nodeid": report.nodeid, "when": report.when, "outcome": report.outcome,
                                 "text": str(report.longrepr or "")[-6000:]}) + "\n")


def _namespace_command() -> list[str]:
    """unshare -n as root, else unshare -rn (a user namespace maps us to root in it)."""
    unshare, ip = shutil.which("unshare"), shutil.which("ip") or "/usr/sbin/ip"
    if not unshare or not Path(ip).exists():
        raise RuntimeError("netns tests need `unshare` (util-linux) and `ip` (iproute2): apt-get install iproute2")
    return [unshare, "-n" if os.geteuid() == 0 else "-rn", "sh", "-c", f'{ip} link set lo up && exec "$@"', "sh"]


def _run_inside(session) -> None:
    """Run every selected netns test once inside a private namespace and keep each one's outcome."""
    ids = [item.nodeid for item in session.items if item.get_closest_marker("netns")]
    with tempfile.TemporaryDirectory(prefix="relulab-netns-") as tmp:
        report = Path(tmp) / "report.jsonl"
        env = {**os.environ, "RELULAB_IN_NETNS": "1", REPORT_ENV: str(report), "PYTHONPATH": str(ROOT)}
        started = time.monotonic()
        proc = subprocess.run([*_namespace_command(), sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               "-p", "tests.ray_netns", *ids], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=540)
        _ran.append(f"(inner run: exit {proc.returncode} after {time.monotonic() - started:.0f} s)\n"
                    + (proc.stdout + proc.stderr)[-4000:])
        if report.exists():
            for line in report.read_text(encoding="utf-8").splitlines():
                row = json.loads(line)
                prev = _results.get(row["nodeid"])
                if prev is None or prev["outcome"] == "passed":
                    _results[row["nodeid"]] = row


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Outside: a netns test's outcome is the one it had inside the namespace."""
    if INSIDE or pyfuncitem.get_closest_marker("netns") is None:
        return None
    if not _ran:
        try:
            _run_inside(pyfuncitem.session)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            _ran.append(f"could not run in a private network namespace: {exc}")
    row = _results.get(pyfuncitem.nodeid)
    if row is None:
        pytest.fail(f"no result from the private network namespace for this test\n{_ran[0]}", pytrace=False)
    if row["outcome"] != "passed":
        pytest.fail(f"inside the private network namespace ({row['when']}: {row['outcome']}):\n{row['text']}",
                    pytrace=False)
    return True


class RayCluster:
    """A two-node Ray cluster on 127.0.0.1 (ray.cluster_utils.Cluster), one CPU per node."""

    def __init__(self, tmp: Path):
        from ray.cluster_utils import Cluster

        os.environ["RAY_TMPDIR"] = str(tmp)  # sessions, logs and sockets in the test's temp folder
        os.environ["PYTHONPATH"] = str(ROOT)  # worker processes import lab
        # Node death noticed within about a second, not Ray's default of ~15 s.
        system = {"health_check_period_ms": 300, "health_check_failure_threshold": 3,
                  "health_check_initial_delay_ms": 0}
        self.cluster = Cluster(initialize_head=True, head_node_args={
            "num_cpus": 1, "include_dashboard": False, "node_ip_address": "127.0.0.1", "_system_config": system})
        self.worker = self.add_node()
        self.address = self.cluster.address

    def add_node(self):
        """Add a one-CPU worker node and wait for it to join."""
        node = self.cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1")
        self.cluster.wait_for_nodes()
        return node

    @property
    def node_ids(self) -> list[str]:
        """The live nodes' ids."""
        return [n.node_id for n in self.cluster.list_all_nodes()]

    def shutdown(self) -> None:
        """Stop every Ray process of this cluster."""
        import ray

        ray.shutdown()
        self.cluster.shutdown()


@pytest.fixture(scope="session")
def ray_executor(ray_cluster, tmp_path_factory):
    """One RayExecutor (one Ray job, so its workers stay warm) on a SQLite store, for every Ray test."""
    if ray_cluster is None:
        yield None
        return
    from lab.runs.ray_executor import RayExecutor
    from lab.runs.store import Store

    executor = RayExecutor(Store(f"sqlite:///{tmp_path_factory.mktemp('ray-store') / 'runs.sqlite3'}"),
                           ray_cluster.address)
    yield executor
    executor.close()


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory):
    """Inside the namespace: a started two-node cluster (stopped at the end); outside: None (nothing runs)."""
    if not INSIDE:
        yield None
        return
    tmp = Path(tempfile.mkdtemp(prefix="rl-ray-", dir="/tmp"))  # short: Ray's socket paths live under it
    cluster = RayCluster(tmp)
    try:
        yield cluster
    finally:
        cluster.shutdown()
        deadline = time.monotonic() + 10
        while _leftovers(tmp) and time.monotonic() < deadline:  # workers exit a moment after their raylet
            time.sleep(0.2)
        for pid in _leftovers(tmp):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(tmp, ignore_errors=True)


def _leftovers(tmp: Path) -> list[int]:
    """Pids of processes still running from this cluster's folder (ours only: never a machine-wide `ray stop`)."""
    left = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (proc / "stat").read_text().split(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if str(tmp) in cmdline and state != "Z":
            left.append(int(proc.name))
    return left
