"""Real MNIST from the repo's data/mnist, checksum-verified, decoded once per process."""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
BUNDLED_DIR = ROOT / "data" / "mnist"
LESSON_DIR = ROOT / "MNIST_data" / "MNIST" / "raw"  # torchvision's layout, the lesson's root

# SHA-256 of the gzip files shipped in data/mnist, and of their uncompressed contents
# (torchvision's raw folder may hold either form).
SHA256_GZ = {
    "train-images-idx3-ubyte": "46c5ee52462974fae5ed8bbe4d1b92cd9147c1942ca28125e6d699a14cadbc4a",
    "train-labels-idx1-ubyte": "1ded8819bf6cb0f8d26e7b7c01894d7ef25e86f761b4313d1be69c2805dc1415",
    "t10k-images-idx3-ubyte": "bc99f72c02f9aff6d4ec5a2c51d2a673e6d3056580139dc67bd868552b93793f",
    "t10k-labels-idx1-ubyte": "d7e57e75f3979c2140192fe0fb0033c9c327ea5eac629df6f8efc8694578155b",
}
SHA256_RAW = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
COUNTS = {"train": 60000, "t10k": 10000}


class DataError(RuntimeError):
    """MNIST is missing or corrupt; the message names the file and what to do."""


@dataclass(frozen=True)
class Mnist:
    """The four arrays, as uint8 tensors shared read-only by every run in the process."""

    train_images: torch.Tensor  # (60000, 784) uint8
    train_labels: torch.Tensor  # (60000,) int64
    test_images: torch.Tensor  # (10000, 784) uint8
    test_labels: torch.Tensor  # (10000,) int64
    source: Path


_cache: dict[Path, Mnist] = {}
_lock = threading.Lock()


def default_dir() -> Path:
    """Where to read MNIST: $RELULAB_MNIST_DIR, else the lesson's MNIST_data if present, else data/mnist."""
    env = os.environ.get("RELULAB_MNIST_DIR")
    if env:
        return Path(env)
    if all(_find(LESSON_DIR, stem) for stem in SHA256_GZ):
        return LESSON_DIR
    return BUNDLED_DIR


def load_mnist(directory: Path | str | None = None) -> Mnist:
    """Load (once per process and folder) and verify the four MNIST files."""
    directory = Path(directory) if directory is not None else default_dir()
    with _lock:  # many sessions may ask at once; decode only once
        if directory not in _cache:
            _cache[directory] = _load_uncached(directory)
        return _cache[directory]


def _find(directory: Path, stem: str) -> Path | None:
    """The .gz file, or the uncompressed one, for a stem; None if neither exists."""
    for candidate in (directory / f"{stem}.gz", directory / stem):
        if candidate.is_file():
            return candidate
    return None


def read_verified(directory: Path, stem: str) -> bytes:
    """Uncompressed bytes of one IDX file after checking its SHA-256; DataError otherwise."""
    path = _find(directory, stem)
    if path is None:
        raise DataError(f"MNIST file missing: {directory / (stem + '.gz')}. "
                        "Restore data/mnist from the repository (git checkout -- data/mnist).")
    blob = path.read_bytes()
    expected = SHA256_GZ[stem] if path.suffix == ".gz" else SHA256_RAW[stem]
    if hashlib.sha256(blob).hexdigest() != expected:
        raise DataError(f"MNIST file corrupt (SHA-256 mismatch): {path}. "
                        "Restore it from the repository (git checkout -- data/mnist).")
    return gzip.decompress(blob) if path.suffix == ".gz" else blob


def parse_idx(raw: bytes, name: str) -> np.ndarray:
    """Decode an IDX byte string (magic, dims, uint8 data) into a numpy array."""
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08:
        raise DataError(f"{name}: not an unsigned-byte IDX file")
    dims = struct.unpack(f">{ndim}I", raw[4: 4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise DataError(f"{name}: expected {dims} values, found {data.size}")
    return data.reshape(dims)


def _load_uncached(directory: Path) -> Mnist:
    """Read, verify and decode all four files."""
    arrays = {}
    for stem in SHA256_GZ:
        arrays[stem] = parse_idx(read_verified(directory, stem), stem)
    for split, n in COUNTS.items():
        if len(arrays[f"{split}-images-idx3-ubyte"]) != n:
            found = len(arrays[f"{split}-images-idx3-ubyte"])
            raise DataError(f"{split} set has {found} images, expected {n}")

    def images(stem: str) -> torch.Tensor:
        return torch.from_numpy(arrays[stem].reshape(-1, 784).copy())

    def labels(stem: str) -> torch.Tensor:
        return torch.from_numpy(arrays[stem].astype(np.int64))

    return Mnist(images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte"),
                 images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte"), directory)


def to_float(images_u8: torch.Tensor) -> torch.Tensor:
    """uint8 pixels to floats in [0, 1], as torchvision's ToTensor does."""
    return images_u8.float().div_(255.0)
