"""Class probabilities for preprocessed digits, the shipped default model, and the bar chart."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import plotly.graph_objects as go
import torch
from torch import nn

from lab.draw.modelfile import load_model
from lab.engine.models import model_from_state_dict

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL_PATH = ROOT / "data" / "default_model.pt"
CLOSE_SECOND = 0.15  # show the runner-up when it has at least this probability

_default_lock = threading.Lock()
_default_cache: dict[Path, tuple[nn.Sequential, dict[str, Any]]] = {}


class ModelSourceLike(Protocol):
    """What the Train page hands over: a label, its RunConfig and consistent weight snapshots."""

    label: str
    config: Any
    live: bool

    def snapshot(self) -> dict[str, torch.Tensor]:
        """A consistent CPU plain_state_dict."""


def load_default_model(path: Path | str = DEFAULT_MODEL_PATH) -> tuple[nn.Sequential, dict[str, Any]]:
    """The shipped model and its meta, loaded once per process (ModelFileError if unusable)."""
    path = Path(path)
    with _default_lock:  # many sessions open the page at once; read the file once
        if path not in _default_cache:
            model, meta = load_model(path)
            model.eval()
            _default_cache[path] = (model, meta)
        return _default_cache[path]


def model_from_source(source: ModelSourceLike) -> nn.Sequential:
    """A fresh eval-mode model from the source's current snapshot (never a half-updated one)."""
    model = model_from_state_dict(source.snapshot(), source.config.activation, source.config.leaky_slope)
    return model.eval()


@torch.no_grad()
def probabilities(model: nn.Module, images: np.ndarray | torch.Tensor) -> np.ndarray:
    """Softmax over the 10 digits: (784,) -> (10,), or (B, 784) -> (B, 10), float64 summing to 1."""
    x = torch.as_tensor(np.asarray(images, dtype=np.float32))
    single = x.ndim == 1
    x = x.reshape(-1, 784)
    device = next(model.parameters()).device
    probs = torch.softmax(model(x.to(device)).double(), dim=1).cpu().numpy()
    return probs[0] if single else probs


def top_guesses(probs: np.ndarray) -> tuple[tuple[int, float], tuple[int, float] | None]:
    """(best digit, its probability) and the runner-up when it is close, else None."""
    order = np.argsort(probs)[::-1]
    best = (int(order[0]), float(probs[order[0]]))
    second = (int(order[1]), float(probs[order[1]]))
    return best, second if second[1] >= CLOSE_SECOND else None


def probability_figure(probs: np.ndarray, x_title: str, y_title: str) -> go.Figure:
    """Bar chart of the 10 probabilities, the top guess highlighted, sized for a projector."""
    best = int(np.argmax(probs))
    colours = ["#e4572e" if d == best else "#7aa6c2" for d in range(10)]
    fig = go.Figure(go.Bar(x=[str(d) for d in range(10)], y=probs, marker_color=colours,
                           text=[f"{p:.0%}" if p >= 0.01 else "" for p in probs], textposition="outside",
                           outsidetextfont=dict(size=18), cliponaxis=False,
                           constraintext="none",  # else Plotly shrinks "100%" to the bar's width (5 px)
                           hovertemplate="%{x}: %{y:.2%}<extra></extra>"))
    big, medium = dict(size=20), dict(size=16)  # readable from the back of a classroom
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=30, b=10), showlegend=False,
                      xaxis=dict(title=dict(text=x_title, font=medium), type="category", tickfont=big),
                      yaxis=dict(title=dict(text=y_title, font=medium), range=[0, 1.05], tickformat=".0%",
                                 tickfont=medium))
    return fig
