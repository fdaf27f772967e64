"""Uploaded photos and scans: real digits in any polarity are read; every bad file gets a clear message."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageFile

from lab.draw.predict import load_default_model, probabilities
from lab.draw.preprocess import preprocess
from lab.draw.uploads import MAX_BYTES, MAX_PIXELS, UploadError, decode_upload
from lab.i18n import CATALOGUES


def encode(image: Image.Image, fmt: str = "PNG", **kwargs) -> bytes:
    """The bytes of an image file."""
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def png_chunk(tag: bytes, data: bytes) -> bytes:
    """One PNG chunk with its CRC."""
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def png_of_zeros(width: int, height: int, rows: int | None = None) -> bytes:
    """A grayscale PNG of width x height black pixels: megapixels squeezed into a few KB."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = bytes((width + 1) * (height if rows is None else rows))  # filter byte 0 + zeros per row
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(raw, 9))
            + png_chunk(b"IEND", b""))


def photo_of(digit: np.ndarray, rng: np.random.Generator, side: int = 480, grain: float = 4) -> Image.Image:
    """A digit as a phone photo of pencil on paper: dark on uneven grey paper, noisy, off-centre."""
    small = Image.fromarray(digit.reshape(28, 28))
    ink = np.asarray(small.resize((side // 2, side // 2), Image.Resampling.BILINEAR), np.float32) / 255
    y, x = np.mgrid[0:side, 0:side] / side
    paper = 200 + 30 * x - 20 * y + rng.normal(0, grain, (side, side))  # uneven light and sensor grain
    top, left = rng.integers(0, side // 2, 2)
    paper[top:top + side // 2, left:left + side // 2] -= 150 * ink
    return Image.fromarray(np.clip(paper, 0, 255).astype(np.uint8))


def predict_bytes(blob: bytes) -> int:
    """The default model's digit for an uploaded file."""
    model, _ = load_default_model()
    return int(probabilities(model, preprocess(decode_upload(blob)).vector).argmax())


# --- good files --------------------------------------------------------------------------------

def test_dark_on_light_png_scans_are_read_and_recognised(mnist):
    digits, labels = mnist.test_images[:20].numpy(), mnist.test_labels[:20].numpy()
    right = 0
    for digit, label in zip(digits, labels, strict=True):
        scan = Image.fromarray(255 - digit.reshape(28, 28)).resize((140, 140), Image.Resampling.BICUBIC)
        image = decode_upload(encode(scan))
        assert preprocess(image).inverted
        right += predict_bytes(encode(scan)) == label
    assert right >= 19


@pytest.mark.parametrize("grain", [4, 8])
def test_noisy_jpeg_photos_are_recognised(grain, mnist):
    rng = np.random.default_rng(7)
    digits, labels = mnist.test_images[100:130].numpy(), mnist.test_labels[100:130].numpy()
    right = sum(predict_bytes(encode(photo_of(d, rng, grain=grain), "JPEG", quality=60)) == label
                for d, label in zip(digits, labels, strict=True))
    assert right >= 27  # 90% of phone-photo-like JPEGs


def test_black_ink_on_transparent_png(mnist):
    digit = mnist.test_images[0].numpy().reshape(28, 28)
    rgba = np.zeros((28, 28, 4), np.uint8)
    rgba[..., 3] = digit  # black strokes, only alpha marks them
    assert predict_bytes(encode(Image.fromarray(rgba, "RGBA"))) == int(mnist.test_labels[0])


def test_palette_and_16_bit_pngs(mnist):
    digit = mnist.test_images[1].numpy().reshape(28, 28)
    palette = Image.fromarray(digit).convert("P")
    sixteen = Image.fromarray(digit.astype(np.uint16) * 257)  # mode I;16
    label = int(mnist.test_labels[1])
    assert predict_bytes(encode(palette)) == label
    assert predict_bytes(encode(sixteen)) == label


def test_big_photos_are_shrunk_and_exif_rotation_applied(mnist):
    digit = mnist.test_images[2].numpy().reshape(28, 28)
    upright = Image.fromarray(255 - digit).resize((2000, 1500), Image.Resampling.BILINEAR)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display", as phones store portrait shots
    blob = encode(upright.rotate(90, expand=True), "JPEG", quality=90, exif=exif.tobytes())
    image = decode_upload(blob)
    assert max(image.shape) <= 1024 and image.shape[1] > image.shape[0]  # landscape again
    assert predict_bytes(blob) == int(mnist.test_labels[2])


# --- bad files -------------------------------------------------------------------------------

def refused(blob: bytes) -> str:
    """The key of the UploadError that decoding blob raises."""
    with pytest.raises(UploadError) as info:
        decode_upload(blob)
    assert str(info.value) and "Traceback" not in str(info.value)
    return info.value.key


def test_empty_file():
    assert refused(b"") == "upload.empty"


@pytest.mark.parametrize("blob", [b"hello, this is a text file\n" * 20, b"%PDF-1.4\n" + bytes(500),
                                  b"\x89PNG\r\n\x1a\n" + b"\x00" * 10])
def test_not_an_image(blob):
    assert refused(blob) == "upload.not_image"


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_formats_are_refused(fmt, mnist):
    img = Image.fromarray(mnist.test_images[0].numpy().reshape(28, 28))
    assert refused(encode(img, fmt)) == "upload.unsupported"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_files(fmt, mnist):
    rng = np.random.default_rng(0)
    blob = encode(photo_of(mnist.test_images[0].numpy(), rng), fmt)
    assert refused(blob[: len(blob) // 2]) == "upload.truncated"


def test_truncated_is_reported_even_if_someone_enabled_truncated_loading(mnist, monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    blob = encode(photo_of(mnist.test_images[0].numpy(), np.random.default_rng(0)), "PNG")
    assert refused(blob[: len(blob) // 2]) == "upload.truncated"


def test_too_many_bytes():
    assert refused(bytes(MAX_BYTES + 1)) == "upload.too_big_bytes"


def test_decompression_bomb_is_refused_before_decoding(monkeypatch):
    blob = png_of_zeros(6000, 5000)  # a valid 30-megapixel PNG in a few tens of KB
    assert len(blob) < 100_000 and 6000 * 5000 > MAX_PIXELS

    def no_decoding(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    with pytest.raises(UploadError) as info:
        decode_upload(blob)
    assert info.value.key == "upload.too_many_pixels"
    assert "6000 x 5000" in str(info.value)


def test_enormous_header_is_a_bomb():
    blob = png_of_zeros(30000, 30000, rows=2)  # claims 900 megapixels: Pillow's own limit trips too
    assert refused(blob) == "upload.bomb"


@pytest.mark.parametrize("image, fmt", [(Image.new("L", (300, 300), 255), "PNG"),
                                        (Image.new("RGB", (300, 200), (128, 128, 128)), "JPEG"),
                                        (Image.new("RGBA", (100, 100), (0, 0, 0, 0)), "PNG")])
def test_blank_images(image, fmt):
    assert refused(encode(image, fmt)) == "upload.blank"


@pytest.mark.parametrize("grain", [4, 8, 12])
def test_a_photo_of_blank_grainy_paper_is_blank(grain):
    rng = np.random.default_rng(grain)
    y, x = np.mgrid[0:480, 0:480] / 480
    paper = 200 + 30 * x - 20 * y + rng.normal(0, grain, (480, 480))  # uneven light, sensor grain
    assert refused(encode(Image.fromarray(np.clip(paper, 0, 255).astype(np.uint8)), "JPEG", quality=60)) \
        == "upload.blank"


def test_messages_exist_in_both_languages():
    keys = ["upload.empty", "upload.not_image", "upload.unsupported", "upload.truncated",
            "upload.too_big_bytes", "upload.too_many_pixels", "upload.bomb", "upload.blank"]
    for key in keys:
        assert key in CATALOGUES["en"] and key in CATALOGUES["ko"]
        assert CATALOGUES["en"][key] != CATALOGUES["ko"][key]
    error = UploadError("upload.too_big_bytes", mb=12.5, limit=10)
    assert "12.5 MB" in str(error) and "12.5 MB" in error.message("ko") and "파일" in error.message("ko")
