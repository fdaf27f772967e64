"""The benches' processes: ports, HTTP readiness, process trees, stopping; PostgreSQL, Ray and Streamlit servers.

Standard library only at import time (bench/ray_load.py's replica processes import it and their memory
is measured); what a function needs beyond that it imports itself.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    """An unused TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port: int, path: str = "/_stcore/health", timeout: float = 180.0) -> None:
    """Until a loopback HTTP GET answers 200."""
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"no answer on port {port}{path}")


def start_replica(port: int, env: dict, log: Path, cwd: Path = ROOT) -> subprocess.Popen:
    """One `streamlit run app.py` on 127.0.0.1:port (the repo's .streamlit/config.toml applies)."""
    from tests.conftest import LOOPBACK  # servers listen on loopback only

    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    return subprocess.Popen(cmd, cwd=cwd, env={**env, **LOOPBACK}, stdout=log.open("w"), stderr=subprocess.STDOUT)


class Postgres:
    """Debian's PostgreSQL in a temp folder on a free loopback port, run as user postgres."""

    def __init__(self, tmp: Path):
        self.dir, self.port = tmp / "pg", free_port()
        self.dir.mkdir()
        shutil.chown(self.dir, "postgres")
        self._as_postgres(f"{PG_BIN}/initdb -D {self.dir}/data -U relulab --auth=trust -E UTF8 >/dev/null")
        self._as_postgres(f"{PG_BIN}/pg_ctl -D {self.dir}/data -l {self.dir}/log -w start -o "
                          f"'-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200'")
        self.url = f"postgresql+psycopg://relulab@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, command: str) -> None:
        """Run a shell command as the postgres user (root may not run the server)."""
        subprocess.run(["su", "postgres", "-s", "/bin/sh", "-c", command], check=True, timeout=120)

    def stop(self) -> None:
        """Stop the server."""
        self._as_postgres(f"{PG_BIN}/pg_ctl -D {self.dir}/data -m fast -w stop >/dev/null")


class RayNodes:
    """A two-node Ray cluster from two `ray start` commands (one CPU each), every port on 127.0.0.1."""

    def __init__(self, tmp: Path, env: dict):
        ray = str(Path(sys.executable).parent / "ray")
        self.env = {**env, "RAY_TMPDIR": str(tmp), "PYTHONPATH": str(ROOT),
                    # Two web servers = two Ray jobs; a node keeps a warm worker for each (README Deploy).
                    "RAY_num_workers_soft_limit": "2"}
        self.port = free_port()
        common = ["--num-cpus=1", "--node-ip-address=127.0.0.1", "--disable-usage-stats",
                  "--object-store-memory=200000000"]
        head = [ray, "start", "--head", f"--port={self.port}", "--include-dashboard=false",
                f"--ray-client-server-port={free_port()}"]
        second = [ray, "start", f"--address=127.0.0.1:{self.port}"]
        for i, cmd in enumerate((head, second)):
            ports = [f"--node-manager-port={free_port()}", f"--object-manager-port={free_port()}",
                     f"--runtime-env-agent-port={free_port()}", f"--dashboard-agent-grpc-port={free_port()}",
                     f"--dashboard-agent-listen-port={free_port()}", f"--metrics-export-port={free_port()}",
                     f"--min-worker-port={21000 + 200 * i}", f"--max-worker-port={21199 + 200 * i}"]
            subprocess.run(cmd + common + ports, env=self.env, check=True, timeout=180,
                           stdout=(tmp / f"ray-start-{i}.log").open("w"), stderr=subprocess.STDOUT)
        self.address = f"127.0.0.1:{self.port}"
        self.tmp = tmp

    def nodes(self) -> int:
        """Alive nodes, as the GCS says."""
        out = subprocess.run([sys.executable, "-c", "import ray, sys; ray.init(address=sys.argv[1], "
                              "log_to_driver=False); print(sum(n['Alive'] for n in ray.nodes()))", self.address],
                             env=self.env, capture_output=True, text=True, timeout=120)
        return int(out.stdout.strip().splitlines()[-1])

    def stop(self, is_ray: Callable[[str, int], bool]) -> None:
        """Stop this cluster's processes: ours by ancestry that is_ray(cmdline, pid) picks (never `ray stop`)."""
        me = os.getpid()
        pids = [p for p, cmd in descendants(me).items() if p != me and is_ray(cmd, p)]
        stop_processes(pids, grace=15)


def _scan() -> tuple[dict[int, str], dict[int, list[int]]]:
    """Every process on the machine: pid -> command line, and ppid -> its children's pids."""
    children: dict[int, list[int]] = {}
    cmds: dict[int, str] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmds[int(proc.name)] = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(proc.name))
    return cmds, children


def all_processes() -> dict[int, str]:
    """pid -> command line of every process on the machine."""
    return {pid: cmd.strip() for pid, cmd in _scan()[0].items()}


def descendants(root: int) -> dict[int, str]:
    """pid -> command line of root and every process below it."""
    cmds, children = _scan()
    out, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in cmds:
            out[pid] = cmds[pid].strip()
        todo += children.get(pid, [])
    return out


def alive(pid: int) -> bool:
    """True if pid runs and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def reap() -> None:
    """Collect exited children (orphans that a subreaper inherits become ours to wait for)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def stop_processes(pids: list[int], grace: float = 20.0) -> None:
    """SIGTERM, wait, then SIGKILL: only the pids given (ours)."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        reap()
        time.sleep(0.2)
    for pid in pids:
        if alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    reap()


def become_subreaper() -> None:
    """Make this process a child subreaper: daemons it starts (postmaster, raylets) stay in its tree."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def run_in_netns(script: str, inside: Callable[[], int]) -> int:
    """Outside: re-run script (same arguments) in a private network namespace, lo up; inside: inside()."""
    if os.environ.get("RELULAB_IN_NETNS") != "1":
        cmd = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", sys.executable, script,
               *sys.argv[1:]]
        return subprocess.run(cmd, env={**os.environ, "RELULAB_IN_NETNS": "1"}).returncode
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    return inside()


def hidden_ray() -> Path:
    """A temp folder whose `ray` fails to import: first on PYTHONPATH, as if Ray were not installed."""
    shadow = Path(tempfile.mkdtemp(prefix="rl-noray-"))
    (shadow / "ray").mkdir()
    (shadow / "ray" / "__init__.py").write_text("raise ImportError('ray hidden: as if not installed')\n")
    return shadow


def temp_folder(prefix: str) -> Path:
    """A new folder under /tmp that user postgres may enter, with an empty ray/ in it."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    os.chmod(tmp, 0o755)
    (tmp / "ray").mkdir()
    return tmp


def machine() -> str:
    """This machine, as a report names it: host, cores, Python."""
    return f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def emit(report: dict, path: str | None) -> None:
    """Print the report as JSON; also write it to path, if given."""
    text = json.dumps(report, indent=1)
    print(text)
    if path:
        Path(path).write_text(text + "\n")
