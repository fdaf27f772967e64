"""Turn a drawing or a photo into an MNIST-style 28x28 input, the way MNIST itself was made.

LeCun et al. size-normalised each NIST digit to fit a 20x20 box keeping its aspect ratio
(anti-aliased, hence grey levels), then placed it in a 28x28 field so that its centre of mass
sits at the centre. Every step here is a pure function on float arrays in [0, 1], and
`preprocess` keeps each intermediate image so a page can show what the network sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image

FIELD = 28  # MNIST image side
BOX = 20  # the longer side of the digit after size normalisation
MIN_CONTRAST = 0.08  # peak ink minus background below this is an empty image
NOISE_FLOOR = 0.12  # after stretching, fainter pixels are paper texture or sensor noise
MIN_INK_PIXELS = 4  # fewer lit pixels than this is a speck, not a drawing
UNEVEN = 0.04  # a border brighter in places than this is lit unevenly (a photo, not a canvas)
NOISE_SIGMAS = 5.5  # smoothed ink must outshine the background's grain by this many std devs
BG_GRID = 32  # the background is estimated on a grid this many cells across
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R 601, as PIL's "L" mode


class BlankImageError(ValueError):
    """The image holds no visible digit (empty canvas, blank page)."""


@dataclass(frozen=True)
class Steps:
    """Every stage of the pipeline, each a float32 array in [0, 1]."""

    gray: np.ndarray  # (H, W) as delivered, alpha composited
    ink: np.ndarray  # (H, W) light digit on a black background
    cropped: np.ndarray  # (h, w) the ink's bounding box
    scaled: np.ndarray  # (20, w') or (h', 20): longer side 20 px
    final: np.ndarray  # (28, 28) what the network gets
    inverted: bool  # True when the input was dark on light

    @property
    def vector(self) -> np.ndarray:
        """The network's input: (784,) float32, row-major like MNIST."""
        return self.final.reshape(FIELD * FIELD).astype(np.float32)


def to_gray(image: np.ndarray) -> np.ndarray:
    """(H, W), (H, W, 1|2|3|4) uint8 or float -> (H, W) float32 in [0, 1], transparency resolved.

    A transparent background carries no colour, so alpha is composited over the colour that
    contrasts with the ink: black under light strokes, white under dark strokes.
    """
    arr = np.asarray(image)
    if arr.ndim not in (2, 3) or arr.size == 0:
        raise ValueError(f"expected an (H, W) or (H, W, C) image, got shape {arr.shape}")
    arr = arr.astype(np.float32) / 255.0 if arr.dtype == np.uint8 else arr.astype(np.float32)
    if arr.ndim == 2:
        return np.clip(arr, 0.0, 1.0)
    channels = arr.shape[2]
    if channels in (1, 2):
        gray, alpha = arr[..., 0], arr[..., 1] if channels == 2 else None
    elif channels in (3, 4):
        gray, alpha = arr[..., :3] @ LUMA, arr[..., 3] if channels == 4 else None
    else:
        raise ValueError(f"expected 1 to 4 channels, got {channels}")
    if alpha is not None and alpha.min() < 0.99:
        weight = float(alpha.sum())
        ink_level = float((gray * alpha).sum() / weight) if weight > 0 else 1.0
        backdrop = 1.0 if ink_level < 0.5 else 0.0
        gray = gray * alpha + backdrop * (1.0 - alpha)
    return np.clip(gray, 0.0, 1.0).astype(np.float32)


def border_ring(gray: np.ndarray) -> np.ndarray:
    """The outermost pixels (a 2% ring, at least 1 px wide), flattened: where the background shows."""
    h, w = gray.shape
    r = max(1, round(0.02 * min(h, w)))
    return np.concatenate([gray[:r].ravel(), gray[-r:].ravel(), gray[:, :r].ravel(), gray[:, -r:].ravel()])


def border_level(gray: np.ndarray) -> float:
    """Median of the border ring: the background's brightness."""
    return float(np.median(border_ring(gray)))


def _window(a: np.ndarray, size: int, reduce) -> np.ndarray:
    """Apply reduce (np.min, np.max, np.mean) over size x size windows, edges replicated."""
    padded = np.pad(a, size // 2, mode="edge")
    return reduce(sliding_window_view(padded, (size, size)), axis=(-2, -1))


def _resize(img: np.ndarray, width: int, height: int, resample: Image.Resampling) -> np.ndarray:
    """Resize a float32 (H, W) array with PIL."""
    pil = Image.fromarray(img.astype(np.float32), mode="F")
    return np.asarray(pil.resize((width, height), resample=resample), dtype=np.float32)


def background(img: np.ndarray) -> np.ndarray:
    """The paper's brightness under a light-on-dark image: (H, W) float32, smooth, strokes removed.

    On a coarse grid, a grey-scale opening (min then max over 7x7 cells) deletes anything
    thinner than a fifth of the image, i.e. the pen strokes, and keeps slow light changes.
    """
    h, w = img.shape
    factor = min(1.0, BG_GRID / max(h, w))
    small = _resize(img, max(1, round(w * factor)), max(1, round(h * factor)), Image.Resampling.BOX)
    smooth = _window(_window(_window(small, 7, np.min), 7, np.max), 3, np.mean)
    return _resize(smooth, w, h, Image.Resampling.BILINEAR)


def light_on_dark(gray: np.ndarray) -> tuple[np.ndarray, bool]:
    """Invert dark-on-light images, then stretch so background is 0 and the strongest ink is 1.

    An unevenly lit background (a photo) is estimated and subtracted first. Returns
    (ink (H, W) float32, inverted); BlankImageError when there is nothing to see.
    """
    inverted = border_level(gray) > 0.5
    img = 1.0 - gray if inverted else gray
    ring = border_ring(img)
    # The lower half of the ring is background even where ink runs off the edge (a canvas stroke
    # along the border, a big blob in a corner), so only its spread says "lit unevenly".
    if np.percentile(ring, 50) - np.percentile(ring, 5) > UNEVEN:
        img = img - background(img)  # unclipped, so the ring's spread still measures the grain
        ring = border_ring(img)
    base = float(np.median(ring))
    noise = 1.4826 * float(np.median(np.abs(ring - base)))  # robust std of the background's grain
    peak = float(img.max())
    if peak - base < MIN_CONTRAST:
        raise BlankImageError("the image is blank: no ink stands out from the background")
    if noise > 0:  # a grainy photo: grain is lone bright pixels, a stroke survives a 3x3 average
        img = _window(img, 3, np.mean)
        peak = float(img.max())
        if peak - base < NOISE_SIGMAS * noise:
            raise BlankImageError("the image is blank: only the paper's grain")
    ink = np.clip((img - base) / (peak - base), 0.0, 1.0)
    ink[ink < max(NOISE_FLOOR, 2 * noise / (peak - base))] = 0.0  # above the (averaged) grain
    if np.count_nonzero(ink) < MIN_INK_PIXELS:
        raise BlankImageError("the image is blank: only a few stray pixels")
    return ink.astype(np.float32), inverted


def ink_box(ink: np.ndarray) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the lit pixels, bottom/right exclusive."""
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        raise BlankImageError("the image is blank")
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def crop_to_ink(ink: np.ndarray) -> np.ndarray:
    """The ink's bounding box: (h, w) float32."""
    top, bottom, left, right = ink_box(ink)
    return ink[top:bottom, left:right]


def scale_longer_side(cropped: np.ndarray, size: int = BOX) -> np.ndarray:
    """Resize so the longer side is `size` px, keeping the aspect ratio, with anti-aliasing.

    Shrinking averages the area each output pixel covers (PIL's box filter), which is what
    anti-aliasing means here; the result is stretched so its brightest pixel is 1, as in
    MNIST, where every digit reaches full intensity.
    """
    h, w = cropped.shape
    factor = size / max(h, w)
    new_h, new_w = max(1, round(h * factor)), max(1, round(w * factor))
    resample = Image.Resampling.BOX if factor < 1 else Image.Resampling.BILINEAR
    out = np.asarray(Image.fromarray(cropped.astype(np.float32), mode="F").resize(
        (new_w, new_h), resample=resample), dtype=np.float32)
    out = np.clip(out, 0.0, 1.0)
    peak = float(out.max())
    return out / peak if peak > 0 else out


def centre_of_mass(img: np.ndarray) -> tuple[float, float]:
    """(row, col) of the intensity-weighted mean pixel index."""
    total = float(img.sum())
    if total <= 0:
        return (img.shape[0] - 1) / 2, (img.shape[1] - 1) / 2
    rows = np.arange(img.shape[0], dtype=np.float64)
    cols = np.arange(img.shape[1], dtype=np.float64)
    return float(img.sum(axis=1) @ rows / total), float(img.sum(axis=0) @ cols / total)


def centre_by_mass(scaled: np.ndarray, field: int = FIELD) -> np.ndarray:
    """Paste into a field x field black image with the centre of mass at pixel (14, 14).

    MNIST's centres of mass average (14.0, 14.0) with a spread of 0.29 px, i.e. whole-pixel
    shifts; the shift is clamped so a lopsided digit never loses ink over the edge.
    """
    h, w = scaled.shape
    cy, cx = centre_of_mass(scaled)
    top = int(np.clip(round(field / 2 - cy), 0, field - h))
    left = int(np.clip(round(field / 2 - cx), 0, field - w))
    out = np.zeros((field, field), dtype=np.float32)
    out[top:top + h, left:left + w] = scaled
    return out


def preprocess(image: np.ndarray) -> Steps:
    """Run the whole pipeline on an (H, W[, C]) image; BlankImageError when nothing is drawn."""
    gray = to_gray(image)
    ink, inverted = light_on_dark(gray)
    cropped = crop_to_ink(ink)
    scaled = scale_longer_side(cropped)
    return Steps(gray, ink, cropped, scaled, centre_by_mass(scaled), inverted)


def has_ink(image: np.ndarray | None) -> bool:
    """Whether an image (e.g. the canvas) holds anything to predict on."""
    if image is None:
        return False
    try:
        light_on_dark(to_gray(image))
    except (BlankImageError, ValueError):
        return False
    return True


def enlarge(img: np.ndarray, size: int = 196) -> np.ndarray:
    """A [0, 1] image as uint8 scaled up with hard pixel edges, so 28x28 pixels stay visible."""
    h, w = img.shape
    factor = max(1, size // max(h, w))
    u8 = (np.clip(img, 0, 1) * 255).round().astype(np.uint8)
    return np.kron(u8, np.ones((factor, factor), dtype=np.uint8))
