"""Mild random shifts, rotations and scaling of digit batches, done on the device in one op."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def random_affine(x: torch.Tensor, gen: torch.Generator, max_shift: float = 2.0,
                  max_degrees: float = 12.0, scale: tuple[float, float] = (0.85, 1.15),
                  thickness: float = 0.0) -> torch.Tensor:
    """Warp a batch x (B, 784) in [0, 1] by a random affine map per image; returns (B, 784).

    The random numbers come from gen on the CPU, so the same seed gives the same warps on
    every device; thickness > 0 also randomly dilates strokes (max-pool blend) up to that weight.
    """
    b = x.shape[0]
    r = torch.rand(b, 5, generator=gen)
    angle = (r[:, 0] * 2 - 1) * math.radians(max_degrees)
    s = scale[0] + r[:, 1] * (scale[1] - scale[0])
    shift = (r[:, 2:4] * 2 - 1) * (max_shift / 14.0)  # grid coordinates span [-1, 1] over 28 px
    cos, sin = torch.cos(angle) / s, torch.sin(angle) / s
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1),
                         torch.stack([sin, cos, shift[:, 1]], 1)], 1).to(x.device)  # (B, 2, 3)
    images = x.view(b, 1, 28, 28)
    grid = F.affine_grid(theta, [b, 1, 28, 28], align_corners=False)
    out = F.grid_sample(images, grid, align_corners=False, padding_mode="zeros")
    if thickness > 0:
        weight = (r[:, 4] * thickness).to(x.device).view(b, 1, 1, 1)
        out = out + weight * (F.max_pool2d(out, 3, 1, 1) - out)
    return out.reshape(b, 784)
