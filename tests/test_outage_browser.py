"""The Train page in a real browser while its PostgreSQL store restarts: a banner, no traceback, back by itself.

A server started with RELULAB_DB on a real PostgreSQL that the test stops for 10 s (pg_ctl stop -m fast,
then start) while a run trains: the page says the store cannot be reached, a lesson page still works,
and after the outage the charts go on with no reload. A stop pressed during a second outage is kept
and reaches the run once the store is back.
"""

from __future__ import annotations

import time

import pytest

from lab.runs.store import Store
from tests.conftest import CHART_POINTS_JS, start_streamlit, stop_process, wait_for_app
from tests.pg import PostgresServer

pytestmark = pytest.mark.browser

RUN_QUERY = "lang=en&train_subset=12000&epochs=100&log_every=2"  # longer than the test watches
BANNER = "The run store cannot be reached; runs keep training; reconnecting…"
TEXT_JS = "() => document.body.innerText"


def points(page) -> int:
    """How many steps the live loss chart plots now (0 while it is not shown)."""
    return page.evaluate(CHART_POINTS_JS, "loss-step")


def watch_for(pages, seconds: float) -> None:
    """For seconds, every half second: no page shows a traceback (or Streamlit's exception box)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for page in pages:
            text = page.evaluate(TEXT_JS)
            assert "Traceback" not in text and "StoreError" not in text, text[-2000:]
            assert page.locator("[data-testid='stException']").count() == 0
        time.sleep(0.5)


def test_the_train_page_rides_out_a_postgresql_restart(browser):
    pg = PostgresServer().start()
    url = pg.new_database("outage")
    proc, base = start_streamlit({"RELULAB_DB": url, "RELULAB_MAX_RUNS": "1"})
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    try:
        page, lesson = context.new_page(), context.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{base}/train?{RUN_QUERY}")
        wait_for_app(page)
        page.get_by_role("button", name="▶ Train").click()
        page.wait_for_function(f"() => ({CHART_POINTS_JS})('loss-step') > 0", timeout=90_000)

        pg.pause()  # 10 s, as a managed database's maintenance restart
        down = time.monotonic()
        try:
            page.get_by_text(BANNER).first.wait_for(timeout=20_000)
            before = points(page)
            lesson.goto(f"{base}/activations?lang=en")  # a lesson page opened during the outage
            wait_for_app(lesson)
            lesson.get_by_role("heading").first.wait_for()
            watch_for([page, lesson], 10.0 - (time.monotonic() - down))
        finally:
            pg.resume()
        page.wait_for_function(f"() => !document.body.innerText.includes({BANNER!r})", timeout=30_000)
        page.wait_for_function(f"() => ({CHART_POINTS_JS})('loss-step') > {before}", timeout=30_000)
        after = points(page)
        page.wait_for_function(f"() => ({CHART_POINTS_JS})('loss-step') > {after}", timeout=30_000)  # goes on
        watch_for([page], 1.0)

        pg.pause()  # a stop pressed while the store is away is kept, and sent once it is back
        try:
            page.get_by_text(BANNER).first.wait_for(timeout=20_000)
            page.get_by_role("button", name="■ Stop").click()
            page.get_by_text("your stop is kept").first.wait_for(timeout=20_000)
            watch_for([page], 2.0)
        finally:
            pg.resume()
        page.get_by_text("Stopped at step").first.wait_for(timeout=60_000)
        watch_for([page], 1.0)
        (run,) = Store(url).list_runs()
        assert run.status == "stopped" and run.stop_requested
        assert page.evaluate(TEXT_JS).count(BANNER) == 0
    finally:
        context.close()
        stop_process(proc)
        pg.stop()
