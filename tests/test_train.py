"""The Trainer on real MNIST: accuracy, vanishing gradients, divergence, stop, determinism."""

import threading

import pytest
import torch
import torch.nn.functional as F

from lab.engine.config import PRESETS, RunConfig
from lab.engine.data import to_float
from lab.engine.events import ActivationsProbed, EpochEnded, RunEnded, RunStarted, StepsLogged
from lab.engine.models import build_from_config
from lab.engine.train import Trainer, resolve_device, train

SMALL = dict(train_subset=2000, epochs=1, log_every=1)


@pytest.mark.slow
def test_relu_net_reaches_lesson_grade_accuracy():
    """784-256-256-10 ReLU, Adam, default init, batch 100: >=96.5% at 2 epochs, >=97.5% at 15."""
    record = train(RunConfig(activation="relu", optimizer="adam", depth=2, width=256, init="default",
                             batch_size=100, epochs=15, device="cpu", seed=777))
    assert record.status == "finished"
    accs = [e["test_acc"] for e in record.epochs]
    assert accs[1] >= 0.965, accs
    assert accs[14] >= 0.975, accs


@pytest.mark.slow
@pytest.mark.parametrize("preset,floor", [("lesson-softmax", 0.88), ("lesson-nn", 0.935)])
def test_lesson_presets_match_the_lesson(preset, floor):
    """The lesson printed 89.0% (softmax) and 94.9% (3-layer net) with its normal_ init."""
    record = train(PRESETS[preset].replace(device="cpu"))
    assert record.status == "finished" and len(record.epochs) == 15
    assert record.final_test_acc >= floor


def _first_step_ratio(activation: str) -> float:
    record = train(RunConfig(activation=activation, depth=6, width=256, epochs=1, train_subset=300,
                             optimizer="sgd", device="cpu"))
    norms = record.steps[0]["grad_norms"]  # input side first: fc1 ... fc6, out
    assert record.steps[0]["step"] == 1 and len(norms) == 7
    return norms[-1] / norms[0]


def test_vanishing_gradient_is_visible_in_the_numbers():
    assert _first_step_ratio("sigmoid") >= 1000
    assert _first_step_ratio("relu") < 100


def test_events_arrive_in_order_with_every_field():
    events = []
    record = train(RunConfig(depth=2, width=32, epochs=2, train_subset=1000, log_every=3,
                             probe_every=5, device="cpu"), events.append)
    kinds = [type(e) for e in events]
    assert kinds[0] is RunStarted and kinds[-1] is RunEnded
    steps = [s for e in events if isinstance(e, StepsLogged) for s in e.steps]
    assert steps == list(range(1, 21, 3)) and steps == sorted(steps)
    assert [e.epoch for e in events if isinstance(e, EpochEnded)] == [1, 2]
    probes = [e for e in events if isinstance(e, ActivationsProbed)]
    assert [p.step for p in probes] == [1, 6, 11, 16] and len(probes[0].dead) == 2
    assert all(0 <= v <= 1 for p in probes for v in p.saturated + p.dead)
    assert record.layers == ["fc1", "fc2", "out"] and record.status == "finished"
    assert 0 <= record.epochs[0]["train_acc"] <= 1 and 0 <= record.epochs[0]["test_acc"] <= 1


def test_sgd_with_huge_lr_diverges_with_step_and_lr_named():
    record = train(RunConfig(optimizer="sgd", lr=1e3, epochs=1, train_subset=5000, device="cpu"))
    assert record.status == "diverged"
    assert "1000" in record.message and "step" in record.message
    last = record.steps[-1]
    assert f"step {last['step']}" in record.message  # the offending step is the last logged
    assert not last["loss"] < 1e6  # NaN, inf or exploded
    assert record.steps[0]["loss"] < 10


def test_stop_ends_within_one_step_and_keeps_weights():
    stop = threading.Event()
    seen = []

    def on_event(event):
        seen.append(event)
        if isinstance(event, StepsLogged) and event.steps[-1] >= 50:
            stop.set()

    trainer = Trainer(RunConfig(epochs=5, log_every=1, device="cpu"), on_event, stop_event=stop)
    before = trainer.snapshot()["fc1.weight"].clone()
    record = trainer.run()
    assert record.status == "stopped"
    blocks = [e.steps for e in seen if isinstance(e, StepsLogged)]
    assert blocks[0] == [1] and blocks[1] == list(range(2, 52))  # the first step at once, then blocks
    # the flag was set while the block ending at step 51 was flushed; the loop checks it before each step
    assert trainer.step == blocks[-1][-1] == 51
    assert not torch.equal(trainer.snapshot()["fc1.weight"], before)


def test_same_config_and_seed_give_same_losses():
    cfg = RunConfig(**SMALL, device="cpu")
    a, b = train(cfg), train(cfg)
    assert [s["loss"] for s in a.steps] == [s["loss"] for s in b.steps]
    c = train(cfg.replace(seed=1))
    assert [s["loss"] for s in a.steps] != [s["loss"] for s in c.steps]


def test_paired_runs_share_batches_and_initial_weights(mnist):
    """Changing only the activation keeps the same first batch and initial weights."""
    a = Trainer(RunConfig(activation="sigmoid", **SMALL))
    b = Trainer(RunConfig(activation="relu", **SMALL))
    assert all(torch.equal(a.snapshot()[k], b.snapshot()[k]) for k in a.snapshot())


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop"])
def test_fast_loop_matches_a_plain_reference_loop(mnist, optimizer):
    """The engine's losses equal a textbook loop's for the same seed, init and batches."""
    cfg = RunConfig(optimizer=optimizer, train_subset=1000, epochs=1, log_every=1, device="cpu")
    engine = [s["loss"] for s in train(cfg).steps]
    model = build_from_config(cfg)
    opt = getattr(torch.optim, {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop"}[optimizer])(
        model.parameters(), lr=cfg.effective_lr)
    perm = torch.randperm(1000, generator=torch.Generator().manual_seed(cfg.seed))
    reference = []
    for i in range(10):
        idx = perm[i * 100:(i + 1) * 100]
        x, y = to_float(mnist.train_images[idx]), mnist.train_labels[idx]
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        reference.append(loss.item())
    assert engine == pytest.approx(reference, abs=1e-4)


def test_cuda_asked_but_absent_falls_back_with_a_note():
    device, note = resolve_device("cuda")
    if torch.cuda.is_available():
        assert device.type == "cuda" and note == ""
    else:
        assert device.type == "cpu" and "CUDA" in note
        record = train(RunConfig(device="cuda", train_subset=200, epochs=1))
        assert record.device == "cpu" and "CUDA" in record.device_note and record.status == "finished"


def test_a_failure_inside_a_run_is_reported_not_raised(monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("CUDA out of memory (simulated)")

    monkeypatch.setattr("lab.engine.train.Trainer._eager_step", boom)
    record = train(RunConfig(train_subset=200, epochs=1, device="cpu"))
    assert record.status == "failed" and "out of memory" in record.message


def test_augmented_training_runs_and_is_deterministic():
    cfg = RunConfig(augment=True, train_subset=500, epochs=1, log_every=1, device="cpu")
    assert [s["loss"] for s in train(cfg).steps] == [s["loss"] for s in train(cfg).steps]


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_graph_path_bookkeeping_matches_the_eager_loop(optimizer):
    """The CUDA-graph step's device-side batching, counters and blocks, run uncaptured on the CPU."""
    cfg = RunConfig(optimizer=optimizer, train_subset=6000, batch_size=100, epochs=2, log_every=7,
                    probe_every=40, device="cpu")
    eager = train(cfg, use_graphs=False)
    emulated = train(cfg, use_graphs="emulate")
    assert emulated.status == "finished" and "unavailable" not in emulated.device_note
    assert [s["step"] for s in emulated.steps] == [s["step"] for s in eager.steps]
    assert [s["loss"] for s in emulated.steps] == pytest.approx([s["loss"] for s in eager.steps], abs=1e-4)
    got = [g for s in emulated.steps for g in s["grad_norms"]]
    want = [g for s in eager.steps for g in s["grad_norms"]]
    assert got == pytest.approx(want, rel=1e-3)
    for a, b in zip(emulated.epochs, eager.epochs):
        assert a["train_loss"] == pytest.approx(b["train_loss"], abs=1e-4)
        assert a["train_acc"] == pytest.approx(b["train_acc"], abs=1e-3)
        assert a["test_acc"] == pytest.approx(b["test_acc"], abs=2e-3)
