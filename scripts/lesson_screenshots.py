"""Screenshots of every step of the seed lesson, as a student (a 390x844 phone) and on the projector.

    .venv/bin/python scripts/lesson_screenshots.py            # writes docs/screenshots/lesson_*.png
    .venv/bin/python scripts/lesson_screenshots.py --out /tmp/shots --quick   # small runs, elsewhere

Run on purpose (tests never write tracked files): it starts `streamlit run app.py` on a throw-away
store, makes a class of four students, starts the lesson and walks it step by step in English and
Korean. Predictions are cast and runs queued through lab/lesson_mode as the pages would; the server's
own workers train them. The PNGs are reduced to 256 colours.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
STUDENTS = (("Ada", "sigmoid"), ("Bo", "relu"), ("김철수", "relu"), ("Dana", "same"))  # nickname, first vote
PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1280, "height": 800}
HEIGHT_JS = ("() => Math.max(...['stApp', 'stAppViewContainer', 'stMain', 'stMainBlockContainer']"
             ".map(id => document.querySelector(`[data-testid=\"${id}\"]`)?.scrollHeight || 0))")
STEP_JS = "() => [...document.querySelectorAll('[class*=\"st-key-lesson_step_\"]')].map(e => e.className)"


class NoSubmit:
    """The script queues runs in the store; the server's local workers claim them (they poll the store)."""

    name = "local"

    def submit(self, run_id: str) -> None:
        """Nothing to do: a queued local run is claimed from the store."""


def shrink(path: Path) -> None:
    """The screenshot as a 256-colour PNG (a third of the size, the same to the eye)."""
    from PIL import Image

    Image.open(path).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def wait_step(page, step_id: str, timeout: float = 180) -> None:
    """Until the page shows the step and Streamlit has finished drawing it."""
    want = "lesson_step_" + step_id.replace("-", "_")
    page.wait_for_function(f"() => ({STEP_JS})().some(c => c.includes('{want}'))", timeout=timeout * 1000)
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]') && document.querySelector("
                           "'[data-testid=\"stApp\"]')?.getAttribute('data-test-script-state') !== 'running'",
                           timeout=timeout * 1000)
    page.wait_for_timeout(1800)  # the fragment's first refresh (votes, runs) and Plotly's drawing


def grab(page, path: Path, whole: bool) -> None:
    """A screenshot of the viewport, or (whole) of the page's whole height, as a 256-colour PNG."""
    # Streamlit scrolls inside its main element, not the document: the viewport is stretched to the content.
    if whole:
        height = page.evaluate(HEIGHT_JS)
        size = page.viewport_size
        page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 7000)})
        page.wait_for_timeout(1500)  # Plotly redraws at the new size
        page.screenshot(path=path)
        page.set_viewport_size(size)
    else:
        page.screenshot(path=path)
    shrink(path)


def main() -> None:
    """Walk the lesson and save the screenshots."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--quick", action="store_true", help="runs on 2,000 images (for trying the script)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="relulab-lesson-shots-"))
    lessons = tmp / "lessons"
    lessons.mkdir()
    text = (ROOT / "lessons" / "relu.toml").read_text(encoding="utf-8")
    if args.quick:
        text = text.replace("train_subset = 20000", "train_subset = 2000").replace(
            'config = { epochs = 1 }', 'config = { epochs = 1, train_subset = 2000 }')
    (lessons / "relu.toml").write_text(text, encoding="utf-8")
    db = f"sqlite:///{tmp / 'runs.sqlite3'}"
    env = {"RELULAB_DB": db, "RELULAB_LESSONS": str(lessons), "RELULAB_MAX_RUNS": "2", "RELULAB_GRACE_S": "600",
           "PYTHONPATH": str(ROOT)}
    os.environ.update(env)
    from playwright.sync_api import sync_playwright

    from lab.classroom import classes as C
    from lab.lesson_mode import experiment as X
    from lab.lesson_mode import state as LS
    from lab.lesson_mode.loader import load_lessons
    from lab.runs.store import Store, new_token
    from tests.conftest import start_streamlit

    os.environ.update(env)  # tests.conftest points RELULAB_DB at a scratch store of its own when imported
    proc, base = start_streamlit(env)  # the README's command plus a port, on loopback
    store = Store(db)
    klass, key = C.create_class(store, "7B")
    owners = [new_token() for _ in STUDENTS]
    for owner, (nick, _) in zip(owners, STUDENTS, strict=True):
        C.join(store, klass.code, owner, nick)
    lesson = load_lessons(lessons).lessons["relu"]
    args.out.mkdir(parents=True, exist_ok=True)
    host = base.split("//")[1].split(":")[0]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                        args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            screens = {}
            for lang in ("en", "ko"):
                phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2,
                                            locale="ko-KR" if lang == "ko" else "en-US")
                phone.add_cookies([{"name": "relulab_owner", "value": owners[0 if lang == "en" else 2],
                                    "domain": host, "path": "/"}])
                wall = browser.new_context(viewport=PROJECTOR, locale="ko-KR" if lang == "ko" else "en-US")
                screens[lang] = (phone.new_page(), wall.new_page())
                screens[lang][0].goto(f"{base}/lesson?lang={lang}")
                screens[lang][1].goto(f"{base}/classroom?teacher={key}&lang={lang}&present=1")
                if lang == "en":  # the board starts the lesson, as a teacher does (its figures built first)
                    # presenting, lesson mode is a popover beside the board's title
                    screens[lang][1].locator(".st-key-lesson_offer button").first.click(timeout=120_000)
                    screens[lang][1].get_by_role("button", name="Start the lesson").click(timeout=120_000)
                    wait_step(screens[lang][1], lesson.steps[0].id, timeout=300)
            for i, step in enumerate(lesson.steps):
                if i:
                    LS.go(store, klass.id, key, lesson, lesson.steps[i - 1].id, i)
                if step.kind == "predict":
                    for owner, (_, first) in zip(owners, STUDENTS, strict=True):
                        ids = [c.id for c in step.activity.choices]
                        LS.vote(store, klass.id, owner, lesson, step,
                                first if first in ids else ids[(owners.index(owner) * 2 + i) % len(ids)])
                if step.kind == "run":
                    for owner in owners:
                        X.start_run(store, NoSubmit(), klass.id, owner, lesson, step)
                    while any(r.active for _, r in X.step_runs(store, klass.id, lesson.id, step.id)):
                        time.sleep(1)
                for lang, (phone, wall) in screens.items():
                    name = f"lesson_{i + 1:02d}_{step.id}"
                    wait_step(phone, step.id)
                    grab(phone, args.out / f"{name}_student_{lang}.png", whole=True)
                    wait_step(wall, step.id)
                    grab(wall, args.out / f"{name}_projector_{lang}.png", whole=False)
                print("step", i + 1, step.id, "done", flush=True)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        store.engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
