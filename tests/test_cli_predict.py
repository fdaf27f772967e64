"""`python -m lab predict`: one JSON line per image with the Draw page's pipeline; clean errors."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from lab.__main__ import main
from lab.draw.canvas_sim import render_as_canvas
from lab.draw.modelfile import save_model
from lab.engine.models import build_mlp, plain_state_dict
from tests.conftest import ROOT


@pytest.fixture
def digit_files(tmp_path, mnist):
    """Three real test digits: a dark-on-light PNG scan, a canvas-style RGBA PNG, a JPEG."""
    rng = np.random.default_rng(0)
    digits, labels = mnist.test_images[:3].numpy(), [int(v) for v in mnist.test_labels[:3]]
    scan = tmp_path / "scan.png"
    Image.fromarray(255 - digits[0].reshape(28, 28)).resize((112, 112)).save(scan)
    canvas = tmp_path / "canvas.png"
    Image.fromarray(render_as_canvas(digits[1], rng), "RGBA").save(canvas)
    photo = tmp_path / "photo.jpg"
    Image.fromarray(digits[2].reshape(28, 28)).resize((200, 200)).save(photo, quality=85)
    return [scan, canvas, photo], labels


def lines(text: str) -> list[dict]:
    """The JSON objects printed, one per line."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_predicts_each_file_as_a_json_line(digit_files, capsys):
    files, labels = digit_files
    assert main(["predict", *map(str, files)]) == 0
    out = lines(capsys.readouterr().out)
    assert [o["file"] for o in out] == [str(f) for f in files]
    assert [o["prediction"] for o in out] == labels
    for o in out:
        assert set(o) == {"file", "prediction", "probabilities"}
        assert len(o["probabilities"]) == 10 and sum(o["probabilities"]) == pytest.approx(1.0, abs=1e-4)
        assert o["prediction"] == int(np.argmax(o["probabilities"]))


def test_bad_files_are_reported_and_the_rest_still_predicted(digit_files, tmp_path, capsys):
    files, labels = digit_files
    text = tmp_path / "notes.png"
    text.write_text("not an image at all")
    cut = tmp_path / "cut.png"
    cut.write_bytes(files[0].read_bytes()[:200])
    blank = tmp_path / "blank.png"
    Image.new("L", (64, 64), 255).save(blank)
    missing = tmp_path / "missing.png"
    assert main(["predict", str(text), str(files[0]), str(cut), str(blank), str(missing)]) == 1
    captured = capsys.readouterr()
    assert [o["prediction"] for o in lines(captured.out)] == [labels[0]]
    err = captured.err
    assert f"{text}: This file is not an image" in err
    assert f"{cut}: The image file is damaged or incomplete" in err
    assert f"{blank}: The image looks blank" in err
    assert f"{missing}: file not found" in err
    assert "Traceback" not in err


def test_model_flag_uses_that_model(digit_files, tmp_path, capsys):
    files, _ = digit_files
    path = tmp_path / "tiny.pt"
    save_model(path, build_mlp(depth=1, width=16, seed=1), "relu")
    assert main(["predict", str(files[0]), "--model", str(path)]) == 0
    default = lines(capsys.readouterr().out)[0]["probabilities"]
    assert main(["predict", str(files[0])]) == 0
    assert lines(capsys.readouterr().out)[0]["probabilities"] != default


def test_a_model_that_does_not_fit_is_refused(digit_files, tmp_path, capsys):
    files, _ = digit_files
    state = plain_state_dict(build_mlp(depth=1, width=16))
    state["fc1.weight"] = state["fc1.weight"][:, :100].contiguous()  # 100 inputs instead of 784
    path = tmp_path / "wrong.pt"
    save_model(path, state, "relu")
    assert main(["predict", str(files[0]), "--model", str(path)]) == 2
    err = capsys.readouterr().err
    assert "cannot load the model" in err and "784" in err and "Traceback" not in err


def test_real_command_line(digit_files, tmp_path):
    files, labels = digit_files
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff garbage")
    proc = subprocess.run([sys.executable, "-m", "lab", "predict", str(files[1]), str(bad)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert [o["prediction"] for o in lines(proc.stdout)] == [labels[1]]
    assert "bad.jpg" in proc.stderr and "Traceback" not in proc.stderr
