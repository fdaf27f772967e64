"""The Train page in a real browser: live charts, a reload mid-run, Stop, history, and a server restart."""

from __future__ import annotations

import signal
import tempfile
from pathlib import Path

import pytest

from lab.draw.modelfile import load_model_bytes
from tests.conftest import CHART_POINTS_JS, start_streamlit, wait_for_app

pytestmark = pytest.mark.browser

# About 120 steps per epoch, 100 epochs: longer than the test watches (it stops the run), short per step.
RUN_QUERY = "lang=en&train_subset=12000&epochs=100&log_every=2"
POINTS_JS = CHART_POINTS_JS


def loss_points(page) -> int:
    """How many steps the live loss chart plots right now."""
    return page.evaluate(POINTS_JS, "loss-step")


def test_live_training_stop_and_history(app_url, page):
    # Open the app at its root first, as a student following the teacher's link does.
    page.goto(f"{app_url}/?lang=en")
    wait_for_app(page)
    page.get_by_role("link", name="Train").first.wait_for()
    page.goto(f"{app_url}/train?{RUN_QUERY}")
    wait_for_app(page)
    page.get_by_role("button", name="▶ Train").wait_for()
    page.get_by_role("button", name="▶ Train").click()
    progress = page.locator("[data-testid='stProgress']").first
    progress.wait_for()
    page.wait_for_function(f"() => ({POINTS_JS})('loss-step') > 0", timeout=60_000)
    first = loss_points(page)
    page.wait_for_function(f"() => ({POINTS_JS})('loss-step') > {first}", timeout=60_000)
    assert progress.is_visible()  # it grew while the run was still going
    assert "epoch" in progress.inner_text() and "step" in progress.inner_text()
    page.wait_for_function(f"() => ({POINTS_JS})('grad-heatmap') > 0")

    # The run keeps training while the student looks at another page.
    page.get_by_role("link", name="Home").first.click()
    wait_for_app(page)
    before = loss_points(page)  # 0: no chart on the home page
    page.get_by_role("link", name="Train").first.click()
    page.locator("[data-testid='stProgress']").first.wait_for()
    page.wait_for_function(f"() => ({POINTS_JS})('loss-step') > {max(before, first)}", timeout=60_000)

    # A reload (F5, a phone waking up) finds the same run still training, and its chart goes on.
    seen = loss_points(page)
    page.reload()
    wait_for_app(page)
    page.locator("[data-testid='stProgress']").first.wait_for(timeout=60_000)
    page.wait_for_function(f"() => ({POINTS_JS})('loss-step') > {seen}", timeout=60_000)
    page.get_by_text("Training now: #1 relu").first.wait_for(timeout=30_000)

    page.get_by_role("button", name="■ Stop").click()
    page.get_by_text("Stopped at step").wait_for(timeout=30_000)
    assert page.locator("[data-testid='stProgress']").count() == 0
    page.get_by_role("heading", name="Run history").wait_for()
    assert page.get_by_text("#1 relu · adam 0.001 · 2×256").count() >= 1
    assert page.get_by_role("button", name="■ Stop").is_disabled()

    with page.expect_download() as download_info:
        page.get_by_role("button", name="⬇ Trained model (.pt)").click()
    blob = open(download_info.value.path(), "rb").read()
    model, meta = load_model_bytes(blob)  # torch.load(weights_only=True) inside
    assert meta["label"].startswith("#1 relu") and model.fc1.out_features == 256


def test_a_server_restart_keeps_finished_runs_and_marks_the_interrupted_one(browser):
    db = Path(tempfile.mkdtemp(prefix="relulab-restart-")) / "runs.sqlite3"
    env = {"RELULAB_DB": f"sqlite:///{db}"}
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(30_000)
    proc, url = start_streamlit(env)
    try:
        page.goto(f"{url}/train?lang=en&train_subset=600&epochs=1&depth=1&width=32")
        wait_for_app(page)
        page.get_by_role("button", name="▶ Train").click()
        page.get_by_text("Finished after").wait_for(timeout=60_000)
        page.goto(f"{url}/train?{RUN_QUERY}")  # a long run, still training when the server dies
        wait_for_app(page)
        page.get_by_role("button", name="▶ Train").click()
        page.wait_for_function(f"() => ({POINTS_JS})('loss-step') > 0", timeout=60_000)
        link = page.get_by_role("link", name="Permanent link to this run").first.get_attribute("href")
        proc.send_signal(signal.SIGKILL)  # a crash, or Community Cloud putting the app to sleep
        proc.wait(10)
        proc, url = start_streamlit(env)
        page.goto(f"{url}/train?lang=en")
        wait_for_app(page)
        page.get_by_role("heading", name="Run history").wait_for()
        page.get_by_text("Interrupted at step").first.wait_for()  # the last run, honestly marked
        assert page.locator("[data-testid='stProgress']").count() == 0  # never "running" forever
        from lab.runs.store import Store

        assert [r.status for r in Store(env["RELULAB_DB"]).list_runs()] == ["finished", "interrupted"]
        other = browser.new_context(locale="en-US").new_page()  # any browser, after the restart
        other.goto(f"{url}/{link}&lang=en" if "?" in link else f"{url}/{link}?lang=en")
        wait_for_app(other)
        other.get_by_text("Run #1 relu · adam 0.001 · 1×32").wait_for()
        other.wait_for_function(f"() => ({POINTS_JS})('loss-step') > 0")  # its curves, with no retraining
        other.get_by_role("button", name="⬇ Trained model (.pt)").wait_for()
        other.goto(f"{url}/train?run=doesnotexist12345678&lang=en")
        wait_for_app(other)
        other.get_by_text("There is no run").wait_for()
        other.context.close()
    finally:
        proc.kill()
        context.close()
