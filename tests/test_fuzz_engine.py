"""Property-based bad input for the engine: URL configs, CLI flags, model files (hypothesis)."""

import io
import os
import pickle
import subprocess
import sys

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab.__main__ import OneLineParser, add_train_parser, config_from_args
from lab.draw.modelfile import ModelFileError, load_model_bytes, model_bytes, save_model, write_atomic
from lab.engine.config import RunConfig
from lab.engine.models import build_mlp
from tests.conftest import ROOT

FIELDS = ["activation", "leaky_slope", "optimizer", "lr", "depth", "width", "init", "batch_size",
          "epochs", "device", "seed", "log_every", "probe_every", "train_subset", "augment",
          "o.momentum", "o.beta1", "o.nesterov", "nonsense"]
texts = st.one_of(st.text(max_size=30), st.sampled_from(["nan", "inf", "-1", "1e309", "0", "1.5",
                                                         "relu", "true", "", "  7 ", "0x10"]))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), texts, max_size=8))
def test_any_query_string_gives_a_valid_config_and_notices(query):
    config, notices = RunConfig.from_query(query)
    config.validate()  # whatever came in, what comes out is a config the engine accepts
    assert all(isinstance(n, str) and n for n in notices)
    again, _ = RunConfig.from_query(config.to_query())
    assert again == config


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(pairs=st.lists(st.tuples(st.sampled_from(["--depth", "--width", "--lr", "--activation", "--optimizer",
                                           "--epochs", "--batch-size", "--opt-params", "--seed",
                                           "--leaky-slope", "--init", "--device"]), texts), max_size=4))
def test_any_cli_flags_parse_or_exit_2_with_one_line(pairs, capsys):
    parser = OneLineParser(prog="python -m lab")
    add_train_parser(parser.add_subparsers(dest="command", parser_class=OneLineParser))
    argv = ["train"] + [x for flag, value in pairs for x in (flag, value)]
    try:
        args = parser.parse_args(argv)
        config = config_from_args(args, parser)
    except SystemExit as exc:
        assert exc.code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "error:" in err[0]
    else:
        config.validate()


def test_pickle_that_would_run_code_is_refused(tmp_path):
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    for blob in (pickle.dumps(Exploit()), _torch_save({"format": "relulab-mlp-1", "state_dict": Exploit()})):
        with pytest.raises(ModelFileError, match="refused for safety"):
            load_model_bytes(blob)
    assert not marker.exists()


def _torch_save(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("state,reason", [
    ({"fc1.weight": torch.zeros(10, 10), "fc1.bias": torch.zeros(10), "out.weight": torch.zeros(10, 10),
      "out.bias": torch.zeros(10)}, "do not fit"),
    ({"out.weight": torch.zeros(3, 784), "out.bias": torch.zeros(3)}, "do not fit"),
    ({"conv.weight": torch.zeros(3)}, "do not fit"),
])
def test_model_with_wrong_shapes_is_refused(state, reason):
    with pytest.raises(ModelFileError, match=reason):
        load_model_bytes(_torch_save(state))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4096))
def test_random_bytes_as_a_model_file_are_refused(blob):
    with pytest.raises(ModelFileError):
        load_model_bytes(blob)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_truncated_model_files_are_refused(data):
    blob = model_bytes(build_mlp(1, 8), "relu")
    cut = data.draw(st.integers(0, len(blob) - 1))
    with pytest.raises(ModelFileError):
        load_model_bytes(blob[:cut])


def test_atomic_write_never_leaves_a_half_written_file(tmp_path, monkeypatch):
    target = tmp_path / "model.pt"
    save_model(target, build_mlp(1, 8), "relu")
    good = target.read_bytes()

    def crash(fd):
        raise OSError("disk pulled out mid-write")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError):
        write_atomic(target, b"half")
    assert target.read_bytes() == good and list(tmp_path.iterdir()) == [target]


def test_killed_writer_leaves_old_file_whole(tmp_path):
    """A process killed while writing (as when Streamlit restarts) leaves the old file intact."""
    target = tmp_path / "model.pt"
    target.write_bytes(b"old and whole")
    code = ("import os, sys; from pathlib import Path; from lab.draw.modelfile import write_atomic;"
            "os.fsync = lambda fd: os.kill(os.getpid(), 9);"
            f"write_atomic(Path({str(target)!r}), b'x' * 10_000_000)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == -9
    assert target.read_bytes() == b"old and whole"
