"""RunConfig round-trips (JSON, URL) and the command line, good input and bad."""

import json
import subprocess
import sys

import pytest

from lab.__main__ import main
from lab.engine.config import PRESETS, ConfigError, RunConfig
from tests.conftest import ROOT


def test_json_and_query_round_trip():
    cfg = RunConfig(activation="leaky_relu", leaky_slope=0.1, optimizer="sgd", lr=0.05,
                    opt_params={"momentum": 0.9, "nesterov": True}, depth=4, width=64, seed=3)
    assert RunConfig.from_dict(json.loads(cfg.to_json())) == cfg
    back, notices = RunConfig.from_query(cfg.to_query())
    assert back == cfg and notices == []


def test_tampered_query_falls_back_with_notices():
    cfg, notices = RunConfig.from_query({"depth": "99", "activation": "swish", "lr": "abc",
                                         "width": "64", "o.momentum": "7"})
    assert cfg.depth == 2 and cfg.activation == "relu" and cfg.lr is None and cfg.width == 64
    assert len(notices) == 4 and any("depth" in n for n in notices)


@pytest.mark.parametrize("bad", [dict(depth=11), dict(width=0), dict(activation="swish"),
                                 dict(lr=float("nan")), dict(epochs=1.5), dict(init="zeros")])
def test_bad_values_are_refused_by_name(bad):
    with pytest.raises(ConfigError, match=next(iter(bad))):
        RunConfig(**bad)


def test_presets_are_the_lessons_experiments():
    nn = PRESETS["lesson-nn"]
    assert (nn.depth, nn.width, nn.init, nn.optimizer, nn.lr, nn.batch_size, nn.epochs, nn.seed) == \
        (2, 256, "normal", "adam", 1e-3, 100, 15, 777)
    assert PRESETS["lesson-softmax"].depth == 0


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "lab", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("args,allowed", [
    (["--activation", "swish"], "sigmoid tanh relu leaky_relu elu gelu silu"),
    (["--optimizer", "adamm"], "sgd adadelta adagrad adam sparseadam"),
    (["--init", "zeros"], "default normal xavier kaiming"),
    (["--device", "tpu"], "auto cpu cuda"),
    (["--depth", "-1"], "between 0 and 10"),
    (["--lr", "fast"], "lr"),
])
def test_bad_flag_gets_one_line_and_exit_2(args, allowed):
    result = _cli("train", *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and allowed in lines[0] and "Traceback" not in result.stderr


def test_cli_train_writes_the_whole_run_as_json(tmp_path):
    out = tmp_path / "run.json"
    model = tmp_path / "m.pt"
    assert main(["train", "--preset", "lesson-nn", "--epochs", "1", "--train-subset", "1000",
                 "--log-every", "2", "--seed", "5", "--json", str(out), "--save", str(model),
                 "--quiet"]) == 0
    run = json.loads(out.read_text())
    assert run["config"]["init"] == "normal" and run["config"]["seed"] == 5  # preset + override
    assert run["layers"] == ["fc1", "fc2", "out"] and run["status"] == "finished"
    assert [s["step"] for s in run["steps"]] == list(range(1, 11, 2))
    assert len(run["steps"][0]["grad_norms"]) == 3
    assert set(run["epochs"][0]) == {"epoch", "train_loss", "train_acc", "test_acc", "seconds"}
    assert run["activations"] and run["device"] == "cpu"
    import torch

    payload = torch.load(model, weights_only=True)
    assert payload["state_dict"]["fc1.weight"].shape == (256, 784)


def test_cli_progress_bar_shows_eta():
    result = _cli("train", "--epochs", "1", "--train-subset", "3000", "--device", "cpu")
    assert result.returncode == 0 and "ETA" in result.stderr and "test acc" in result.stderr
