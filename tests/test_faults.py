"""Faults on a shared server: closed tabs free their runs, a crashing run spares the others,
nothing is written to disk non-atomically, and bad uploads end in messages (hypothesis)."""

from __future__ import annotations

import ast
import io
import struct
import threading
import time
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from lab.draw.uploads import UploadError, decode_upload
from lab.engine.config import RunConfig
from lab.runs.execute import execute_run
from lab.runs.store import Store
from lab.web.presence import Tabs
from tests.conftest import ROOT
from tests.test_local_runs import wait_until

TINY = RunConfig(depth=1, width=32, epochs=2, train_subset=500, batch_size=50, log_every=1, probe_every=3)
LONG = RunConfig(depth=2, width=256, epochs=50)  # far longer than any test waits: always stopped


def test_a_closed_tab_stops_its_run_after_the_grace_period(mnist, tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'runs.sqlite3'}")
    run = store.create_run(LONG, "alice")
    trainer = threading.Thread(target=execute_run, args=(store, run.id), kwargs={"threads": 1, "data": mnist})
    trainer.start()
    wait_until(lambda: store.get_run(run.id).step > 20)
    tabs = Tabs(store)
    tabs.opened("alice").release()  # what on_release of the session-scoped resource does when the tab goes
    assert store.stop_abandoned(grace_s=60) == 0 and store.get_run(run.id).status == "running"  # a refresh
    time.sleep(0.1)
    assert store.stop_abandoned(grace_s=0.05) == 1  # gone for good
    trainer.join(timeout=10)
    assert not trainer.is_alive(), "the run outlived its browser"
    assert store.get_run(run.id).status == "stopped" and store.load() == (0, 0)


def test_a_run_that_crashes_fails_alone_and_the_next_one_trains(mnist, monkeypatch, tmp_path):
    from lab.engine import train as train_module

    original = train_module.Trainer._eager_step

    def out_of_memory_for_width_48(self, *args, **kwargs):
        if self.config.width == 48:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB (simulated)")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(train_module.Trainer, "_eager_step", out_of_memory_for_width_48)
    store = Store(f"sqlite:///{tmp_path / 'runs.sqlite3'}")
    bad, good = store.create_run(TINY.replace(width=48), "crashing"), store.create_run(TINY, "healthy")
    for run in (bad, good):
        execute_run(store, run.id, threads=1, data=mnist)
    bad, good = store.get_run(bad.id), store.get_run(good.id)
    assert bad.status == "failed" and "out of memory" in bad.message
    assert good.status == "finished" and store.load() == (0, 0)
    again = store.create_run(TINY, "crashing")  # the crashed browser can train again
    execute_run(store, again.id, threads=1, data=mnist)
    assert store.get_run(again.id).status == "finished"


WRITES = {"write_bytes", "write_text", "save", "savez", "to_csv", "dump"}


def test_everything_written_to_disk_goes_through_write_atomic():
    """Streamlit may restart at any moment: no file the app or CLI writes may be half-written."""
    offenders = []
    sources = [ROOT / "app.py", *sorted((ROOT / "views").glob("*.py")), *sorted((ROOT / "lab").rglob("*.py"))]
    for path in sources:
        if path.name == "bench.py":  # the benchmark writes a scratch MNIST copy in a temp dir
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                mode = next((a.value for a in node.args[1:2] if isinstance(a, ast.Constant)), "r")
                if name in WRITES and not (name == "save" and _saves_to_buffer(node)):
                    offenders.append(f"{path.name}:{node.lineno} {name}")
                elif name == "open" and any(c in str(mode) for c in "wax"):
                    offenders.append(f"{path.name}:{node.lineno} open({mode!r})")
                elif name == "fdopen":
                    assert path.name == "modelfile.py"  # write_atomic's own temp file
    assert offenders == []


def _saves_to_buffer(node: ast.Call) -> bool:
    """torch.save(obj, buffer) or image.save(buffer): into an in-memory BytesIO, not a path."""
    return any(isinstance(a, ast.Name) and a.id == "buffer" for a in node.args[:2])


def test_the_bundled_data_and_model_are_read_only_for_the_app(tmp_path):
    """data/ is only ever read: the loaders verify, they never repair or rewrite."""
    before = {p: p.stat().st_mtime_ns for p in (ROOT / "data").rglob("*") if p.is_file()}
    from lab.draw.predict import load_default_model
    from lab.engine.data import load_mnist

    load_mnist()
    load_default_model()
    after = {p: p.stat().st_mtime_ns for p in (ROOT / "data").rglob("*") if p.is_file()}
    assert before == after


def _png(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height, with one tiny (wrong) data chunk."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + \
        chunk(b"IEND", b"")


def _encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def _decodes_or_explains(blob: bytes) -> None:
    """The contract: an array the preprocessing accepts, or an UploadError with a message."""
    try:
        image = decode_upload(blob)
    except UploadError as exc:
        assert exc.message("en") and exc.message("ko")
    else:
        assert image.dtype == np.uint8 and image.ndim in (2, 3) and max(image.shape[:2]) <= 1024


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_random_bytes_upload(blob):
    _decodes_or_explains(blob)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["1", "L", "P", "RGB", "RGBA", "LA", "I;16", "I", "CMYK"]),
       st.sampled_from(["PNG", "JPEG", "GIF", "BMP", "TIFF"]),
       st.integers(1, 300), st.integers(1, 300), st.integers(0, 2**32 - 1), st.floats(0.0, 1.0))
def test_any_mode_size_and_format_upload(mode, fmt, width, height, seed, keep):
    rng = np.random.default_rng(seed)
    image = Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).convert(mode)
    try:
        blob = _encode(image, fmt)
    except (OSError, KeyError, ValueError):
        return  # Pillow cannot write this mode in this format; nothing to upload
    _decodes_or_explains(blob[: max(1, int(len(blob) * keep))])  # whole or truncated


@pytest.mark.parametrize("width,height", [(100_000, 100_000), (2**31 - 1, 1), (70_000, 1000), (0, 5)])
def test_huge_or_empty_claimed_dimensions_are_refused_from_the_header(width, height):
    with pytest.raises(UploadError):
        decode_upload(_png(width, height))


def test_config_from_a_tampered_url_never_reaches_the_engine_invalid():
    config, notices = RunConfig.from_query({"depth": "1e9", "width": "-3", "epochs": "NaN",
                                            "batch_size": "0", "device": "tpu"})
    assert config == RunConfig() and len(notices) == 5
