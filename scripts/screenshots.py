"""The README's pictures, made on purpose (tests never write into docs/): every page in English and Korean.

    python scripts/screenshots.py [--out docs/screenshots] [--only train,board]

Starts its own `streamlit run app.py` on a free loopback port with a throw-away run store (as the
browser tests do), drives Debian's Chromium with Playwright and writes PNGs:

  {home,train,draw,activations,optimizers,board}_{en,ko}.png  a laptop (1280x800), sidebar open
  {train,board}_present_{en,ko}_1024.png                      a projector (1024x768), presentation mode
  train_phone_{en,ko}.png                                     a phone (390x844)

The Train page shows a real run mid-training (the lesson's 6-layer sigmoid net, its gradient
vanishing); the board a class of 30 students and 120 runs written as trainers write them
(bench/board.py). The server, its worker and the browser are stopped at the end.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.board import synth_class  # noqa: E402
from lab.engine.config import PRESETS  # noqa: E402
from lab.runs.store import Store  # noqa: E402
from lab.web.presence import COOKIE, TEACHER_COOKIE  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, start_streamlit, stop_process, wait_for_app  # noqa: E402
from tests.test_draw_browser import SEVEN, stroke  # noqa: E402

LANGS = ("en", "ko")
LAPTOP, PROJECTOR, PHONE = (1280, 800), (1024, 768), (390, 844)
OWNER = "owner-screenshots-0001"
# The lesson's vanishing-gradient net, for long enough to stay mid-run while every picture is taken (it is
# stopped at the end): an epoch of 600 steps takes seconds on a quiet machine.
RUN = PRESETS["vanishing-sigmoid"].replace(epochs=50, log_every=5, probe_every=50)


def shoot(browser, url: str, path: str, out: Path, size: tuple[int, int], lang: str, ready: str,
          cookies: dict[str, str], before=None) -> None:
    """Open url+path in a new browser at size, wait for `ready`, run before(page), save the viewport."""
    host = url.split("//")[1].split(":")[0]
    context = browser.new_context(viewport={"width": size[0], "height": size[1]},
                                  locale="ko-KR" if lang == "ko" else "en-US")
    context.add_cookies([{"name": k, "value": v, "domain": host, "path": "/"} for k, v in cookies.items()])
    page = context.new_page()
    page.set_default_timeout(120_000)
    try:
        page.goto(url + path)
        wait_for_app(page)
        page.locator(ready).first.wait_for()
        if before:
            before(page)
        wait_for_app(page)
        page.mouse.move(2, 2)  # no chart toolbar (shown on hover) in the picture
        page.wait_for_timeout(1200)  # charts finish their entry animation
        page.screenshot(path=str(out))
        print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    finally:
        context.close()


def draw_seven(page) -> None:
    """Draw a 7 on the canvas and wait for the model's answer."""
    canvas = page.locator("canvas.upper-canvas")
    for points in SEVEN:
        stroke(page, canvas, points)
    page.locator("[data-testid='stPlotlyChart'] .main-svg").first.wait_for()


def wait_mid_run(store: Store, run_id: str, steps: int) -> None:
    """Until the run has logged `steps` steps (its first epoch tested); it must still be training."""
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        run = store.get_run(run_id)
        if run.status not in ("queued", "running"):
            raise SystemExit(f"the run ended before the pictures ({run.status}: {run.message})")
        if run.step >= steps and run.test_acc is not None:
            return
        time.sleep(1)
    raise SystemExit("the run did not reach its first epoch in 15 minutes")


def main() -> None:
    """Start the server, set the scene, take every picture, stop everything."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    ap.add_argument("--only", default="", help="comma-separated names (home,train,draw,activations,optimizers,board)")
    args = ap.parse_args()
    out, only = Path(args.out), set(filter(None, args.only.split(",")))
    out.mkdir(parents=True, exist_ok=True)
    wanted = lambda name: not only or name in only  # noqa: E731
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="relulab-shots-") as tmp:
        db = f"sqlite:///{tmp}/runs.sqlite3"
        store = Store(db)
        klass, key = synth_class(store, runs=120, students=30, training=15)
        cookies = {COOKIE: OWNER, TEACHER_COOKIE: key}
        proc, url = start_streamlit({"RELULAB_DB": db, "RELULAB_GRACE_S": "3600"})
        run = None
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                for lang in LANGS:
                    q = f"lang={lang}"
                    pages = {"home": ("/", ".relulab-diagram svg", None),
                             "draw": ("/draw", "canvas.upper-canvas", draw_seven),
                             "activations": ("/activations", "[data-testid=stPlotlyChart] .main-svg", None),
                             "optimizers": ("/optimizers", "[data-testid=stPlotlyChart] .main-svg", None),
                             "board": (f"/classroom?board={klass.code}&", ".js-plotly-plot", None)}
                    for name, (path, ready, before) in pages.items():
                        if wanted(name):
                            sep = "" if path.endswith("&") else "?"
                            shoot(browser, url, f"{path}{sep}{q}", out / f"{name}_{lang}.png", LAPTOP, lang, ready,
                                  cookies, before)
                    if wanted("board"):
                        shoot(browser, url, f"/classroom?board={klass.code}&view=projector&{q}&present=1",
                              out / f"board_present_{lang}_1024.png", PROJECTOR, lang, ".js-plotly-plot", cookies)
                if wanted("train"):
                    for other in store.list_runs(statuses=["running"]):  # the class's scene runs end: the
                        store.end_without_events(other.id, "stopped", "Stopped.")  # server trains the real one
                    wake = browser.new_page()  # the server starts its workers with the first visitor
                    wake.goto(f"{url}/train?lang=en")
                    wake.locator(".st-key-train_start button").wait_for(timeout=120_000)
                    wake.close()
                    run = store.create_run(RUN, OWNER)  # the server's worker trains it
                    wait_mid_run(store, run.id, 900)
                    chart = 'img[data-meta="grad-heatmap"]'
                    config = "&".join(f"{k}={v}" for k, v in RUN.to_query().items())  # the controls show it
                    for lang in LANGS:
                        train = f"/train?lang={lang}&{config}"
                        shoot(browser, url, train, out / f"train_{lang}.png", LAPTOP, lang, chart, cookies)
                        shoot(browser, url, f"{train}&present=1", out / f"train_present_{lang}_1024.png",
                              PROJECTOR, lang, chart, cookies)
                        shoot(browser, url, train, out / f"train_phone_{lang}.png", PHONE, lang,
                              'img[data-meta="loss-step"]', cookies)
                    if store.get_run(run.id).status != "running":
                        raise SystemExit("the run ended while the pictures were taken: they are not mid-run")
                browser.close()
        finally:
            if run is not None:
                store.request_stop(run.id)
            stop_process(proc, timeout=20)
            store.engine.dispose()


if __name__ == "__main__":
    main()
