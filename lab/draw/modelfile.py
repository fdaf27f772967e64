"""Saving and loading trained models safely: weights_only pickles, shape checks, atomic writes."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from lab.engine.models import model_from_state_dict, plain_state_dict

FORMAT = "relulab-mlp-1"
MAX_MODEL_BYTES = 20 * 1024 * 1024  # a 10-layer 2048-wide MLP is ~170 MB; the app's are < 5 MB


class ModelFileError(ValueError):
    """A model file that cannot be used; the message says why, for people."""


def model_payload(model_or_state: nn.Module | dict[str, torch.Tensor], activation: str,
                  leaky_slope: float = 0.01, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """The dict we save: format tag, activation, plain Linear state_dict, and JSON-able meta."""
    state = model_or_state if isinstance(model_or_state, dict) else plain_state_dict(model_or_state)
    return {"format": FORMAT, "activation": activation, "leaky_slope": float(leaky_slope),
            "state_dict": state, "meta": dict(meta or {})}


def model_bytes(model_or_state, activation: str, leaky_slope: float = 0.01,
                meta: dict[str, Any] | None = None) -> bytes:
    """The model file's bytes (for a download button)."""
    buffer = io.BytesIO()
    torch.save(model_payload(model_or_state, activation, leaky_slope, meta), buffer)
    return buffer.getvalue()


def save_model(path: Path | str, model_or_state, activation: str, leaky_slope: float = 0.01,
               meta: dict[str, Any] | None = None) -> Path:
    """Write the model file atomically (temp file in the same folder, fsync, rename)."""
    path = Path(path)
    write_atomic(path, model_bytes(model_or_state, activation, leaky_slope, meta))
    return path


def write_atomic(path: Path, blob: bytes) -> None:
    """Replace path with blob so a reader never sees a half-written file, even after a crash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_model_bytes(blob: bytes) -> tuple[nn.Sequential, dict[str, Any]]:
    """Rebuild a model from file bytes; ModelFileError for anything unsafe or unfit.

    torch.load(weights_only=True) refuses pickles that would import or call anything beyond
    tensors and plain containers, so a file crafted to run code is rejected, not executed.
    """
    if len(blob) > MAX_MODEL_BYTES:
        raise ModelFileError(f"The model file is {len(blob) / 1e6:.1f} MB; at most "
                             f"{MAX_MODEL_BYTES / 1e6:.0f} MB is accepted.")
    try:
        payload = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - pickle errors come in many types
        raise ModelFileError("This is not a ReLU Lab model file, or it holds something other than "
                             f"weights, which is refused for safety ({type(exc).__name__}).") from exc
    if isinstance(payload, dict) and payload.get("format") == FORMAT:
        state, activation = payload.get("state_dict"), payload.get("activation", "relu")
        slope, meta = payload.get("leaky_slope", 0.01), payload.get("meta", {})
    elif isinstance(payload, dict) and all(isinstance(v, torch.Tensor) for v in payload.values()):
        state, activation, slope, meta = payload, "relu", 0.01, {}  # a bare state_dict
    else:
        raise ModelFileError("The file does not hold a ReLU Lab model (no state_dict found).")
    from lab.engine.config import ACTIVATION_NAMES

    if activation not in ACTIVATION_NAMES:
        raise ModelFileError(f"Unknown activation {activation!r} in the model file.")
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelFileError("The model file's state_dict is not a dict of tensors.")
    try:
        model = model_from_state_dict(state, activation, float(slope))
    except (ValueError, RuntimeError, KeyError) as exc:
        raise ModelFileError(f"The weights do not fit an MLP from 784 pixels to 10 digits: {exc}") from exc
    return model, {"activation": activation, "leaky_slope": float(slope), **dict(meta)}


def load_model(path: Path | str) -> tuple[nn.Sequential, dict[str, Any]]:
    """Load a model file from disk (see load_model_bytes)."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"Model file not found: {path}")
    return load_model_bytes(path.read_bytes())
