"""The MLP builder: shapes, names, inits and reproducibility."""

import pytest
import torch

from lab.engine.models import build_mlp, layer_names, linear_layers, model_from_state_dict, plain_state_dict


def test_depth_zero_is_softmax_regression():
    model = build_mlp(depth=0)
    assert [n for n, _ in linear_layers(model)] == ["out"]
    assert tuple(model.out.weight.shape) == (10, 784)


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu"])
def test_every_activation_builds_and_runs(act):
    model = build_mlp(depth=3, width=32, activation=act)
    assert [n for n, _ in linear_layers(model)] == ["fc1", "fc2", "fc3", "out"] == layer_names(3)
    assert model(torch.rand(5, 784)).shape == (5, 10)


def test_leaky_slope_is_used():
    model = build_mlp(depth=1, width=8, activation="leaky_relu", leaky_slope=0.2)
    assert model.act1.negative_slope == 0.2


@pytest.mark.parametrize("init,std_range", [("normal", (0.95, 1.05)), ("default", (0.015, 0.025)),
                                            ("xavier", (0.04, 0.05)), ("kaiming", (0.045, 0.055))])
def test_inits_have_their_spread(init, std_range):
    std = float(build_mlp(depth=1, width=256, init=init).fc1.weight.detach().std())
    assert std_range[0] < std < std_range[1]


def test_same_seed_same_weights_across_activations():
    a = build_mlp(depth=2, width=64, activation="sigmoid", seed=3)
    b = build_mlp(depth=2, width=64, activation="relu", seed=3)
    c = build_mlp(depth=2, width=64, activation="relu", seed=4)
    assert torch.equal(a.fc2.weight, b.fc2.weight) and not torch.equal(b.fc2.weight, c.fc2.weight)


def test_sparse_input_layer_is_the_same_arithmetic_as_linear():
    dense = build_mlp(depth=1, width=16, seed=5)
    sparse = build_mlp(depth=1, width=16, seed=5, sparse_input=True)
    x = torch.rand(7, 784) * (torch.rand(7, 784) > 0.8)  # mostly zero, like MNIST
    torch.testing.assert_close(sparse(x), dense(x), rtol=1e-5, atol=1e-5)
    assert torch.equal(plain_state_dict(sparse)["fc1.weight"], dense.fc1.weight.detach())


def test_state_dict_round_trip_and_shape_check():
    model = build_mlp(depth=2, width=20, activation="tanh")
    rebuilt = model_from_state_dict(plain_state_dict(model), "tanh")
    x = torch.rand(3, 784)
    torch.testing.assert_close(rebuilt(x), model(x))
    bad = plain_state_dict(model)
    bad["out.weight"] = torch.zeros(10, 21)
    with pytest.raises(ValueError, match="shapes"):
        model_from_state_dict(bad)
