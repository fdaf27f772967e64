"""The CLI on the run store: `train` records its run there (in-process or on Ray); `runs` lists and shows runs.

The terminal follows a run through the store, whichever executor trains it, so what it prints
is what any page would show. `--db` defaults to $RELULAB_DB, then the embedded SQLite file.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
from pathlib import Path

from lab.engine.config import RunConfig
from lab.engine.events import RunEnded
from lab.i18n import t
from lab.runs.errors import safe_url
from lab.runs.identity import key_for, local_trains_on
from lab.runs.store import Store, StoreError, open_store
from lab.runs.stored import StoredRun

FOLLOW_S = 0.1  # the terminal reads new events this often
AWAY_S = 1.0  # and asks a store that does not answer again this often


def add_store_flags(parser: argparse.ArgumentParser, suppress: bool = False) -> None:
    """--db (and nothing else: --json differs per command)."""
    parser.add_argument("--db", metavar="URL", default=argparse.SUPPRESS if suppress else None,
                        help="run store URL (default: $RELULAB_DB, else runs/relulab.sqlite3)")


def add_runs_parser(sub) -> None:
    """`runs [--db URL] [--json]` and `runs show ID [--db URL] [--json]`."""
    p = sub.add_parser("runs", help="list the runs in the run store, or show one")
    add_store_flags(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    runs_sub = p.add_subparsers(dest="runs_command", parser_class=type(p))
    show = runs_sub.add_parser("show", help="one run as the JSON `train --json` writes")
    show.add_argument("id")
    add_store_flags(show, suppress=True)
    show.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")


def run_json(store: Store, run: StoredRun) -> dict:
    """A run's whole record (what `train --json` writes) with its id, status and node."""
    return {**store.record(run.id).to_dict(), "id": run.id, "status": run.status, "node": run.node,
            "executor": run.executor, "message": run.message}


def run_runs(args: argparse.Namespace) -> int:
    """`python -m lab runs ...`."""
    try:
        store = open_store(args.db)
        if getattr(args, "runs_command", None) == "show":
            run = store.get_run(args.id)
            if run is None:
                print(f"error: no run with id {args.id!r} in {safe_url(store.url)}", file=sys.stderr)
                return 2
            if args.json:
                print(json.dumps(run_json(store, run), indent=1))
            else:
                print(describe(run))
            return 0
        runs = store.list_runs()
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([r.summary() for r in runs], indent=1))
    else:
        for run in runs:
            acc = f"{run.test_acc:.2%}" if run.test_acc is not None else "-"
            print(f"{run.id}  {run.status:<11} {acc:>7}  {run.node or '-':<30} {run.label}")
        if not runs:
            print(f"no runs in {safe_url(store.url)}")
    return 0


def describe(run: StoredRun) -> str:
    """A few lines about a run, for people."""
    acc = f"{run.test_acc:.2%}" if run.test_acc is not None else "-"
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(run.created))
    return (f"{run.id}  {run.label}\n  status {run.status} ({run.executor}, node {run.node or '-'}), "
            f"created {when}\n  step {run.step}/{run.total_steps}  test acc {acc}  "
            f"{run.seconds or 0:.1f} s\n  {run.message}").rstrip()


def follow(store: Store, run_id: str, on_event, stop: threading.Event | None = None) -> None:
    """Feed the run's stored events to on_event, in order, until its end (or stop is set); waits out an outage."""
    seen, away = 0, False
    while True:
        try:
            new = store.events(run_id, after=seen)
        except StoreError as exc:  # the trainer spools meanwhile: nothing is lost, the terminal waits
            new = []
            if not away:
                print(f"\nthe run store cannot be reached; training goes on, reconnecting… ({exc})", file=sys.stderr)
            away = True
        else:
            if away:
                print("the run store answers again", file=sys.stderr)
            away = False
        for seq, event in new:
            seen = seq
            on_event(event)
            if isinstance(event, RunEnded):
                return
        if stop is not None and stop.is_set():
            return
        time.sleep(AWAY_S if away else FOLLOW_S)


def train_stored(config: RunConfig, args: argparse.Namespace, printer) -> tuple[Store, StoredRun] | None:
    """Record the run in the store and train it here (executor 'cli') or on Ray; the store and the ended run."""
    from lab.runs.execute import execute_run

    store = open_store(args.db)
    ray_executor = None
    if args.ray:
        from lab.runs.ray_executor import RayExecutor

        ray_executor = RayExecutor(store, args.ray, resubmit=False)
    key = key_for(config, ray_executor or CliTrainer())
    run = store.create_run(config, owner="cli", executor="ray" if ray_executor else "cli", key=key,
                           reuse=getattr(args, "reuse", False))
    print(f"run {run.id} in {safe_url(store.url)}", file=sys.stderr)
    if run.replay:
        print(t("replay.cli", "en", original=run.replay_of), file=sys.stderr)
        if follow_replay(store, run.id, printer):
            if ray_executor is not None:
                ray_executor.close()
            return store, store.get_run(run.id)
        # Its original stopped or failed: this run is queued to train for real, here (or on Ray).
    try:
        if ray_executor is None:
            # The terminal says when the store goes and comes back (follow); the trainer's writer only
            # speaks if it gives up (its warnings are for a server's log).
            logging.getLogger("lab.runs.execute").setLevel(logging.ERROR)
            done = threading.Event()
            reader = threading.Thread(target=follow, args=(store, run.id, printer, done), daemon=True)
            reader.start()
            try:
                execute_run(store, run.id, executor="cli")
            except KeyboardInterrupt:  # Ctrl-C: the trainer was interrupted where it stood
                store.end_without_events(run.id, "stopped", "Stopped with Ctrl-C.")
            done.set()
            reader.join(timeout=30)
        else:
            ray_executor.submit(run.id)
            try:
                follow(store, run.id, printer)
            except KeyboardInterrupt:  # Ctrl-C: ask the run to stop, then show it ending
                store.request_stop(run.id)
                ray_executor.stop(run.id)
                follow(store, run.id, printer)
    finally:
        if ray_executor is not None:
            ray_executor.close()
    return store, store.get_run(run.id)


class CliTrainer:
    """The CLI's own process as the trainer, for a run's key: this host's device, torch's threads here."""

    name = "cli"

    def trains_on(self, config: RunConfig) -> tuple[str, int]:
        """(device kind, torch threads) of a run trained in this process."""
        import torch

        return local_trains_on(config, torch.get_num_threads())


def follow_replay(store: Store, run_id: str, on_event) -> bool:
    """Feed a replay's events to on_event until it ends (True), or until it is queued to train itself (False)."""
    seen = 0
    while True:
        run = store.get_run(run_id)  # the row first: once it says ended, the events read next hold the end
        if not run.replay:
            return False
        for seq, event in store.events(run_id, after=seen):
            seen = seq
            on_event(event)
        if not run.active:
            return True
        time.sleep(FOLLOW_S)


def write_outputs(store: Store, run: StoredRun, json_path: Path | None, save_path: Path | None) -> None:
    """--json: the run's record with its id, status, node; --save: its final weights as a model file."""
    if json_path:
        from lab.draw.modelfile import write_atomic

        write_atomic(json_path, json.dumps(run_json(store, run), indent=1).encode())
    if save_path and run.status in ("finished", "stopped"):
        from lab.draw.modelfile import save_model

        stored = store.load_weights(run.id)
        if stored is not None:
            save_model(save_path, stored[0], run.config.activation, run.config.leaky_slope,
                       {"config": run.config.to_dict(), "test_acc": run.test_acc, "run_id": run.id})
            print(f"model saved to {save_path}")
