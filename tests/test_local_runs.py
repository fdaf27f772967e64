"""Runs on the local executor (worker processes fed by the store): order, divergence, limits, no orphans."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from lab.engine.config import RunConfig
from lab.i18n import t
from lab.runs.budget import host_cpus
from lab.runs.execute import execute_run
from lab.runs.executor import WORKER_NICE, LocalExecutor, default_limit
from lab.runs.progress import progress_of
from lab.runs.store import Store
from lab.runs.table import COLUMNS, csv_text, ended_of, json_text, row
from lab.web.train_form import end_message, progress_text
from tests.conftest import ROOT, wait_until

TINY = RunConfig(depth=1, width=16, epochs=1, train_subset=300, log_every=1)


@pytest.fixture(scope="module")
def history(mnist, tmp_path_factory):
    """Three real runs of one browser: finished, finished with SGD, and diverged."""
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('h') / 'runs.sqlite3'}")
    for config in (TINY, TINY.replace(optimizer="sgd", opt_params={"momentum": 0.9}),
                   TINY.replace(optimizer="sgd", lr=1e4, init="normal", width=64)):
        execute_run(store, store.create_run(config, "alice").id, threads=1, data=mnist)
    return store, store.list_runs(owner="alice")


def test_each_run_is_a_row_of_config_and_final_metrics(history):
    store, runs = history
    rows = [row(r) for r in runs]
    assert [r["status"] for r in rows] == ["finished", "finished", "diverged"]
    assert list(rows[0]) == list(COLUMNS) and COLUMNS[:5] == ("run", "status", "test_acc", "final_loss", "seconds")
    first = store.record(runs[0].id)
    assert rows[0]["run"] == runs[0].label and rows[0]["optimizer"] == "adam" and rows[0]["lr"] == 0.001
    assert rows[1]["lr"] == 0.1  # SGD's default learning rate, not None
    assert rows[0]["steps"] == 3 and rows[0]["test_acc"] == first.epochs[-1]["test_acc"]
    assert rows[0]["final_loss"] == pytest.approx(first.steps[-1]["loss"])
    assert rows[0]["train_subset"] == 300 and runs[1].config.opt_params == {"momentum": 0.9}


def test_csv_export_round_trips_the_table(history):
    _, runs = history
    parsed = list(csv.DictReader(io.StringIO(csv_text(runs))))
    assert list(parsed[0]) == list(COLUMNS) and len(parsed) == 3
    for line, run in zip(parsed, runs, strict=True):
        assert line["run"] == run.label and int(line["depth"]) == run.config.depth
        if run.test_acc is not None:
            assert float(line["test_acc"]) == pytest.approx(run.test_acc)
    assert parsed[2]["status"] == "diverged" and parsed[2]["test_acc"] == ""  # no epoch finished


def test_json_export_is_strict_json_with_configs_and_records(history):
    store, runs = history

    def no_nan(name):
        raise AssertionError(f"JSON holds {name}")

    data = json.loads(json_text(store, runs), parse_constant=no_nan)
    assert [r["status"] for r in data] == ["finished", "finished", "diverged"]
    for item, run in zip(data, runs, strict=True):
        assert RunConfig.from_dict(item["config"]) == run.config and item["id"] == run.id
        assert [s["step"] for s in item["record"]["steps"]] == [s["step"] for s in store.record(run.id).steps]
    assert "learning rate 10000" in data[2]["message"]


def test_a_diverging_run_reports_diverged_with_a_hint(history):
    _, runs = history
    diverged = runs[2]
    ended = ended_of(diverged)
    assert ended.status == "diverged" and ended.step >= 1
    level, text = end_message(ended, diverged.config, None, "en")
    assert level == "error" and f"step {ended.step}" in text and "Lower the learning rate" in text
    assert "1000" in text and "Traceback" not in text  # the hint: 10x lower than 10000
    ko = end_message(ended, diverged.config, None, "ko")[1]
    assert "발산" in ko and ko != text


def test_progress_text_for_queued_and_running_runs(history):
    store, runs = history
    queued = store.create_run(TINY, "bob")
    q = progress_of(queued, store.queue_place(queued))
    assert q.state == "queued" and q.place >= 1
    assert progress_text(q, "x", "en") == t("train.queued", "en", label="x", place=q.place)
    done = progress_of(runs[0])
    assert done.state == "done" and done.fraction == 1.0 and done.epoch == 1
    store.request_stop(queued.id)


def test_limits_follow_the_cores_and_the_environment(monkeypatch):
    monkeypatch.setenv("RELULAB_MAX_RUNS", "3")
    assert default_limit() == 3
    monkeypatch.delenv("RELULAB_MAX_RUNS")
    assert 1 <= default_limit() <= max(1, host_cpus())


def test_local_workers_train_queued_runs_in_order_and_leave_with_the_server(tmp_path):
    url = f"sqlite:///{tmp_path / 'runs.sqlite3'}"
    # The "server" is a child process holding a LocalExecutor; its workers are its children.
    script = (f"import time\nfrom lab.runs.store import Store\nfrom lab.runs.executor import LocalExecutor\n"
              f"ex = LocalExecutor(Store({url!r}), slots=1, threads_per_run=1)\n"
              "print('PIDS', *ex.pids, flush=True)\ntime.sleep(600)\n")
    server = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        (worker,) = map(int, server.stdout.readline().split()[1:])
        store = Store(url)
        runs = [store.create_run(TINY, "alice") for _ in range(3)]
        wait_until(lambda: all(store.get_run(r.id).status == "finished" for r in runs), timeout=180)
        started = [store.get_run(r.id).started for r in runs]
        assert started == sorted(started)  # FIFO
        assert {store.get_run(r.id).pid for r in runs} == {worker}
        long = store.create_run(RunConfig(depth=2, width=256, epochs=50), "alice")
        wait_until(lambda: store.get_run(long.id).step >= 50, timeout=120)
        server.send_signal(signal.SIGKILL)  # the server dies without a word
        wait_until(lambda: store.get_run(long.id).status == "interrupted", timeout=10)
        wait_until(lambda: not os.path.exists(f"/proc/{worker}") or _zombie(worker), timeout=10)
    finally:
        server.kill()
        server.wait()


def _zombie(pid: int) -> bool:
    """True if pid has exited and only waits to be reaped."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] == "Z"
    except FileNotFoundError:
        return True


def test_a_killed_worker_interrupts_its_run_only_keeping_every_stored_step_and_the_next_run_trains(tmp_path,
                                                                                                    mnist):
    store = Store(f"sqlite:///{tmp_path / 'runs.sqlite3'}")
    executor = LocalExecutor(store, slots=1, threads_per_run=1)
    doomed_config = RunConfig(depth=1, width=64, epochs=50, train_subset=5000, batch_size=50, log_every=3,
                              probe_every=40)
    try:
        doomed = store.create_run(doomed_config, "alice")
        after = store.create_run(TINY, "bob")  # queued behind it: the next run must still train
        wait_until(lambda: store.get_run(doomed.id).step >= 150, timeout=180)
        os.kill(store.get_run(doomed.id).pid, signal.SIGKILL)
        killed = time.monotonic()
        wait_until(lambda: store.get_run(doomed.id).status == "interrupted", timeout=10)
        seconds = time.monotonic() - killed
        run = store.get_run(doomed.id)
        assert "exit code -9; killed, perhaps for lack of memory" in run.message and "checkpoint" in run.message
        wait_until(lambda: store.get_run(after.id).status == "finished", timeout=180)
    finally:
        executor.close()
    # What the worker had stored is the trainer's run, step by step: the same config trained here
    # to the same step logs the same steps, losses and gradient norms; nothing twice, nothing missing.
    stored = store.record(doomed.id)
    assert stored.status == "interrupted" and stored.steps, f"interrupted after {seconds:.1f} s"
    # a probe is its own event: the worker may have stored one past the last logged step
    last = max(stored.steps[-1]["step"], *(a["step"] for a in stored.activations))
    reference = train_until(doomed_config, mnist, last)
    assert [s["step"] for s in stored.steps] == [s["step"] for s in reference.steps[:len(stored.steps)]]
    assert [s["step"] for s in stored.steps] == list(range(1, stored.steps[-1]["step"] + 1, 3))
    for mine, theirs in zip(stored.steps, reference.steps, strict=False):
        assert mine["loss"] == pytest.approx(theirs["loss"], rel=1e-4)
        assert mine["grad_norms"] == pytest.approx(theirs["grad_norms"], rel=1e-3)
    assert [a["step"] for a in stored.activations] == [a["step"] for a in reference.activations][
        :len(stored.activations)]
    assert [seq for seq, _ in store.events(doomed.id)] == list(range(1, store.get_run(doomed.id).last_seq + 1))
    assert store.load_weights(doomed.id)[1] == "checkpoint"  # what it had learned is kept


def train_until(config: RunConfig, data, step: int):
    """The config trained here (one thread, as the worker) until it has logged step; the trainer's record."""
    import torch

    from lab.engine.train import Trainer

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    trainer = None

    def enough(event) -> None:
        if trainer is not None and trainer.step >= step:
            trainer.stop()

    try:
        trainer = Trainer(config, enough, data=data)
        return trainer.run()
    finally:
        torch.set_num_threads(threads)


def _rss_mb(pid: int) -> float:
    """A process's resident memory in MB, from /proc."""
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024


def test_warm_loads_what_a_first_run_waits_for_and_the_worker_still_trains(tmp_path):
    # torch.optim's first optimizer imports torch._dynamo (2.5-3 s, ~160 MB): warm() does it before the
    # first run, when a student opens the Train page, so the worker's memory grows then, not at the run.
    store = Store(f"sqlite:///{tmp_path / 'runs.sqlite3'}")
    executor = LocalExecutor(store, slots=1, threads_per_run=1)
    try:
        (pid,) = executor.pids
        wait_until(lambda: os.getpriority(os.PRIO_PROCESS, pid) == WORKER_NICE, timeout=60)  # pages first
        sizes = [0.0]
        while len(sizes) < 4 or max(sizes[-4:]) - min(sizes[-4:]) > 2 or sizes[-1] < 300:  # torch and MNIST in
            time.sleep(0.5)
            sizes.append(_rss_mb(pid))
            assert len(sizes) < 240, "the worker never settled"
        idle = sizes[-1]
        executor.warm()
        executor.warm()  # once per worker: a second call asks nothing more
        wait_until(lambda: _rss_mb(pid) > idle + 100, timeout=120)
        run = store.create_run(TINY, "alice")
        wait_until(lambda: store.get_run(run.id).status == "finished", timeout=120)
        assert store.get_run(run.id).pid == pid
    finally:
        executor.close()
