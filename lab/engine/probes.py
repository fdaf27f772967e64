"""Probes: per-layer gradient norms, and how saturated or dead each hidden layer's units are."""

from __future__ import annotations

import torch
from torch import nn

from lab.engine.models import MAX_SLOPE, activation_grad, linear_layers

SATURATION_FRACTION = 0.01  # a unit is saturated where its local slope is under 1% of the max


def weight_grads(model: nn.Module) -> list[torch.Tensor]:
    """The gradient of each weight layer's weight, input side first (sparse ones densified)."""
    grads = []
    for _, layer in linear_layers(model):
        weight = layer.bag.weight if hasattr(layer, "bag") else layer.weight
        grad = weight.grad
        if grad is None:
            grad = torch.zeros_like(weight)
        grads.append(grad.coalesce().values() if grad.is_sparse else grad)
    return grads


def grad_norms(model: nn.Module) -> torch.Tensor:
    """L2 norm of each weight layer's gradient, shape (n_layers,), left on the device (no sync)."""
    return torch.stack(torch._foreach_norm(weight_grads(model)))


@torch.no_grad()
def activation_stats(model: nn.Sequential, x: torch.Tensor, activation: str,
                     slope: float = 0.01) -> tuple[torch.Tensor, torch.Tensor]:
    """Per hidden layer: fraction of saturated unit-samples, and of units dead on the whole batch.

    x: (B, 784). Saturated means |f'(z)| < 1% of the activation's largest slope (sigmoid and
    tanh at both ends, ReLU for z < 0); a dead unit is saturated for every sample in x.
    Returns two tensors of shape (n_hidden,) on x's device.
    """
    threshold = SATURATION_FRACTION * MAX_SLOPE[activation]
    saturated, dead = [], []
    h = x
    for name, module in model.named_children():
        if name.startswith("act"):
            flat = activation_grad(activation, h, slope).abs() < threshold  # h is the pre-activation z
            saturated.append(flat.float().mean())
            dead.append(flat.all(dim=0).float().mean())
        h = module(h)
    if not saturated:
        empty = torch.zeros(0, device=x.device)
        return empty, empty
    return torch.stack(saturated), torch.stack(dead)
