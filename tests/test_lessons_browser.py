"""Real browser: each lesson page renders its charts, switches to Korean, and keeps Korean in the URL."""

import re

import pytest

from lab.i18n import t
from tests.conftest import start_streamlit, stop_process, wait_for_app

pytestmark = pytest.mark.browser

PLOTLY = "[data-testid='stPlotlyChart'] .main-svg"
SVG_DIAGRAM = ".relulab-diagram svg"  # the home page's diagram is inline SVG, not Plotly
# page -> (nav key, title key, keys of texts its Plotly charts draw (one per chart),
#          viewport height: the whole lesson at a projector's width)
LESSONS = {
    "home": ("nav.home", "home.title", ("diag.input",), 1900),
    "activations": ("nav.activations", "act.title", ("act.name.sigmoid", "act.chain.left"), 2000),
    "optimizers": ("nav.optimizers", "opt.title", ("race.minimum", "race.gap", "tree.branch.step_size"),
                   3300),
}


def chart_with_text(pg, selector: str, text: str):
    """Wait until a chart matching selector has drawn text (SVG text of Plotly or Graphviz)."""
    chart = pg.locator(selector).filter(has_text=text).first
    chart.wait_for(state="visible")
    return chart


@pytest.mark.parametrize("name", list(LESSONS))
def test_lesson_page_renders_and_switches_to_korean(app_url, browser, name):
    nav_key, title_key, chart_texts, height = LESSONS[name]
    context = browser.new_context(viewport={"width": 1400, "height": height}, locale="en-US")
    pg = context.new_page()
    pg.set_default_timeout(90_000)
    try:
        check_lesson(app_url, pg, name, nav_key, title_key, chart_texts)
    finally:
        context.close()


def check_lesson(app_url, pg, name, nav_key, title_key, chart_texts) -> None:
    """Open the page in English, then switch to Korean and look again."""
    pg.goto(f"{app_url}/?lang=en")  # through the router first: see test_a_deep_link_on_a_fresh_server
    wait_for_app(pg)
    if name != "home":
        pg.locator("[data-testid='stSidebarNavLink']", has_text=t(nav_key, "en")).click()
    pg.get_by_role("heading", name=t(title_key, "en")).wait_for()
    assert pg.title() == f"{t(nav_key, 'en')} · ReLU Lab"
    for key in chart_texts:  # every chart drawn, not just the first
        chart_with_text(pg, SVG_DIAGRAM if name == "home" else PLOTLY, t(key, "en"))
    wait_for_app(pg)

    pg.locator("[data-testid='stSidebar']").get_by_role("radio", name="한국어").click()
    pg.get_by_role("heading", name=t(title_key, "ko")).wait_for()
    pg.wait_for_url(re.compile(r"[?&]lang=ko"))
    nav = pg.locator("[data-testid='stSidebarNavLink']")
    nav.filter(has_text=t(nav_key, "ko")).first.wait_for()
    assert nav.filter(has_text=t("nav.optimizers", "ko")).count() == 1
    for key in chart_texts:  # each chart redrawn in Korean
        korean_chart = chart_with_text(pg, SVG_DIAGRAM if name == "home" else PLOTLY, t(key, "ko"))
        assert re.search(r"[\uac00-\ud7a3]", korean_chart.text_content())
    assert pg.title() == f"{t(nav_key, 'ko')} · {t('app.title', 'ko')}"  # the browser tab
    assert pg.locator("[data-testid='stException']").count() == 0
    if name == "home":  # the landing page loads no Plotly at all (a 4.7 MB script)
        assert pg.locator("[data-testid='stPlotlyChart']").count() == 0


def test_a_deep_link_on_a_fresh_server_goes_through_the_router(browser):
    proc, url = start_streamlit()
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ko-KR")
    try:
        pg = context.new_page()
        pg.set_default_timeout(60_000)
        pg.goto(f"{url}/activations")
        wait_for_app(pg)
        pg.locator("h1").first.wait_for()
        assert pg.locator("h1").first.inner_text() == t("act.title", "ko")  # the browser is Korean
        assert pg.locator("[data-testid='stSidebar']").get_by_role("radio", name="한국어").count() == 1
    finally:
        context.close()
        stop_process(proc, timeout=10)
