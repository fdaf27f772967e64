"""The MLP builder: depth, width, activation, initialisation; layers named fc1..fcN, out."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable

import torch
from torch import nn

N_PIXELS = 28 * 28
N_CLASSES = 10


def _activation_module(name: str, slope: float) -> nn.Module:
    """A fresh torch module for the activation."""
    if name == "leaky_relu":
        return nn.LeakyReLU(slope)
    factories = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "elu": nn.ELU,
                 "gelu": nn.GELU, "silu": nn.SiLU}
    if name not in factories:
        raise ValueError(f"activation={name!r}")
    return factories[name]()


def activation_fn(name: str, slope: float = 0.01) -> Callable[[torch.Tensor], torch.Tensor]:
    """f(x) as a tensor function."""
    return _activation_module(name, slope)


def activation_grad(name: str, z: torch.Tensor, slope: float = 0.01) -> torch.Tensor:
    """f'(z), elementwise, by autograd through the real torch module (no hand formulas)."""
    z = z.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(_activation_module(name, slope)(z).sum(), z)
    return grad


# Largest |f'| of each activation: "saturated" means a local slope under 1% of it.
MAX_SLOPE = {"sigmoid": 0.25, "tanh": 1.0, "relu": 1.0, "leaky_relu": 1.0, "elu": 1.0,
             "gelu": 1.13, "silu": 1.1}


class SparseInputLinear(nn.Module):
    """Linear(784, width) as an embedding-bag over lit pixels, so SparseAdam can train it.

    y[b] = sum_j x[b, j] * W[j] + bias over pixels j with x[b, j] != 0, which is exactly
    x @ W + bias; bag.weight is the transpose of a Linear weight (784, width).
    """

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.bag = nn.EmbeddingBag(in_features, out_features, mode="sum", sparse=True)
        self.bias = nn.Parameter(torch.zeros(out_features))

    @property
    def weight(self) -> torch.Tensor:
        """The (out, in) view a Linear would have, for probes and exports."""
        return self.bag.weight.t()

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (B, 784)
        rows, cols = x.nonzero(as_tuple=True)  # lit pixels, row-major so grouped by sample
        offsets = torch.zeros(x.shape[0], dtype=torch.long, device=x.device)
        offsets[1:] = torch.bincount(rows, minlength=x.shape[0]).cumsum(0)[:-1]
        return self.bag(cols, offsets, per_sample_weights=x[rows, cols]) + self.bias


def linear_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The weight layers in order, input side first: [(fc1, ...), ..., (out, ...)]."""
    return [(name, m) for name, m in model.named_children() if hasattr(m, "weight")]


def layer_names(depth: int) -> list[str]:
    """Names of the weight layers of an MLP with this many hidden layers."""
    return [f"fc{i}" for i in range(1, depth + 1)] + ["out"]


def build_mlp(depth: int = 2, width: int = 256, activation: str = "relu", init: str = "default",
              seed: int = 777, leaky_slope: float = 0.01, sparse_input: bool = False) -> nn.Sequential:
    """784 -> [width, activation] x depth -> 10, initialised from seed (thread-safe)."""
    modules: OrderedDict[str, nn.Module] = OrderedDict()
    sizes = [N_PIXELS] + [width] * depth + [N_CLASSES]
    names = layer_names(depth)
    for i, name in enumerate(names):
        first = i == 0
        layer = SparseInputLinear(sizes[i], sizes[i + 1]) if first and sparse_input else \
            nn.Linear(sizes[i], sizes[i + 1])
        modules[name] = layer
        if name != "out":
            modules[f"act{i + 1}"] = _activation_module(activation, leaky_slope)
    model = nn.Sequential(modules)
    initialise(model, init, seed, activation)
    return model


def initialise(model: nn.Module, init: str, seed: int, activation: str = "relu") -> None:
    """Re-initialise every weight layer from its own generator, so runs are reproducible.

    A private torch.Generator (not the global RNG) keeps this thread-safe, and the draws
    depend only on seed and layer shapes, so two nets that differ only in activation start
    from identical weights (the paired comparison).
    """
    gen = torch.Generator().manual_seed(seed)
    gain_act = "leaky_relu" if activation == "leaky_relu" else "relu" if activation == "relu" else "linear"
    with torch.no_grad():
        for _, layer in linear_layers(model):
            out_f, in_f = layer.out_features, layer.in_features
            w = torch.empty(out_f, in_f)
            if init == "default":  # what nn.Linear.reset_parameters does
                nn.init.kaiming_uniform_(w, a=math.sqrt(5), generator=gen)
            elif init == "normal":  # the lesson's torch.nn.init.normal_(weight): std 1
                nn.init.normal_(w, generator=gen)
            elif init == "xavier":
                nn.init.xavier_uniform_(w, generator=gen)
            elif init == "kaiming":
                nn.init.kaiming_normal_(w, nonlinearity=gain_act, generator=gen)
            else:
                raise ValueError(f"init={init!r}")
            bound = 1 / math.sqrt(in_f)  # biases as PyTorch's default in every scheme
            b = torch.empty(out_f).uniform_(-bound, bound, generator=gen)
            if isinstance(layer, SparseInputLinear):
                layer.bag.weight.copy_(w.t())
            else:
                layer.weight.copy_(w)
            layer.bias.copy_(b)


def build_from_config(config) -> nn.Sequential:
    """The model a RunConfig describes (sparse first layer when the optimizer is SparseAdam)."""
    return build_mlp(config.depth, config.width, config.activation, config.init, config.seed,
                     config.leaky_slope, sparse_input=config.optimizer == "sparseadam")


def plain_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """state_dict with every layer as a plain Linear (fcK.weight (out, in), fcK.bias) on the CPU."""
    state: dict[str, torch.Tensor] = {}
    for name, layer in linear_layers(model):
        state[f"{name}.weight"] = layer.weight.detach().to("cpu", copy=True).contiguous()
        state[f"{name}.bias"] = layer.bias.detach().to("cpu", copy=True)
    return state


def model_from_state_dict(state: dict[str, torch.Tensor], activation: str = "relu",
                          leaky_slope: float = 0.01) -> nn.Sequential:
    """Rebuild an MLP from plain_state_dict(); ValueError if the shapes do not chain 784 -> 10."""
    names = [k[: -len(".weight")] for k in state if k.endswith(".weight")]
    depth = len(names) - 1
    if depth < 0 or names != layer_names(depth):
        raise ValueError(f"layers {names} are not fc1..fcN, out")
    widths = {state[f"{n}.weight"].shape[0] for n in names[:-1]}
    width = widths.pop() if len(widths) == 1 else (0 if not widths else -1)
    if width < 0:
        raise ValueError("hidden layers of different widths are not supported")
    model = build_mlp(depth, width or 1, activation, leaky_slope=leaky_slope)
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in state.items()}
    if expected != got:
        raise ValueError(f"shapes do not fit an MLP 784 -> 10: expected {expected}, got {got}")
    model.load_state_dict(state)
    return model.eval()
