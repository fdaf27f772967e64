"""A class of 30 on two web-server processes sharing PostgreSQL: runs trained by a two-node Ray cluster vs locally.

HTTP-less: each "student" is one run created in the store by one of two replica processes (the
Train page's own calls: create_run + executor.submit), not a browser. Per executor, in one go:
one run alone (its images/s), then 30 runs at once (15 per replica); every run must finish,
none lost; aggregate images/s over the class's makespan; peak memory per process kind.

    python bench/ray_load.py [--students 30] [--json bench/results/ray_load.json]

Runs as root: re-executes itself in a private network namespace (Ray on 127.0.0.1 only) and
starts PostgreSQL (Debian's, as user postgres) and the Ray cluster in a temp folder; all stop at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_BIN = Path("/usr/lib/postgresql/15/bin")
CONFIG = dict(depth=1, width=64, epochs=1, train_subset=10000, log_every=10, batch_size=100, device="cpu")


def free_port() -> int:
    """An unused TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


def kind_of(cmdline: str) -> str | None:
    """Which part of the system a process is, from its command line."""
    if "ray_load.py replica" in cmdline:
        return "web server (replica)"
    if "multiprocessing.spawn" in cmdline or "spawn_main" in cmdline:
        return "local training worker"
    if cmdline.startswith("ray::") or "default_worker.py" in cmdline:
        return "Ray worker (trains)"
    if "raylet" in cmdline.split(" ")[0]:
        return "Ray raylet"
    if "gcs_server" in cmdline:
        return "Ray GCS"
    if "/ray/" in cmdline:
        return "Ray agents (other)"
    if "postgres" in cmdline.split(" ")[0]:
        return "PostgreSQL (per process)"
    return None


class MemorySampler:
    """Samples every process's RSS twice a second; keeps the peak per process and per kind."""

    def __init__(self):
        self.peak: dict[str, float] = {}  # kind -> largest single process RSS (MB)
        self.total: dict[str, float] = {}  # kind -> largest sum over the kind's processes (MB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            sums: dict[str, float] = {}
            for proc in Path("/proc").iterdir():
                if not proc.name.isdigit():
                    continue
                try:
                    cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                    rss = int((proc / "statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
                except (OSError, IndexError, ValueError):
                    continue
                kind = kind_of(cmd)
                if kind:
                    self.peak[kind] = max(self.peak.get(kind, 0.0), rss)
                    sums[kind] = sums.get(kind, 0.0) + rss
            for kind, mb in sums.items():
                self.total[kind] = max(self.total.get(kind, 0.0), mb)

    def stop(self) -> dict:
        """Peaks in MB, per kind."""
        self._stop.set()
        self._thread.join()
        return {k: {"peak_process_mb": round(self.peak[k]), "peak_total_mb": round(self.total[k])}
                for k in sorted(self.peak)}


def replica(args: argparse.Namespace) -> int:
    """One web server: its executor; a warm-up run; (first replica) one run alone; then its students at once."""
    from lab.engine.config import RunConfig
    from lab.runs.store import open_store

    store = open_store(args.db)
    if args.executor == "ray":
        from lab.runs.ray_executor import RayExecutor

        executor = RayExecutor(store, args.ray, resubmit=False)
    else:
        from lab.runs.executor import LocalExecutor

        executor = LocalExecutor(store, slots=1, threads_per_run=1)
    config = RunConfig(**CONFIG)

    def train(owners: list[str]) -> list[str]:
        ids = [store.create_run(config, owner=o, executor=executor.name).id for o in owners]
        for run_id in ids:
            executor.submit(run_id)
        while any(store.get_run(i).active for i in ids):
            time.sleep(0.1)
        return ids

    # Warm-up: as many runs as the executor trains at once, so every worker process this server uses
    # has torch and MNIST loaded (a Ray worker serves one driver, i.e. one web server).
    out: dict = {"warmup": train([f"warmup-{args.name}-{i}" for i in range(args.warm)])}
    if args.alone:
        out["alone"] = train(["alone"])
    Path(args.out + ".ready").write_text("ready")
    while not Path(args.go).exists():
        time.sleep(0.05)
    out["class"] = train([f"student-{i}" for i in range(args.first, args.first + args.count)])
    Path(args.out).write_text(json.dumps(out))
    # Stay up until the whole class is done: a local server's workers also train the other server's
    # students (one queue in the store), and closing a server interrupts the runs its workers hold.
    while not Path(args.go + ".close").exists():
        time.sleep(0.05)
    executor.close()
    return 0


def run_class(kind: str, db: str, ray_address: str, students: int, tmp: Path) -> dict:
    """Two replicas, one executor kind: the run alone, then the class; what the store says about them."""
    from lab.runs.store import open_store

    store = open_store(db)
    go = tmp / f"go-{kind}"
    half = students // 2
    procs, outs = [], []
    for i, (first, count) in enumerate([(0, half), (half, students - half)]):
        out = tmp / f"{kind}-{i}.json"
        outs.append(out)
        cmd = [sys.executable, __file__, "replica", "--executor", kind, "--db", db, "--ray", ray_address,
               "--name", f"{kind}{i}", "--first", str(first), "--count", str(count), "--out", str(out),
               "--go", str(go)] + (["--alone"] if i == 0 else [])
        procs.append(subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}))
    while not all(Path(str(o) + ".ready").exists() for o in outs):
        if any(p.poll() not in (None, 0) for p in procs):
            raise RuntimeError(f"a {kind} replica died during its warm-up")
        time.sleep(0.1)
    go.write_text("go")
    began = time.time()
    while not all(o.exists() for o in outs):
        if any(p.poll() not in (None, 0) for p in procs):
            raise RuntimeError(f"a {kind} replica failed")
        time.sleep(0.1)
    Path(str(go) + ".close").write_text("close")
    for p in procs:
        if p.wait(timeout=1800) != 0:
            raise RuntimeError(f"a {kind} replica failed")
    results = [json.loads(o.read_text()) for o in outs]
    alone = store.get_run(results[0]["alone"][0])
    runs = [store.get_run(i) for r in results for i in r["class"]]
    images = lambda r: r.step * r.config.batch_size  # noqa: E731 - images trained
    makespan = max(r.ended for r in runs) - began
    return {
        "executor": kind,
        "students": len(runs),
        "statuses": {s: sum(r.status == s for r in runs) for s in {r.status for r in runs}},
        "with_final_weights": len(store.has_weights([r.id for r in runs])),
        "ended_in_events": sum(store.record(r.id).status == r.status for r in runs),
        "nodes": sorted({r.node for r in runs}),
        "runs_per_node": {n: sum(r.node == n for r in runs) for n in sorted({r.node for r in runs})},
        "alone_seconds": round(alone.seconds, 2),
        "alone_images_per_s": round(images(alone) / alone.seconds, 1),
        "class_makespan_s": round(makespan, 1),
        "class_images_per_s": round(sum(images(r) for r in runs) / makespan, 1),
        "median_wait_s": round(sorted(r.started - r.created for r in runs)[len(runs) // 2], 1),
        "median_train_s": round(sorted(r.seconds for r in runs)[len(runs) // 2], 2),
        "load_average_after": round(os.getloadavg()[0], 1),
    }


def main_inside(args: argparse.Namespace) -> int:
    """In the namespace: PostgreSQL, the Ray cluster, the class on each executor, the report."""
    from ray.cluster_utils import Cluster

    tmp = Path(tempfile.mkdtemp(prefix="rl-bench-", dir="/tmp"))
    os.chmod(tmp, 0o755)
    os.environ["RAY_TMPDIR"] = str(tmp / "ray")
    os.environ["PYTHONPATH"] = str(ROOT)
    (tmp / "ray").mkdir()
    sampler = MemorySampler()
    pg = Postgres(tmp)
    cluster = None
    try:
        # Keep a warm worker per web server on each node: by default a node keeps only num_cpus idle
        # workers, so two servers' jobs would kill each other's warm (torch + MNIST) workers.
        cluster = Cluster(initialize_head=True, head_node_args={
            "num_cpus": 1, "include_dashboard": False, "node_ip_address": "127.0.0.1",
            "_system_config": {"num_workers_soft_limit": 2}})
        cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1")
        cluster.wait_for_nodes()
        report = {"machine": f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                  "date": time.strftime("%Y-%m-%d"), "config": CONFIG, "simulated": (
                      "HTTP-less: two replica processes (each a RayExecutor or LocalExecutor on the same "
                      "PostgreSQL store) create and submit the runs as the Train page does; no browsers")}
        report["load_average_before"] = round(os.getloadavg()[0], 1)
        report["local"] = run_class("local", pg.url, cluster.address, args.students, tmp)
        report["ray"] = run_class("ray", pg.url, cluster.address, args.students, tmp)
    finally:
        report_mem = sampler.stop()
        if cluster is not None:
            cluster.shutdown()
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    report["memory"] = report_mem
    text = json.dumps(report, indent=1)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    return 0


def tree_rss_mb(pid: int) -> tuple[float, list[str]]:
    """RSS of a process and all its descendants (MB), and their command names."""
    children: dict[int, list[int]] = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(proc.name))
    total, names, todo = 0.0, [], [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
            names.append(Path(f"/proc/{p}/comm").read_text().strip())
        except (OSError, IndexError):
            continue
    return total, names


def idle(args: argparse.Namespace) -> int:
    """The default start (`streamlit run app.py`, no RELULAB_RAY_ADDRESS) at idle: Ray installed vs hidden."""
    from playwright.sync_api import sync_playwright

    from tests.conftest import CHROMIUM, CHROMIUM_ARGS, start_streamlit, wait_for_app

    shadow = Path(tempfile.mkdtemp(prefix="rl-noray-"))
    (shadow / "ray").mkdir()
    (shadow / "ray" / "__init__.py").write_text("raise ImportError('ray hidden: as if not installed')\n")
    report = {}
    pw = sync_playwright().start()
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    for _ in range(args.rounds):  # alternate, so a drifting machine load affects both the same
        for name, extra in (("ray installed", {}), ("ray not importable", {"PYTHONPATH": f"{shadow}:{ROOT}"})):
            env = {k: v for k, v in os.environ.items() if k != "RELULAB_RAY_ADDRESS"}
            os.environ.clear()
            os.environ.update(env)
            proc, url = start_streamlit(extra)
            try:
                context = browser.new_context()  # one visit runs app.py (the home page), then the tab closes
                page = context.new_page()
                page.goto(url, timeout=120_000)
                wait_for_app(page)
                context.close()
                time.sleep(args.settle)
                rss, names = tree_rss_mb(proc.pid)
                maps = Path(f"/proc/{proc.pid}/maps").read_text()
                row = report.setdefault(name, {"rss_mb": [], "ray_loaded_in_server": False, "processes": []})
                row["rss_mb"].append(round(rss))
                row["ray_loaded_in_server"] |= "_raylet" in maps
                row["processes"] = sorted(set(names))
            finally:
                proc.terminate()
                proc.wait(timeout=30)
    browser.close()
    pw.stop()
    shutil.rmtree(shadow, ignore_errors=True)
    a, b = (min(report[k]["rss_mb"]) for k in ("ray installed", "ray not importable"))
    report["ratio_installed_vs_not"] = round(a / b, 3)
    print(json.dumps(report, indent=1))
    return 0


def main() -> int:
    """Parse; outside the namespace re-run inside it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    rep = sub.add_parser("replica")
    for flag in ("--executor", "--db", "--ray", "--name", "--out", "--go"):
        rep.add_argument(flag, required=True)
    rep.add_argument("--first", type=int, required=True)
    rep.add_argument("--count", type=int, required=True)
    rep.add_argument("--alone", action="store_true")
    rep.add_argument("--warm", type=int, default=2)
    idl = sub.add_parser("idle", help="idle memory of the default start, Ray installed vs not")
    idl.add_argument("--rounds", type=int, default=2)
    idl.add_argument("--settle", type=float, default=15.0)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--json")
    args = parser.parse_args()
    if args.command == "replica":
        return replica(args)
    if args.command == "idle":
        return idle(args)
    if os.environ.get("RELULAB_IN_NETNS") != "1":
        cmd = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", sys.executable, __file__,
               *sys.argv[1:]]
        proc = subprocess.run(cmd, env={**os.environ, "RELULAB_IN_NETNS": "1"})
        return proc.returncode
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    return main_inside(args)


if __name__ == "__main__":
    sys.exit(main())
