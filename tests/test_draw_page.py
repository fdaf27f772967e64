"""The Draw page under AppTest: default model, trained and live models, drawings, uploads, errors."""

import base64
import io
import os
import pickle

import numpy as np
import pytest
import torch
from PIL import Image
from streamlit.testing.v1 import AppTest

import lab.draw.predict
from lab.draw.canvas_sim import render_as_canvas
from lab.draw.modelfile import ModelFileError, model_bytes
from lab.engine.config import RunConfig
from lab.engine.events import EpochEnded, RunEnded
from lab.engine.models import build_mlp, plain_state_dict
from lab.runs.sources import ModelSource
from lab.runs.store import new_token, open_store
from tests.conftest import ROOT

PAGE = str(ROOT / "views" / "draw.py")
PT_MIME = "application/octet-stream"
CANVAS_KEY = "draw_canvas_0"  # the first canvas; Clear mounts draw_canvas_1


def png_bytes(array: np.ndarray) -> bytes:
    """PNG file bytes of a uint8 array."""
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def canvas_value(rgba: np.ndarray) -> dict:
    """What the drawable canvas sends back to Python after a stroke (a PNG data URL of the canvas)."""
    url = "data:image/png;base64," + base64.b64encode(png_bytes(rgba)).decode()
    return {"drawing": {"raw": {"objects": [{"type": "path"}], "background": "#000000"}, "data": url},
            "backgroundFit": None}


def fixed_source(label: str, digit: int, live: bool = False) -> ModelSource:
    """A real ModelSource whose net always answers `digit` (so the test can tell which model ran)."""
    state = plain_state_dict(build_mlp(depth=1, width=16, seed=3))
    state["out.weight"] = torch.zeros_like(state["out.weight"])
    state["out.bias"] = torch.full((10,), -5.0)
    state["out.bias"][digit] = 5.0
    return ModelSource(label, RunConfig(depth=1, width=16), lambda: state, lambda: live)


LABEL: dict[str, str] = {}  # a test's name for a model -> the label its stored run shows


def new_app(trained: dict | None = None, lang: str = "en", results: dict | None = None) -> AppTest:
    """The page for a new browser whose stored runs hold the given models (oldest first).

    results: name -> (status, test accuracy) of how each run ended (default: finished, no epoch).
    """
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["lang"] = lang
    at.session_state["owner"] = owner = new_token()
    store = open_store()
    for name, source in (trained or {}).items():
        # An executor of its own: a local worker left polling the shared store by another test of this
        # process could claim the queued row first and train it ("still training" in the picker).
        run = store.create_run(source.config, owner, executor="test")
        store.claim("test", run.id)
        store.save_weights(run.id, source.snapshot(), 1)
        status, test_acc = (results or {}).get(name, ("finished", None))
        if test_acc is not None:
            store.append_events(run.id, [EpochEnded(1, 0.5, test_acc, test_acc, 1.0)])
        if not source.live:
            assert store.finish(run.id, RunEnded(status, f"{status} (test)", 1, 0.5, 1.0)), store.get_run(run.id)
        LABEL[name] = run.label
    return at


def draw(at: AppTest, digit_image: np.ndarray, key: str = CANVAS_KEY) -> AppTest:
    """Put a canvas-style rendering of an MNIST digit on the canvas and rerun."""
    at.session_state[key] = canvas_value(render_as_canvas(digit_image, np.random.default_rng(0)))
    return at.run()


def texts(elements) -> str:
    """All values of a list of text elements, joined."""
    return "\n".join(str(e.value) for e in elements)


@pytest.fixture
def seven(mnist):
    """Test image 0, a 7."""
    assert int(mnist.test_labels[0]) == 7
    return mnist.test_images[0].numpy()


def test_renders_with_no_model_trained_and_asks_for_a_drawing():
    at = new_app().run()
    assert not at.exception
    assert at.title[0].value == "Draw a digit"
    assert "Default model" in texts(at.caption) and len(at.selectbox) == 0
    assert "Draw a digit on the black canvas" in texts(at.info)
    assert "It is " not in texts(at.markdown) and len(at.image) == 0
    assert at.get("bidi_component")[0].proto.component_name.startswith("streamlit-drawable-canvas")


def test_drawing_gives_the_default_models_prediction_and_the_steps(seven):
    at = draw(new_app().run(), seven)
    assert not at.exception
    assert "It is 7" in texts(at.markdown)
    assert [img.proto.imgs[0].caption for img in at.image] == [
        "Your input", "Cropped to the ink", "Longer side 20 px", "28 x 28 input"]
    assert len(at.get("plotly_chart")) == 1


def test_clear_resets_the_canvas(seven):
    at = draw(new_app().run(), seven)
    at.button(key="draw_clear").click().run()
    assert not at.exception
    assert at.session_state["draw_canvas_n"] == 1
    assert "It is " not in texts(at.markdown) and "Draw a digit on the black canvas" in texts(at.info)


def test_a_model_trained_in_the_session_is_used(seven):
    at = draw(new_app({"run A": fixed_source("run A", 3)}).run(), seven)
    assert not at.exception
    picker = at.selectbox[0]
    assert picker.options[0] == LABEL["run A"] == picker.value and "Default model" in picker.options[1]
    assert "It is 3" in texts(at.markdown)  # the trained net, not the default (which says 7)
    picker.set_value(picker.options[1]).run()
    assert "It is 7" in texts(at.markdown)


def test_a_real_trained_model_works(seven):
    cfg = RunConfig(train_subset=2000, epochs=1, device="cpu")
    from lab.engine.train import Trainer

    trainer = Trainer(cfg)
    trainer.run()
    source = ModelSource("lesson-nn #1", cfg, trainer.snapshot, lambda: False)
    at = draw(new_app({"lesson-nn #1": source}).run(), seven)
    assert not at.exception and at.selectbox[0].value == LABEL["lesson-nn #1"]
    assert "It is " in texts(at.markdown)


def test_newest_model_is_chosen_first(seven):
    trained = {"old": fixed_source("old", 1), "new": fixed_source("new", 5)}
    at = draw(new_app(trained).run(), seven)
    assert at.selectbox[0].options[:2] == [LABEL["new"], LABEL["old"]]
    assert "It is 5" in texts(at.markdown)


def test_the_best_finished_model_is_the_default_and_each_shows_its_accuracy(seven):
    # The Train page reports (status, test accuracy) per run; a weak sigmoid run trained last must
    # not become the default, nor a diverged one appear at all.
    trained = {"#1 relu": fixed_source("#1 relu", 2), "#2 relu": fixed_source("#2 relu", 6),
               "#3 sigmoid": fixed_source("#3 sigmoid", 0), "#4 sgd lr=10": fixed_source("#4 sgd lr=10", 9)}
    at = new_app(trained, results={
        "#1 relu": ("finished", 0.951), "#2 relu": ("finished", 0.978), "#3 sigmoid": ("finished", 0.098),
        "#4 sgd lr=10": ("diverged", None)})
    at = draw(at.run(), seven)
    assert not at.exception
    picker = at.selectbox[0]
    base = "relu · adam 0.001 · 1×16"  # the label shows the run's config (the test nets are all alike)
    assert picker.options[:3] == [f"#3 {base} · test 9.8%", f"#2 {base} · test 97.8%",
                                  f"#1 {base} · test 95.1%"]
    assert not any("#4" in option for option in picker.options)
    assert picker.value == f"#2 {base} · test 97.8%" and "It is 6" in texts(at.markdown)
    assert "best finished run" in texts(at.caption)


def test_a_stopped_model_says_it_has_no_accuracy_yet_and_korean_shows_the_accuracy(seven):
    trained = {"#1 relu": fixed_source("#1 relu", 2), "#2 relu": fixed_source("#2 relu", 6)}
    at = new_app(trained, lang="ko", results={"#1 relu": ("finished", 0.9), "#2 relu": ("stopped", None)})
    at = at.run()
    base = "relu · adam 0.001 · 1×16"
    assert at.selectbox[0].options[:2] == [f"#2 {base} · 첫 에포크 전에 중지", f"#1 {base} · 테스트 90.0%"]
    assert at.selectbox[0].value == f"#1 {base} · 테스트 90.0%"


def test_a_live_model_is_marked_and_predicts(seven):
    at = draw(new_app({"running": fixed_source("running", 4, live=True)}).run(), seven)
    assert not at.exception
    assert "still training" in texts(at.caption)
    assert at.selectbox[0].value == f"{LABEL['running']} · still training"  # the picker says so too
    assert "It is 4" in texts(at.markdown)


def test_a_model_whose_shapes_do_not_fit_gets_a_message(seven):
    state = plain_state_dict(build_mlp(depth=1, width=16))
    state["fc1.weight"] = torch.zeros(16, 100)
    bad = ModelSource("broken", RunConfig(depth=1, width=16), lambda: state, lambda: False)
    at = draw(new_app({"broken": bad}).run(), seven)
    assert not at.exception
    assert "This model cannot be used" in texts(at.error)


def test_an_uploaded_model_file_is_used(seven):
    state = fixed_source("file", 8).snapshot()
    at = new_app().run()
    at.file_uploader(key="draw_model_file").set_value(("mine.pt", model_bytes(state, "relu"), PT_MIME))
    at = draw(at.run(), seven)
    assert not at.exception
    assert at.selectbox[0].value == "File: mine.pt" and "It is 8" in texts(at.markdown)


def wrong_shapes() -> bytes:
    """A model file whose first layer takes 100 inputs instead of 784."""
    return model_bytes({**fixed_source("x", 1).snapshot(), "fc1.weight": torch.zeros(16, 100)}, "relu")


@pytest.mark.parametrize("make, message", [(wrong_shapes, "784"),
                                           (lambda: b"not a model", "not a ReLU Lab model file")])
def test_a_model_file_that_does_not_fit_is_refused(make, message, seven):
    at = new_app().run()
    at.file_uploader(key="draw_model_file").set_value(("bad.pt", make(), PT_MIME))
    at = draw(at.run(), seven)
    assert not at.exception
    assert "This model cannot be used" in texts(at.error) and message in texts(at.error)
    assert len(at.selectbox) == 0 and "It is 7" in texts(at.markdown)  # the default model still works


def test_missing_default_model_gets_a_message(seven, monkeypatch):
    def missing(*_args, **_kwargs):
        raise ModelFileError("Model file not found: data/default_model.pt")

    monkeypatch.setattr(lab.draw.predict, "load_default_model", missing)
    at = draw(new_app().run(), seven)
    assert not at.exception
    assert "could not be loaded" in texts(at.error)


def test_upload_of_a_dark_on_light_scan(mnist):
    at = new_app().run()
    at.segmented_control(key="draw_source").set_value("upload").run()
    assert "Upload a picture" in texts(at.info)
    scan = png_bytes(255 - mnist.test_images[1].numpy().reshape(28, 28))
    at.file_uploader(key="draw_upload").set_value(("two.png", scan, "image/png")).run()
    assert not at.exception
    assert f"It is {int(mnist.test_labels[1])}" in texts(at.markdown)
    assert "inverted" in texts(at.caption)


@pytest.mark.parametrize("content, message", [(b"just text", "not an image"),
                                              (png_bytes(np.full((50, 50), 255, np.uint8)), "looks blank")])
def test_bad_uploads_get_a_message(content, message):
    at = new_app().run()
    at.segmented_control(key="draw_source").set_value("upload").run()
    at.file_uploader(key="draw_upload").set_value(("x.png", content, "image/png")).run()
    assert not at.exception
    assert message in texts(at.error) and "It is " not in texts(at.markdown)


def test_korean(seven):
    at = draw(new_app(lang="ko").run(), seven)
    assert not at.exception
    assert at.title[0].value == "숫자 그리기" and "7입니다" in texts(at.markdown)


def test_a_pickle_that_would_run_code_is_refused_when_uploaded_as_a_model(seven, tmp_path):
    marker = tmp_path / "code-ran"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    for blob in (pickle.dumps(Exploit()), torch_save({"format": "relulab-mlp-1", "state_dict": Exploit()})):
        at = new_app().run()
        at.file_uploader(key="draw_model_file").set_value(("evil.pt", blob, PT_MIME))
        at = draw(at.run(), seven)
        assert not at.exception
        assert "refused for safety" in texts(at.error)
        assert "It is 7" in texts(at.markdown)  # the default model still answers
    assert not marker.exists(), "the uploaded pickle ran code"


def torch_save(obj) -> bytes:
    """torch.save into bytes."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()
