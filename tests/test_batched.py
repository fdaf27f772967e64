"""Same-shape runs trained as one batched model (lab/engine/batched.py) equal each run trained alone.

Within 1e-6 (relative above 1): the logged losses and gradient norms of every step, the final weights;
the test accuracies exactly. Runs differ in seed, activation, init and learning rate; stacks per rate.
"""

from __future__ import annotations

import pytest
import torch

from lab.engine.batched import group_key, train_batched
from lab.engine.config import RunConfig
from lab.engine.train import Trainer

BASE = RunConfig(depth=2, width=64, epochs=1, train_subset=500, batch_size=50, log_every=1, device="cpu")
GROUPS = {
    "seeds, activations, inits": [BASE.replace(seed=1), BASE.replace(seed=2, activation="sigmoid", init="xavier"),
                                  BASE.replace(seed=3, activation="tanh", init="normal"),
                                  BASE.replace(seed=4, activation="leaky_relu", leaky_slope=0.2)],
    "adam at three rates": [BASE.replace(lr=lr, seed=5) for lr in (1e-3, 3e-3, 1e-2)],
    "sgd with momentum at two rates, two epochs": [
        BASE.replace(optimizer="sgd", lr=lr, opt_params={"momentum": 0.9}, epochs=2, seed=6) for lr in (0.05, 0.1)],
}


def close(a: list, b: list) -> bool:
    """Equal within 1e-6, relative for values above 1."""
    return all(abs(x - y) <= 1e-6 * max(1.0, abs(x)) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("name", GROUPS)
def test_a_batched_group_equals_its_runs_trained_alone(name, mnist):
    configs = GROUPS[name]
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        batched = train_batched(configs, mnist)
        for config, together in zip(configs, batched, strict=True):
            alone = Trainer(config, data=mnist)
            record = alone.run()
            assert [s["step"] for s in record.steps] == together.steps and len(together.steps) >= 10
            assert close([s["loss"] for s in record.steps], together.losses), config
            assert all(close(s["grad_norms"], n) for s, n in zip(record.steps, together.grad_norms, strict=True))
            assert [e["test_acc"] for e in record.epochs] == together.test_acc
            weights = alone.snapshot()
            assert weights.keys() == together.weights.keys()
            worst = max((weights[k] - together.weights[k]).abs().max().item() for k in weights)
            assert worst <= 1e-6, f"{config}: weights differ by {worst:.2e}"
    finally:
        torch.set_num_threads(before)


def test_only_same_shape_runs_batch():
    assert group_key(BASE) == group_key(BASE.replace(seed=9, activation="gelu", lr=0.1, init="kaiming"))
    for change in ({"width": 32}, {"depth": 3}, {"batch_size": 25}, {"optimizer": "sgd"}, {"epochs": 2},
                   {"train_subset": 600}, {"opt_params": {"beta1": 0.8}}):
        assert group_key(BASE.replace(**change)) != group_key(BASE), change
    assert group_key(BASE.replace(augment=True)) is None and group_key(BASE.replace(optimizer="lbfgs")) is None
    with pytest.raises(ValueError, match="cannot train as one batched model"):
        train_batched([BASE, BASE.replace(width=32)])
