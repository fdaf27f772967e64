"""The eager fast path: a dense MLP's forward and backward written out with the kernels autograd calls.

At batch 100 on a CPU, autograd's bookkeeping (a graph of ~15 nodes built and walked every step,
gradients allocated and accumulated, module calls) cost about a quarter of an epoch on top of the
matrix products. ManualStep computes the same loss and gradients with the same ATen kernels, on
the same operands in the same layout, into .grad buffers kept from step to step, so the optimizer
(any torch.optim one) steps as usual. tests/test_fast_step.py checks, for every activation, that
the losses, gradients and weights are bitwise those of autograd.
"""

from __future__ import annotations

import functools

import torch
from torch import nn

aten = torch.ops.aten

# The derivative each activation module's autograd node computes, by the same kernel:
# (grad wrt the output, pre-activation z, activation a, module) -> grad wrt z.
BACKWARD = {
    nn.ReLU: lambda g, z, a, m: aten.threshold_backward(g, a, 0),
    nn.Sigmoid: lambda g, z, a, m: aten.sigmoid_backward(g, a),
    nn.Tanh: lambda g, z, a, m: aten.tanh_backward(g, a),
    nn.LeakyReLU: lambda g, z, a, m: aten.leaky_relu_backward(g, z, m.negative_slope, False),
    nn.ELU: lambda g, z, a, m: aten.elu_backward(g, m.alpha, 1, 1, False, z),
    nn.GELU: lambda g, z, a, m: aten.gelu_backward(g, z, approximate=m.approximate),
    nn.SiLU: lambda g, z, a, m: aten.silu_backward(g, z),
}


def supports(model: nn.Module) -> bool:
    """Whether ManualStep can train this model: Linear layers and known activations, nothing else."""
    children = list(model.children())
    return (isinstance(model, nn.Sequential) and bool(children) and isinstance(children[-1], nn.Linear)
            and all(isinstance(m, nn.Linear) if i % 2 == 0 else type(m) in BACKWARD
                    for i, m in enumerate(children)))


class ManualStep:
    """Loss and gradients of an nn.Sequential of Linear/activation pairs, as autograd computes them."""

    def __init__(self, model: nn.Sequential):
        children = list(model.children())
        # Looked up once: a module attribute or call costs microseconds, and a step is ~1.5 ms.
        self.layers = [(m.weight, m.bias) for m in children[0::2]]  # the Parameters, updated in place
        acts = children[1::2]
        self.forwards = [m.forward for m in acts]  # the module's own function (slope, alpha...)
        self.backwards = [functools.partial(BACKWARD[type(m)], m=m) for m in acts]
        self.one = torch.ones((), device=self.layers[0][0].device)  # d loss / d loss

    @torch.no_grad()
    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Forward and backward on a batch x (B, 784), labels y (B,); returns (loss, logits), grads set."""
        inputs, pre = [x], []  # each weight layer's input (an activation's output), each activation's input
        h = x
        for (weight, bias), forward in zip(self.layers, self.forwards):  # the hidden layers
            z = torch.addmm(bias, h, weight.t())  # (B, width), as F.linear on 2-D input
            h = forward(z)
            pre.append(z)
            inputs.append(h)
        weight, bias = self.layers[-1]
        logits = torch.addmm(bias, h, weight.t())  # (B, 10)
        # F.cross_entropy is log_softmax then nll_loss (mean); autograd walks back through both.
        log_p = torch.log_softmax(logits, 1)
        loss, total_weight = aten.nll_loss_forward(log_p, y, None, 1, -100)  # 1: mean
        g = aten.nll_loss_backward(self.one, log_p, y, None, 1, -100, total_weight)
        g = aten._log_softmax_backward_data(g, log_p, 1, log_p.dtype)  # (B, 10)
        for k in range(len(self.layers) - 1, -1, -1):
            weight, bias = self.layers[k]
            grad = weight.grad
            if grad is None:  # kept from step to step: no allocation per step
                grad = weight.grad = torch.empty_like(weight)
                bias.grad = torch.empty_like(bias)
            torch.mm(g.t(), inputs[k], out=grad)  # (out, in), as AddmmBackward's mat2 path
            torch.sum(g, 0, out=bias.grad)  # the bias was broadcast over the batch
            if k:
                g = self.backwards[k - 1](g.mm(weight), pre[k - 1], inputs[k])  # (B, in)
        return loss, logits
