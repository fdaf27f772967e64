"""What the benches sample while they run: processes' resident memory (RSS) and CPU seconds, from /proc."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from bench.procs import descendants

PAGE_SIZE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20


def rss_mb(pid: int) -> float:
    """Resident memory of one process (MB); 0 if it is gone."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE_MB
    except (OSError, IndexError, ValueError):
        return 0.0


def tree_rss_mb(pid: int) -> tuple[float, list[str]]:
    """RSS of a process and all its descendants (MB), and their command names."""
    total, names = 0.0, []
    for p in descendants(pid):
        total += rss_mb(p)
        try:
            names.append(Path(f"/proc/{p}/comm").read_text().strip())
        except OSError:
            continue
    return total, names


class MemorySampler:
    """Samples processes' RSS twice a second: per phase and kind, the largest process and largest sum.

    processes() says which processes (pid -> command line), kind(cmdline, pid) what each is (None: not counted).
    """

    def __init__(self, processes: Callable[[], dict[int, str]], kind: Callable[[str, int], str | None]):
        self.processes, self.kind = processes, kind
        self.phase = "setup"
        self.peaks: dict[str, dict[str, dict]] = {}
        self.snapshots: dict[str, tuple[float, list]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        """Every 0.5 s: each counted process's RSS, folded into the current phase's peaks."""
        while not self._stop.wait(0.5):
            sums: dict[str, list[float]] = {}
            rows = []
            for pid, cmd in self.processes().items():
                mb = rss_mb(pid)
                kind = self.kind(cmd, pid) if mb else None
                if kind:
                    sums.setdefault(kind, []).append(mb)
                    rows.append((round(mb), kind, cmd[:110]))
            total = sum(mb for mb, _, _ in rows)
            if total > self.snapshots.get(self.phase, (0, []))[0]:  # the moment the counted processes were largest
                self.snapshots[self.phase] = (total, sorted(rows, reverse=True))
            table = self.peaks.setdefault(self.phase, {})
            for kind, values in sums.items():
                row = table.setdefault(kind, {"peak_process_mb": 0.0, "peak_total_mb": 0.0, "most_processes": 0})
                row["peak_process_mb"] = max(row["peak_process_mb"], max(values))
                row["peak_total_mb"] = max(row["peak_total_mb"], sum(values))
                row["most_processes"] = max(row["most_processes"], len(values))

    def stop(self) -> dict:
        """Peaks in MB per phase and kind."""
        self._stop.set()
        self._thread.join()
        return {phase: {k: {n: round(v) for n, v in row.items()} for k, row in sorted(kinds.items())}
                for phase, kinds in self.peaks.items()}


def child_pids(pid: int) -> list[int]:
    """The process's children (the server's training workers)."""
    pids = []
    for tasks in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            pids += [int(p) for p in tasks.read_text().split()]
        except OSError:  # a thread ended meanwhile
            pass
    return pids


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds the process has used (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_cpu_seconds(server_pid: int) -> float:
    """CPU seconds used so far by the server's training worker processes."""
    total = 0.0
    for pid in child_pids(server_pid):
        try:
            if b"lab.runs.executor" in Path(f"/proc/{pid}/cmdline").read_bytes():
                total += cpu_seconds(pid)
        except OSError:
            continue
    return total


class MemoryWatch:
    """Samples the resident memory of a process and its children (the training workers) every 0.2 s."""

    def __init__(self, pid: int):
        self.pid, self.samples, self._stop = pid, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def _field(pid: int, name: str) -> int:
        """A /proc/pid/status field in bytes (VmRSS:, VmHWM:); 0 if the process is gone."""
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(name):
                    return int(line.split()[1]) * 1024
        except OSError:  # the process has just ended
            pass
        return 0

    def _run(self) -> None:
        """Sample until stopped."""
        while not self._stop.is_set():
            self.samples.append((time.perf_counter(), self.rss()))
            time.sleep(0.2)

    def rss(self) -> int:
        """Server plus workers, now."""
        return sum(self._field(pid, "VmRSS:") for pid in [self.pid, *child_pids(self.pid)])

    def server_peak(self) -> int:
        """The kernel's own peak (VmHWM) for the server process alone."""
        return self._field(self.pid, "VmHWM:")

    def peak(self) -> int:
        """Peak of server plus workers: the sampled sums, and never below the server's own peak."""
        return max([self.server_peak(), *(rss for _, rss in self.samples)])

    def stop(self) -> None:
        """Stop sampling."""
        self._stop.set()


class CpuWatch:
    """CPU seconds per kind of process (server, training worker, browsers, this script) over a window."""

    def __init__(self, server_pid: int):
        self.server_pid, self._first, self._last = server_pid, {}, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _kind(self, pid: int) -> str:
        """Which kind a process is: the server, a training worker, a browser, or other."""
        if pid == self.server_pid:
            return "server"
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        if "lab.runs.executor" in cmd:
            return "training worker"
        if "chromium" in cmd:
            return "browsers"
        return "other"

    def _run(self) -> None:
        """Every second, every process's CPU seconds (its kind fixed when first seen)."""
        while not self._stop.is_set():
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    pid = int(entry.name)
                    seconds = cpu_seconds(pid)
                    self._first.setdefault(pid, (self._kind(pid), seconds))
                    self._last[pid] = seconds
                except (OSError, IndexError, ValueError):
                    continue
            time.sleep(1.0)

    def totals(self) -> dict[str, float]:
        """CPU seconds per kind since the watch began (processes seen at least twice)."""
        out: dict[str, float] = {}
        for pid, (kind, first) in list(self._first.items()):
            out[kind] = out.get(kind, 0.0) + self._last.get(pid, first) - first
        return {k: round(v, 1) for k, v in sorted(out.items())}

    def stop(self) -> None:
        """Stop watching."""
        self._stop.set()
