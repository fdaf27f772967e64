"""Same-shape runs trained together as one batched model: each weight stacked on a leading run dimension.

Runs that share depth, width, batch size, epochs, data and optimizer (and may differ in seed, init,
activation and learning rate) train as one model: layer l's weights are a (R, out, in) tensor, a step is
one batched product per layer (torch.baddbmm), and the loss is the sum of each run's mean loss, so every
run's gradient is its own. Elementwise optimizers on the stacked weights behave as R independent ones;
runs with different learning rates are stacked per rate, each stack a parameter group of the optimizer.
Each run starts from the weights and draws the batch order that a Trainer of its config would.

Equal, not identical: the forward pass is bit for bit a Trainer's, but a batched matrix product sums the
output layer's gradient in another order, and adaptive optimizers (Adam, RMSprop) grow that last-bit
difference step by step: within 1e-6 over tens of steps (tests/test_batched.py), about 1e-5 in the
weights after a few hundred (bench/RESULTS.md) -- less than 1 against 2 CPU threads change a run. So a
batched run would need its own key (lab/runs/identity.py) before its result could be replayed.

Whether it pays is measured by bench/batched.py (bench/RESULTS.md): on this 2-core CPU it does not (R runs
batched took longer than the same R runs one by one: a CPU is busy with the products either way), so the
executors train runs one at a time and this stays a measured tool; bench/batched_gpu.sh measures it on a
GPU, where one kernel per layer for R runs is what could let one card serve a class.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from lab.engine.config import RunConfig
from lab.engine.data import Mnist, load_mnist, to_float
from lab.engine.models import _activation_module, build_from_config, layer_names, plain_state_dict
from lab.engine.optim import make_optimizer

SHARED = ("depth", "width", "batch_size", "epochs", "train_subset", "log_every", "optimizer", "opt_params", "device")


@dataclass
class BatchedRun:
    """What one run of a batch produced: its logged losses and gradient norms, epochs, final weights."""

    config: RunConfig
    steps: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    grad_norms: list[list[float]] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    weights: dict[str, torch.Tensor] = field(default_factory=dict)


def group_key(config: RunConfig) -> tuple | None:
    """Runs with equal keys can train as one batched model; None for a run that cannot."""
    if config.augment or config.optimizer in ("lbfgs", "sparseadam"):  # random shifts; not elementwise
        return None
    return tuple(str(getattr(config, name)) for name in SHARED)


class BatchedMLP(torch.nn.Module):
    """R MLPs of one shape as stacked parameters: per learning rate, fcK_weight (R_lr, out, in), fcK_bias (R_lr, out).

    Runs are stacked by learning rate (one stack per rate, each its optimizer's parameter group: an
    elementwise optimizer on a stack is R_lr independent ones); the forward pass joins the stacks into one
    (R, ...) tensor per layer for a single batched product. Runs are kept in the order given.
    """

    def __init__(self, configs: list[RunConfig]):
        super().__init__()
        self.names = layer_names(configs[0].depth)
        states = [plain_state_dict(build_from_config(c)) for c in configs]  # each run's own initial weights
        rates = sorted({c.effective_lr for c in configs})
        self.stacks = [[i for i, c in enumerate(configs) if c.effective_lr == lr] for lr in rates]
        self.rates = rates
        self.order = [i for stack in self.stacks for i in stack]  # stacked position -> run
        self.position = {run: at for at, run in enumerate(self.order)}
        self.params = torch.nn.ParameterList(
            torch.nn.Parameter(torch.stack([states[i][f"{name}.{part}"] for i in stack]))
            for stack in self.stacks for name in self.names for part in ("weight", "bias"))
        self.groups: dict[str, list[int]] = {}  # activation (and slope) -> the stacked positions that use it
        for at, run in enumerate(self.order):
            c = configs[run]
            self.groups.setdefault(f"{c.activation}:{c.leaky_slope}", []).append(at)
        self.acts = {k: _activation_module(k.split(":")[0], float(k.split(":")[1])) for k in self.groups}

    def layer(self, index: int, part: int) -> torch.Tensor:
        """Layer `index`'s weight (part 0, (R, out, in)) or bias (part 1, (R, out)), all runs, stacked order."""
        per_stack = 2 * len(self.names)
        pieces = [self.params[s * per_stack + 2 * index + part] for s in range(len(self.stacks))]
        return pieces[0] if len(pieces) == 1 else torch.cat(pieces)

    def param_groups(self) -> list[dict]:
        """One optimizer parameter group per learning rate."""
        per_stack = 2 * len(self.names)
        return [{"params": list(self.params[s * per_stack:(s + 1) * per_stack]), "lr": lr}
                for s, lr in enumerate(self.rates)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (R, B, 784) or (1, B, 784) -> (R, B, 10)
        h = x
        for index, name in enumerate(self.names):
            w, b = self.layer(index, 0), self.layer(index, 1)
            h = torch.baddbmm(b.unsqueeze(1), h.expand(w.shape[0], -1, -1), w.transpose(1, 2))
            if name != "out":
                h = self.activate(h)
        return h

    def activate(self, h: torch.Tensor) -> torch.Tensor:
        """Each run's activation on its slice (one call when all runs share one)."""
        if len(self.groups) == 1:
            return next(iter(self.acts.values()))(h)
        out = torch.empty_like(h)
        for key, at in self.groups.items():
            idx = torch.tensor(at, device=h.device)
            out = out.index_copy(0, idx, self.acts[key](h.index_select(0, idx)))
        return out

    def weight_grad_norms(self) -> list[list[float]]:
        """Each run's weight-gradient norm per layer, input side first: (R, layers), runs in the order given."""
        per_stack = 2 * len(self.names)
        norms = torch.cat([torch.stack([self.params[s * per_stack + 2 * i].grad.flatten(1).norm(dim=1)
                                        for i in range(len(self.names))], 1) for s in range(len(self.stacks))])
        rows = norms.tolist()
        return [rows[self.position[run]] for run in range(len(self.order))]

    def state_of(self, run: int) -> dict[str, torch.Tensor]:
        """Run `run`'s weights as plain_state_dict() would give them."""
        at = self.position[run]
        return {f"{n}.{p}": self.layer(i, k)[at].detach().to("cpu", copy=True).contiguous()
                for i, n in enumerate(self.names) for k, p in enumerate(("weight", "bias"))}


def train_batched(configs: list[RunConfig], data: Mnist | None = None,
                  device: str | torch.device = "cpu") -> list[BatchedRun]:
    """Train same-shape configs together; each run's losses, norms, test accuracy and final weights."""
    keys = {group_key(c) for c in configs}
    if len(keys) != 1 or None in keys:
        raise ValueError("these runs cannot train as one batched model (see group_key)")
    cfg, dev, runs = configs[0], torch.device(device), len(configs)
    data = data or load_mnist()
    n = cfg.train_subset or len(data.train_labels)
    x_all, y_all = data.train_images[:n].to(dev), data.train_labels[:n].to(dev)
    batch = min(cfg.batch_size, n)
    steps_per_epoch = n // batch
    model = BatchedMLP(configs).to(dev)
    optimizer = make_optimizer(cfg.optimizer, model.param_groups(), model.rates[0], cfg.opt_params, fast=True)
    orders = [torch.Generator().manual_seed(c.seed) for c in configs]  # each run's batch order, as its Trainer's
    out = [BatchedRun(c) for c in configs]
    at = torch.tensor(model.order, device=dev)  # stacked position -> run
    step = 0
    for _ in range(cfg.epochs):
        perms = torch.stack([torch.randperm(n, generator=g)[: steps_per_epoch * batch] for g in orders]).to(dev)
        perms = perms.index_select(0, at)  # in stacked order
        for i in range(steps_per_epoch):
            step += 1
            idx = perms[:, i * batch:(i + 1) * batch]  # (R, B)
            x, y = to_float(x_all[idx]), y_all[idx]  # (R, B, 784), (R, B)
            optimizer.zero_grad(set_to_none=True)
            logits = model(x)  # (R, B, 10)
            # Each run's mean loss as its Trainer computes it (a per-sample loss then a mean rounds differently).
            losses = torch.stack([F.cross_entropy(logits[r], y[r]) for r in range(runs)])
            losses.sum().backward()  # run r's parameters see only run r's loss
            optimizer.step()
            if (step - 1) % cfg.log_every == 0:
                values = losses.tolist()
                for r, norm in enumerate(model.weight_grad_norms()):
                    out[r].steps.append(step)
                    out[r].losses.append(values[model.position[r]])
                    out[r].grad_norms.append(norm)
        for r, acc in enumerate(evaluate(model, data, dev)):
            out[r].test_acc.append(acc)
    for r in range(runs):
        out[r].weights = model.state_of(r)
    return out


@torch.no_grad()
def evaluate(model: BatchedMLP, data: Mnist, dev: torch.device, chunk: int = 5000) -> list[float]:
    """Each run's accuracy on the 10,000 test images (runs in the order given)."""
    correct = None
    for start in range(0, len(data.test_labels), chunk):
        x = to_float(data.test_images[start:start + chunk].to(dev)).unsqueeze(0)  # (1, C, 784)
        hits = (model(x).argmax(2) == data.test_labels[start:start + chunk].to(dev)).sum(1)
        correct = hits if correct is None else correct + hits
    stacked = (correct.double() / len(data.test_labels)).tolist()
    return [stacked[model.position[run]] for run in range(len(model.order))]
