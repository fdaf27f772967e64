"""The CLI on the run store: `train --db` records its run, `runs` lists it, `runs show` prints it; `--ray` too."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lab.__main__ import main
from tests.conftest import ROOT

pytest_plugins = ["tests.ray_netns"]

TINY = ["--depth", "1", "--width", "32", "--epochs", "1", "--train-subset", "2000", "--log-every", "5",
        "--device", "cpu", "--quiet"]


@pytest.fixture
def db(tmp_path):
    """A fresh SQLite store URL."""
    return f"sqlite:///{tmp_path / 'runs.sqlite3'}"


def listed(capsys, *args) -> list[dict]:
    """`runs --json` (plus args) as parsed JSON."""
    capsys.readouterr()
    assert main(["runs", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_train_records_the_run_and_runs_lists_and_shows_it(db, tmp_path, capsys):
    out = tmp_path / "run.json"
    assert main(["train", *TINY, "--db", db, "--json", str(out)]) == 0
    written = json.loads(out.read_text())
    assert written["status"] == "finished" and [s["step"] for s in written["steps"]] == [1, 6, 11, 16]
    assert written["executor"] == "cli" and written["node"]
    (run,) = listed(capsys, "--db", db)
    assert run["id"] == written["id"] and run["status"] == "finished" and run["owner"] == "cli"
    assert run["config"]["width"] == 32 and run["node"] == written["node"]
    assert run["test_acc"] == written["epochs"][-1]["test_acc"] > 0.3
    capsys.readouterr()
    assert main(["runs", "show", run["id"], "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == written  # the same JSON train --json wrote
    assert main(["runs", "--db", db]) == 0
    text = capsys.readouterr().out
    assert run["id"] in text and "finished" in text and "1×32" in text


def test_db_defaults_to_relulab_db(db, monkeypatch, capsys):
    monkeypatch.setenv("RELULAB_DB", db)
    assert listed(capsys) == []
    assert main(["train", *TINY, "--epochs", "1", "--optimizer", "sgd", "--lr", "1000", "--log-every", "1"]) == 1
    (run,) = listed(capsys)
    assert run["status"] == "diverged" and run["config"]["optimizer"] == "sgd"


def test_unknown_run_id_is_one_line_and_exit_2(db):
    for bad in ("AAAAAAAAAAAAAAAAAAAAAA", "not a run id"):
        result = subprocess.run([sys.executable, "-m", "lab", "runs", "show", bad, "--db", db], cwd=ROOT,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 2 and result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "no run with id" in lines[0] and bad in lines[0], result.stderr


@pytest.mark.netns
def test_train_on_a_ray_cluster_records_the_node(db, tmp_path, capsys, ray_cluster, ray_executor):
    # With the session's executor connected, the CLI's executor joins its Ray job (warm workers) and
    # leaves the connection open when it closes.
    out = tmp_path / "run.json"
    assert main(["train", *TINY, "--db", db, "--ray", ray_cluster.address, "--json", str(out)]) == 0
    written = json.loads(out.read_text())
    assert written["status"] == "finished" and written["executor"] == "ray"
    assert written["node"].startswith("ray:127.0.0.1/")
    assert written["node"].rsplit("/", 1)[1] in {i[:12] for i in ray_cluster.node_ids}
    (run,) = listed(capsys, "--db", db)
    assert run["node"] == written["node"] and run["test_acc"] == written["epochs"][-1]["test_acc"]
    import ray

    assert ray.is_initialized()
