"""The CUDA fast path: one training step (gather, forward, backward, probes, update) as a CUDA graph.

At batch 100 a step is ~40 tiny kernels, so on a GPU the time goes to launching them from
Python; replaying a captured graph launches them all at once. The graph also gathers its own
batch (from a device-side permutation and step counter) and writes its loss and gradient
norms into a block buffer, so a step costs one replay() and no host synchronisation.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from lab.engine.optim import make_model_optimizer
from lab.engine.probes import weight_grads

# Optimizers whose fresh state is all zeros, so that zeroing the state after the warm-up
# steps (needed before capture) gives exactly a fresh optimizer. Others run eagerly.
GRAPHABLE = {"adam", "adamw", "sgd", "rmsprop", "adadelta", "adamax", "radam"}
FLUSH_SLOTS = 64  # must be >= lab.engine.train.FLUSH_EVERY


class GraphedStep:
    """A captured training step over data resident on the GPU."""

    def __init__(self, trainer, x_all: torch.Tensor, y_all: torch.Tensor, batch: int, lr: float,
                 capture: bool = True):
        cfg, model, dev = trainer.config, trainer.model, trainer.device
        self.capture = capture  # False: replay() runs the same body eagerly (tests on the CPU)
        self.model, self.x_all, self.y_all, self.batch = model, x_all, y_all, batch
        self.optimizer = make_model_optimizer(model, cfg.optimizer, lr, cfg.opt_params,
                                              fast=True, capturable=True)
        n_layers = len(trainer.layers)
        self.perm = torch.zeros((len(x_all) // batch) * batch, dtype=torch.long, device=dev)
        self.cursor = torch.zeros((), dtype=torch.long, device=dev)  # step within the epoch
        self.pos = torch.zeros((), dtype=torch.long, device=dev)  # slot in the block buffer
        self.offsets = torch.arange(batch, device=dev)
        self.losses = torch.zeros(FLUSH_SLOTS, device=dev)  # (slots,)
        self.norms = torch.zeros(FLUSH_SLOTS, n_layers, device=dev)  # (slots, layers)
        self.loss_sum = torch.zeros((), device=dev)
        self.correct = torch.zeros((), dtype=torch.long, device=dev)
        initial = [p.detach().clone() for p in model.parameters()]
        if capture:  # warm up on a side stream (allocations and lazy state), then capture
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                for _ in range(3):
                    self.optimizer.zero_grad(set_to_none=True)
                    self._body()
            torch.cuda.current_stream().wait_stream(side)
            self.graph = torch.cuda.CUDAGraph()
            self.optimizer.zero_grad(set_to_none=True)
            with torch.cuda.graph(self.graph):
                self._body()
        else:
            for _ in range(3):
                self.optimizer.zero_grad(set_to_none=True)
                self._body()
        # Undo the warm-up: initial weights, fresh (zero) optimizer state, counters at zero.
        with torch.no_grad():
            for p, p0 in zip(model.parameters(), initial):
                p.copy_(p0)
            for state in self.optimizer.state.values():
                for value in state.values():
                    if torch.is_tensor(value):
                        value.zero_()
            for t in (self.cursor, self.pos, self.losses, self.norms, self.loss_sum, self.correct):
                t.zero_()

    def _body(self) -> None:
        """The step that is captured: every op stays on the device."""
        idx = self.perm[self.cursor * self.batch + self.offsets]  # (B,)
        x = self.x_all[idx].float().div_(255.0)  # (B, 784)
        y = self.y_all[idx]
        logits = self.model(x)  # (B, 10)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        norms = torch.stack(torch._foreach_norm(weight_grads(self.model)))  # (layers,)
        self.optimizer.step()
        with torch.no_grad():
            self.losses.index_copy_(0, self.pos.view(1), loss.detach().view(1))
            self.norms.index_copy_(0, self.pos.view(1), norms.view(1, -1))
            self.loss_sum += loss.detach()
            self.correct += (logits.argmax(1) == y).sum()
            self.cursor += 1
            self.pos += 1

    def start_epoch(self, perm: torch.Tensor) -> None:
        """Load this epoch's batch order and reset the per-epoch sums."""
        self.perm.copy_(perm)
        for t in (self.cursor, self.loss_sum, self.correct):
            t.zero_()

    def replay(self) -> None:
        """Run one captured step."""
        if self.capture:
            self.graph.replay()
        else:
            self.optimizer.zero_grad(set_to_none=True)
            self._body()

    def block(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The losses and norms written since the last call (copies), and a fresh block."""
        out = self.losses.clone(), self.norms.clone()
        self.pos.zero_()
        return out

    def epoch_totals(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Sum of losses and count of correct predictions over the epoch so far."""
        return self.loss_sum.clone(), self.correct.clone()


def try_graphed_step(trainer, x_all, y_all, batch: int, lr: float,
                     capture: bool = True) -> GraphedStep | None:
    """A GraphedStep when this config and device allow one, else None (eager loop instead)."""
    if trainer.config.optimizer not in GRAPHABLE:
        return None
    initial = [p.detach().clone() for p in trainer.model.parameters()]
    try:
        return GraphedStep(trainer, x_all, y_all, batch, lr, capture)
    except Exception as exc:  # noqa: BLE001 - capture can fail in many ways; eager always works
        with torch.no_grad():
            for p, p0 in zip(trainer.model.parameters(), initial):
                p.copy_(p0)
            for p in trainer.model.parameters():
                p.grad = None
        trainer.device_note = (trainer.device_note + " " if trainer.device_note else "") + \
            f"(CUDA graphs unavailable, eager loop used: {type(exc).__name__})"
        return None
