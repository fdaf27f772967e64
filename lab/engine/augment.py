"""Mild random shifts, rotations, slants, scaling and stroke widths of digit batches, on the device.

The Draw page's preprocessing already centres and size-normalises a drawing as MNIST was made,
so what remains different about freehand digits is slant, rotation, aspect and pen width: that
is what these warps imitate (the default model in data/ is trained with them).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def _grid(theta: torch.Tensor) -> torch.Tensor:
    """F.affine_grid(theta, [B, 1, 28, 28], align_corners=False) as one matmul (several x faster on CPU)."""
    b = theta.shape[0]
    coords = (torch.arange(28, device=theta.device, dtype=theta.dtype) * 2 + 1) / 28 - 1  # pixel centres
    gy, gx = torch.meshgrid(coords, coords, indexing="ij")
    base = torch.stack([gx.reshape(-1), gy.reshape(-1), torch.ones(784, device=theta.device)], 1)  # (784, 3)
    grid = base @ theta.permute(2, 0, 1).reshape(3, 2 * b)  # (784, B*2)
    return grid.view(28, 28, b, 2).permute(2, 0, 1, 3)  # (B, 28, 28, 2)


def _max3x3(images: torch.Tensor) -> torch.Tensor:
    """3x3 max filter of (B, 1, 28, 28) in two separable passes (max_pool2d is slow on 1 channel)."""
    p = F.pad(images, (1, 1, 1, 1), value=float(images.min()))
    rows = torch.maximum(torch.maximum(p[..., :-2], p[..., 1:-1]), p[..., 2:])
    return torch.maximum(torch.maximum(rows[..., :-2, :], rows[..., 1:-1, :]), rows[..., 2:, :])


def random_affine(x: torch.Tensor, gen: torch.Generator, max_shift: float = 1.5,
                  max_degrees: float = 10.0, scale: tuple[float, float] = (0.9, 1.1),
                  thickness: float = 0.6, max_shear: float = 0.25) -> torch.Tensor:
    """Warp a batch x (B, 784) in [0, 1] by a random affine map and stroke width per image; (B, 784).

    The random numbers come from gen on the CPU, so the same seed gives the same warps on every
    device. Each image gets a rotation up to max_degrees, a horizontal slant up to max_shear,
    a zoom within scale, a shift up to max_shift px, and its strokes are thickened (max-pool
    blend) or thinned (min-pool blend) by a random weight up to thickness.
    """
    b = x.shape[0]
    r = torch.rand(b, 6, generator=gen)
    angle = (r[:, 0] * 2 - 1) * math.radians(max_degrees)
    s = scale[0] + r[:, 1] * (scale[1] - scale[0])
    shift = (r[:, 2:4] * 2 - 1) * (max_shift / 14.0)  # grid coordinates span [-1, 1] over 28 px
    shear = (r[:, 5] * 2 - 1) * max_shear
    cos, sin = torch.cos(angle) / s, torch.sin(angle) / s
    # Output -> input map: rotation/zoom, then x += shear * y (slanted handwriting).
    theta = torch.stack([torch.stack([cos + shear * sin, -sin + shear * cos, shift[:, 0]], 1),
                         torch.stack([sin, cos, shift[:, 1]], 1)], 1).to(x.device)  # (B, 2, 3)
    images = x.view(b, 1, 28, 28)
    out = F.grid_sample(images, _grid(theta), align_corners=False, padding_mode="zeros")
    if thickness > 0:
        weight = ((r[:, 4] * 2 - 1) * thickness).to(x.device).view(b, 1, 1, 1)  # <0 thins, >0 thickens
        thick = _max3x3(out)
        thin = -_max3x3(-out)
        out = out + weight.clamp(min=0) * (thick - out) + (-weight).clamp(min=0) * (thin - out)
    # Every MNIST digit (and every preprocessed drawing) peaks at full intensity: keep it so.
    peak = out.amax(dim=(1, 2, 3), keepdim=True).clamp(min=1e-6)
    return (out / peak).reshape(b, 784)
