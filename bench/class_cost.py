"""Issue 24's class bench: what a class's runs cost one small server, with identical runs trained once and a
fair queue. One `streamlit run app.py` (the README's start: the repo's .streamlit/config.toml, a port
added) on the default kind of store, a SQLite file (a temporary one, not the developer's runs/), and
students as WebSocket tabs (bench/class_load.py's Student: the tab's own protocol, its owner cookie, the
page's fragment timers). A tab's run is over when its page shows the run's end ("Finished after ...").

Phases, one after another on the one server (its budget here: one run slot, one torch thread):
  alone       one student presses ▶ Train: the time one run takes, click to finished page;
  same        30 students press the same lesson preset at once: every one must see a finished run, the
              server must train it once, and the class's makespan (first click to the last finished page)
              be at most 1.3x one run alone;
  six         30 students over 6 distinct configs (5 each): makespan about 6 runs, 6 trained;
  fairness    a student has 6 runs queued (one training), then 5 others press ▶ Train on one preset: each
              of the 5 must start within one run's time; then 5 more on 5 distinct configs, whose k-th
              starts after about k runs, all before the first student's queue.
Lesson-like runs kept short so the bench takes minutes: the lesson's 784-256-256-10 ReLU net (normal
init, Adam 1e-3, batch 100) on --subset training images for --epochs epochs (each phase its own seeds,
so no phase replays another's runs).

    python bench/class_cost.py [--subset 60000] [--epochs 5] [--students 30] [--json bench/results/class_cost.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.procs import free_port, start_replica, stop_processes, wait_http  # noqa: E402
from bench.ws_student import Student, students  # noqa: E402


class Tab(Student):
    """A Student whose run is over once its page shows the run finished (a replay: once played back)."""

    def handle(self, data: bytes) -> None:
        """Student's fold, and the moment a finished run's message appears after the click."""
        super().handle(data)
        msg = ForwardMsg()
        msg.ParseFromString(data)
        if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            if element.WhichOneof("type") == "alert" and element.alert.body.startswith("Finished after") \
                    and "click" in self.t:
                self.t.setdefault("ended_seen", time.time())


def query(args: argparse.Namespace, seed: int) -> str:
    """The Train page's URL query of the lesson-like run with this seed."""
    return (f"lang=en&init=normal&lr=0.001&batch_size=100&train_subset={args.subset}&epochs={args.epochs}"
            f"&seed={seed}")


def press(port: int, names_seeds: list[tuple[str, int]], args) -> list[dict]:
    """These students open the Train page at once and press ▶ Train; each tab's report when all are done."""
    return asyncio.run(students([(name, port, query(args, seed)) for name, seed in names_seeds], tab=Tab))


def cost(store, tabs: list[dict], alone_s: float | None) -> dict:
    """A phase in numbers: what the students saw, and what the store trained and replayed for them."""
    runs = [r for t in tabs for r in store.list_runs(owner=t["token"])]
    clicks = sorted(t["t"]["click"] for t in tabs)
    seen = sorted(t["t"]["ended_seen"] - t["t"]["click"] for t in tabs)
    makespan = max(t["t"]["ended_seen"] for t in tabs) - clicks[0]
    return {"students": len(tabs), "configs": len({r.config.seed for r in runs}), "runs": len(runs),
            "saw_finished": sum("ended_seen" in t["t"] for t in tabs),
            "finished_in_store": sum(r.status == "finished" for r in runs),
            "trained": sum(not r.replay for r in runs), "replayed": sum(r.replay for r in runs),
            "training_s": sorted(round(r.seconds or 0, 1) for r in runs if not r.replay),  # the server's work
            "makespan_s": round(makespan, 1), "vs_alone": round(makespan / alone_s, 2) if alone_s else 1.0,
            "clicks_spread_s": round(clicks[-1] - clicks[0], 1),
            "click_to_finished_s_median_max": [round(seen[len(seen) // 2], 1), round(seen[-1], 1)],
            "page_errors": sum(len(t["errors"]) for t in tabs)}


def fairness(store, port: int, args, one_run_s: float) -> dict:
    """A student with 6 runs queued, then 5 on one preset, then 5 on 5 configs: when each of them started."""
    from lab.engine.config import PRESETS

    base = PRESETS["lesson-nn"].replace(train_subset=args.subset, epochs=args.epochs)
    hog = [store.create_run(base.replace(seed=300 + i), "bench-hog-" + "x" * 12) for i in range(6)]
    while store.get_run(hog[0].id).step == 0:  # the first student's first run trains; five wait
        time.sleep(0.1)
    same = press(port, [(f"fair-same{i}", 401) for i in range(5)], args)
    distinct = press(port, [(f"fair-own{i}", 501 + i) for i in range(5)], args)
    out = {}
    for name, tabs in (("same_preset", same), ("distinct_configs", distinct)):
        waits = []
        for tab in tabs:
            (run,) = store.list_runs(owner=tab["token"])
            waits.append(round(run.started - tab["t"]["click"], 1))
        out[name] = {"waits_s": waits, "max_wait_in_runs": round(max(waits) / one_run_s, 2)}
    others = [r for t in same + distinct for r in store.list_runs(owner=t["token"])]
    hog_starts = [r.started for r in map(store.get_run, (h.id for h in hog)) if r.started]
    # Fair: none of the first student's runs started while one of the others' was waiting in the queue.
    out["first_student_overtook_a_waiting_run"] = any(o.created < s < o.started for s in hog_starts for o in others)
    out["first_students_runs_started_meanwhile"] = len(hog_starts)
    for run in hog:
        store.request_stop(run.id)
    return out


def main() -> int:
    """Start the server, run the phases, print them side by side (and as JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subset", type=int, default=60000, help="training images per run")
    parser.add_argument("--epochs", type=int, default=5, help="about 30 s a run here: long next to the page work")
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--json")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="rl-cost-"))
    db = f"sqlite:///{tmp / 'relulab.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RELULAB_", "RAY_"))}
    env.update(RELULAB_DB=db, PYTHONPATH=str(ROOT))
    port = free_port()
    server = start_replica(port, env, tmp / "server.log")
    report: dict = {"machine": f"{platform.node()}, {os.cpu_count()} cores", "subset": args.subset,
                    "epochs": args.epochs, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                    "load_average_before": round(os.getloadavg()[0], 1)}
    try:
        from lab.runs.store import open_store

        wait_http(port)
        store = open_store(db)
        asyncio.run(students([("visit", port)], click=False, tab=Tab))  # starts the executor, warms its worker
        press(port, [("warm", 1)], args)  # the worker's first run (torch's lazy parts, MNIST)
        alone_tabs = press(port, [("alone", 2)], args)
        alone = cost(store, alone_tabs, None)
        alone_s = alone["makespan_s"]
        (alone_run,) = store.list_runs(owner=alone_tabs[0]["token"])
        report["phases"] = {"one run alone": alone}
        report["one_run_train_s"] = round(alone_run.seconds, 1)
        n = args.students
        report["phases"][f"{n} students, same preset"] = cost(store, press(port, [(f"same{j:02d}", 777)
                                                                                 for j in range(n)], args), alone_s)
        report["phases"][f"{n} students, 6 configs"] = cost(store, press(port, [(f"six{j:02d}", 101 + j % 6)
                                                                               for j in range(n)], args), alone_s)
        report["fairness"] = fairness(store, port, args, alone_run.seconds)
    finally:
        stop_processes([server.pid])
        report["load_average_after"] = round(os.getloadavg()[0], 1)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n{report['machine']}; lesson net, {args.subset} images x {args.epochs} epoch(s) a run "
          f"({report['one_run_train_s']} s of training alone); load {report['load_average_before']} -> "
          f"{report['load_average_after']}\n")
    print(f"{'phase':32} {'saw finished':>12} {'makespan':>9} {'vs alone':>9} {'trained':>8} {'replayed':>9} "
          f"{'clicks over':>12}")
    for name, row in report["phases"].items():
        print(f"{name:32} {row['saw_finished']:>5}/{row['students']:<6} {row['makespan_s']:>8.1f}s "
              f"{row['vs_alone']:>8.2f}x {row['trained']:>8} {row['replayed']:>9} {row['clicks_spread_s']:>11.1f}s")
    fair = report["fairness"]
    print(f"\nfairness (one student with 6 queued): 5 on one preset waited {fair['same_preset']['waits_s']} s "
          f"(at most {fair['same_preset']['max_wait_in_runs']} runs); 5 on 5 configs waited "
          f"{fair['distinct_configs']['waits_s']} s; a run of the first student's overtook a waiting one: "
          f"{fair['first_student_overtook_a_waiting_run']}")
    text = json.dumps(report, indent=1)
    if args.json:
        Path(args.json).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
