"""The optimizer race: torch.optim itself descending 2-D test surfaces from a common start."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from lab.engine.optim import make_optimizer
from lab.engine.optim_table import OPTIMIZERS, optimizer_kwargs
from lab.lessons.race_names import DEFAULT_RACERS, RACER_ORDER

__all__ = ["DEFAULT_RACERS", "RACERS", "RACER_ORDER", "SURFACES", "Surface", "Trajectory", "default_lr",
           "distance_to_minimum", "first_to_minimum", "race_code", "racer_label", "run_racer", "run_race"]
DIVERGED_AT = 1e6  # |x| or |y| beyond this, or a non-finite loss, ends a racer's run


def _beale(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Beale's function: flat plateau, steep walls, minimum 0 at (3, 0.5)."""
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def _rosenbrock(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Rosenbrock's banana valley: minimum 0 at (1, 1)."""
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def _saddle(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """x^2 - y^2 near the origin (a saddle), with y^4/2 so it is bounded: minima -0.5 at (0, +-1)."""
    return x**2 - y**2 + 0.5 * y**4


_VALLEY_ANGLE = math.radians(30)


def _valley(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """A long, narrow, tilted quadratic valley (curvatures 0.1 and 10): minimum 0 at (0, 0)."""
    c, s = math.cos(_VALLEY_ANGLE), math.sin(_VALLEY_ANGLE)
    along, across = c * x + s * y, -s * x + c * y
    return 0.05 * along**2 + 5 * across**2


def _rastrigin(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Rastrigin's egg-crate: a bowl covered in local minima, global minimum 0 at (0, 0)."""
    return 20 + x**2 - 10 * torch.cos(2 * math.pi * x) + y**2 - 10 * torch.cos(2 * math.pi * y)


@dataclass(frozen=True)
class Surface:
    """A 2-D loss surface: its formula, where the race starts, where the minimum is, what to plot."""

    key: str
    fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    start: tuple[float, float]
    minimum: tuple[float, float]
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    f_min: float = 0.0
    default_steps: int = 200
    default_lrs: dict[str, float] = field(default_factory=dict)

    def __call__(self, xy: torch.Tensor) -> torch.Tensor:
        """f at xy, xy of shape (..., 2)."""
        return self.fn(xy[..., 0], xy[..., 1])

    def grid(self, n: int = 160) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(xs (n,), ys (n,), f (n, n) indexed [y, x]) for a contour plot."""
        xs = torch.linspace(*self.x_range, n, dtype=torch.float64)
        ys = torch.linspace(*self.y_range, n, dtype=torch.float64)
        gy, gx = torch.meshgrid(ys, xs, indexing="ij")
        return xs.numpy(), ys.numpy(), self.fn(gx, gy).numpy()


# Racers: every optimizer of lab.engine.optim, plus the two SGD variants the family tree names.
RACERS: dict[str, tuple[str, dict[str, Any]]] = {
    **{name: (name, {}) for name in OPTIMIZERS},
    "momentum": ("sgd", {"momentum": 0.9}),
    "nag": ("sgd", {"momentum": 0.9, "nesterov": True}),
}


def racer_label(racer: str) -> str:
    """What the legend calls a racer: its torch.optim class and any non-default setting."""
    name, params = RACERS[racer]
    cls = OPTIMIZERS[name].cls_name
    if not params:
        return cls
    return cls + "(" + ", ".join(f"{k}={v}" for k, v in params.items()) + ")"


@dataclass
class Trajectory:
    """One racer's path: points (steps+1, 2) from the start, losses (steps+1,), where it stopped."""

    racer: str
    lr: float
    steps: int  # steps asked for; fewer points when it diverged
    points: np.ndarray
    losses: np.ndarray
    diverged_at: int | None = None  # the step whose result was non-finite or out of bounds

    @property
    def end(self) -> np.ndarray:
        """The last finite point."""
        return self.points[-1]


def _parameter(racer: str, start: tuple[float, float]) -> tuple[nn.Embedding | None, torch.Tensor]:
    """(the sparse embedding or None, the leaf tensor torch.optim updates) for one racer."""
    if OPTIMIZERS[RACERS[racer][0]].sparse:
        # SparseAdam only takes sparse gradients: the point is row 0 of a sparse embedding.
        emb = nn.Embedding(1, 2, sparse=True).double()
        with torch.no_grad():
            emb.weight.copy_(torch.tensor([start], dtype=torch.float64))
        return emb, emb.weight  # (1, 2)
    point = nn.Parameter(torch.tensor(start, dtype=torch.float64))
    return None, point  # (2,)


def default_lr(surface: Surface, racer: str) -> float:
    """The racer's lr on this surface (the optimizer's MNIST default if the table lacks it)."""
    return surface.default_lrs.get(racer, OPTIMIZERS[RACERS[racer][0]].default_lr)


def run_racer(surface: Surface, racer: str, lr: float | None = None, steps: int | None = None) -> Trajectory:
    """Let one torch.optim optimizer take `steps` steps on the surface from its start point."""
    steps = surface.default_steps if steps is None else steps
    lr = default_lr(surface, racer) if lr is None else lr
    name, settings = RACERS[racer]
    emb, leaf = _parameter(racer, surface.start)
    optimizer = make_optimizer(name, [leaf], lr, settings)
    index = torch.zeros(1, dtype=torch.long)

    def current() -> torch.Tensor:
        """The point (2,), through the embedding lookup when the parameter is sparse."""
        return emb(index)[0] if emb is not None else leaf

    def closure() -> torch.Tensor:
        """Zero the gradient, evaluate the surface, back-propagate: what LBFGS calls itself."""
        optimizer.zero_grad()
        loss = surface(current())
        loss.backward()
        return loss

    points = [list(surface.start)]
    diverged_at = None
    for step in range(1, steps + 1):
        if OPTIMIZERS[name].needs_closure:
            optimizer.step(closure)  # LBFGS re-evaluates the surface inside step()
        else:
            closure()
            optimizer.step()
        xy = leaf.detach().reshape(-1)[:2].tolist()
        if not all(math.isfinite(v) and abs(v) < DIVERGED_AT for v in xy):
            diverged_at = step
            break
        points.append(xy)
    pts = np.asarray(points, dtype=np.float64)
    with torch.no_grad():
        losses = surface(torch.from_numpy(pts)).numpy()
    return Trajectory(racer, lr, steps, pts, losses, diverged_at)


def run_race(surface: Surface, racers: list[str] | tuple[str, ...], lrs: dict[str, float] | None = None,
             steps: int | None = None) -> list[Trajectory]:
    """Every chosen racer from the same start, each at its own (or the surface's default) lr."""
    lrs = lrs or {}
    return [run_racer(surface, r, lrs.get(r), steps) for r in racers]


def distance_to_minimum(surface: Surface, trajectory: Trajectory) -> float:
    """Euclidean distance from where the racer ended to the surface's minimum."""
    return float(np.hypot(*(trajectory.end - np.asarray(surface.minimum))))


def first_to_minimum(surface: Surface, trajs: list[Trajectory], tolerance: float = 0.02) -> tuple[str, int | None]:
    """(racer, step) of the first racer within tolerance x the plot's diagonal of the minimum, else (closest, None)."""
    reach = tolerance * float(np.hypot(np.ptp(surface.x_range), np.ptp(surface.y_range)))
    firsts = []
    for traj in trajs:  # points (steps+1, 2): the step at which each first came within reach
        near = np.nonzero(np.hypot(*(traj.points - np.asarray(surface.minimum)).T) < reach)[0]
        if len(near):
            firsts.append((int(near[0]), traj.racer))
    if firsts:
        step, racer = min(firsts)
        return racer, step
    return min(trajs, key=lambda tr: distance_to_minimum(surface, tr)).racer, None



# Default lr of each racer on each surface: chosen by a grid search (1-2-5 steps from 1e-5
# to 50) for the lowest mean log-loss over the default steps with the path staying on the
# plot, then rounded to a readable value. PyTorch's own defaults differ 1000x between
# classes, and a race at equal lr would only show who happens to like that lr.
_LR_COLUMNS = ("sgd", "momentum", "nag", "adagrad", "rmsprop", "adadelta", "adam", "nadam",
               "adamax", "adamw", "radam", "sparseadam", "asgd", "rprop", "lbfgs")
_LR_TABLE = {
    "beale": (0.01, 0.002, 0.002, 1.0, 0.05, 10.0, 0.1, 0.1, 0.5, 0.1, 0.01, 0.1, 0.01, 0.1, 1.0),
    "rosenbrock": (1e-3, 2e-4, 2e-4, 1.0, 0.1, 10.0, 0.3, 0.3, 1.0, 0.3, 1e-4, 0.3, 1e-3, 0.1, 0.5),
    "saddle": (0.05, 0.02, 0.02, 0.5, 0.01, 10.0, 0.05, 0.05, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.5),
    "valley": (0.15, 0.03, 0.03, 1.0, 0.05, 20.0, 0.2, 0.2, 0.5, 0.2, 0.2, 0.2, 0.15, 0.05, 1.0),
    "rastrigin": (0.005, 0.005, 0.005, 1.0, 0.1, 10.0, 0.5, 0.3, 0.5, 0.5, 0.02, 0.5, 0.005, 0.2, 0.02),
}
DEFAULT_LRS = {surface: dict(zip(_LR_COLUMNS, lrs, strict=True)) for surface, lrs in _LR_TABLE.items()}

SURFACES: dict[str, Surface] = {
    s.key: s
    for s in (
        Surface("beale", _beale, (1.0, 1.5), (3.0, 0.5), (-4.5, 4.5), (-4.5, 4.5),
                default_steps=300, default_lrs=DEFAULT_LRS["beale"]),
        Surface("rosenbrock", _rosenbrock, (-2.0, 2.0), (1.0, 1.0), (-2.5, 2.5), (-1.0, 4.0),
                default_steps=500, default_lrs=DEFAULT_LRS["rosenbrock"]),
        Surface("saddle", _saddle, (-1.5, 1e-3), (0.0, 1.0), (-2.0, 2.0), (-2.0, 2.0), f_min=-0.5,
                default_steps=150, default_lrs=DEFAULT_LRS["saddle"]),
        Surface("valley", _valley, (-4.0, -1.0), (0.0, 0.0), (-5.0, 5.0), (-3.0, 3.0),
                default_steps=150, default_lrs=DEFAULT_LRS["valley"]),
        Surface("rastrigin", _rastrigin, (-2.5, 2.2), (0.0, 0.0), (-4.0, 4.0), (-4.0, 4.0),
                default_steps=150, default_lrs=DEFAULT_LRS["rastrigin"]),
    )
}


# Each surface as the Python a student would type (x, y are the two entries of the parameter).
FORMULAS = {
    "beale": "(1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2",
    "rosenbrock": "(1 - x) ** 2 + 100 * (y - x**2) ** 2",
    "saddle": "x**2 - y**2 + 0.5 * y**4",
    "valley": "0.05 * (0.8660254 * x + 0.5 * y) ** 2 + 5 * (-0.5 * x + 0.8660254 * y) ** 2",
    "rastrigin": "20 + x**2 - 10 * torch.cos(2 * math.pi * x) + y**2 - 10 * torch.cos(2 * math.pi * y)",
}


def race_code(surface: Surface, racer: str, lr: float, steps: int) -> str:
    """Runnable PyTorch code for one racer on one surface: what the page computes for it."""
    name, settings = RACERS[racer]
    spec = OPTIMIZERS[name]
    torch_defaults = inspect.signature(spec.torch_class).parameters
    kwargs = optimizer_kwargs(name, lr, settings)  # exactly what run_racer passes
    extra = "".join(f", {k}={v!r}" for k, v in kwargs.items()
                    if k != "lr" and (k not in torch_defaults or torch_defaults[k].default != v))
    start = f"[{surface.start[0]!r}, {surface.start[1]!r}]"
    if spec.sparse:
        setup = ("emb = torch.nn.Embedding(1, 2, sparse=True).double()  # SparseAdam needs sparse grads\n"
                 "with torch.no_grad():\n"
                 f"    emb.weight.copy_(torch.tensor([{start}], dtype=torch.float64))\n"
                 f"optimizer = torch.optim.{spec.cls_name}(emb.parameters(), lr={lr!r}{extra})\n"
                 "point = lambda: emb(torch.zeros(1, dtype=torch.long))[0]  # row 0: (2,)\n")
    else:
        setup = (f"xy = torch.nn.Parameter(torch.tensor({start}, dtype=torch.float64))\n"
                 f"optimizer = torch.optim.{spec.cls_name}([xy], lr={lr!r}{extra})\n"
                 "point = lambda: xy\n")
    loop = ("    optimizer.step(closure)  # LBFGS calls closure() itself, several times per step\n"
            if spec.needs_closure else "    closure()\n    optimizer.step()\n")
    return ("import math\n\nimport torch\n\n" + setup +
            f"\n\ndef closure():\n    optimizer.zero_grad()\n    x, y = point()\n"
            f"    loss = {FORMULAS[surface.key]}\n    loss.backward()\n    return loss\n\n\n"
            f"for step in range({steps}):\n" + loop)
