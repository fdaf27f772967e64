"""The eager fast path (lab/engine/fast_step.py) against autograd: the same losses, gradients and weights, bitwise."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from lab.engine.config import RunConfig
from lab.engine.data import to_float
from lab.engine.fast_step import ManualStep, supports
from lab.engine.models import build_from_config, build_mlp
from lab.engine.optim import make_model_optimizer
from lab.engine.train import train

ACTIVATIONS = ["relu", "sigmoid", "tanh", "leaky_relu", "elu", "gelu", "silu"]


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("depth,width", [(0, 256), (2, 256), (4, 32)])
def test_manual_step_is_autograd_bitwise(mnist, activation, depth, width):
    """Five Adam steps on real batches: every loss, gradient and weight equal to autograd's."""
    cfg = RunConfig(activation=activation, depth=depth, width=width, init="normal", leaky_slope=0.2)
    reference, manual = build_from_config(cfg), build_from_config(cfg)
    assert supports(manual)
    ref_opt = make_model_optimizer(reference, "adam", 1e-3, {})
    man_opt = make_model_optimizer(manual, "adam", 1e-3, {})
    step = ManualStep(manual)
    for i in range(5):
        x = to_float(mnist.train_images[i * 100:(i + 1) * 100])
        y = mnist.train_labels[i * 100:(i + 1) * 100]
        ref_opt.zero_grad(set_to_none=True)
        logits = reference(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        got_loss, got_logits = step(x, y)
        assert torch.equal(got_loss, loss.detach()) and torch.equal(got_logits, logits.detach())
        for (name, a), b in zip(reference.named_parameters(), manual.parameters()):
            assert torch.equal(a.grad, b.grad), (i, name, (a.grad - b.grad).abs().max())
        ref_opt.step()
        man_opt.step()
    assert all(torch.equal(a, b) for a, b in zip(reference.parameters(), manual.parameters()))


def test_only_linear_and_known_activation_layers_take_the_fast_path():
    assert supports(build_mlp(3, 16, "gelu"))
    assert not supports(build_from_config(RunConfig(optimizer="sparseadam")))  # an embedding-bag first layer
    assert not supports(torch.nn.Sequential(torch.nn.Linear(784, 10), torch.nn.Softmax(dim=1)))
    assert not supports(torch.nn.Sequential())


@pytest.mark.parametrize("optimizer", ["lbfgs", "sparseadam", "sgd"])
def test_runs_with_and_without_the_fast_path_train_alike(optimizer):
    """LBFGS calls the step as a closure; SparseAdam's model keeps autograd; both still learn."""
    cfg = RunConfig(optimizer=optimizer, depth=1, width=64, train_subset=1000, epochs=1, log_every=1, device="cpu")
    record = train(cfg)
    assert record.status == "finished" and record.steps[-1]["loss"] < record.steps[0]["loss"]
    assert all(len(s["grad_norms"]) == 2 and min(s["grad_norms"]) > 0 for s in record.steps)
