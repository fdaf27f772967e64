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
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.procs import (  # noqa: E402
    Postgres,
    all_processes,
    emit,
    hidden_ray,
    machine,
    run_in_netns,
    temp_folder,
)
from bench.sampling import MemorySampler, tree_rss_mb  # noqa: E402

CONFIG = dict(depth=1, width=64, epochs=1, train_subset=10000, log_every=10, batch_size=100, device="cpu")


def kind_of(cmdline: str) -> str | None:
    """Which part of the system a process is, from its command line."""
    if "ray_load.py replica" in cmdline:
        return "web server (replica)"
    if "multiprocessing.spawn" in cmdline or "spawn_main" in cmdline or "lab.runs.executor" in cmdline:
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

    tmp = temp_folder("rl-bench-")
    os.environ["RAY_TMPDIR"] = str(tmp / "ray")
    os.environ["PYTHONPATH"] = str(ROOT)
    sampler = MemorySampler(all_processes, lambda cmd, pid: kind_of(cmd))
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
        report = {"machine": machine(),
                  "date": time.strftime("%Y-%m-%d"), "config": CONFIG, "simulated": (
                      "HTTP-less: two replica processes (each a RayExecutor or LocalExecutor on the same "
                      "PostgreSQL store) create and submit the runs as the Train page does; no browsers")}
        report["load_average_before"] = round(os.getloadavg()[0], 1)
        report["local"] = run_class("local", pg.url, cluster.address, args.students, tmp)
        report["ray"] = run_class("ray", pg.url, cluster.address, args.students, tmp)
    finally:
        peaks = sampler.stop().get(sampler.phase, {})  # one phase; its largest process and sum per kind
        report_mem = {k: {n: row[n] for n in ("peak_process_mb", "peak_total_mb")} for k, row in peaks.items()}
        if cluster is not None:
            cluster.shutdown()
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    report["memory"] = report_mem
    emit(report, args.json)
    return 0


def idle(args: argparse.Namespace) -> int:
    """The default start (`streamlit run app.py`, no RELULAB_RAY_ADDRESS) at idle: Ray installed vs hidden."""
    from playwright.sync_api import sync_playwright

    from tests.conftest import CHROMIUM, CHROMIUM_ARGS, start_streamlit, wait_for_app

    shadow = hidden_ray()
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
    emit(report, None)
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
    return run_in_netns(__file__, lambda: main_inside(args))


if __name__ == "__main__":
    sys.exit(main())
