"""What a room is told, without a browser: what the charts show (vanished gradient, divergence, dead units),
the charts' text alternatives, a student's run stopped by the teacher, a closed class (issue 23)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from streamlit.runtime.caching import clear_session_resource_cache
from streamlit.testing.v1 import AppTest

from lab.classroom import classes as C
from lab.engine.events import RunEnded
from lab.figures.sketch import img_of
from lab.figures.train import grad_norm_figure, loss_step_figure, run_figures
from lab.i18n import t
from lab.runs.store import Store, new_token, open_store
from lab.web.insights import insights, one_in
from lab.web.train_form import end_message
from tests import scenes

ROOT = Path(__file__).resolve().parent.parent
SESSION_ID = "test session id"  # AppTest's


@pytest.fixture
def store(tmp_path):
    """A fresh SQLite store."""
    s = Store(f"sqlite:///{tmp_path / 'room.sqlite3'}")
    yield s
    s.engine.dispose()


def test_the_train_page_names_a_vanished_gradient_with_the_measured_ratio_and_a_link(store):
    run = scenes.write_run(store, scenes.VANISHING, "a", 900)
    record = store.record(run.id)
    first, last = record.steps[-1]["grad_norms"][0], record.steps[-1]["grad_norms"][-1]
    said = insights(record, 0.1, "en")
    assert [level for level, _ in said] == ["warning"]
    text = said[0][1]
    assert text.startswith("Vanishing gradient: at step 891 fc1's gradient norm is ")
    assert one_in(first / last) in text and "of out's" in text and "(activations?lang=en)" in text
    assert re.search(r"1/\d\d,000", text), text  # about 1/29,000: sigmoid's 6 layers
    korean = insights(record, 0.1, "ko")[0][1]
    assert "기울기 소실" in korean and "(activations?lang=ko)" in korean
    relu = scenes.write_run(store, scenes.LEARNING, "a", 900)
    assert insights(store.record(relu.id), 0.1, "en") == []  # ReLU's gradient reaches fc1


def test_a_diverged_loss_and_dead_units_are_said_too(store):
    blown = scenes.write_run(store, scenes.LEARNING.replace(lr=10.0), "a", 300, end="diverged")
    record = store.record(blown.id)
    level, text = insights(record, 10.0, "en")[0]
    assert level == "error" and text.startswith("The loss became NaN at step ") and "learning rate 10" in text
    assert "(optimizers?lang=en)" in text
    record.activations[-1]["dead"] = [0.1, 0.62, 0.3, 0.0, 0.0, 0.0]
    dead = [text for _, text in insights(record, 10.0, "en") if "dead" in text]
    assert dead == [t("room.insight.dead", "en", pct="62%", layer="fc2", link="activations?lang=en")]


def test_every_chart_image_says_what_it_shows(store):
    run = scenes.write_run(store, scenes.VANISHING, "a", 900)
    record = store.record(run.id)
    alt = re.search(r'alt="([^"]*)"', img_of(grad_norm_figure(record, "en"))).group(1)
    assert alt.startswith("Gradient norm of each layer — Step 891: fc1 ")
    for layer in record.layers:
        assert f"{layer} " in alt
    assert "out 0.4" in alt and "×10⁻⁵" in alt  # fc1's norm written out, not 1e-05
    loss = re.search(r'alt="([^"]*)"', img_of(loss_step_figure(record, "ko"))).group(1)
    assert loss.startswith("스텝별 손실 — 스텝 891: ") and f"{record.steps[-1]['loss']:.3g}" in loss
    for name, fig in run_figures(record, "en").items():  # every chart: a title and its last values
        text = re.search(r'alt="([^"]*)"', img_of(fig)).group(1)
        assert " — " in text and re.search(r"\d", text), (name, text)
    empty = re.search(r'alt="([^"]*)"', img_of(loss_step_figure(store.record("none-such-run-id-xx"), "en")))
    assert empty.group(1) == "Loss per step — Waiting for the first steps…"


def test_a_stop_by_the_teacher_is_said_so(store):
    klass, key = C.create_class(store, "7B")
    member = C.join(store, klass.code, "a", "Ann")
    run = scenes.write_run(store, scenes.VANISHING, "a", 429, **member.run_args())
    queued = store.create_run(scenes.VANISHING, "a", **member.run_args())
    assert C.stop_all(store, klass.id, key) == 2
    store.finish(run.id, RunEnded("stopped", "Stopped at step 429.", 429, 2.2, 30.0))
    ended = RunEnded("stopped", "", 429, 2.2, 30.0)
    assert store.stop_origin(run.id) == "teacher"
    assert end_message(ended, run.config, None, "en", "teacher") == (
        "warning", t("room.stopped_by_teacher_early", "en", step=429))
    assert "선생님" in end_message(ended, run.config, 0.11, "ko", "teacher")[1]
    assert end_message(ended, run.config, 0.11, "en", "owner")[1].startswith("Stopped at step 429")
    gone = store.get_run(queued.id)
    assert end_message(RunEnded("stopped", gone.message, 0, None, 0.0), gone.config, None, "en", "teacher") == (
        "warning", t("room.stopped_by_teacher_queued", "en"))


@pytest.fixture
def fresh_session():
    """Release the session-scoped runs before and after the test, as a closed tab would."""
    clear_session_resource_cache(SESSION_ID)
    yield
    clear_session_resource_cache(SESSION_ID)


def train_page(owner: str, lang: str = "en") -> AppTest:
    """The Train page of this browser (owner), run once on the test store."""
    at = AppTest.from_file(str(ROOT / "views" / "train.py"), default_timeout=60)
    at.session_state["lang"] = lang
    at.session_state["owner"] = owner
    return at.run()


def page_text(at: AppTest) -> str:
    """Every info, warning, success, error and caption text of the page's last run."""
    return "\n".join(str(e.value) for kind in (at.info, at.warning, at.success, at.error, at.caption) for e in kind)


def test_the_train_page_tells_a_student_the_teacher_stopped_the_run_and_closed_the_class(fresh_session):
    store = open_store()
    owner = new_token()
    klass, key = C.create_class(store, "7B physics")
    member = C.join(store, klass.code, owner, "Ann")
    run = scenes.write_run(store, scenes.VANISHING, owner, 600, **member.run_args())  # its first epoch ended
    C.stop_all(store, klass.id, key)
    store.finish(run.id, RunEnded("stopped", "Stopped.", 600, 2.2, 30.0))
    at = train_page(owner, "ko")
    assert not at.exception, at.exception
    assert t("room.stopped_by_teacher", "ko", step=600, acc="11.35%") in page_text(at)
    assert t("room.class_closed", "ko", name="7B physics") not in page_text(at)
    C.close_class(store, klass.id, key)
    at = train_page(owner, "en")
    assert t("room.class_closed", "en", name="7B physics") in page_text(at)
    assert C.start_args(store, owner) == {}  # and the next run is the student's own


def test_the_train_page_says_what_the_charts_show_mid_run(fresh_session):
    store = open_store()
    owner = new_token()
    scenes.write_run(store, scenes.VANISHING, owner, 900)  # training, its gradient vanished
    at = train_page(owner)
    assert not at.exception, at.exception
    warnings = [w.value for w in at.warning]
    assert any(w.startswith("Vanishing gradient: at step 891 fc1's") for w in warnings), warnings
    images = [h.proto.body for h in at.get("html") if "data-meta" in h.proto.body]
    assert len(images) == 6 and all('alt="' in img and " — " in img for img in images)
    assert not math.isnan(store.list_runs(owner=owner)[0].step)


def test_the_explorable_pages_charts_say_what_they_show():
    from lab.figures.activations import activation_figure
    from lab.figures.alt import alt_of
    from lab.figures.race import loss_figure, race_figure
    from lab.lessons.family_tree import family_tree_figure
    from lab.lessons.race import DEFAULT_RACERS, SURFACES, default_lr, run_racer

    surface = SURFACES[list(SURFACES)[1]]
    trajs = [run_racer(surface, r, default_lr(surface, r), 100) for r in DEFAULT_RACERS]
    for lang in ("en", "ko"):
        act = alt_of(activation_figure(["sigmoid", "relu"], lang))
        assert t("act.name.sigmoid", lang) in act and "0.25" in act and "= 1" in act  # each slope's maximum
        race = alt_of(race_figure(surface, trajs, lang))  # where each racer stopped: the animation's last frame
        for tr in trajs:
            assert f"({tr.end[0]:.3g}, {tr.end[1]:.3g})" in race
        loss = alt_of(loss_figure(surface, trajs, lang))
        assert loss.count(": (100, ") == len(trajs)  # each racer's loss gap at the last step
        assert "torch.optim.Adam" in alt_of(family_tree_figure(lang))


def test_the_explorable_pages_carry_their_charts_descriptions():
    for page, expected in (("views/activations.py", 2), ("views/optimizers.py", 3)):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.query_params["lang"] = "en"
        at.run().switch_page(page).run()
        assert not at.exception
        notes = [m.value for m in at.markdown if 'class="relulab-sr"' in m.value]
        assert len(notes) == expected and all(len(n) > 60 for n in notes), notes
