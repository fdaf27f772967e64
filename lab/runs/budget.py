"""The run budget: how many runs this server may train at once, from the container's real limits.

A container's CPU is usually limited by a quota (cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us`)
and its memory by `memory.max` / `memory.limit_in_bytes`; `os.sched_getaffinity` still shows the
host's cores there, so counting cores alone starts more workers than the memory limit holds.
Run slots are what both the CPU and the memory allow, at least one; $RELULAB_MAX_RUNS overrides
(and $RELULAB_THREADS_PER_RUN the torch threads each run gets).
`python -m lab.runs.budget` prints the line the server logs at start.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass
from pathlib import Path

# Measured resident memory (bench/RESULTS.md, issue 15): a worker process with torch, MNIST and a
# model training is about 0.8 GB; the Streamlit server with the lab imported about 0.7 GB.
WORKER_BYTES = 800 * 1000**2
SERVER_BYTES = 700 * 1000**2
# cgroup v1 writes "no limit" as a page-rounded 2**63 - 1; anything this large is no limit.
_UNLIMITED = 1 << 60


@dataclass(frozen=True)
class Limits:
    """What this process may use: CPU cores (a quota may be fractional) and memory bytes."""

    cpus: float
    memory_bytes: int
    cpu_source: str  # where cpus came from, for the log line
    memory_source: str


def _read(path: Path) -> str | None:
    """A cgroup file's stripped text, or None if it is missing or unreadable."""
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _memberships(proc_self_cgroup: Path) -> dict[str, str]:
    """Controller -> cgroup path from /proc/self/cgroup; the v2 line is under the key ""."""
    text = _read(proc_self_cgroup) or ""
    paths: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split(":", 2)  # "hierarchy-id:controller,list:/path"
        if len(parts) == 3:
            for controller in parts[1].split(","):
                paths[controller] = parts[2]
    return paths


def _chain(mount: Path, cgroup_path: str | None) -> list[Path]:
    """The process's cgroup directory under mount and its ancestors up to the mount itself."""
    # Inside a cgroup namespace the own cgroup is mounted at the root and the path may not exist.
    here = mount / (cgroup_path or "/").lstrip("/")
    if not here.is_dir():
        return [mount]
    chain = [here]
    while chain[-1] != mount and mount in chain[-1].parents:
        chain.append(chain[-1].parent)
    return chain


def _v1_mount(root: Path, controller: str) -> Path | None:
    """The v1 hierarchy holding controller: root/memory, root/cpu,cpuacct or root/cpu."""
    try:
        for mount in sorted(root.iterdir()):
            if controller in mount.name.split(",") and mount.is_dir():
                return mount
    except OSError:
        pass
    return None


def _v2_mounts(root: Path) -> list[Path]:
    """The unified (v2) hierarchy: root itself (pure v2) or root/unified (hybrid)."""
    return [m for m in (root, root / "unified") if (m / "cgroup.controllers").is_file()]


def _quota_cores(root: Path, paths: dict[str, str]) -> tuple[float, str] | None:
    """The smallest CPU quota in cores along this process's cgroups (v2 and v1) and its file."""
    quotas: list[tuple[float, str]] = []
    for mount in _v2_mounts(root):
        for d in _chain(mount, paths.get("")):
            fields = (_read(d / "cpu.max") or "max").split()  # "max 100000" or "150000 100000"
            if fields[0] != "max" and len(fields) == 2 and int(fields[1]) > 0:
                quotas.append((int(fields[0]) / int(fields[1]), "cgroup v2 cpu.max"))
    mount = _v1_mount(root, "cpu")
    if mount is not None:
        for d in _chain(mount, paths.get("cpu")):
            quota, period = _read(d / "cpu.cfs_quota_us"), _read(d / "cpu.cfs_period_us")
            if quota and period and int(quota) > 0 and int(period) > 0:  # -1 is no quota
                quotas.append((int(quota) / int(period), "cgroup v1 cpu.cfs_quota_us"))
    return min(quotas) if quotas else None


def _memory_limit(root: Path, paths: dict[str, str]) -> tuple[int, str] | None:
    """The smallest memory limit in bytes along this process's cgroups (v2 and v1) and its file."""
    limits: list[tuple[int, str]] = []
    for mount in _v2_mounts(root):
        for d in _chain(mount, paths.get("")):
            value = _read(d / "memory.max")
            if value and value != "max":
                limits.append((int(value), "cgroup v2 memory.max"))
    mount = _v1_mount(root, "memory")
    if mount is not None:
        for d in _chain(mount, paths.get("memory")):
            value = _read(d / "memory.limit_in_bytes")
            if value and int(value) < _UNLIMITED:
                limits.append((int(value), "cgroup v1 memory.limit_in_bytes"))
    return min(limits) if limits else None


def host_cpus() -> int:
    """CPU cores this process may be scheduled on (its affinity; all cores off Linux)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def host_memory() -> int:
    """The machine's total RAM in bytes."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def read_limits(root: Path = Path("/sys/fs/cgroup"), proc_self_cgroup: Path = Path("/proc/self/cgroup"),
                cpus: int | None = None, memory_bytes: int | None = None) -> Limits:
    """This process's CPU and memory limits: cgroup v2/v1 figures where set, else the host's."""
    paths = _memberships(proc_self_cgroup)
    cpus = host_cpus() if cpus is None else cpus
    memory_bytes = host_memory() if memory_bytes is None else memory_bytes
    quota, limit = _quota_cores(root, paths), _memory_limit(root, paths)
    cpu = quota if quota is not None and quota[0] < cpus else (float(cpus), "cpu affinity")
    mem = limit if limit is not None and limit[0] < memory_bytes else (memory_bytes, "host RAM")
    return Limits(cpus=cpu[0], memory_bytes=mem[0], cpu_source=cpu[1], memory_source=mem[1])


def cpu_slots(limits: Limits) -> int:
    """Runs the CPU allows: half the cores (the rest serve the app), at least one."""
    return max(1, int(limits.cpus) // 2)


def memory_slots(limits: Limits, per_slot_bytes: int = WORKER_BYTES, server_bytes: int = SERVER_BYTES) -> int:
    """Runs the memory allows besides the server, at least one."""
    return max(1, (limits.memory_bytes - server_bytes) // per_slot_bytes)


def env_override(env: dict[str, str] | None = None, name: str = "RELULAB_MAX_RUNS") -> int | None:
    """$RELULAB_MAX_RUNS (or another variable) as a positive int, else None."""
    value = (os.environ if env is None else env).get(name, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def run_slots(limits: Limits, per_slot_bytes: int = WORKER_BYTES, server_bytes: int = SERVER_BYTES,
              env: dict[str, str] | None = None) -> int:
    """Runs that may train at once: $RELULAB_MAX_RUNS, else what both CPU and memory allow (>= 1)."""
    override = env_override(env)
    if override is not None:
        return override
    return min(cpu_slots(limits), memory_slots(limits, per_slot_bytes, server_bytes))


def threads_per_run(limits: Limits, slots: int, env: dict[str, str] | None = None) -> int:
    """Torch threads per run: $RELULAB_THREADS_PER_RUN, else all runs together use half the cores (>= 1).

    Half, so one thread for the one run of a 2-core server: OpenMP threads wait for each other at
    every parallel region, and any other busy process (the server's page reruns, a browser, another
    run) leaves one of them waiting. Measured with the file watcher off (issue 21, bench/threads.py):
    a 2-thread run is faster on an idle machine but several times slower beside one busy process,
    whatever OMP_WAIT_POLICY or GOMP_SPINCOUNT; a 1-thread run keeps its pace.
    """
    override = env_override(env, "RELULAB_THREADS_PER_RUN")
    return override or max(1, int(limits.cpus) // 2 // max(1, slots))


def describe(limits: Limits, slots: int, env: dict[str, str] | None = None) -> str:
    """One log line: the slots and why (CPU, memory, override)."""
    how = ("set by RELULAB_MAX_RUNS" if env_override(env) is not None
           else f"cpu allows {cpu_slots(limits)}, memory allows {memory_slots(limits)}")
    return (f"ReLU Lab run budget: {slots} run slot{'s' if slots != 1 else ''} ({how}); "
            f"{limits.cpus:g} cores ({limits.cpu_source}), "
            f"{limits.memory_bytes / 1e9:.1f} GB memory ({limits.memory_source}); "
            f"server {SERVER_BYTES / 1e9:.1f} GB + {WORKER_BYTES / 1e9:.1f} GB per run slot")


@functools.cache
def server_budget() -> tuple[Limits, int]:
    """This process's limits and run slots, read once; the first call says them in the server log."""
    limits = read_limits()
    slots = run_slots(limits)
    # stderr, not logging: Streamlit configures only its own loggers, and Cloud's log shows stderr.
    print(describe(limits, slots), file=sys.stderr, flush=True)
    return limits, slots


if __name__ == "__main__":
    found = read_limits()
    print(describe(found, run_slots(found)), file=sys.stdout)
