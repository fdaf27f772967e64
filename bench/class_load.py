"""A class of 30 through real Streamlit sessions: two replicas, PostgreSQL, Ray (two nodes) vs the local executor.

HTTP-level students, no browser (30 Chromium contexts would saturate this 2-core machine): each
student opens Streamlit's WebSocket (/_stcore/stream) as a browser tab does, with its own owner
cookie, and speaks the tab's protocol (BackMsg / ForwardMsg protobufs): a rerun of /train with the
config in the query string (each tab a seed of its own: identical runs train once, issue 24), then a
rerun with the ▶ Train button's trigger (widget key train_start), then it keeps the tab open and
reruns the page's auto-rerun fragments at the intervals the server asks for, as the browser's timers
do, until a full page run shows ▶ Train enabled again (its run ended). Tabs stay open until the
whole class is done.

Per executor, in one go: two `streamlit run app.py` replicas (two ports, one PostgreSQL store), a
warm-up, one student alone on each replica, then the class (students alternate replicas, all
connect at once). Ray: RELULAB_RAY_ADDRESS points at a two-node cluster (`ray start --head` and
`ray start --address`, one CPU each); local: no Ray, each replica's own worker. The store is then
asked whether each student's session made exactly one run and whether it finished.

    python bench/class_load.py [--students 30] [--json bench/results/class_load.json]
    python bench/class_load.py idle [--revs HEAD HEAD:noray b212728^] [--json ...]   # start.sh at idle

Runs as root: the class re-executes itself in a private network namespace (Ray on 127.0.0.1 only);
PostgreSQL, Ray and the replicas live in a temp folder and are stopped at the end. This process is
a child subreaper, so every daemon it starts (pg_ctl's postmaster, `ray start`'s raylets) stays its
descendant: memory is sampled over its own process tree only, never over other sessions' processes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.procs import (  # noqa: E402
    Postgres,
    RayNodes,
    alive,
    become_subreaper,
    descendants,
    emit,
    free_port,
    hidden_ray,
    machine,
    run_in_netns,
    start_replica,
    stop_processes,
    temp_folder,
    wait_http,
)
from bench.sampling import MemorySampler, rss_mb  # noqa: E402
from bench.ws_student import QUERY, Student, seeded, students  # noqa: E402 - the class's tabs
from tests.conftest import LOOPBACK  # noqa: E402 - servers listen on loopback only


def kind_of(cmdline: str, me: int, pid: int) -> str:
    """Which part of the system a process of ours is, from its command line."""
    head = cmdline.split(" ")[0]
    if pid == me:
        return "load driver (this bench: all WebSocket tabs)"
    if "streamlit run" in cmdline:
        return "Streamlit replica"
    if "lab.runs.executor" in cmdline or "lab.workproc" in cmdline:  # the latter: older revisions' worker pool
        return "local training worker"
    if "resource_tracker" in cmdline:
        return "multiprocessing resource tracker"
    if head.endswith("/raylet"):  # before the workers: its arguments name default_worker.py
        return "Ray raylet"
    if head.endswith("/gcs_server"):
        return "Ray GCS (head)"
    if cmdline.startswith(("ray::IDLE", "ray::relulab-run", "ray::train_run")) or "workers/default_worker" in cmdline:
        return "Ray worker (trains; idle ones kept warm)"
    if cmdline.startswith(("ray::DashboardAgent", "ray::RuntimeEnvAgent")) or "dashboard/agent.py" in cmdline \
            or "runtime_env/agent" in cmdline:
        return "Ray per-node agents (dashboard, runtime-env)"
    if "log_monitor.py" in cmdline:
        return "Ray log monitor (per node)"
    if "/ray/" in cmdline or "ray.util.client.server" in cmdline or cmdline.startswith("ray::"):
        return "Ray head services (dashboard head, autoscaler monitor, client server)"
    if "postgres" in head:
        return "PostgreSQL"
    return "other: " + Path(head).name[:30]


def run_class(kind: str, db: str, ray_address: str | None, n: int, tmp: Path, sampler: MemorySampler) -> dict:
    """Two replicas on one executor kind: warm-up, one student alone per replica, then the class; the store's word."""
    from lab.runs.store import open_store

    env = {k: v for k, v in os.environ.items() if k not in ("RELULAB_RAY_ADDRESS", "RELULAB_MAX_RUNS")}
    env.update(RELULAB_DB=db, PYTHONPATH=str(ROOT))
    if ray_address:
        env.update(RELULAB_RAY_ADDRESS=ray_address, RAY_TMPDIR=str(tmp / "ray"))
    ports = [free_port(), free_port()]
    sampler.phase = kind
    replicas = [start_replica(p, env, tmp / f"{kind}-replica{i}.log") for i, p in enumerate(ports)]
    out: dict = {"executor": kind}
    try:
        for p in ports:
            wait_http(p)
        began = time.time()
        # Warm-up: a visit to each replica starts its executor (local: a worker that loads torch and MNIST;
        # Ray: ray.init); then twice two runs per replica at once, so every worker the class will use
        # has trained once (local workers share the store's queue; a Ray job keeps its own worker per node).
        asyncio.run(students([(f"{kind}-visit{i}", p) for i, p in enumerate(ports)], click=False))
        time.sleep(15 if kind == "local" else 5)
        for r in range(2):  # every tab a seed of its own: identical runs would replay, not train (issue 24)
            asyncio.run(students([seeded(f"{kind}-warm{r}-{i}-{j}", p) for i, p in enumerate(ports) for j in range(2)]))
        out["warmup_s"] = round(time.time() - began, 1)
        alone = [asyncio.run(students([seeded(f"{kind}-alone{i}", p)]))[0] for i, p in enumerate(ports)]
        specs = [seeded(f"{kind}-student{j:02d}", ports[j % 2]) for j in range(n)]
        sampler.phase = kind + " class"
        began = time.time()
        tabs = asyncio.run(students(specs))
        sampler.phase = kind + " after"
    finally:
        stop_processes([r.pid for r in replicas])
    store = open_store(db)

    def runs_of(tab: dict) -> list:
        return store.list_runs(owner=tab["token"])

    def images(run) -> int:  # images trained: the steps taken, in batches
        return min(run.step * run.config.batch_size, run.config.train_subset * run.config.epochs)

    per_tab = [runs_of(t) for t in tabs]
    runs = [r for rs in per_tab for r in rs]
    alone_runs = [runs_of(t)[0] for t in alone]
    finished = [r for r in runs if r.status == "finished"]
    makespan = max(r.ended or 0 for r in runs) - began
    alone_ips = [images(r) / r.seconds for r in alone_runs]
    first_page = sorted(t["t"]["page"] - t["t"]["connect"] for t in tabs)
    click_to_end = sorted(t["t"]["ended_seen"] - t["t"]["click"] for t in tabs)
    out.update({
        "students": len(tabs),
        "tabs_with_exactly_one_run": sum(len(rs) == 1 for rs in per_tab),
        "runs": len(runs),
        "finished": len(finished),
        "lost_or_not_finished": len(tabs) - sum(len(rs) == 1 and rs[0].status == "finished" for rs in per_tab),
        "statuses": {s: sum(r.status == s for r in runs) for s in sorted({r.status for r in runs})},
        "with_final_weights": len(store.has_weights([r.id for r in runs])),
        "ended_event_matches": sum(store.record(r.id).status == r.status for r in runs),
        "config_as_url": sum((r.config.train_subset, r.config.epochs, r.config.depth, r.config.width,
                              r.config.activation) == (2000, 1, 2, 64, "relu") for r in runs),
        "executors": sorted({r.executor for r in runs}),
        "runs_per_node": {nd: sum(r.node == nd for r in runs) for nd in sorted({str(r.node) for r in runs})},
        "page_errors": sum(len(t["errors"]) for t in tabs),
        "page_error_examples": sorted({e for t in tabs for e in t["errors"]})[:3],
        "alone_train_s": [round(r.seconds, 2) for r in alone_runs],
        "alone_images_per_s": round(sum(alone_ips) / len(alone_ips), 1),
        "alone_click_to_end_seen_s": [round(t["t"]["ended_seen"] - t["t"]["click"], 1) for t in alone],
        "class_makespan_s": round(makespan, 1),
        "class_images": sum(images(r) for r in finished),
        "class_images_per_s": round(sum(images(r) for r in finished) / makespan, 1),
        "median_train_s": round(sorted(r.seconds for r in finished)[len(finished) // 2], 2),
        "median_queue_wait_s": round(sorted(r.started - r.created for r in finished)[len(finished) // 2], 1),
        "page_load_s_median_max": [round(first_page[len(first_page) // 2], 1), round(first_page[-1], 1)],
        "click_to_end_seen_s_median_max": [round(click_to_end[len(click_to_end) // 2], 1),
                                           round(click_to_end[-1], 1)],
        "fragment_reruns_sent": sum(t["fragment_reruns"] for t in tabs),
        "mb_received_by_tabs": round(sum(t["mb_received"] for t in tabs)),
        "load_average_after": round(os.getloadavg()[0], 1),
    })
    out["aggregate_vs_alone"] = round(out["class_images_per_s"] / out["alone_images_per_s"], 2)
    return out


def main_inside(args: argparse.Namespace) -> int:
    """In the namespace: PostgreSQL, the class on the local executor, then the Ray cluster and the class on it."""
    become_subreaper()
    tmp = temp_folder("rl-cl-")  # short: Ray's socket paths live under it
    me = os.getpid()
    sampler = MemorySampler(lambda: descendants(me), lambda cmd, pid: kind_of(cmd, me, pid))
    report: dict = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                    "query": QUERY, "load_average_before": round(os.getloadavg()[0], 1)}
    pg = Postgres(tmp)
    ray_nodes = None
    try:
        report["local"] = run_class("local", pg.url, None, args.students, tmp, sampler)
        sampler.phase = "ray setup"
        ray_nodes = RayNodes(tmp / "ray", dict(os.environ))
        report["ray_nodes_alive"] = ray_nodes.nodes()
        report["ray"] = run_class("ray", pg.url, ray_nodes.address, args.students, tmp, sampler)
    finally:
        if ray_nodes is not None:
            ray_nodes.stop(lambda cmd, pid: kind_of(cmd, me, pid).startswith("Ray"))
        pg.stop()
        memory = sampler.stop()
        stop_processes([p for p in descendants(me) if p != me])
        left = {p: c for p, c in descendants(me).items() if p != me and alive(p)}
        report["left_running_after_stop"] = left
        if args.keep_logs:
            shutil.copytree(tmp, args.keep_logs, ignore=shutil.ignore_patterns("pg", "sockets", "*.sock"),
                            dirs_exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
    report["memory_mb"] = memory
    report["memory_largest_moment"] = {phase: {"total_mb": round(total), "processes": rows}
                                       for phase, (total, rows) in sampler.snapshots.items()}
    if "local" in report and "ray" in report:
        report["ray_vs_local"] = {
            "makespan": round(report["ray"]["class_makespan_s"] / report["local"]["class_makespan_s"], 2),
            "class_images_per_s": round(report["ray"]["class_images_per_s"] / report["local"]["class_images_per_s"], 2),
            "alone_images_per_s": round(report["ray"]["alone_images_per_s"] / report["local"]["alone_images_per_s"], 2)}
    emit(report, args.json)
    return 0


def idle(args: argparse.Namespace) -> int:
    """`bash scripts/start.sh` of each revision at idle: one visit to the home page, then the process tree's RSS."""
    become_subreaper()
    venv = (ROOT / ".venv").resolve()
    trees: dict[str, Path] = {}  # sha -> temp worktree
    variants: dict[str, tuple[str, bool]] = {}  # label -> (sha, ray made unimportable)
    report: dict = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "settle_s": args.settle,
                    "revisions": {}}
    base = {k: v for k, v in os.environ.items() if not k.startswith(("RELULAB_", "RAY_"))}
    shadow = hidden_ray()  # a `ray` that fails to import: as if not installed
    me = os.getpid()
    try:
        for spec in args.revs:
            rev, _, flag = spec.partition(":")
            sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True,
                                 check=True).stdout.strip()
            if sha not in trees:
                path = Path(tempfile.mkdtemp(prefix=f"rl-idle-{sha}-", dir="/tmp"))
                path.rmdir()
                subprocess.run(["git", "worktree", "add", "--detach", str(path), sha], cwd=ROOT, check=True,
                               capture_output=True)
                (path / ".venv").symlink_to(venv)  # the same packages (ray 2.60 among them) for every revision
                trees[sha] = path
            label = sha + (" (ray not importable)" if flag == "noray" else "")
            variants[label] = (sha, flag == "noray")
            subject = subprocess.run(["git", "log", "-1", "--format=%ad %s", "--date=short", sha], cwd=ROOT,
                                     capture_output=True, text=True).stdout.strip()
            report["revisions"][label] = {"commit": subject[:100], "server_mb": [], "tree_mb": [], "processes": [],
                                          "torch_in_server": False, "ray_imported_in_server": False,
                                          "ray_processes": 0}
        for _ in range(args.rounds):  # alternate, so a drifting machine load affects every revision alike
            for label, (sha, noray) in variants.items():
                row, path, port = report["revisions"][label], trees[sha], free_port()
                env = {**base, "PYTHONPATH": str(shadow)} if noray else base
                proc = subprocess.Popen(["bash", "scripts/start.sh", "--server.port", str(port)], cwd=path,
                                        env={**env, **LOOPBACK},
                                        stdout=(path / "start.log").open("w"), stderr=subprocess.STDOUT)
                try:
                    wait_http(port, timeout=300)
                    wait_http(port, "/")
                    asyncio.run(Student("idle", port, "lang=en", page="").session(click=False, all_done=None))
                    time.sleep(args.settle)  # the tab closed; let the server and any worker it started settle
                    tree = {p: c for p, c in descendants(proc.pid).items() if alive(p)}
                    row["server_mb"].append(round(rss_mb(proc.pid)))
                    row["tree_mb"].append(round(sum(rss_mb(p) for p in tree)))
                    row["processes"] = sorted({kind_of(c, -1, p) for p, c in tree.items()})
                    maps = Path(f"/proc/{proc.pid}/maps").read_text()
                    row["ray_imported_in_server"] |= "_raylet" in maps
                    row["torch_in_server"] |= "libtorch" in maps
                    row["ray_processes"] = max(row["ray_processes"], sum(
                        kind_of(c, -1, p).startswith("Ray") for p, c in descendants(me).items()))
                finally:
                    stop_processes([p for p in descendants(proc.pid)])
                    stop_processes([p for p in descendants(me) if p != me])
    finally:
        for path in trees.values():
            subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT, capture_output=True)
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT, capture_output=True)
        shutil.rmtree(shadow, ignore_errors=True)
    labels = list(variants)
    for label in labels[1:]:
        for what in ("server_mb", "tree_mb"):
            report.setdefault("ratios", {})[f"{labels[0]} / {label}, {what} (min of rounds)"] = round(
                min(report["revisions"][labels[0]][what]) / min(report["revisions"][label][what]), 3)
    emit(report, args.json)
    return 0


def main() -> int:
    """Parse; the class runs inside a private network namespace (re-executes itself there)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    idl = sub.add_parser("idle", help="idle memory of `bash scripts/start.sh`, per git revision")
    idl.add_argument("--revs", nargs="+", default=["HEAD", "HEAD:noray", "b212728^"],
                     help="git revisions; REV:noray runs REV with ray made unimportable")
    idl.add_argument("--rounds", type=int, default=2)
    idl.add_argument("--settle", type=float, default=20.0)
    idl.add_argument("--json")
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--json")
    parser.add_argument("--keep-logs", help="copy the replicas' and Ray's logs here")
    args = parser.parse_args()
    if args.command == "idle":
        return idle(args)
    return run_in_netns(__file__, lambda: main_inside(args))


if __name__ == "__main__":
    sys.exit(main())
