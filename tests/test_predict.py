"""The shipped default model on real MNIST, directly and through the whole canvas path; model sources."""

import threading

import numpy as np
import pytest
import torch
from PIL import Image

from lab.draw.canvas_sim import CANVAS, render_as_canvas
from lab.draw.modelfile import ModelFileError, load_model_bytes, model_bytes
from lab.draw.predict import (
    CLOSE_SECOND,
    DEFAULT_MODEL_PATH,
    load_default_model,
    model_from_source,
    probabilities,
    probability_figure,
    top_guesses,
)
from lab.draw.preprocess import preprocess
from lab.engine.config import RunConfig
from lab.engine.data import to_float
from lab.engine.models import build_mlp, model_from_state_dict, plain_state_dict
from lab.engine.train import Trainer
from lab.runs.sources import ModelSource

CANVAS_IMAGES = 1000


@pytest.fixture(scope="module")
def default_model():
    """The shipped model (cached per process)."""
    return load_default_model()[0]


@pytest.fixture(scope="module")
def canvas_sample(mnist):
    """1,000 random test digits rendered as the canvas delivers them: (images, labels)."""
    rng = np.random.default_rng(2024)
    idx = rng.choice(len(mnist.test_labels), CANVAS_IMAGES, replace=False)
    images = [render_as_canvas(mnist.test_images[i].numpy(), rng, transparent=bool(k % 2))
              for k, i in enumerate(idx)]
    return images, mnist.test_labels[idx].numpy()


def test_default_model_file_is_small_and_loads_weights_only():
    assert DEFAULT_MODEL_PATH.stat().st_size < 3 * 2**20
    payload = torch.load(DEFAULT_MODEL_PATH, map_location="cpu", weights_only=True)  # no code runs
    assert payload["format"] == "relulab-mlp-1"
    model, meta = load_default_model()
    assert meta["config"]["depth"] == 2 and meta["config"]["width"] == 256 and meta["config"]["augment"]
    assert [m.out_features for m in model if hasattr(m, "out_features")] == [256, 256, 10]


def test_default_model_scores_98_percent_on_all_10000_test_images(default_model, mnist):
    probs = probabilities(default_model, to_float(mnist.test_images))
    accuracy = float((probs.argmax(1) == mnist.test_labels.numpy()).mean())
    assert accuracy >= 0.98, accuracy


def test_default_model_scores_97_percent_through_the_whole_canvas_path(default_model, canvas_sample):
    """Rendered at 280x280 RGBA, any size/thickness/position, then the page's own preprocessing."""
    images, labels = canvas_sample
    assert len(images) >= 1000 and images[0].shape == (CANVAS, CANVAS, 4)
    vectors = np.stack([preprocess(img).vector for img in images])
    accuracy = float((probabilities(default_model, vectors).argmax(1) == labels).mean())
    assert accuracy >= 0.97, accuracy


def test_without_preprocessing_the_canvas_path_fails(default_model, canvas_sample):
    """The reason the preprocessing exists: squashing the canvas to 28x28 misreads most drawings."""
    images, labels = canvas_sample
    # alpha & red is the ink on both opaque (alpha 255) and transparent (red 255) canvases
    squashed = [Image.fromarray(img[..., 3] & img[..., 0]).resize((28, 28), Image.Resampling.BOX)
                for img in images[:300]]
    naive = np.stack([np.asarray(img, np.float32).ravel() / 255 for img in squashed])
    accuracy = float((probabilities(default_model, naive).argmax(1) == labels[:300]).mean())
    assert accuracy < 0.8, accuracy


def test_default_model_is_loaded_once_for_all_threads():
    results = []
    threads = [threading.Thread(target=lambda: results.append(load_default_model()[0])) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(results) == 8 and all(r is results[0] for r in results)


def test_probabilities_single_and_batch(default_model, mnist):
    x = to_float(mnist.test_images[:5]).numpy()
    batch = probabilities(default_model, x)
    single = probabilities(default_model, x[3])
    assert batch.shape == (5, 10) and single.shape == (10,)
    assert np.allclose(batch.sum(1), 1.0) and np.allclose(single, batch[3])


def test_top_guesses_shows_the_runner_up_only_when_close():
    clear = np.array([0.01] * 9 + [0.91])
    close = np.zeros(10)
    close[[3, 5]] = [0.55, 0.45]
    assert top_guesses(clear) == ((9, pytest.approx(0.91)), None)
    best, second = top_guesses(close)
    assert best[0] == 3 and second[0] == 5 and second[1] >= CLOSE_SECOND


def test_probability_figure_highlights_the_best():
    probs = np.full(10, 0.02)
    probs[4] = 0.82
    fig = probability_figure(probs, "digit", "probability")
    bar = fig.data[0]
    assert list(bar.x) == [str(d) for d in range(10)] and np.allclose(bar.y, probs)
    assert len(set(bar.marker.color)) == 2 and bar.marker.color[4] != bar.marker.color[0]


def test_a_trained_source_predicts_like_its_trainer(mnist):
    cfg = RunConfig(train_subset=1000, epochs=1, device="cpu")
    trainer = Trainer(cfg)
    assert trainer.run().status == "finished"
    source = ModelSource("run 1", cfg, trainer.snapshot, lambda: False)
    x = to_float(mnist.test_images[:50])
    with torch.no_grad():
        expected = torch.softmax(trainer.model(x), 1).numpy()
    assert np.allclose(probabilities(model_from_source(source), x.numpy()), expected, atol=1e-5)


def test_a_source_that_is_still_training_gives_valid_snapshots(mnist):
    cfg = RunConfig(train_subset=2000, epochs=3, batch_size=50, device="cpu")
    trainer = Trainer(cfg)
    done = threading.Event()
    source = ModelSource("live run", cfg, trainer.snapshot, lambda: not done.is_set())
    runner = threading.Thread(target=lambda: (trainer.run(), done.set()))
    runner.start()
    x = to_float(mnist.test_images[:20]).numpy()
    seen_live = 0
    while not done.is_set() or seen_live == 0:
        live = source.live
        probs = probabilities(model_from_source(source), x)
        assert np.isfinite(probs).all() and np.allclose(probs.sum(1), 1.0)
        seen_live += live
    runner.join()
    assert seen_live > 0 and not source.live and trainer.record.status == "finished"


def test_weights_that_do_not_fit_are_refused():
    state = plain_state_dict(build_mlp(depth=1, width=32))
    state["fc1.weight"] = torch.zeros(32, 100)  # expects 784 inputs
    with pytest.raises(ValueError):
        model_from_state_dict(state)
    with pytest.raises(ModelFileError, match="784"):
        load_model_bytes(model_bytes(state, "relu"))
