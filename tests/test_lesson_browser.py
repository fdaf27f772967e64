"""Lesson mode in a real browser: a teacher leads three students (one in Korean, one on a phone) through the
seed lesson, on one server that is restarted mid-lesson.

Next moves every student's screen within 3 s of the store's write; a prediction counts once per student;
a late joiner lands on the current step; a student of a locked lesson is taken back to it; the reveal
shows the class's votes and the test accuracies its runs measured; the record downloads; after a restart
of the server on the same store and port, every page comes back to the same step and follows again.
The lesson's runs are made short (2,000 images, one epoch) in a copy of lessons/relu.toml.
"""

from __future__ import annotations

import json
import time

import pytest

from lab.classroom import classes as C
from lab.i18n import t
from lab.lesson_mode import experiment as X
from lab.lesson_mode import state as LS
from lab.lesson_mode.loader import load_lessons
from lab.runs.store import Store
from tests.conftest import ROOT, _free_port, start_streamlit, stop_process, wait_for_app

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
FOLLOW_S = 3.0  # a Next reaches every student's screen within this
# Installed in a student's page: when each step's container first shows, not stale (browser clock, seconds).
WATCH_JS = """() => {
  window.__steps = window.__steps || {};
  window.__ticks = window.__ticks || [];
  setInterval(() => {
    const now = Date.now() / 1000;
    window.__ticks.push(now);
    if (window.__ticks.length > 4000) window.__ticks.shift();
    for (const el of document.querySelectorAll('[class*="st-key-lesson_step_"]')) {
      const m = el.className.match(/st-key-lesson_step_(\\w+)/);
      if (m && !(m[1] in window.__steps) && !el.closest('[data-stale="true"]')) window.__steps[m[1]] = now;
    }
  }, 50);
}"""
# The longest pause of that 50 ms timer between two moments: how long the browser itself was starved.
STALL_JS = """([a, b]) => {
  const ticks = (window.__ticks || []).filter(x => x >= a - 1 && x <= b + 0.1);
  let most = 0;
  for (let i = 1; i < ticks.length; i++) most = Math.max(most, ticks[i] - ticks[i - 1] - 0.05);
  return most;
}"""
FIGURE_JS = """(meta) => {
  const el = [...document.querySelectorAll('.js-plotly-plot')].find(p => p.layout && p.layout.meta === meta);
  return el && el.data ? el.data.map(d => ({name: d.name, x: d.x ? [...d.x] : [], y: d.y ? [...d.y] : []})) : null;
}"""


def key_of(step_id: str) -> str:
    """The CSS class of a step's container."""
    return "lesson_step_" + step_id.replace("-", "_")


@pytest.fixture(scope="module")
def lesson_server(tmp_path_factory):
    """A server on its own store and lessons folder (the seed lesson with short runs); restartable on its port."""
    folder = tmp_path_factory.mktemp("lessons")
    text = (ROOT / "lessons" / "relu.toml").read_text(encoding="utf-8")
    short = text.replace("train_subset = 20000", "train_subset = 2000").replace(
        "config = { epochs = 1 }", "config = { epochs = 1, train_subset = 2000 }")
    assert short.count("train_subset = 2000") == 2
    (folder / "relu.toml").write_text(short, encoding="utf-8")
    db = f"sqlite:///{tmp_path_factory.mktemp('lesson') / 'runs.sqlite3'}"
    env = {"RELULAB_DB": db, "RELULAB_LESSONS": str(folder), "RELULAB_MAX_RUNS": "1", "RELULAB_GRACE_S": "600"}
    port = _free_port()
    server = {"proc": start_streamlit(env, port=port)[0]}

    def restart() -> None:
        """Stop the server and start a new one on the same store and port."""
        stop_process(server["proc"], timeout=20)
        server["proc"] = start_streamlit(env, port=port)[0]

    yield f"http://127.0.0.1:{port}", db, load_lessons(folder).lessons["relu"], restart
    stop_process(server["proc"], timeout=20)


def open_page(browser, url: str, lang: str = "en", phone: bool = False):
    """A new browser context (one person) at url."""
    extra = {"is_mobile": True, "has_touch": True} if phone else {}
    context = browser.new_context(viewport=PHONE if phone else DESKTOP, locale="ko-KR" if lang == "ko" else "en-US",
                                  accept_downloads=True, **extra)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    wait_for_app(page)
    return page


def idle(page, timeout: float = 120) -> None:
    """Until the page's script is not running (its first full run: a warm-up may take a while on a busy box)."""
    page.wait_for_function("() => document.querySelector('[data-testid=\"stApp\"]')"
                           "?.getAttribute('data-test-script-state') !== 'running'", timeout=timeout * 1000)


def shows(page, step_id: str, timeout: float = 60) -> None:
    """Wait until the page shows this step."""
    page.locator(f".st-key-{key_of(step_id)}").first.wait_for(timeout=timeout * 1000)


def join(student_browser, base: str, code: str, nick: str, lang: str, phone: bool = False):
    """A student joins by the join link, then follows the lesson from the Class page's link."""
    page = open_page(student_browser, f"{base}/classroom?join={code}&lang={lang}", lang, phone)
    page.get_by_label(t("class.nickname", lang)).fill(nick)
    page.get_by_role("button", name=t("class.join", lang)).click()
    page.get_by_role("link", name=t("lesson.follow", lang)).click()
    page.wait_for_url("**/lesson**")
    return page


def follow(teacher, students, store: Store, class_id: str, step_id: str) -> list[tuple[float, float]]:
    """Press Next on the board; every student shows step_id. For each: (seconds from the store's write to the
    screen, the longest pause of that browser's own timer meanwhile)."""
    idle(teacher)  # as a teacher does: the page drawn (after a restart, the lesson's charts built again)
    teacher.locator(".st-key-lesson_next button").click()
    deadline = time.monotonic() + 30
    while (now := LS.current(store, class_id)).step_id != step_id and time.monotonic() < deadline:
        time.sleep(0.05)
    assert now.step_id == step_id
    name = key_of(step_id).removeprefix("lesson_step_")
    out = []
    for page in students:
        page.wait_for_function(f"() => window.__steps && '{name}' in window.__steps", timeout=60_000)
        seen = page.evaluate(f"() => window.__steps['{name}']")
        out.append((seen - now.updated, page.evaluate(STALL_JS, [now.updated, seen])))
    shows(teacher, step_id)
    return out


def test_a_teacher_leads_three_students_through_the_lesson(lesson_server, browser, student_browser):
    base, db, lesson, restart = lesson_server
    store = Store(db)
    klass, key = C.create_class(store, "7B")

    # The teacher starts the lesson on the board; two students join and follow it.
    teacher = open_page(browser, f"{base}/classroom?teacher={key}&lang=en")
    teacher.get_by_role("button", name="Start the lesson").click()
    shows(teacher, "forward-backward")
    ada = join(student_browser, base, klass.code, "Ada", "en")
    kim = join(student_browser, base, klass.code, "김철수", "ko")
    students = [ada, kim]
    for page in students:
        shows(page, "forward-backward")
        page.evaluate(WATCH_JS)
    assert kim.get_by_role("heading", name="순전파와 역전파").count() == 1

    # Next, three times: each student follows within 3 s of the store's write.
    lags = []
    for step_id in ("sigmoid-slope", "vanishing", "relu-predict"):
        lags += follow(teacher, students, store, klass.id, step_id)
    assert teacher.get_by_role("heading", name="ReLU").count() == 1

    # A late joiner on a phone lands on the current step.
    bo = join(student_browser, base, klass.code, "Bo", "en", phone=True)
    shows(bo, "relu-predict")
    bo.evaluate(WATCH_JS)
    students.append(bo)

    # Predictions: one per student, a second vote replaces the first; hidden from students until revealed.
    ada.locator(".st-key-vote_relu-predict_relu button").click()
    kim.locator(".st-key-vote_relu-predict_sigmoid button").click()
    kim.get_by_text("내 예측: 시그모이드 6층").wait_for()
    kim.locator(".st-key-vote_relu-predict_relu button").click()
    bo.locator(".st-key-vote_relu-predict_sigmoid button").click()
    step = lesson.step("relu-predict")
    deadline = time.monotonic() + 30
    while LS.tally(store, klass.id, lesson.id, step) != {"sigmoid": 1, "relu": 2, "same": 0} \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    assert LS.tally(store, klass.id, lesson.id, step) == {"sigmoid": 1, "relu": 2, "same": 0}
    assert sorted(v["nickname"] for v in LS.votes_of(store, klass.id, lesson.id)) == ["Ada", "Bo", "김철수"]
    teacher.get_by_text("3 of 3 students have predicted.").wait_for(timeout=10_000)
    assert teacher.evaluate(FIGURE_JS, "lesson-votes")[0]["x"] == [1, 2, 0]
    bo.get_by_text("3 of 3 students have predicted. The answers stay hidden").wait_for(timeout=10_000)
    assert bo.evaluate(FIGURE_JS, "lesson-votes") is None
    teacher.get_by_role("button", name="Reveal", exact=True).click()  # (a button with help= is drawn twice)
    for page in students:
        page.wait_for_function(f"() => ({FIGURE_JS})('lesson-votes')?.[0]?.x?.join() === '1,2,0'", timeout=10_000)
    assert ada.locator(".st-key-vote_relu-predict_sigmoid button").is_disabled()  # closed once revealed

    # While the lesson is locked, another page takes a student back to it.
    ada.goto(f"{base}/activations?lang=en")
    ada.wait_for_url("**/lesson**")
    shows(ada, "relu-predict")
    ada.evaluate(WATCH_JS)

    # Run: each student trains their half; the class is split by join order.
    lags += follow(teacher, students, store, klass.id, "relu-run")
    for page, lang in ((ada, "en"), (kim, "ko"), (bo, "en")):
        page.get_by_role("button", name=t("lesson.train", lang)).click()
    run_step = lesson.step("relu-run")
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        runs = X.step_runs(store, klass.id, lesson.id, run_step.id)
        if len(runs) == 3 and all(r.status == "finished" for _, r in runs):
            break
        time.sleep(0.5)
    assert sorted((r.nickname, arm, r.config.activation, r.config.seed, r.status, r.class_id) for arm, r in runs) == [
        ("Ada", "sigmoid", "sigmoid", 777, "finished", klass.id),
        ("Bo", "sigmoid", "sigmoid", 778, "finished", klass.id),
        ("김철수", "relu", "relu", 777, "finished", klass.id)]
    acc = {r.nickname: r.test_acc for _, r in runs}
    kim.get_by_text(f"내 실행: 테스트 정확도 {acc['김철수']:.1%}").wait_for(timeout=10_000)

    # Reveal: the votes next to the accuracies the class's runs measured, on the board and on every screen.
    lags += follow(teacher, students, store, klass.id, "relu-reveal")
    measured = sorted(acc.values())
    for page in (teacher, *students):
        page.wait_for_function(f"() => ({FIGURE_JS})('lesson-reveal')?.length >= 3", timeout=15_000)
        traces = {d["name"]: d for d in page.evaluate(FIGURE_JS, "lesson-reveal")}
        predicted = traces[t("lesson.chart.predicted", "ko" if page is kim else "en")]
        runs_shown = traces[t("lesson.chart.each_run", "ko" if page is kim else "en")]
        assert predicted["x"] == [1, 2, 0]
        assert sorted(runs_shown["x"]) == pytest.approx(measured)
    assert [d["y"] for d in kim.evaluate(FIGURE_JS, "lesson-reveal")][0] == ["시그모이드 6층", "ReLU 6층", "비슷하다"]

    # The record: every prediction and every run with its result.
    wait_for_app(teacher)  # a download clicked while the page reruns is cancelled by the browser
    with teacher.expect_download() as download:
        teacher.locator(".st-key-lesson_json").get_by_role("button", name="JSON").click()
    record = json.loads(open(download.value.path(), encoding="utf-8").read())
    rows = {(r["kind"], r["nickname"]): r for r in record["rows"]}
    assert {k: v.get("choice") for k, v in rows.items() if k[0] == "predict"} == \
        {("predict", "Ada"): "relu", ("predict", "김철수"): "relu", ("predict", "Bo"): "sigmoid"}
    assert {k[1]: v["test_acc"] for k, v in rows.items() if k[0] == "run"} == pytest.approx(acc)

    # A restart of the server on the same store: every page comes back to the same step, and follows again.
    restart()
    for page in students:
        page.wait_for_function(f"() => ({FIGURE_JS})('lesson-reveal')?.length >= 3", timeout=90_000)
        shows(page, "relu-reveal")
        page.evaluate("() => { window.__steps = {}; }")
        page.evaluate(WATCH_JS)
    teacher.reload()
    shows(teacher, "relu-reveal")
    lags += follow(teacher, students, store, klass.id, "optimizers")
    print("seconds from Next to each student's screen (and that browser's longest stall):",
          [(round(lag, 2), round(stall, 2)) for lag, stall in lags])
    # Within 3 s, unless the student's browser itself was starved meanwhile (its 50 ms timer paused; this
    # machine runs the server, four browsers and more on 2 cores): then within 3 s plus that pause.
    assert all(lag <= FOLLOW_S + (stall if stall > 0.25 else 0) for lag, stall in lags), lags
    assert all(lag > -0.5 for lag, _ in lags)  # measured against the write, on one clock
    store.engine.dispose()
