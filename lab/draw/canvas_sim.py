"""Render MNIST digits the way the Draw page's canvas would deliver them, to test the whole path.

A canvas drawing is a solid white stroke on black at canvas resolution, of any size, any
stroke width and anywhere on the canvas, returned as RGBA. `render_as_canvas` turns a real
28x28 MNIST digit into exactly that, with random size, stroke thickness and position.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

CANVAS = 280  # the page's canvas side in pixels (10 x 28)


def render_as_canvas(digit: np.ndarray, rng: np.random.Generator, canvas: int = CANVAS,
                     height_range: tuple[float, float] = (0.2, 0.95),
                     threshold_range: tuple[float, float] = (0.1, 0.7),
                     transparent: bool = False) -> np.ndarray:
    """One MNIST digit ((28, 28) or (784,) uint8) -> (canvas, canvas, 4) uint8 RGBA drawing.

    The digit's ink box is upscaled so it is height_range x canvas tall, blurred and
    re-thresholded (a low threshold thickens the strokes, a high one thins them), given soft
    1-px edges like a browser's anti-aliased stroke, and put at a random, usually off-centre,
    place. transparent=True gives white ink on a transparent background (a canvas with no
    background colour) instead of white on opaque black.
    """
    img = np.asarray(digit, dtype=np.uint8).reshape(28, 28)
    rows, cols = np.flatnonzero(img.any(1)), np.flatnonzero(img.any(0))
    box = img[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    target_h = rng.uniform(*height_range) * canvas
    factor = min(target_h / box.shape[0], 0.95 * canvas / box.shape[1])
    padded = np.pad(box, 1)  # (bh + 2, bw + 2): a black margin so upscaled edges fade out
    size = (max(1, round(padded.shape[1] * factor)), max(1, round(padded.shape[0] * factor)))
    big = np.asarray(Image.fromarray(padded).resize(size, Image.Resampling.BILINEAR))
    big = Image.fromarray(np.pad(big, max(2, round(factor))))  # room for thickened strokes
    smooth = np.asarray(big.filter(ImageFilter.GaussianBlur(0.4 * factor)), dtype=np.float32) / 255.0
    level = rng.uniform(*threshold_range) * smooth.max()
    solid = (smooth >= level).astype(np.uint8) * 255
    stroke = np.asarray(Image.fromarray(solid).filter(ImageFilter.GaussianBlur(0.7)), dtype=np.uint8)
    ys, xs = np.flatnonzero(stroke.any(1)), np.flatnonzero(stroke.any(0))
    stroke = stroke[ys[0]:ys[-1] + 1, xs[0]:xs[-1] + 1]
    if max(stroke.shape) > canvas:  # a very thick, very large stroke: shrink it to fit
        scale = canvas / max(stroke.shape)
        stroke = np.asarray(Image.fromarray(stroke).resize(
            (max(1, int(stroke.shape[1] * scale)), max(1, int(stroke.shape[0] * scale))),
            Image.Resampling.BILINEAR))
    h, w = stroke.shape
    top, left = int(rng.integers(0, canvas - h + 1)), int(rng.integers(0, canvas - w + 1))
    ink = np.zeros((canvas, canvas), dtype=np.uint8)
    ink[top:top + h, left:left + w] = stroke
    rgba = np.empty((canvas, canvas, 4), dtype=np.uint8)
    if transparent:
        rgba[..., :3], rgba[..., 3] = 255, ink
    else:
        rgba[..., :3], rgba[..., 3] = ink[..., None], 255
    return rgba
