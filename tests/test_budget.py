"""The run budget read from sample cgroup v2 and v1 trees (quota set, unlimited, missing files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.runs.budget import (
    SERVER_BYTES,
    WORKER_BYTES,
    Limits,
    describe,
    read_limits,
    run_slots,
    server_budget,
    threads_per_run,
)

GB = 1000**3
HOST_CPUS, HOST_RAM = 16, 64 * GB  # a big host, as a container's affinity and /proc/meminfo show it


def write(path: Path, text: str) -> None:
    """Write one cgroup file, making its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


def limits_of(root: Path, proc: str, files: dict[str, str] | None = None, cpus: int = HOST_CPUS,
              memory: int = HOST_RAM) -> Limits:
    """read_limits over a sample tree at root/fs holding files (path: text) with /proc/self/cgroup text proc."""
    for name, text in (files or {}).items():
        write(root / "fs" / name, text)
    write(root / "proc-self-cgroup", proc)
    return read_limits(root / "fs", root / "proc-self-cgroup", cpus=cpus, memory_bytes=memory)


def test_v2_quota_and_memory_max(tmp_path):
    limits = limits_of(tmp_path, "0::/app.slice", {"cgroup.controllers": "cpuset cpu io memory pids",
                                                   "app.slice/cpu.max": "150000 100000",
                                                   "app.slice/memory.max": "2900000000"})
    assert limits == Limits(1.5, 2_900_000_000, "cgroup v2 cpu.max", "cgroup v2 memory.max")


def test_v2_unlimited_falls_back_to_host(tmp_path):
    limits = limits_of(tmp_path, "0::/app", {"cgroup.controllers": "cpu memory", "app/cpu.max": "max 100000",
                                             "app/memory.max": "max"})
    assert limits == Limits(16.0, HOST_RAM, "cpu affinity", "host RAM")


def test_v2_parent_limit_counts(tmp_path):
    """A limit on an ancestor cgroup binds the child (the smallest along the chain wins)."""
    limits = limits_of(tmp_path, "0::/user/app", {"cgroup.controllers": "cpu memory", "user/cpu.max": "400000 100000",
                                                  "user/memory.max": str(3 * GB), "user/app/cpu.max": "max 100000",
                                                  "user/app/memory.max": str(8 * GB)})
    assert (limits.cpus, limits.memory_bytes) == (4.0, 3 * GB)


def test_v2_namespace_own_cgroup_mounted_at_root(tmp_path):
    """In a container's cgroup namespace the path in /proc/self/cgroup is not under the mount."""
    limits = limits_of(tmp_path, "0::/kubepods/pod42/abc", {"cgroup.controllers": "cpu memory",
                                                            "cpu.max": "200000 100000", "memory.max": "2700000000"})
    assert (limits.cpus, limits.memory_bytes) == (2.0, 2_700_000_000)


def test_v1_quota_and_limit(tmp_path):
    limits = limits_of(tmp_path, "5:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/", {
        "cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "200000", "cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000",
        "memory/docker/abc/memory.limit_in_bytes": "2899996672", "memory/memory.limit_in_bytes": "9223372036854771712"})
    assert limits == Limits(2.0, 2_899_996_672, "cgroup v1 cpu.cfs_quota_us",
                            "cgroup v1 memory.limit_in_bytes")


def test_v1_unlimited_falls_back_to_host(tmp_path):
    limits = limits_of(tmp_path, "2:cpu:/\n4:memory:/", {"cpu/cpu.cfs_quota_us": "-1",
                                                         "cpu/cpu.cfs_period_us": "100000",
                                                         "memory/memory.limit_in_bytes": "9223372036854771712"})
    assert limits == Limits(16.0, HOST_RAM, "cpu affinity", "host RAM")


def test_hybrid_memory_in_v1_cpu_in_v2(tmp_path):
    """Hybrid hosts (like this one) keep memory in v1 and the unified tree at fs/unified."""
    limits = limits_of(tmp_path, "4:memory:/app\n0::/app", {"unified/cgroup.controllers": "cpu",
                                                            "unified/app/cpu.max": "100000 100000",
                                                            "memory/app/memory.limit_in_bytes": str(2 * GB)})
    assert (limits.cpus, limits.memory_bytes) == (1.0, 2 * GB)


@pytest.mark.parametrize("make", ["nothing", "empty files", "no proc file"])
def test_missing_files_fall_back_to_host(tmp_path, make):
    fs = tmp_path / "fs"
    fs.mkdir()
    if make == "empty files":
        write(fs / "cgroup.controllers", "")
        (fs / "memory.max").write_text("")
        (fs / "cpu.max").write_text("")
    if make == "no proc file":
        limits = read_limits(fs, tmp_path / "absent", cpus=HOST_CPUS, memory_bytes=HOST_RAM)
    else:
        limits = limits_of(tmp_path, "0::/")
    assert limits == Limits(16.0, HOST_RAM, "cpu affinity", "host RAM")


def test_host_smaller_than_quota_wins(tmp_path):
    """A quota above the cores the process may run on does not add cores."""
    limits = limits_of(tmp_path, "0::/", {"cgroup.controllers": "cpu memory", "cpu.max": "800000 100000",
                                          "memory.max": str(100 * GB)}, cpus=2, memory=24 * GB)
    assert limits == Limits(2.0, 24 * GB, "cpu affinity", "host RAM")


def test_real_machine_limits_are_positive():
    limits = read_limits()
    assert limits.cpus >= 0.01 and limits.memory_bytes > SERVER_BYTES


@pytest.mark.parametrize(("cpus", "memory", "slots"), [
    (2, 2.7 * GB, 1),     # Community Cloud: the CPU allows one run
    (8, 2.7 * GB, 2),     # a quota of 8 cores, but 2.7 GB holds the server and two workers only
    (8, 1.0 * GB, 1),     # too little memory for even one: still one slot (at least one)
    (16, 64 * GB, 8),     # a big box: half the cores
    (0.5, 64 * GB, 1),    # a fractional quota: one slot
])
def test_run_slots_is_what_both_allow(cpus, memory, slots):
    assert run_slots(Limits(cpus, int(memory), "test", "test"), env={}) == slots


def test_slot_arithmetic_uses_the_documented_figures():
    just_two = SERVER_BYTES + 2 * WORKER_BYTES
    assert run_slots(Limits(64, just_two, "t", "t"), env={}) == 2
    assert run_slots(Limits(64, just_two - 1, "t", "t"), env={}) == 1
    assert run_slots(Limits(64, 10 * GB, "t", "t"), per_slot_bytes=3 * GB, server_bytes=GB, env={}) == 3


@pytest.mark.parametrize(("value", "slots"), [("3", 3), ("12", 12), ("0", 1), ("-2", 1), ("two", 1), ("", 1)])
def test_env_override(value, slots):
    limits = Limits(2.0, int(2.7 * GB), "t", "t")
    assert run_slots(limits, env={"RELULAB_MAX_RUNS": value}) == slots


def test_env_override_from_process_environment(monkeypatch):
    monkeypatch.setenv("RELULAB_MAX_RUNS", "5")
    assert run_slots(Limits(2.0, int(2.7 * GB), "t", "t")) == 5


def test_threads_per_run_follow_the_quota():
    assert threads_per_run(Limits(8.0, 64 * GB, "t", "t"), 2, env={}) == 2
    assert threads_per_run(Limits(1.5, 64 * GB, "t", "t"), 1, env={}) == 1
    assert threads_per_run(Limits(2.0, 64 * GB, "t", "t"), 1, env={}) == 1  # one run on 2 cores: 1 thread


@pytest.mark.parametrize(("value", "threads"), [("2", 2), ("4", 4), ("0", 1), ("x", 1), ("", 1)])
def test_threads_per_run_env_override(value, threads):
    assert threads_per_run(Limits(2.0, 64 * GB, "t", "t"), 1, env={"RELULAB_THREADS_PER_RUN": value}) == threads


def test_describe_says_slots_cores_memory_and_why():
    limits = Limits(2.0, 2_700_000_000, "cgroup v2 cpu.max", "cgroup v2 memory.max")
    line = describe(limits, run_slots(limits, env={}), env={})
    assert line == ("ReLU Lab run budget: 1 run slot (cpu allows 1, memory allows 2); "
                    "2 cores (cgroup v2 cpu.max), 2.7 GB memory (cgroup v2 memory.max); "
                    "server 0.7 GB + 0.8 GB per run slot")
    assert "set by RELULAB_MAX_RUNS" in describe(limits, 4, env={"RELULAB_MAX_RUNS": "4"})


def test_server_budget_reads_once_and_says_it(monkeypatch, capsys):
    monkeypatch.setenv("RELULAB_MAX_RUNS", "3")
    server_budget.cache_clear()
    try:
        limits, slots = server_budget()
        assert slots == 3 and server_budget() == (limits, 3)
        said = capsys.readouterr().err
        assert said.count("ReLU Lab run budget: 3 run slots (set by RELULAB_MAX_RUNS)") == 1
    finally:
        server_budget.cache_clear()
