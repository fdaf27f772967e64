"""Every torch.optim optimizer the lesson lists, with sensible defaults and quirks handled."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from lab.engine.optim_table import OPTIMIZERS, optimizer_kwargs


def make_optimizer(name: str, params: Iterable[torch.Tensor], lr: float,
                   opt_params: dict[str, Any] | None = None, *, fast: bool = False,
                   capturable: bool = False) -> torch.optim.Optimizer:
    """Build one torch optimizer; fast picks fused or foreach kernels where torch has them."""
    spec = OPTIMIZERS[name]
    kwargs = optimizer_kwargs(name, lr, opt_params or {})
    params = list(params)
    if capturable and spec.capturable:
        kwargs["capturable"] = True
    if fast and spec.fused and not (capturable and name == "sgd"):
        try:
            return spec.torch_class(params, fused=True, **kwargs)
        except (RuntimeError, TypeError, ValueError):
            pass  # this device or dtype has no fused kernel; foreach below is next best
    if fast and name not in ("lbfgs", "sparseadam"):
        kwargs["foreach"] = True
    return spec.torch_class(params, **kwargs)


class OptimizerPair:
    """SparseAdam on the sparse input layer and Adam on the rest, stepped together."""

    def __init__(self, sparse: torch.optim.Optimizer, dense: torch.optim.Optimizer):
        self.optimizers = [sparse, dense]
        self.param_groups = sparse.param_groups + dense.param_groups

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of both halves."""
        for opt in self.optimizers:
            opt.zero_grad(set_to_none=set_to_none)

    def step(self, closure=None) -> None:
        """Step both halves."""
        for opt in self.optimizers:
            opt.step()


def make_model_optimizer(model: torch.nn.Module, name: str, lr: float,
                         opt_params: dict[str, Any], *, fast: bool = True, capturable: bool = False):
    """The optimizer for a model from lab.engine.models; SparseAdam gets its sparse/dense split."""
    spec = OPTIMIZERS[name]
    if not spec.sparse:
        return make_optimizer(name, model.parameters(), lr, opt_params, fast=fast, capturable=capturable)
    sparse = [p for n, p in model.named_parameters() if n.endswith("bag.weight")]
    dense = [p for n, p in model.named_parameters() if not n.endswith("bag.weight")]
    if not sparse:
        raise ValueError(SPARSE_EXPLANATION)
    betas = optimizer_kwargs(name, lr, opt_params)["betas"]
    return OptimizerPair(torch.optim.SparseAdam(sparse, lr=lr, betas=betas),
                         torch.optim.Adam(dense, lr=lr, betas=betas))


SPARSE_EXPLANATION = (
    "SparseAdam only accepts sparse gradients, and an ordinary Linear layer has dense ones. "
    "ReLU Lab builds the first layer as a sparse embedding-bag over the lit pixels (the same "
    "arithmetic as Linear) so SparseAdam updates it, and Adam updates the other layers."
)
