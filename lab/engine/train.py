"""The Trainer: runs a RunConfig on real MNIST and reports through events; it never knows who listens."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

from lab.engine.augment import random_affine
from lab.engine.config import RunConfig
from lab.engine.data import Mnist, load_mnist, to_float
from lab.engine.events import ActivationsProbed, EpochEnded, Event, RunEnded, RunRecord, RunStarted, StepsLogged
from lab.engine.fast_step import ManualStep, supports
from lab.engine.models import build_from_config, layer_names, plain_state_dict
from lab.engine.optim import make_model_optimizer
from lab.engine.optim_table import OPTIMIZERS
from lab.engine.probes import activation_stats, grad_norms

FLUSH_EVERY = 50  # steps between copies of the device-side loss buffer back to the host
EVAL_CHUNK = 5000


def resolve_device(asked: str) -> tuple[torch.device, str]:
    """The device to run on and a note when it differs from what was asked."""
    has_cuda = torch.cuda.is_available()
    if asked == "cuda" and not has_cuda:
        return torch.device("cpu"), "CUDA was asked for but no CUDA GPU is present: using the CPU."
    if asked == "auto":
        return torch.device("cuda" if has_cuda else "cpu"), ""
    return torch.device(asked), ""


class Trainer:
    """Trains one RunConfig; emits RunStarted, StepsLogged, EpochEnded, ActivationsProbed, RunEnded."""

    def __init__(self, config: RunConfig, on_event: Callable[[Event], None] | None = None,
                 stop_event: threading.Event | None = None, data: Mnist | None = None,
                 use_graphs: bool | str = True,
                 on_checkpoint: Callable[[dict[str, torch.Tensor], int], None] | None = None):
        self.config = config
        self.on_event = on_event or (lambda event: None)
        self.on_checkpoint = on_checkpoint or (lambda weights, step: None)
        self._checkpoint_asked = threading.Event()
        self.stop_event = stop_event or threading.Event()
        self.device, self.device_note = resolve_device(config.device)
        self.data = data
        self.use_graphs = use_graphs
        self.model = build_from_config(config).to(self.device)
        self.layers = layer_names(config.depth)
        self.weights_lock = threading.Lock()  # held while weights change; snapshot() waits on it
        self.record = RunRecord()
        self.step = 0
        self.first_loss: float | None = None
        self._test: tuple[torch.Tensor, torch.Tensor] | None = None  # test set on the device

    def stop(self) -> None:
        """Ask the run to end after the current step."""
        self.stop_event.set()

    def snapshot(self) -> dict[str, torch.Tensor]:
        """A consistent CPU copy of the weights (never taken mid-update)."""
        with self.weights_lock:
            return plain_state_dict(self.model)

    def request_checkpoint(self) -> None:
        """Ask for the weights from any thread: on_checkpoint(weights, step) gets them at the next step boundary.

        The copy is made on the training thread. A torch op on another thread (snapshot() from a store
        writer) gives that thread OpenMP threads of its own, and with more OpenMP threads than cores
        libgomp spins 100 times instead of 300,000 before sleeping between parallel regions
        (GOMP_SPINCOUNT in its manual): every epoch after the first checkpoint took twice as long (issue 21).
        """
        self._checkpoint_asked.set()

    def _hand_over_checkpoint(self) -> None:
        """On the training thread, between steps: a CPU copy of the weights to on_checkpoint, if asked."""
        if self._checkpoint_asked.is_set():
            self._checkpoint_asked.clear()
            self.on_checkpoint(plain_state_dict(self.model), self.step)

    def _emit(self, event: Event) -> None:
        """Record an event and pass it on."""
        self.record.add(event)
        self.on_event(event)

    def run(self) -> RunRecord:
        """Train to the end, a stop, a divergence or a failure; returns the record."""
        started = time.perf_counter()
        try:
            status, message, loss = self._train()
        except Exception as exc:  # noqa: BLE001 - any failure ends this run, never the app
            status, message, loss = "failed", f"{type(exc).__name__}: {exc}", None
        self._emit(RunEnded(status, message, self.step, loss, time.perf_counter() - started))
        return self.record

    def _train(self) -> tuple[str, str, float | None]:
        """The training loop proper; returns (status, message, last loss)."""
        cfg, dev = self.config, self.device
        data = self.data or load_mnist()
        n = cfg.train_subset or len(data.train_labels)
        x_all = data.train_images[:n].to(dev)  # (N, 784) uint8, resident on the device
        y_all = data.train_labels[:n].to(dev)
        batch = min(cfg.batch_size, n)
        steps_per_epoch = n // batch  # drop_last, as the lesson's DataLoader
        spec = OPTIMIZERS[cfg.optimizer]
        lr = cfg.effective_lr
        hidden = self.layers[:-1]
        order_gen = torch.Generator().manual_seed(cfg.seed)  # batch order: independent of init
        aug_gen = torch.Generator().manual_seed(cfg.seed + 1)
        graphed = None
        # "emulate" runs the graph path's bookkeeping without capture, so CPU tests check it.
        if (self.use_graphs == "emulate" or (self.use_graphs and dev.type == "cuda")) and not cfg.augment:
            from lab.engine.cuda_graph import try_graphed_step

            graphed = try_graphed_step(self, x_all, y_all, batch, lr, capture=dev.type == "cuda")
        self._emit(RunStarted(cfg.to_dict(), str(dev), self.device_note, self.layers, hidden,
                              steps_per_epoch, steps_per_epoch * cfg.epochs))
        optimizer = graphed.optimizer if graphed else make_model_optimizer(
            self.model, cfg.optimizer, lr, cfg.opt_params)
        manual = ManualStep(self.model) if supports(self.model) else None  # else autograd (SparseAdam's layer)
        probe_x = to_float(x_all[: min(n, 512)])  # fixed batch for activation statistics
        last_loss: float | None = None
        for epoch in range(1, cfg.epochs + 1):
            t0 = time.perf_counter()
            perm = torch.randperm(n, generator=order_gen)[: steps_per_epoch * batch].to(dev)
            loss_sum = torch.zeros((), device=dev)
            correct = torch.zeros((), dtype=torch.long, device=dev)
            block_losses = torch.zeros(FLUSH_EVERY, device=dev)
            block_norms = torch.zeros(FLUSH_EVERY, len(self.layers), device=dev)
            buffers = (block_losses, block_norms)
            block_start = self.step + 1
            if graphed:
                graphed.start_epoch(perm)
            self.model.train()
            for i in range(steps_per_epoch):
                if self.stop_event.is_set():
                    break
                self._hand_over_checkpoint()
                self.step += 1
                j = self.step - block_start
                if graphed:
                    with self.weights_lock:
                        graphed.replay()
                else:
                    idx = perm[i * batch:(i + 1) * batch]
                    x = to_float(x_all.index_select(0, idx))  # (B, 784); index_select: 3x faster than x_all[idx]
                    if cfg.augment:
                        x = random_affine(x, aug_gen)
                    loss, hits = self._eager_step(optimizer, spec.needs_closure, x, y_all.index_select(0, idx),
                                                  block_norms, j, manual)
                    block_losses[j] = loss
                    loss_sum += loss
                    correct += hits
                if (self.step - 1) % cfg.probe_every == 0:
                    sat, dead = activation_stats(self.model, probe_x, cfg.activation, cfg.leaky_slope)
                    self._emit(ActivationsProbed(self.step, sat.tolist(), dead.tolist()))
                # The run's first step goes out at once: a student who just pressed ▶ Train should
                # see the first point without waiting for a block of FLUSH_EVERY steps.
                if j + 1 == FLUSH_EVERY or i + 1 == steps_per_epoch or self.step == 1:
                    if diverged := self._flush_block(graphed, buffers, block_start, j + 1):
                        return diverged
                    last_loss = self.record.steps[-1]["loss"] if self.record.steps else last_loss
                    block_start = self.step + 1
            if self.stop_event.is_set():
                unflushed = self.step - block_start + 1
                if unflushed and (diverged := self._flush_block(graphed, buffers, block_start, unflushed)):
                    return diverged
                return "stopped", f"Stopped at step {self.step} of epoch {epoch}.", last_loss
            if graphed:
                loss_sum, correct = graphed.epoch_totals()
            count = steps_per_epoch
            train_loss = float(loss_sum) / count
            train_acc = float(correct) / (count * batch)
            test_acc = self.evaluate(data)
            self._emit(EpochEnded(epoch, train_loss, train_acc, test_acc, time.perf_counter() - t0))
        return "finished", f"Finished {cfg.epochs} epochs.", last_loss

    def _eager_step(self, optimizer, needs_closure: bool, x: torch.Tensor, y: torch.Tensor,
                    block_norms: torch.Tensor, j: int, manual: ManualStep | None) -> tuple[torch.Tensor, torch.Tensor]:
        """One optimizer step on a batch; writes grad norms when the step is logged."""
        logged = (self.step - 1) % self.config.log_every == 0
        holder: dict[str, torch.Tensor] = {}

        def closure() -> torch.Tensor:
            if manual:  # the same loss and gradients, bitwise, without autograd's bookkeeping
                loss, logits = manual(x, y)
            else:
                optimizer.zero_grad(set_to_none=True)
                logits = self.model(x)  # (B, 10)
                loss = F.cross_entropy(logits, y)
                loss.backward()
            if "loss" not in holder:  # LBFGS calls this several times; log the first
                holder["loss"], holder["logits"] = loss.detach(), logits.detach()
                if logged:
                    block_norms[j] = grad_norms(self.model)
            return loss

        with self.weights_lock:
            if needs_closure:
                optimizer.step(closure)
            else:
                closure()
                optimizer.step()
        hits = (holder["logits"].argmax(1) == y).sum()
        return holder["loss"], hits

    def _flush_block(self, graphed, buffers: tuple[torch.Tensor, torch.Tensor], first_step: int,
                     count: int) -> tuple[str, str, float] | None:
        """Flush the block from the CUDA graph's buffers, or from the eager loop's."""
        return self._flush(first_step, count, *(graphed.block() if graphed else buffers))

    def _flush(self, first_step: int, count: int, losses: torch.Tensor,
               norms: torch.Tensor) -> tuple[str, str, float] | None:
        """Copy a block of losses/norms to the host, emit the logged ones; report divergence."""
        host_losses = losses[:count].tolist()
        host_norms = norms[:count].tolist()
        every = self.config.log_every
        keep = [k for k in range(count) if (first_step + k - 1) % every == 0]
        if self.first_loss is None and host_losses:
            self.first_loss = host_losses[0]
        # Diverged: a non-finite loss, or one 1000x above where it started (and above 1e6,
        # so the lesson's std-1 init, which starts near 2000, is not flagged).
        limit = max(1e6, 1e3 * abs(self.first_loss or 0.0))
        bad = next((k for k, v in enumerate(host_losses) if not math.isfinite(v) or v > limit), None)
        if bad is not None:
            keep = [k for k in keep if k < bad] + [bad]
        if keep:
            self._emit(StepsLogged([first_step + k for k in keep], [host_losses[k] for k in keep],
                                   [host_norms[k] for k in keep]))
        if bad is None:
            return None
        step, value = first_step + bad, host_losses[bad]
        lr = self.config.effective_lr
        self.step = step
        return ("diverged", f"The loss blew up to {value:.4g} at step {step} with learning rate {lr:g}. "
                "Try a learning rate 10x lower.", value)

    @torch.no_grad()
    def evaluate(self, data: Mnist) -> float:
        """Accuracy on all 10,000 test images."""
        if self._test is None:  # copied to the device once per run, not once per epoch
            self._test = data.test_images.to(self.device), data.test_labels.to(self.device)
        images, labels = self._test
        self.model.eval()
        correct = 0
        for start in range(0, len(labels), EVAL_CHUNK):
            x = to_float(images[start:start + EVAL_CHUNK])
            y = labels[start:start + EVAL_CHUNK]
            with self.weights_lock:
                correct += int((self.model(x).argmax(1) == y).sum())
        self.model.train()
        return correct / len(data.test_labels)


def train(config: RunConfig, on_event: Callable[[Event], None] | None = None, **kwargs) -> RunRecord:
    """Run one config to the end and return its record."""
    return Trainer(config, on_event, **kwargs).run()
