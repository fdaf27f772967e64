"""Every optimizer in the registry trains the 2-hidden-layer ReLU net for one epoch."""

import pytest
import torch

from lab.engine.config import ConfigError, RunConfig
from lab.engine.optim import make_optimizer
from lab.engine.optim_table import OPTIMIZERS, optimizer_kwargs, parse_opt_params
from lab.engine.train import train


def test_registry_has_every_optimizer_of_the_lesson_and_more():
    lesson = {"SGD", "Adadelta", "Adagrad", "Adam", "SparseAdam", "Adamax", "ASGD", "LBFGS",
              "RMSprop", "Rprop"}
    assert lesson | {"AdamW", "NAdam", "RAdam"} == {s.cls_name for s in OPTIMIZERS.values()}
    assert all(isinstance(s.torch_class, type) for s in OPTIMIZERS.values())
    assert OPTIMIZERS["lbfgs"].full_batch and OPTIMIZERS["rprop"].full_batch


@pytest.mark.slow
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_each_optimizer_trains_one_epoch(name):
    record = train(RunConfig(optimizer=name, depth=2, width=256, epochs=1, device="cpu"))
    assert record.status == "finished", record.message
    if not OPTIMIZERS[name].full_batch:
        assert record.final_test_acc > 0.80


def test_sparseadam_on_a_dense_layer_is_what_torch_refuses():
    """The quirk we work around: torch's own SparseAdam error on dense gradients."""
    layer = torch.nn.Linear(4, 2)
    layer(torch.rand(3, 4)).sum().backward()
    opt = make_optimizer("sparseadam", layer.parameters(), 1e-3)
    with pytest.raises(RuntimeError, match="dense"):
        opt.step()


def test_hyperparameters_reach_torch():
    kwargs = optimizer_kwargs("sgd", 0.05, {"momentum": 0.5, "nesterov": True})
    opt = make_optimizer("sgd", [torch.nn.Parameter(torch.zeros(2))], 0.05, {"momentum": 0.5})
    assert kwargs["nesterov"] is True and opt.param_groups[0]["momentum"] == 0.5
    assert optimizer_kwargs("adam", 1e-3, {"beta1": 0.8})["betas"] == (0.8, 0.999)


def test_bad_hyperparameters_are_named():
    with pytest.raises(ConfigError, match="momentum"):
        RunConfig(optimizer="adam", opt_params={"momentum": 0.9})
    good, bad = parse_opt_params("sgd", {"momentum": "0.9", "nesterov": "maybe"})
    assert good == {"momentum": 0.9} and "nesterov" in bad[0]
