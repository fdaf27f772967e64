"""Run history: a row of config and final metrics per run, exported as CSV and valid JSON."""

from __future__ import annotations

import csv
import io
import json
import threading

import pytest

from lab.config import RunConfig
from lab.history import COLUMNS, HistoryEntry, RunHistory
from lab.worker import RunQueue, SessionRuns


@pytest.fixture(scope="module")
def history(mnist):
    """Three real runs from one session: finished, finished with SGD, and diverged."""
    runs = SessionRuns(queue=RunQueue(limit=1, threads_per_run=1))
    small = dict(depth=1, width=16, epochs=1, train_subset=300, log_every=1)
    runs.start(RunConfig(**small))
    runs.start(RunConfig(optimizer="sgd", opt_params={"momentum": 0.9}, **small))
    runs.start(RunConfig(optimizer="sgd", lr=1e4, init="normal", **{**small, "width": 64}))
    assert runs.join(timeout=120)
    return runs.history


def test_each_run_is_a_row_of_config_and_final_metrics(history):
    rows = history.rows()
    assert [r["status"] for r in rows] == ["finished", "finished", "diverged"]
    first, second, _ = history.entries()
    assert list(rows[0]) == list(COLUMNS)
    assert rows[0]["run"] == first.label and rows[0]["optimizer"] == "adam" and rows[0]["lr"] == 0.001
    assert rows[1]["lr"] == 0.1  # SGD's default learning rate, not None
    assert rows[0]["steps"] == 3 and rows[0]["test_acc"] == first.record.epochs[-1]["test_acc"]
    assert rows[0]["final_loss"] == first.record.steps[-1]["loss"]
    assert rows[0]["train_subset"] == 300 and second.config.opt_params == {"momentum": 0.9}


def test_csv_export_round_trips_the_table(history):
    parsed = list(csv.DictReader(io.StringIO(history.to_csv())))
    assert list(parsed[0]) == list(COLUMNS) and len(parsed) == 3
    for row, original in zip(parsed, history.rows(), strict=True):
        assert row["run"] == original["run"] and int(row["depth"]) == original["depth"]
        if original["test_acc"] is not None:
            assert float(row["test_acc"]) == pytest.approx(original["test_acc"])
    assert parsed[2]["status"] == "diverged" and parsed[2]["test_acc"] == ""  # no epoch finished


def test_json_export_is_strict_json_with_configs_and_records(history):
    def no_nan(name):
        raise AssertionError(f"JSON holds {name}")

    runs = json.loads(history.to_json(), parse_constant=no_nan)
    assert [r["status"] for r in runs] == ["finished", "finished", "diverged"]
    entries = history.entries()
    for data, entry in zip(runs, entries, strict=True):
        assert RunConfig.from_dict(data["config"]) == entry.config
        assert [s["step"] for s in data["record"]["steps"]] == [s["step"] for s in entry.record.steps]
    assert "learning rate 10000" in runs[2]["message"]


def test_history_keeps_the_newest_runs_and_is_thread_safe(history):
    small = RunHistory(limit=5)
    template = history.entries()[0]

    def add_many(offset: int) -> None:
        for i in range(50):
            small.add(HistoryEntry(offset + i, f"#{offset + i}", template.config, template.record,
                                   template.ended))

    threads = [threading.Thread(target=add_many, args=(k * 100,)) for k in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(small) == 5
    assert small.by_label(small.entries()[-1].label) is small.entries()[-1]
    assert small.by_label("#0") is None
