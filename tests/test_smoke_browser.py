"""The real browser can open the app (the base for every page's browser test)."""

import pytest

from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser


def test_home_opens_in_chromium(app_url, page):
    page.goto(f"{app_url}/?lang=en")
    wait_for_app(page)
    page.get_by_role("link", name="Train").first.wait_for()
    assert "ReLU Lab" in page.title() or page.locator("h1").count() > 0
