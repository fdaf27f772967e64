"""The Draw page in real Chromium: mouse strokes on the canvas give a prediction and the 28x28 view."""

import re

import numpy as np
import pytest
from PIL import Image

from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser

PREDICTION = re.compile(r"^It is \d")  # the headline "It is 7 · 100% sure"
# A "7" as the mouse draws it, in canvas pixels: the top bar, then the long diagonal.
SEVEN = [[(70, 60), (210, 60)], [(210, 60), (120, 235)]]
INK_JS = """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let lit = 0; for (let i = 0; i < d.length; i += 4) if (d[i] > 128) lit++; return lit; }"""


def open_draw_page(page, app_url):
    """Open the app, follow the sidebar's Draw link, wait for the canvas."""
    # Through the home page and the sidebar link, as a visitor does.
    page.goto(f"{app_url}/?lang=en")
    wait_for_app(page)
    page.locator("[data-testid='stSidebarNav'] a", has_text="Draw").click()
    page.get_by_role("heading", name="Draw a digit").wait_for(timeout=60_000)
    canvas = page.locator("canvas.upper-canvas")  # Fabric's event layer; the strokes land on lower-canvas
    canvas.wait_for(timeout=60_000)
    wait_for_app(page)
    return canvas


def stroke(page, canvas, points, steps: int = 12) -> None:
    """Press the mouse at the first point, drag through the others, release."""
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=steps)
    page.mouse.up()


def test_draw_a_seven_see_the_prediction_and_clear_it(app_url, page):
    page.set_viewport_size({"width": 1400, "height": 1350})  # tall enough for the steps row
    canvas = open_draw_page(page, app_url)
    assert page.get_by_text("Draw a digit on the black canvas").first.is_visible()
    assert page.get_by_text(PREDICTION).count() == 0
    for points in SEVEN:
        stroke(page, canvas, points)
    page.get_by_text("It is 7").first.wait_for(timeout=30_000)
    assert page.get_by_text(PREDICTION).count() == 1
    final = page.get_by_text("28 x 28 input").first
    final.wait_for(timeout=30_000)
    wait_for_app(page)
    images = page.locator("[data-testid='stImage'] img")
    assert images.count() == 4
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=images.nth(3).element_handle())
    assert images.nth(3).get_attribute("src").endswith(".png")  # lossless: the 28x28 pixels stay crisp
    assert page.locator("canvas.dc-canvas.lower-canvas").evaluate(INK_JS) > 1000  # the strokes are there

    page.get_by_role("button", name="Clear").click()
    page.get_by_text("Draw a digit on the black canvas").first.wait_for(timeout=30_000)
    wait_for_app(page)
    assert page.get_by_text(PREDICTION).count() == 0
    assert page.get_by_text("28 x 28 input").count() == 0
    assert page.locator("canvas.dc-canvas.lower-canvas").evaluate(INK_JS) == 0


def test_upload_a_scanned_digit(app_url, page, tmp_path, mnist):
    scan = tmp_path / "two.png"
    Image.fromarray(255 - mnist.test_images[1].numpy().reshape(28, 28).astype(np.uint8)).resize(
        (140, 140)).save(scan)
    open_draw_page(page, app_url)
    page.locator("[data-testid='stButtonGroup'] button", has_text="Upload").click()
    page.locator(".st-key-draw_upload input[type='file']").set_input_files(str(scan))
    page.get_by_text(f"It is {int(mnist.test_labels[1])}").first.wait_for(timeout=30_000)
    page.get_by_text("so it was inverted").wait_for(timeout=30_000)  # dark on light, made light on dark
    page.get_by_text("28 x 28 input").first.wait_for(timeout=30_000)
