"""Each MNIST-style preprocessing step, checked on synthetic shapes and on real MNIST digits."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from lab.draw.canvas_sim import render_as_canvas
from lab.draw.preprocess import (
    BlankImageError,
    centre_by_mass,
    centre_of_mass,
    crop_to_ink,
    enlarge,
    has_ink,
    light_on_dark,
    preprocess,
    scale_longer_side,
    to_gray,
)


def blob(h=280, w=280, top=50, left=90, bh=120, bw=60, value=255):
    """A black (h, w) uint8 image with one filled rectangle."""
    img = np.zeros((h, w), np.uint8)
    img[top:top + bh, left:left + bw] = value
    return img


def cosine(a, b):
    """Cosine similarity of two images."""
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


# --- grayscale -------------------------------------------------------------------------------

def test_to_gray_matches_pillows_luma_for_rgb():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    expected = np.asarray(Image.fromarray(rgb).convert("L"), np.float32) / 255
    assert np.abs(to_gray(rgb) - expected).max() <= 1.5 / 255


def test_to_gray_keeps_2d_and_scales_uint8():
    img = blob()
    gray = to_gray(img)
    assert gray.shape == img.shape and gray.dtype == np.float32
    assert gray.max() == 1.0 and gray.min() == 0.0


def test_opaque_rgba_canvas_uses_colour():
    rgba = np.zeros((50, 50, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[10:20, 10:20, :3] = 255
    gray = to_gray(rgba)
    assert gray[15, 15] == 1.0 and gray[40, 40] == 0.0


def test_transparent_background_with_white_ink_becomes_light_on_black():
    rgba = np.zeros((50, 50, 4), np.uint8)
    rgba[..., :3] = 255  # colour is white everywhere; only alpha says where the ink is
    rgba[10:20, 10:20, 3] = 255
    gray = to_gray(rgba)
    assert gray[15, 15] == 1.0 and gray[40, 40] == 0.0


def test_transparent_background_with_black_ink_is_composited_on_white():
    rgba = np.zeros((50, 50, 4), np.uint8)  # black everywhere, ink only where alpha is set
    rgba[10:20, 10:20, 3] = 255
    gray = to_gray(rgba)
    assert gray[15, 15] == 0.0 and gray[40, 40] == 1.0
    ink, inverted = light_on_dark(gray)
    assert inverted and ink[15, 15] == 1.0 and ink[40, 40] == 0.0


@pytest.mark.parametrize("shape", [(5,), (2, 3, 4, 5), (10, 10, 7), (0, 0)])
def test_to_gray_rejects_non_images(shape):
    with pytest.raises(ValueError):
        to_gray(np.zeros(shape, np.uint8))


# --- polarity and blank detection -------------------------------------------------------------

def test_dark_on_light_is_inverted_and_stretched():
    paper = np.full((100, 100), 200, np.uint8)  # grey paper
    paper[30:70, 45:55] = 40  # dark pencil stroke
    ink, inverted = light_on_dark(to_gray(paper))
    assert inverted
    assert ink[50, 50] == pytest.approx(1.0) and ink[5, 5] == 0.0


def test_light_on_dark_is_not_inverted():
    ink, inverted = light_on_dark(to_gray(blob()))
    assert not inverted and ink.max() == 1.0 and ink[0, 0] == 0.0


def test_faint_noise_is_removed_from_the_background():
    rng = np.random.default_rng(1)
    img = rng.integers(0, 15, (100, 100)).astype(np.uint8)  # sensor noise on black
    img[20:80, 45:55] = 230
    ink, _ = light_on_dark(to_gray(img))
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    # Grainy images are averaged over 3x3 first, so the stroke may grow by one pixel, no more.
    assert 19 <= rows[0] <= 20 and 79 <= rows[-1] <= 80 and 44 <= cols[0] <= 45 and 54 <= cols[-1] <= 55


@pytest.mark.parametrize("level", [0, 128, 255])
def test_uniform_images_are_blank(level):
    with pytest.raises(BlankImageError):
        light_on_dark(to_gray(np.full((64, 64), level, np.uint8)))


def test_almost_uniform_image_is_blank():
    img = np.full((64, 64), 120, np.uint8)
    img[30:34, 30:34] = 130  # 4% contrast: not a drawing
    with pytest.raises(BlankImageError):
        preprocess(img)


def test_a_stray_pixel_is_blank():
    img = np.zeros((64, 64), np.uint8)
    img[10, 10] = 255
    with pytest.raises(BlankImageError):
        preprocess(img)


def test_has_ink():
    empty_canvas = np.zeros((280, 280, 4), np.uint8)
    empty_canvas[..., 3] = 255
    assert not has_ink(None) and not has_ink(empty_canvas)
    drawn = empty_canvas.copy()
    drawn[100:200, 130:150, :3] = 255
    assert has_ink(drawn)


# --- crop, scale, centre ----------------------------------------------------------------------

def test_crop_to_ink_is_the_exact_bounding_box():
    img = to_gray(blob(top=50, left=90, bh=120, bw=60))
    img[100, 200] = 1.0  # a second stroke widens the box
    cropped = crop_to_ink(img)
    assert cropped.shape == (120, 200 - 90 + 1)
    assert cropped[0, 0] == 1.0 and cropped[100 - 50, -1] == 1.0 and cropped[-1, -1] == 0.0


@pytest.mark.parametrize("shape, expected", [((200, 100), (20, 10)), ((50, 300), (3, 20)),
                                             ((5, 10), (10, 20)), ((20, 20), (20, 20)),
                                             ((400, 1), (20, 1))])
def test_longer_side_becomes_20_keeping_aspect(shape, expected):
    out = scale_longer_side(np.ones(shape, np.float32))
    assert out.shape == expected
    assert out.max() == pytest.approx(1.0)


def test_scaling_is_anti_aliased():
    crop = np.zeros((200, 200), np.float32)
    crop[:, :105] = 1.0  # the edge falls in the middle of output column 10
    out = scale_longer_side(crop)
    assert out[:, :10] == pytest.approx(1.0)
    assert out[:, 10] == pytest.approx(0.5, abs=0.02)  # averaged, not snapped to 0 or 1
    assert out[:, 11:] == pytest.approx(0.0)


def test_centre_by_mass_puts_the_mass_at_pixel_14():
    scaled = np.zeros((20, 12), np.float32)
    scaled[2:18, 1:4] = 1.0
    scaled[15:18, 1:11] = 1.0  # an "L": centre of mass is off its box centre
    final = centre_by_mass(scaled)
    cy, cx = centre_of_mass(final)
    assert final.shape == (28, 28)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5
    assert final.sum() == pytest.approx(scaled.sum())


def test_centre_by_mass_never_cuts_ink_off():
    scaled = np.zeros((20, 20), np.float32)
    scaled[0:3, 0:3] = 1.0
    scaled[19, 19] = 0.01  # mass far in one corner of a full 20x20 box
    final = centre_by_mass(scaled)
    assert final.sum() == pytest.approx(scaled.sum())


@settings(max_examples=40, deadline=None)
@given(top=st.integers(0, 200), left=st.integers(0, 200), bh=st.integers(8, 80), bw=st.integers(3, 80),
       size=st.integers(200, 400))
def test_any_rectangle_ends_centred_and_20px(top, left, bh, bw, size):
    img = blob(h=size, w=size, top=min(top, size - bh), left=min(left, size - bw), bh=bh, bw=bw)
    steps = preprocess(img)
    rows, cols = np.flatnonzero(steps.final.any(1)), np.flatnonzero(steps.final.any(0))
    assert max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1) == 20
    cy, cx = centre_of_mass(steps.final)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5


# --- the whole pipeline on real digits ---------------------------------------------------------

def test_steps_shapes_and_vector(mnist):
    steps = preprocess(render_as_canvas(mnist.test_images[0].numpy(), np.random.default_rng(0)))
    assert steps.gray.shape == (280, 280) and steps.ink.shape == (280, 280)
    assert max(steps.scaled.shape) == 20 and steps.final.shape == (28, 28)
    assert steps.vector.shape == (784,) and steps.vector.dtype == np.float32
    assert 0.0 <= steps.vector.min() and steps.vector.max() == pytest.approx(1.0)
    assert not steps.inverted


def test_mnist_digits_come_out_almost_unchanged(mnist):
    """MNIST was made by this very recipe, so re-running it on MNIST must change at most a 1-px shift."""
    images = mnist.test_images[:300].numpy().reshape(-1, 28, 28)
    finals = [preprocess(img).final for img in images]
    exact = [cosine(f, img / 255) for f, img in zip(finals, images, strict=True)]
    shifted = [max(cosine(np.roll(f, (dy, dx), (0, 1)), img / 255) for dy in (-1, 0, 1) for dx in (-1, 0, 1))
               for f, img in zip(finals, images, strict=True)]
    assert min(shifted) > 0.99
    assert np.mean(np.array(exact) > 0.99) > 0.9


def test_canvas_drawings_of_a_digit_look_alike_after_preprocessing(mnist):
    """Size, position and transparency on the canvas are undone; the network sees one digit."""
    digit = mnist.test_images[1].numpy()
    rng = np.random.default_rng(3)
    small_corner = preprocess(render_as_canvas(digit, rng, height_range=(0.25, 0.25),
                                               threshold_range=(0.4, 0.4)))
    big_centre = preprocess(render_as_canvas(digit, rng, height_range=(0.9, 0.9),
                                             threshold_range=(0.4, 0.4), transparent=True))
    original = digit.reshape(28, 28) / 255
    assert cosine(small_corner.final, big_centre.final) > 0.85
    assert cosine(big_centre.final, original) > 0.8


def test_inverted_scan_gives_the_same_input(mnist):
    digit = mnist.test_images[2].numpy().reshape(28, 28)
    light = preprocess(digit)
    dark_on_white = preprocess(255 - digit)
    assert dark_on_white.inverted and not light.inverted
    assert np.abs(light.final - dark_on_white.final).max() < 1e-5


def test_enlarge_keeps_hard_pixels():
    img = np.zeros((28, 28), np.float32)
    img[3, 5] = 1.0
    big = enlarge(img, 196)
    assert big.shape == (196, 196) and big.dtype == np.uint8
    assert big[21:28, 35:42].min() == 255 and big[20, 35] == 0


@pytest.mark.parametrize("top,left", [(0, 120), (0, 0), (128, 0), (128, 120)])
def test_ink_running_off_the_canvas_edge_is_kept_whole(top, left):
    """A blob touching the border is ink, not uneven lighting to subtract (hypothesis found this)."""
    steps = preprocess(blob(h=200, w=200, top=top, left=left, bh=72, bw=80))
    assert steps.cropped.shape == (72, 80) and steps.cropped.min() > 0.99
    assert steps.scaled.mean() > 0.95
