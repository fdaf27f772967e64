"""Decode an uploaded photo or scan of a digit safely: size limits checked before any pixel is decoded.

Every refusal is an UploadError whose `key` names a message in lab/i18n/draw.py, so the page can
show it in the student's language and the CLI in English.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from lab.draw.preprocess import BlankImageError, light_on_dark, to_gray
from lab.i18n import t

FORMATS = ("PNG", "JPEG")
MAX_BYTES = 10 * 1024 * 1024  # a phone photo is 2-8 MB
MAX_PIXELS = 25_000_000  # 6000 x 4000 (24 MP): refused from the header, before decoding
WORK_SIDE = 1024  # larger images are shrunk to this before preprocessing (it ends at 20 px anyway)


class UploadError(ValueError):
    """An upload that cannot be used; key names the i18n message, values fill it in."""

    def __init__(self, key: str, **values: object):
        self.key, self.values = key, values
        super().__init__(t(key, "en", **values))

    def message(self, lang: str = "en") -> str:
        """The message in a language."""
        return t(self.key, lang, **self.values)


def _open_checked(blob: bytes) -> Image.Image:
    """Open (header only) and check format and pixel count; nothing is decoded yet."""
    if not blob:
        raise UploadError("upload.empty")
    if len(blob) > MAX_BYTES:
        raise UploadError("upload.too_big_bytes", mb=len(blob) / 2**20, limit=MAX_BYTES // 2**20)
    try:
        with warnings.catch_warnings():
            # Pillow warns (not raises) between its own limit and twice it: treat it as a bomb.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(blob))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UploadError("upload.bomb", limit=MAX_PIXELS // 1_000_000) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UploadError("upload.not_image") from exc
    if im.format not in FORMATS:
        raise UploadError("upload.unsupported", format=im.format or "?")
    width, height = im.size
    if width * height > MAX_PIXELS:
        raise UploadError("upload.too_many_pixels", width=width, height=height,
                          mp=width * height / 1e6, limit=MAX_PIXELS // 1_000_000)
    if width == 0 or height == 0:
        raise UploadError("upload.not_image")
    return im


def _to_array(im: Image.Image) -> np.ndarray:
    """(H, W) uint8 or (H, W, 4) uint8 RGBA (transparency kept for the preprocessing to resolve)."""
    if im.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit or float greys: rescale, don't clip
        arr = np.asarray(im, dtype=np.float64)
        span = arr.max() - arr.min()
        if span == 0:
            return np.zeros(arr.shape, np.uint8)
        return ((arr - arr.min()) / span * 255).astype(np.uint8)
    has_alpha = im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info
    return np.asarray(im.convert("RGBA" if has_alpha else "L"))


def decode_upload(blob: bytes) -> np.ndarray:
    """Upload bytes -> (H, W) or (H, W, 4) uint8 array, at most WORK_SIDE px a side; else UploadError."""
    im = _open_checked(blob)
    if ImageFile.LOAD_TRUNCATED_IMAGES:  # a global someone may have set; we want truncation reported
        ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        if im.format == "JPEG":
            im.draft("RGB", (WORK_SIDE, WORK_SIDE))  # decode a big JPEG at 1/2..1/8 scale: less memory
        im.load()
        im = ImageOps.exif_transpose(im)  # phone photos are stored sideways with a rotation tag
        im.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.BOX)
        image = _to_array(im)
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise UploadError("upload.truncated") from exc
    try:
        light_on_dark(to_gray(image))
    except BlankImageError as exc:
        raise UploadError("upload.blank") from exc
    return image
