"""A class of 30 through real Streamlit sessions: two replicas, PostgreSQL, Ray (two nodes) vs the local executor.

HTTP-level students, no browser (30 Chromium contexts would saturate this 2-core machine): each
student opens Streamlit's WebSocket (/_stcore/stream) as a browser tab does, with its own owner
cookie, and speaks the tab's protocol (BackMsg / ForwardMsg protobufs): a rerun of /train with the
config in the query string, then a rerun with the ▶ Train button's trigger (widget key
train_start), then it keeps the tab open and reruns the page's auto-rerun fragments at the
intervals the server asks for, as the browser's timers do, until a full page run shows ▶ Train
enabled again (its run ended). Tabs stay open until the whole class is done.

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
import ctypes
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.ray_load import Postgres, free_port  # noqa: E402 - the previous bench's PostgreSQL
from tests.conftest import LOOPBACK  # noqa: E402 - servers listen on loopback only

QUERY = "lang=en&activation=relu&train_subset=2000&epochs=1&depth=2&width=64"
COOKIE = "relulab_owner"  # lab.web.presence.COOKIE: a browser's owner token after its first visit
FULL_RUN, FRAGMENT_RUN = 0, 3  # ForwardMsg.ScriptFinishedStatus: FINISHED_SUCCESSFULLY, ..._FRAGMENT_RUN_...
PAGE_SIZE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20


class Student:
    """One browser tab, as the WebSocket protocol sees it: load /train, click ▶ Train, poll until the run ended."""

    def __init__(self, name: str, port: int, query: str = QUERY, page: str = "train"):
        self.name, self.port, self.query, self.page = name, port, query, page
        self.token = f"bench-{name}-{random.getrandbits(40):010x}"  # 16..64 chars [A-Za-z0-9_-]
        self.page_hash = ""
        self.auto: dict[str, float] = {}  # fragment id -> interval (s), as the server asked
        self.start_id, self.start_disabled = None, None  # the ▶ Train button in the current full run
        self.finished = asyncio.Event()  # a script run (full or fragment) finished
        self.last_status = None
        self.errors: list[str] = []  # exceptions the page showed
        self.t: dict[str, float] = {}
        self.fragment_reruns = 0
        self.bytes_in = 0

    def rerun(self, widgets: tuple = (), fragment: str = "") -> bytes:
        """A rerun_script BackMsg as the frontend sends it (page by name until the server says its hash)."""
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        state.page_script_hash = self.page_hash
        state.page_name = "" if self.page_hash else self.page
        info = state.context_info
        info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-US"
        info.url = f"http://127.0.0.1:{self.port}/{self.page}?{self.query}"
        state.widget_states.widgets.extend(widgets)
        if fragment:
            state.fragment_id, state.is_auto_rerun = fragment, True
        return msg.SerializeToString()

    def handle(self, data: bytes) -> None:
        """Fold one ForwardMsg into what the tab knows."""
        self.bytes_in += len(data)
        msg = ForwardMsg()
        msg.ParseFromString(data)
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            if not msg.metadata.run.fragment_ids:  # a full run: the browser drops its timers
                self.auto.clear()
                self.start_id = self.start_disabled = None
        elif kind == "navigation":  # st.navigation's page (new_session carries app.py's hash)
            self.page_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string  # the page rewrote its URL
        elif kind == "auto_rerun":
            self.auto[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            for fid in msg.stop_auto_rerun.fragment_ids:
                self.auto.pop(fid, None)
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            what = element.WhichOneof("type")
            if what == "button" and element.button.id.endswith("-train_start"):
                self.start_id, self.start_disabled = element.button.id, element.button.disabled
            elif what == "exception":
                self.errors.append(f"{element.exception.type}: {element.exception.message}"[:300])
        elif kind == "script_finished":
            self.last_status = msg.script_finished
            self.finished.set()

    async def until_finished(self, ws, timeout: float = 300.0) -> int:
        """Read messages until a script run finishes; its status."""
        self.finished.clear()
        deadline = time.monotonic() + timeout
        while not self.finished.is_set():
            self.handle(await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic())))
        return self.last_status

    async def session(self, click: bool, all_done: asyncio.Event | None, timeout: float = 900.0) -> dict:
        """The tab's life: load the page, click ▶ Train, poll the fragments until the run ended (and the class)."""
        self.t["connect"] = time.time()
        url = f"ws://127.0.0.1:{self.port}/_stcore/stream"
        async with websockets.connect(url, subprotocols=["streamlit"], max_size=None, open_timeout=120,
                                      additional_headers={"Cookie": f"{COOKIE}={self.token}"}) as ws:
            await ws.send(self.rerun())
            while await self.until_finished(ws) != FULL_RUN:
                pass
            self.t["page"] = time.time()
            if not click:
                return self.report()
            if self.start_id is None:
                raise RuntimeError(f"{self.name}: no ▶ Train button (errors: {self.errors})")
            self.t["click"] = time.time()
            await ws.send(self.rerun((WidgetState(id=self.start_id, trigger_value=True),)))
            while await self.until_finished(ws) != FULL_RUN:
                pass
            self.t["clicked_page"] = time.time()
            seen_active = bool(self.start_disabled)
            due: dict[str, float] = {}
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.start_disabled is not None and not self.start_disabled and seen_active \
                        and "ended_seen" not in self.t:
                    self.t["ended_seen"] = time.time()
                if "ended_seen" in self.t and (all_done is None or all_done.is_set()):
                    break
                seen_active |= bool(self.start_disabled)
                now = time.monotonic()
                for fid in list(due):
                    if fid not in self.auto:
                        del due[fid]
                for fid, interval in self.auto.items():
                    due.setdefault(fid, now + interval)
                fid = min(due, key=due.get) if due else None
                wait = min(due[fid] - now, 0.5) if fid else 0.5
                if wait > 0:  # read what comes meanwhile (a rerun the server started itself)
                    try:
                        self.handle(await asyncio.wait_for(ws.recv(), wait))
                    except TimeoutError:
                        pass
                    continue
                # A fragment's timer fired: rerun it and read until it (or the full run it asked for) is done.
                due[fid] = time.monotonic() + self.auto[fid]
                self.fragment_reruns += 1
                await ws.send(self.rerun(fragment=fid))
                await self.until_finished(ws)
            else:
                raise RuntimeError(f"{self.name}: the page never showed the run ended")
        return self.report()

    def report(self) -> dict:
        """This tab's timings and what it saw."""
        return {"name": self.name, "token": self.token, "port": self.port, "t": self.t, "errors": self.errors,
                "fragment_reruns": self.fragment_reruns, "mb_received": round(self.bytes_in / 2**20, 1)}


async def students(specs: list[tuple], click: bool = True, tab: type[Student] = Student) -> list[dict]:
    """Tabs that open at once (specs: each tab's arguments); each polls until every tab has seen its run end."""
    done = asyncio.Event()
    tabs = [tab(*spec) for spec in specs]
    left = len(tabs)

    async def one(tab: Student) -> dict:
        nonlocal left
        try:
            return await tab.session(click, done)
        finally:
            left -= 1
            if left == 0:
                done.set()

    async def watch() -> None:  # every tab past its run's end: all may close
        while not done.is_set():
            if all("ended_seen" in t.t or not click for t in tabs):
                done.set()
            await asyncio.sleep(0.2)

    watcher = asyncio.create_task(watch())
    try:
        return await asyncio.gather(*(one(t) for t in tabs))
    finally:
        done.set()
        await watcher


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


def descendants(root: int) -> dict[int, str]:
    """pid -> command line of root and every process below it."""
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
    out, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in cmds:
            out[pid] = cmds[pid].strip()
        todo += children.get(pid, [])
    return out


def rss_mb(pid: int) -> float:
    """Resident memory of one process (MB); 0 if it is gone."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE_MB
    except (OSError, IndexError, ValueError):
        return 0.0


class MemorySampler:
    """Samples our process tree's RSS twice a second: per phase and kind, the largest process and largest sum."""

    def __init__(self):
        self.phase = "setup"
        self.peaks: dict[str, dict[str, dict]] = {}
        self.snapshots: dict[str, tuple[float, list]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.5):
            sums: dict[str, list[float]] = {}
            rows = []
            for pid, cmd in descendants(me).items():
                mb = rss_mb(pid)
                if mb:
                    sums.setdefault(kind_of(cmd, me, pid), []).append(mb)
                    rows.append((round(mb), kind_of(cmd, me, pid), cmd[:110]))
            total = sum(mb for mb, _, _ in rows)
            if total > self.snapshots.get(self.phase, (0, []))[0]:  # the moment our whole tree was largest
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


def wait_http(port: int, path: str = "/_stcore/health", timeout: float = 180.0) -> None:
    """Until a loopback HTTP GET answers 200."""
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
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    return subprocess.Popen(cmd, cwd=cwd, env={**env, **LOOPBACK}, stdout=log.open("w"), stderr=subprocess.STDOUT)


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

    def stop(self) -> None:
        """Stop this cluster's processes (ours by ancestry: never a machine-wide `ray stop`)."""
        me = os.getpid()
        pids = [p for p, cmd in descendants(me).items() if p != me and kind_of(cmd, me, p).startswith("Ray")]
        stop_processes(pids, grace=15)


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
        for round_ in range(2):
            asyncio.run(students([(f"{kind}-warm{round_}-{i}-{j}", p) for i, p in enumerate(ports) for j in range(2)]))
        out["warmup_s"] = round(time.time() - began, 1)
        alone = [asyncio.run(students([(f"{kind}-alone{i}", p)]))[0] for i, p in enumerate(ports)]
        specs = [(f"{kind}-student{j:02d}", ports[j % 2]) for j in range(n)]
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
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: daemons we start stay in our tree
    tmp = Path(tempfile.mkdtemp(prefix="rl-cl-", dir="/tmp"))  # short: Ray's socket paths live under it
    os.chmod(tmp, 0o755)
    (tmp / "ray").mkdir()
    sampler = MemorySampler()
    report: dict = {"machine": f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                    "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "query": QUERY,
                    "load_average_before": round(os.getloadavg()[0], 1)}
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
            ray_nodes.stop()
        pg.stop()
        memory = sampler.stop()
        me = os.getpid()
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
    text = json.dumps(report, indent=1)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    return 0


def idle(args: argparse.Namespace) -> int:
    """`bash scripts/start.sh` of each revision at idle: one visit to the home page, then the process tree's RSS."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    venv = (ROOT / ".venv").resolve()
    trees: dict[str, Path] = {}  # sha -> temp worktree
    variants: dict[str, tuple[str, bool]] = {}  # label -> (sha, ray made unimportable)
    report: dict = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "settle_s": args.settle,
                    "revisions": {}}
    base = {k: v for k, v in os.environ.items() if not k.startswith(("RELULAB_", "RAY_"))}
    shadow = Path(tempfile.mkdtemp(prefix="rl-noray-"))  # a `ray` that fails to import: as if not installed
    (shadow / "ray").mkdir()
    (shadow / "ray" / "__init__.py").write_text("raise ImportError('ray hidden: as if not installed')\n")
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
    text = json.dumps(report, indent=1)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
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
    if os.environ.get("RELULAB_IN_NETNS") != "1":
        cmd = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", sys.executable, __file__,
               *sys.argv[1:]]
        return subprocess.run(cmd, env={**os.environ, "RELULAB_IN_NETNS": "1"}).returncode
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    return main_inside(args)


if __name__ == "__main__":
    sys.exit(main())
