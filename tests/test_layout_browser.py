"""Projector layout measured in Chromium at 1024x768, in English and Korean (issue 17).

Measured, not looked at: the boxes of chart legends and titles, of the race's buttons and its
slider's "Step N" label, and the rendered pixel size of the home diagram's text.
"""

from __future__ import annotations

import pytest

from lab.i18n import t
from lab.web.style import CHART_MIN_PX
from tests.conftest import wait_for_app
from tests.test_draw_browser import SEVEN, stroke

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1024, "height": 768}
MIN_TEXT_PX = 12
# A 6-layer run that trains in seconds: 10 steps, every one logged and probed.
SIX_LAYERS = "depth=6&epochs=1&train_subset=1000&log_every=1&probe_every=1"

BOX_JS = "e => { const r = e.getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height}; }"
# The Train page's charts are SVG images: each one's SVG is drawn inline at the image's size, then its
# title, legend entries, plot frame and smallest text are measured as the browser lays them out.
CHART_BOXES_JS = f"""() => [...document.querySelectorAll('img[data-meta]')].map(img => {{
  const box = {BOX_JS};
  const bytes = Uint8Array.from(atob(img.src.split('base64,')[1]), c => c.charCodeAt(0));
  const holder = document.createElement('div');
  holder.style.cssText = `position:absolute; left:${{img.getBoundingClientRect().x}}px; top:0; width:${{img.width}}px`;
  holder.innerHTML = new TextDecoder().decode(bytes);
  document.body.appendChild(holder);
  const svg = holder.querySelector('svg');
  svg.setAttribute('width', img.width); svg.removeAttribute('height');
  const boxes = sel => [...svg.querySelectorAll(sel)].map(box);
  const scale = img.width / svg.viewBox.baseVal.width;
  const out = {{meta: img.dataset.meta, chart: box(svg), titles: boxes('.title'), legend: boxes('.legend'),
               ends: boxes('.end-label'),
               plot: box(svg.querySelector('.plot')), width: img.width,
               smallest_px: Math.min(...[...svg.querySelectorAll('text')].map(
                 e => parseFloat(e.getAttribute('font-size')))) * scale}};
  holder.remove();
  return out;
}})"""
COMPARED_JS = """() => {
  const img = document.querySelector('img[data-meta="compare-loss"]');
  return !!img && (atob(img.src.split('base64,')[1]).match(/class="legend"/g) || []).length === 2;
}"""
RACE_BOXES_JS = f"""() => {{
  const box = {BOX_JS};
  return {{buttons: [...document.querySelectorAll('.updatemenu-button')].map(box),
          label: [...document.querySelectorAll('.slider-group > .slider-label')].map(box),
          text: [...document.querySelectorAll('.slider-group > .slider-label')].map(e => e.textContent)}};
}}"""
# Every text of the home diagram: its rendered font size (font-size in SVG units times the SVG's
# scale on screen) and its box; every line: its ends on screen.
DIAGRAM_JS = """() => {
  const svg = document.querySelector('.relulab-diagram svg');
  const texts = [...svg.querySelectorAll('text')].map(e => {
    const r = e.getBoundingClientRect();
    return {text: e.textContent, px: parseFloat(getComputedStyle(e).fontSize) * e.getScreenCTM().a,
            x: r.x, y: r.y, w: r.width, h: r.height};
  });
  const lines = [...svg.querySelectorAll('line')].map(e => {
    const m = e.getScreenCTM(), p = svg.createSVGPoint();
    const at = (x, y) => { p.x = x; p.y = y; const q = p.matrixTransform(m); return [q.x, q.y]; };
    return [...at(e.x1.baseVal.value, e.y1.baseVal.value), ...at(e.x2.baseVal.value, e.y2.baseVal.value)];
  });
  return {texts, lines};
}"""


def overlap(a: dict, b: dict) -> bool:
    """True when two boxes {x, y, w, h} share any area."""
    return a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and a["y"] < b["y"] + b["h"] and \
        b["y"] < a["y"] + a["h"]


def segment_hits_box(x0: float, y0: float, x1: float, y1: float, box: dict) -> bool:
    """True when the segment passes through the box (sampled every half pixel)."""
    steps = max(2, int(2 * max(abs(x1 - x0), abs(y1 - y0))))
    inside = lambda x, y: box["x"] < x < box["x"] + box["w"] and box["y"] < y < box["y"] + box["h"]  # noqa: E731
    return any(inside(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps) for i in range(steps + 1))


@pytest.fixture
def pg(browser):
    """A page at the projector's 1024x768."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(90_000)
    yield page
    context.close()


def open_page(pg, app_url: str, path: str, lang: str, query: str = "") -> None:
    """Through the router first (as a student's link does), then the page itself."""
    pg.goto(f"{app_url}/?lang={lang}")
    wait_for_app(pg)
    pg.goto(f"{app_url}/{path}?lang={lang}{'&' + query if query else ''}")
    wait_for_app(pg)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_home_diagram_text_is_readable_and_no_arrow_crosses_a_label(app_url, pg, lang):
    open_page(pg, app_url, "", lang)
    pg.locator(".relulab-diagram svg text").first.wait_for()
    found = pg.evaluate(DIAGRAM_JS)
    sizes = [round(text["px"], 1) for text in found["texts"]]
    print(f"\nhome diagram {lang}: smallest text {min(sizes)} px of {len(sizes)} texts")
    assert len(sizes) == 10 and min(sizes) >= MIN_TEXT_PX
    update = next(x for x in found["texts"] if x["text"] == t("diag.update", lang))
    for text in found["texts"]:  # the arrows' labels: no line under any of them
        if text["text"] in (t("diag.update", lang), "∂loss/∂ŷ", "× σ'(z) ≤ 0.25", t("diag.sigmoid", lang)):
            crossing = [line for line in found["lines"] if segment_hits_box(*line, text)]
            assert not crossing, f"{text['text']!r} is crossed by {crossing}"
    assert update["w"] > 100  # the label was measured, not an empty box


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_race_buttons_stay_clear_of_the_sliders_step_label(app_url, pg, lang):
    open_page(pg, app_url, "optimizers", lang)
    pg.locator(".updatemenu-button").first.wait_for()
    pg.locator(".slider-group > .slider-label").first.wait_for()
    found = pg.evaluate(RACE_BOXES_JS)
    assert len(found["buttons"]) == 3 and len(found["label"]) == 1
    assert found["text"][0].startswith(t("race.step", lang))
    label = found["label"][0]
    gaps = [label["y"] - (b["y"] + b["h"]) for b in found["buttons"]]
    print(f"\nrace {lang}: step label {found['text'][0]!r}, {min(gaps):.0f} px below the buttons")
    assert not any(overlap(b, label) for b in found["buttons"])
    # Playing moves the label's number; it stays clear while the race runs and after.
    pg.locator(".updatemenu-button").first.scroll_into_view_if_needed()
    pg.locator(".updatemenu-button").first.click()
    pg.wait_for_timeout(700)
    during = pg.evaluate(RACE_BOXES_JS)
    assert not any(overlap(b, during["label"][0]) for b in during["buttons"])


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_train_charts_legends_never_cover_their_titles_with_six_layers(app_url, pg, lang):
    open_page(pg, app_url, "train", lang, SIX_LAYERS)
    start = pg.locator(".st-key-train_start button")
    for run in (1, 2):  # two runs: the comparison charts get a legend of both
        start.click()
        ended = t("train.last", lang, label=f"#{run} ")  # shown once the run is in the history
        pg.wait_for_function(f"() => document.body.innerText.includes({ended!r})", timeout=240_000)
        pg.wait_for_function("() => !document.querySelector('.st-key-train_start button').disabled")
    pg.wait_for_function(COMPARED_JS)
    wait_for_app(pg)
    charts = {c["meta"]: c for c in pg.evaluate(CHART_BOXES_JS)}
    assert {"loss-step", "grad-lines", "saturation", "compare-loss", "compare-grad"} <= set(charts)
    # The layers' lines are named at their ends (fc1..fc6, out), in the right margin: no legend.
    assert len(charts["grad-lines"]["ends"]) == 7 and len(charts["saturation"]["ends"]) == 6
    assert not charts["grad-lines"]["legend"] and not charts["saturation"]["legend"]
    assert len(charts["compare-loss"]["legend"]) == 2
    for meta, chart in charts.items():
        box, plot = chart["chart"], chart["plot"]
        # At 1024 px with the sidebar open a column is under CHART_MIN_PX: the charts go one a row.
        assert chart["width"] >= CHART_MIN_PX and chart["smallest_px"] >= MIN_TEXT_PX, meta
        assert chart["titles"], meta
        for title in chart["titles"]:
            assert box["x"] - 1 <= title["x"] and title["x"] + title["w"] <= box["x"] + box["w"] + 1, \
                f"{meta}: its title runs out of the chart"
            assert box["y"] - 1 <= title["y"] and title["y"] + title["h"] <= plot["y"] + 1, \
                f"{meta}: its title is cut at the top or runs into the plot"
        for entry in chart["legend"]:
            assert entry["x"] + entry["w"] <= box["x"] + box["w"] + 1, f"{meta}: a legend entry runs out"
            assert entry["y"] >= plot["y"] + plot["h"] and entry["y"] + entry["h"] <= box["y"] + box["h"] + 1, \
                f"{meta}: a legend entry is on the plot or cut at the bottom"
            assert not any(overlap(entry, other) for other in chart["legend"] if other is not entry), \
                f"{meta}: legend entries overlap"
        for end in chart["ends"]:  # a line's name at its end: right of the plot, inside the chart, apart
            assert plot["x"] + plot["w"] <= end["x"] and end["x"] + end["w"] <= box["x"] + box["w"] + 1, \
                f"{meta}: an end label is on the plot or runs out of the chart"
            assert plot["y"] - end["h"] <= end["y"] <= plot["y"] + plot["h"], f"{meta}: an end label is off the plot"
            assert not any(overlap(end, other) for other in chart["ends"] if other is not end), \
                f"{meta}: end labels overlap"
        print(f"\n{lang} {meta}: {len(chart['legend'])} legend entries, {chart['width']} px wide, "
              f"smallest text {chart['smallest_px']:.1f} px")


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("name", ["draw", "activations"])
def test_the_draw_and_activations_pages_render_their_charts(app_url, pg, name, lang):
    open_page(pg, app_url, name, lang)
    pg.get_by_role("heading", name=t(f"{name[:3] if name == 'activations' else name}.title", lang)).wait_for()
    if name == "activations":
        pg.locator("[data-testid='stPlotlyChart'] .main-svg").first.wait_for()
    else:  # a drawn 7 and the model's answer, as the class sees it
        canvas = pg.locator("canvas.upper-canvas")
        canvas.wait_for()
        wait_for_app(pg)
        for points in SEVEN:
            stroke(pg, canvas, points)
        pg.locator("[data-testid='stPlotlyChart'] .main-svg").first.wait_for()
    wait_for_app(pg)
    assert pg.locator("[data-testid='stException']").count() == 0


def test_presentation_mode_folds_the_sidebar_and_enlarges_the_type(app_url, pg):
    open_page(pg, app_url, "train", "ko", "present=1")
    pg.locator("h1").first.wait_for()
    wait_for_app(pg)
    pg.wait_for_timeout(1000)  # the sidebar slides away
    sidebar = pg.evaluate(f"() => ({BOX_JS})(document.querySelector('[data-testid=stSidebar]'))")
    assert sidebar["x"] + sidebar["w"] <= 1, sidebar
    root_px = pg.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
    main = pg.evaluate(f"() => ({BOX_JS})(document.querySelector('[data-testid=stMainBlockContainer]'))")
    print(f"\npresentation mode: root font {root_px} px, main column {main['w']:.0f} px wide")
    assert root_px == 19 and main["w"] > 800  # the charts get the whole width of the projector
