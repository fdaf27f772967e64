"""The server inside a memory-limited cgroup of about 2.7 GB, as on Community Cloud: one student trains
while ten browse, and nothing is killed.

The test makes the cgroup itself (root only) in the memory hierarchy this machine offers: cgroup v2
(`memory.max`, `memory.events`) where the unified tree has the memory controller, else v1
(`memory.limit_in_bytes`, `memory.oom_control`). The server and its training workers start inside
it; the browsers, which stand for the students' own machines, stay outside.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, start_streamlit, stop_process, wait_for_app

LIMIT = 2_900_000_000  # 2.7 GiB, the memory Community Cloud gives an app
CGROUP = Path("/sys/fs/cgroup")
BROWSING = 10


@dataclass
class Cgroup:
    """A memory cgroup this test made: its folder, its version and the file names that differ."""

    path: Path
    version: int

    def read(self, name: str) -> str:
        """One of its files, stripped."""
        return (self.path / name).read_text().strip()

    def oom_kills(self) -> int:
        """Processes the kernel's OOM killer has killed in it."""
        text = self.read("memory.events" if self.version == 2 else "memory.oom_control")
        return int(dict(line.split() for line in text.splitlines())["oom_kill"])

    def peak(self) -> int:
        """Its peak memory use in bytes."""
        return int(self.read("memory.peak" if self.version == 2 else "memory.max_usage_in_bytes"))

    def usage(self) -> int:
        """Its memory use now in bytes."""
        return int(self.read("memory.current" if self.version == 2 else "memory.usage_in_bytes"))

    def pids(self) -> list[int]:
        """The processes in it."""
        return [int(p) for p in self.read("cgroup.procs").split()]

    def rss_peaks(self) -> int:
        """Sum over its processes of each one's own peak resident memory (VmHWM), in bytes."""
        total = 0
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:  # ended meanwhile
                continue
            total += int(status.split("VmHWM:")[1].split()[0]) * 1024
        return total


def has_controller(mount: Path, controller: str) -> bool:
    """Whether this unified (v2) tree offers the controller."""
    try:
        return controller in (mount / "cgroup.controllers").read_text().split()
    except OSError:
        return False


def make_cgroup(name: str) -> Cgroup:
    """A new cgroup limited to LIMIT bytes: v2 if this machine's unified tree has memory, else v1."""
    for mount in (CGROUP, CGROUP / "unified"):
        if has_controller(mount, "memory"):
            if "memory" not in (mount / "cgroup.subtree_control").read_text().split():
                (mount / "cgroup.subtree_control").write_text("+memory")
            path = mount / name
            path.mkdir()
            (path / "memory.max").write_text(str(LIMIT))
            if (path / "memory.swap.max").exists():  # no swapping out instead of an OOM kill
                (path / "memory.swap.max").write_text("0")
            return Cgroup(path, 2)
    path = CGROUP / "memory" / name  # hybrid or v1-only hosts (this machine: v1 memory, v2 without it)
    path.mkdir()
    (path / "memory.limit_in_bytes").write_text(str(LIMIT))
    return Cgroup(path, 1)


def remove_cgroup(group: Cgroup) -> None:
    """End what this test left in it (by pid), then remove it."""
    deadline = time.time() + 30
    while group.pids() and time.time() < deadline:
        for pid in group.pids():
            try:
                os.kill(pid, 9 if time.time() > deadline - 20 else 15)
            except ProcessLookupError:
                pass
        time.sleep(0.5)
    group.path.rmdir()


@pytest.fixture
def cgroup():
    """A fresh 2.7 GB memory cgroup, removed at the end; fails (as root) if it cannot be made."""
    if os.geteuid() != 0:
        pytest.skip("making a cgroup needs root")
    try:
        group = make_cgroup(f"relulab-test-{os.getpid()}")
    except OSError as exc:
        pytest.fail(f"root could not make a memory cgroup under {CGROUP}: {exc}")
    try:
        yield group
    finally:
        remove_cgroup(group)


def inside(group: Cgroup) -> tuple[str, ...]:
    """A command prefix that moves the shell into the cgroup, then execs the command."""
    return ("sh", "-c", 'echo $$ > "$0" && exec "$@"', str(group.path / "cgroup.procs"))


@pytest.fixture
def cpu_cgroup():
    """A fresh cgroup with a CPU quota of 1.5 cores (v2 cpu.max or v1 cfs quota); its folder."""
    if os.geteuid() != 0:
        pytest.skip("making a cgroup needs root")
    name = f"relulab-test-cpu-{os.getpid()}"
    try:
        mount = next((m for m in (CGROUP, CGROUP / "unified") if has_controller(m, "cpu")), None)
        if mount is not None:
            if "cpu" not in (mount / "cgroup.subtree_control").read_text().split():
                (mount / "cgroup.subtree_control").write_text("+cpu")
            path = mount / name
            path.mkdir()
            (path / "cpu.max").write_text("150000 100000")
        else:
            path = next(m for m in sorted(CGROUP.iterdir()) if "cpu" in m.name.split(",")) / name
            path.mkdir()
            (path / "cpu.cfs_quota_us").write_text("150000")
    except (OSError, StopIteration) as exc:
        pytest.fail(f"root could not make a cpu cgroup under {CGROUP}: {exc}")
    try:
        yield path
    finally:
        path.rmdir()


def test_budget_reads_a_real_cpu_quota(cpu_cgroup):
    command = ["sh", "-c", 'echo $$ > "$0" && exec "$@"', str(cpu_cgroup / "cgroup.procs"),
               sys.executable, "-m", "lab.runs.budget"]
    out = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
    assert "1.5 cores (cgroup v" in out and "cpu allows 1" in out, out


def test_budget_reads_the_cgroup_limit(cgroup):
    out = subprocess.run([*inside(cgroup), sys.executable, "-m", "lab.runs.budget"], cwd=ROOT, check=True,
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
    assert f"2.9 GB memory (cgroup v{cgroup.version} memory." in out, out
    assert "memory allows 2" in out, out  # (2.9 - 0.7) GB / 0.8 GB per run


@pytest.mark.browser
@pytest.mark.slow
def test_one_trains_ten_browse_under_the_limit(cgroup, browser):
    proc, url = start_streamlit(prefix=inside(cgroup))
    try:
        assert proc.pid in cgroup.pids()
        contexts = []
        for _ in range(BROWSING):  # ten students open the home page and stay
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
            page = context.new_page()
            page.set_default_timeout(120_000)
            page.goto(f"{url}/?lang=en")
            wait_for_app(page)
            page.get_by_role("link", name="Train").first.wait_for()
            contexts.append((context, page))
        idle = cgroup.usage()
        student = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US").new_page()
        student.set_default_timeout(120_000)
        student.goto(f"{url}/train?lang=en&epochs=1")
        wait_for_app(student)
        student.locator(".st-key-train_start button").click()
        finished = student.get_by_text("Finished after").first
        deadline, views = time.time() + 600, 0
        while not finished.is_visible() and time.time() < deadline:  # the ten browse while it trains
            _, page = contexts[views % BROWSING]
            page.get_by_role("link", name="Activations" if views % 2 else "Home").first.click()
            wait_for_app(page)
            views += 1
            # A class browses at human speed: clicking ten tabs back to back (10 views a second here) left
            # the student's own page without a redraw for minutes on this 2-core machine (seen on 427577f
            # too); a pause per view keeps the test about memory, which is what it measures.
            student.wait_for_timeout(300)
        finished.wait_for(timeout=5_000)
        text = finished.inner_text()
        peak, kills, rss_peaks = cgroup.peak(), cgroup.oom_kills(), cgroup.rss_peaks()
        print(f"\ncgroup v{cgroup.version}, limit {LIMIT / 1e9:.1f} GB: with {BROWSING} browsing idle "
              f"{idle / 1e6:.0f} MB, peak {peak / 1e6:.0f} MB (sum of the processes' own RSS peaks "
              f"{rss_peaks / 1e6:.0f} MB), {views} page views during the run, OOM kills {kills}; {text}")
        assert kills == 0
        assert proc.poll() is None, "the server died"
        assert "test accuracy" in text and peak < LIMIT
        for context, _ in contexts:
            context.close()
        student.context.close()
    finally:
        stop_process(proc, timeout=20)
