"""Lesson mode without a browser: the lesson files (the seed lesson, broken ones and their messages), the
lesson's state in a real store (SQLite and PostgreSQL: a refresh, a second teacher tab, another server, a
restart), predictions counted once per student, the class split, real lesson runs, the reveal, the record,
and the pages through AppTest."""

from __future__ import annotations

import csv
import io
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lab.classroom import classes as C
from lab.figures.lesson import reveal_figure, votes_figure
from lab.i18n import t
from lab.lesson_mode import experiment as X
from lab.lesson_mode import record as R
from lab.lesson_mode import state as LS
from lab.lesson_mode.loader import LessonFileError, load_lessons, read_lesson
from lab.lessons.race import RACERS, SURFACES
from lab.lessons.race_names import RACER_ORDER, SURFACE_KEYS
from lab.runs.execute import execute_run
from lab.runs.store import Store

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "lessons" / "relu.toml"
OWNERS = [f"owner-{c * 20}" for c in "abcde"]
# A small lesson: a prediction, a run of two arms on 400 images, the reveal of both.
SMALL = """
format = 1
id = "small"
title.en = "Small"
title.ko = "작은 강의"

[[steps]]
id = "guess"
title = { en = "Guess", ko = "예측" }
text = { en = "Which learns?", ko = "어느 쪽이 배울까요?" }
show = { kind = "activations", activations = ["sigmoid", "relu"] }
[steps.activity]
kind = "predict"
question = { en = "Which one?", ko = "어느 쪽?" }
choices = [{ id = "sigmoid", en = "Sigmoid", ko = "시그모이드" }, { id = "relu", en = "ReLU", ko = "ReLU" }]

[[steps]]
id = "train"
title = { en = "Train", ko = "학습" }
text = { en = "Train it.", ko = "학습하세요." }
[steps.activity]
kind = "run"
preset = "vanishing-sigmoid"
config = { epochs = 1, train_subset = 400, depth = 2, width = 32, log_every = 2 }
arms = [{ id = "sigmoid", en = "Sigmoid", ko = "시그모이드", config = { activation = "sigmoid" } },
        { id = "relu", en = "ReLU", ko = "ReLU", config = { activation = "relu" }, reported = 0.9 }]

[[steps]]
id = "answer"
title = { en = "Answer", ko = "답" }
text = { en = "Here it is.", ko = "여기 있습니다." }
[steps.activity]
kind = "reveal"
predict = "guess"
run = "train"
"""


class InProcess:
    """An executor that trains a submitted run at once, in this process (as the CLI does), on real MNIST."""

    name = "cli"

    def __init__(self, store: Store, data):
        self.store, self.data, self.submitted = store, data, []

    def submit(self, run_id: str) -> None:
        """Train the run to its end."""
        self.submitted.append(run_id)
        execute_run(self.store, run_id, data=self.data, executor="cli")


@pytest.fixture
def small(tmp_path):
    """The small lesson, in a folder of its own."""
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "small.toml").write_text(SMALL, encoding="utf-8")
    return load_lessons(folder).lessons["small"]


@pytest.fixture
def store(store_url):
    """A fresh store (SQLite and PostgreSQL)."""
    s = Store(store_url)
    yield s
    s.engine.dispose()


def a_class(store: Store, n: int = 3) -> tuple[C.ClassRow, str]:
    """A class with n students (OWNERS, joined in order)."""
    klass, key = C.create_class(store, "7B")
    for i, owner in enumerate(OWNERS[:n]):
        C.join(store, klass.code, owner, f"S{i}")
        time.sleep(0.002)  # distinct join times: the split's order
    return klass, key


# --- lesson files ------------------------------------------------------------------------------------
def test_the_seed_lesson_is_the_relu_lesson_in_both_languages():
    catalogue = load_lessons(ROOT / "lessons")
    assert catalogue.errors == ()
    lesson = catalogue.lessons["relu"]
    kinds = [(s.id, s.kind, s.show.kind if s.show else None) for s in lesson.steps]
    assert kinds == [("forward-backward", "predict", "diagram"), ("sigmoid-slope", "predict", "activations"),
                     ("vanishing", None, "chain"), ("relu-predict", "predict", "activations"),
                     ("relu-run", "run", None), ("relu-reveal", "reveal", None), ("optimizers", "predict", "race"),
                     ("mnist-run", "run", "presets"), ("mnist-reveal", "reveal", None)]
    for step in lesson.steps:
        assert step.title("en") != step.title("ko") or step.title("en") == "ReLU"
        assert step.text("en") and step.text("ko") and step.text("en") != step.text("ko")
    deep, mnist = lesson.step("relu-run").activity, lesson.step("mnist-run").activity
    assert [(a.id, a.config.activation, a.config.depth, a.config.epochs) for a in deep.arms] == \
        [("sigmoid", "sigmoid", 6, 1), ("relu", "relu", 6, 1)] and deep.group_by == "activation"
    assert [(a.id, a.config.depth, a.reported) for a in mnist.arms] == [("softmax", 0, 0.89), ("relu-net", 2, 0.949)]
    assert mnist.group_by == "depth" and lesson.step("optimizers").activity.answer == "race"


def test_the_chain_stacks_for_a_students_narrow_screen():
    from lab.figures.activations import ChainResult, chain_figure

    layers = ["fc1", "fc2", "out"]
    res = [ChainResult("sigmoid", layers, np.array([1e-3, 1e-1, 1.0]), np.array([1e-3, 1e-1, 1.0]),
                       np.array([2e-3, 1e-1, 1.0]), np.array([1.0, 1.0, 1.0]))]
    wide = chain_figure(res, "en").to_dict()["layout"]
    narrow = chain_figure(res, "en", stacked=True).to_dict()["layout"]
    assert wide["xaxis2"]["domain"][0] > wide["xaxis"]["domain"][1]  # side by side
    assert narrow["yaxis2"]["domain"][1] < narrow["yaxis"]["domain"][0]  # one above the other
    assert narrow["xaxis"]["domain"] == narrow["xaxis2"]["domain"] == [0.0, 1.0]


def test_the_race_names_without_torch_are_the_race_itself():
    assert tuple(SURFACES) == SURFACE_KEYS and set(RACERS) == set(RACER_ORDER)


def broken(tmp_path: Path, old: str, new: str, text: str = SMALL) -> LessonFileError:
    """The error of the small lesson with one piece of text replaced (the replacement must happen)."""
    assert old in text, old
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(LessonFileError) as caught:
        read_lesson(path)
    return caught.value


BROKEN = [  # (what is replaced, by what, the English message after "Lesson file <path>")
    ('title.ko = "작은 강의"\n', "", ", field title.ko: this field is missing"),
    ('format = 1', 'format = 2', ", field format: format = 2, but this ReLU Lab reads format 1"),
    ('id = "small"', 'id = "Small Lesson"', ", field id: “Small Lesson” is not an id: use 1 to 40 lowercase "
                                            "letters, digits and dashes"),
    ('title = { en = "Train", ko = "학습" }', 'title = { en = "Train", ko = "" }',
     ", step 2 (train), field title.ko: the text is empty"),
    ('title = { en = "Guess", ko = "예측" }', 'title = "Guess"',
     ", step 1 (guess), field title: expected a table, found a text"),
    ('kind = "activations"', 'kind = "animation"',
     ", step 1 (guess), field show.kind: “animation” is not one of: diagram, activations, chain, race, presets"),
    ('activations = ["sigmoid", "relu"]', 'activations = ["sigmoid", "relus"]',
     ", step 1 (guess), field show.activations[2]: “relus” is not one of: sigmoid, tanh, relu, leaky_relu, elu, "
     "gelu, silu"),
    ('choices = [{ id = "sigmoid", en = "Sigmoid", ko = "시그모이드" }, ', 'choices = [',
     ", step 1 (guess), field activity.choices: expected 2 to 6 items, found 1"),
    ('{ id = "relu", en = "ReLU", ko = "ReLU" }]\n', '{ id = "sigmoid", en = "ReLU", ko = "ReLU" }]\n',
     ", step 1 (guess), field activity.choices: “sigmoid” is used twice"),
    ('kind = "predict"\n', 'kind = "predict"\nanswer = "tanh"\n',
     ", step 1 (guess), field activity.answer: “tanh” is not one of: sigmoid, relu"),
    ('kind = "predict"\n', 'kind = "predict"\nanswer = "race"\n',
     ", step 1 (guess), field activity.answer: answer = \"race\" needs a race shown on this step, with every "
     "choice's id one of its racers"),
    ('epochs = 1,', 'epochs = 0,', ", step 2 (train), field activity.config: not a training config ReLU Lab can "
                                   "run: epochs=0: must be between 1 and 100"),
    ('config = { activation = "sigmoid" }', 'config = { activaton = "sigmoid" }',
     ", step 2 (train), field activity.arms[1].config.activaton: unknown field (expected one of: activation, "),
    ('reported = 0.9', 'reported = 90', ", step 2 (train), field activity.arms[2].reported: 90 is not between 0.0 "
                                       "and 1.0"),
    ('kind = "run"\n', 'kind = "run"\nquestion = { en = "?", ko = "?" }\n',
     ", step 2 (train), field activity.question: a run activity has no such field (it has: kind, preset, config, "
     "arms)"),
    ('run = "train"', 'run = "guess"', ", step 3 (answer), field activity.run: “guess” is not the id of an earlier "
                                       "run step"),
    ('id = "answer"', 'id = "train"', ", step 3 (train), field id: “train” is used twice"),
    ('[[steps]]\nid = "answer"', '[[steps]]\nid = "answer"\ncolour = "red"',
     ", step 3 (answer), field colour: unknown field (expected one of: id, title, text, show, activity)"),
]


@pytest.mark.parametrize(("old", "new", "message"), BROKEN, ids=[m[2].split(": ")[0][2:] + "/" + str(i)
                                                                  for i, m in enumerate(BROKEN)])
def test_a_broken_lesson_file_says_which_file_step_and_field(tmp_path, old, new, message):
    error = broken(tmp_path, old, new)
    assert error.message("en").startswith(f"Lesson file {tmp_path / 'broken.toml'}{message}"), error.message("en")
    korean = error.message("ko")
    assert korean.startswith(f"강의 파일 {tmp_path / 'broken.toml'}") and korean != error.message("en")
    if "step" in message:
        assert f"{error.step[0]}단계 ({error.step[1]})" in korean


def test_a_file_that_is_not_toml_names_the_line(tmp_path):
    error = broken(tmp_path, 'id = "small"', 'id = "small')
    assert error.message("en").startswith(f"Lesson file {tmp_path / 'broken.toml'}: it is not valid TOML: ")
    assert "line 3" in error.message("en") and "올바른 TOML이 아닙니다" in error.message("ko")


def test_the_folder_keeps_good_lessons_reports_bad_ones_and_rereads_an_edited_file(tmp_path):
    folder = tmp_path / "lessons"
    folder.mkdir()
    assert [e.key for e in load_lessons(folder).errors] == ["lesson.err.none"]
    (folder / "a.toml").write_text(SMALL, encoding="utf-8")
    (folder / "b.toml").write_text(SMALL, encoding="utf-8")  # the same id again
    (folder / "c.toml").write_text(SMALL.replace('format = 1', 'format = "one"'), encoding="utf-8")
    catalogue = load_lessons(folder)
    assert list(catalogue.lessons) == ["small"] and catalogue.lessons["small"].path == folder / "a.toml"
    messages = [e.message("en") for e in catalogue.errors]
    assert messages == [f"Lesson file {folder / 'b.toml'}, field id: the lesson id “small” is already used by "
                        f"{folder / 'a.toml'}",
                        f"Lesson file {folder / 'c.toml'}, field format: format = one, but this ReLU Lab reads "
                        "format 1"]
    (folder / "a.toml").write_text(SMALL.replace('title.en = "Small"', 'title.en = "Smaller lesson"'), "utf-8")
    os.utime(folder / "a.toml", ns=(time.time_ns(), time.time_ns() + 10**9))  # a later mtime, whatever the clock
    assert load_lessons(folder).lessons["small"].title("en") == "Smaller lesson"


# --- the lesson's state in the store ---------------------------------------------------------------------
def test_the_step_lives_in_the_store_for_every_tab_server_and_restart(store, small):
    klass, key = a_class(store)
    assert LS.current(store, klass.id) is None and not LS.locked(store, OWNERS[0])
    state = LS.start(store, klass.id, key, small)
    assert (state.step, state.step_id, state.live, state.unlocked) == (0, "guess", True, False)
    assert LS.locked(store, OWNERS[0]) and not LS.locked(store, "someone-else-entirely")
    LS.go(store, klass.id, key, small, shown="guess", to=1)
    # A second teacher tab that still showed "guess" presses Next too: the class moves one step, not two.
    assert LS.go(store, klass.id, key, small, shown="guess", to=1).step_id == "train"
    other = Store(store.url)  # another server process on the same store
    assert LS.current(other, klass.id).step_id == "train"
    LS.reveal(other, klass.id, key, "train")
    LS.unlock(other, klass.id, key, True)
    other.engine.dispose()
    store.engine.dispose()  # a restart: nothing kept in memory
    again = Store(store.url)
    now = LS.current(again, klass.id)
    assert (now.step, now.step_id, now.revealed, now.unlocked) == (1, "train", frozenset({"train"}), True)
    assert not LS.locked(again, OWNERS[1])  # exploration unlocked
    assert LS.reveal(again, klass.id, key, "train", shown=False).revealed == frozenset()
    assert LS.go(again, klass.id, key, small, shown="train", to=99).step_id == "answer"  # clamped to the last
    LS.end(again, klass.id, key)
    assert not LS.current(again, klass.id).live and not LS.locked(again, OWNERS[0])
    resumed = LS.start(again, klass.id, key, small)  # the same lesson again: it resumes where it stood
    assert resumed.live and resumed.step_id == "answer" and resumed.started == now.started
    again.engine.dispose()


def test_a_store_made_before_lesson_mode_gets_its_tables_and_keeps_its_own(tmp_path, small):
    from sqlalchemy import inspect, text

    from lab.runs import schema as S

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    old = Store(url)
    klass, key = a_class(old, 1)
    with old.tx() as conn:
        for table in (S.lessons, S.votes, S.lesson_runs):
            conn.execute(text(f"DROP TABLE {table.name}"))
        version = conn.execute(select_version()).scalar_one()
    old.engine.dispose()
    store = Store(url)
    assert {S.lessons.name, S.votes.name, S.lesson_runs.name} <= set(inspect(store.engine).get_table_names())
    assert C.membership(store, OWNERS[0]).nickname == "S0" and version == str(S.SCHEMA_VERSION)
    assert LS.start(store, klass.id, key, small).step_id == "guess"
    store.engine.dispose()


def select_version():
    """The stored schema version."""
    from sqlalchemy import select

    from lab.runs import schema as S

    return select(S.meta.c.value).where(S.meta.c.key == "schema_version")


def test_only_the_teacher_key_moves_the_lesson(store, small):
    klass, key = a_class(store)
    other, other_key = C.create_class(store, "8A")
    LS.start(store, klass.id, key, small)
    for action in (lambda k: LS.go(store, klass.id, k, small, "guess", 1), lambda k: LS.reveal(store, klass.id, k, "x"),
                   lambda k: LS.unlock(store, klass.id, k, True), lambda k: LS.end(store, klass.id, k),
                   lambda k: LS.start(store, klass.id, k, small)):
        for wrong in (other_key, klass.code, "", "x" * 30):
            with pytest.raises(C.ClassError) as caught:
                action(wrong)
            assert caught.value.key == "class.err.key"
    assert LS.current(store, klass.id).step_id == "guess"


def test_a_prediction_counts_once_per_student(store, small):
    klass, key = a_class(store, 3)
    LS.start(store, klass.id, key, small)
    guess = small.step("guess")
    LS.vote(store, klass.id, OWNERS[0], small, guess, "relu")
    LS.vote(store, klass.id, OWNERS[1], small, guess, "sigmoid")
    LS.vote(store, klass.id, OWNERS[1], small, guess, "relu")  # changed their mind: replaces
    LS.vote(store, klass.id, OWNERS[2], small, guess, "sigmoid")
    assert LS.tally(store, klass.id, "small", guess) == {"sigmoid": 1, "relu": 2}
    assert LS.my_vote(store, klass.id, "small", "guess", OWNERS[1]) == "relu"
    for owner, choice, why in ((OWNERS[0], "tanh", "lesson.err.bad_choice"),
                               ("not-a-member-token-123", "relu", "lesson.err.not_member")):
        with pytest.raises(LS.LessonError) as caught:
            LS.vote(store, klass.id, owner, small, guess, choice)
        assert caught.value.key == why
    LS.reveal(store, klass.id, key, "guess")
    with pytest.raises(LS.LessonError) as caught:
        LS.vote(store, klass.id, OWNERS[2], small, guess, "relu")
    assert caught.value.key == "lesson.err.vote_closed"
    LS.go(store, klass.id, key, small, "guess", 1)
    with pytest.raises(LS.LessonError) as caught:  # a page still showing the old step
        LS.vote(store, klass.id, OWNERS[0], small, guess, "sigmoid")
    assert caught.value.key == "lesson.err.moved"
    assert LS.tally(store, klass.id, "small", guess) == {"sigmoid": 1, "relu": 2}
    assert sorted((v["nickname"], v["choice"]) for v in LS.votes_of(store, klass.id, "small")) == \
        [("S0", "relu"), ("S1", "relu"), ("S2", "sigmoid")]


def test_the_class_is_split_by_join_order_and_a_late_joiner_takes_the_next_place(store, small):
    klass, key = a_class(store, 3)
    step = small.step("train")
    got = [X.assignment(store, klass.id, o, step) for o in OWNERS[:3]]
    assert [(a.arm.id, a.config.activation, a.config.seed) for a in got] == \
        [("sigmoid", "sigmoid", 777), ("relu", "relu", 777), ("sigmoid", "sigmoid", 778)]
    C.join(store, klass.code, OWNERS[3], "Late")
    late = X.assignment(store, klass.id, OWNERS[3], step)
    assert (late.arm.id, late.config.seed) == ("relu", 778)
    assert [X.assignment(store, klass.id, o, step).arm.id for o in OWNERS[:3]] == ["sigmoid", "relu", "sigmoid"]
    assert X.assignment(store, klass.id, "not-in-the-class-000", step) is None
    assert len({(a.config.activation, a.config.seed) for a in [*got, late]}) == 4  # every run differs


# --- real lesson runs, the reveal and the record ---------------------------------------------------------------
def test_lesson_runs_train_as_class_runs_and_the_reveal_shows_votes_and_accuracies(tmp_path, small, mnist):
    store = Store(f"sqlite:///{tmp_path / 'runs.sqlite3'}")
    klass, key = a_class(store, 3)
    executor = InProcess(store, mnist)
    LS.start(store, klass.id, key, small)
    for owner, choice in zip(OWNERS, ("relu", "relu", "sigmoid"), strict=False):
        LS.vote(store, klass.id, owner, small, small.step("guess"), choice)
    train = small.step("train")
    with pytest.raises(LS.LessonError):  # not the class's step yet
        X.start_run(store, executor, klass.id, OWNERS[0], small, train)
    LS.go(store, klass.id, key, small, "guess", 1)
    runs = [X.start_run(store, executor, klass.id, o, small, train) for o in OWNERS[:3]]
    again = X.start_run(store, executor, klass.id, OWNERS[0], small, train)  # a second press: the same run
    assert again.id == runs[0].id and len(executor.submitted) == 3
    stored = [store.get_run(r.id) for r in runs]
    assert [r.status for r in stored] == ["finished"] * 3, [r.message for r in stored]
    assert [(r.class_id, r.nickname, r.config.activation, r.config.seed) for r in stored] == \
        [(klass.id, "S0", "sigmoid", 777), (klass.id, "S1", "relu", 777), (klass.id, "S2", "sigmoid", 778)]
    assert [r.id for r in store.list_runs(owner=OWNERS[0])] == [runs[0].id]  # an ordinary run of its owner
    accs = {"sigmoid": sorted(r.test_acc for r in stored if r.config.activation == "sigmoid"),
            "relu": [stored[1].test_acc]}
    assert {k: sorted(v) for k, v in X.measured(store, klass.id, "small", train).items()} == accs
    LS.go(store, klass.id, key, small, "train", 2)
    data = R.reveal_data(store, klass.id, small, small.step("answer"), "ko")
    assert data.labels == ["시그모이드", "ReLU"] and data.votes == [1, 2] and data.reported == [None, 0.9]
    assert [sorted(m) for m in data.measured] == [accs["sigmoid"], accs["relu"]] and data.runs == 3
    for stacked in (False, True):
        figure = reveal_figure(data, "ko", stacked).to_dict()
        traces = {d.get("name"): d for d in figure["data"]}
        assert list(traces["우리의 예측"]["x"]) == [1, 2]
        assert sorted(traces["각 실행"]["x"]) == sorted(accs["sigmoid"] + accs["relu"])
        assert figure["layout"]["meta"] == "lesson-reveal"
    assert list(votes_figure(["a", "b"], [3, 1], 0, "en").to_dict()["data"][0]["x"]) == [3, 1]

    record = json.loads(R.export_json(store, klass, small))
    assert record["lesson"] == "small" and record["step"] == "answer"
    kinds = [(r["step"], r["kind"], r["nickname"], r.get("choice") or r.get("arm")) for r in record["rows"]]
    assert kinds == [("guess", "predict", "S0", "relu"), ("guess", "predict", "S1", "relu"),
                     ("guess", "predict", "S2", "sigmoid"), ("train", "run", "S0", "sigmoid"),
                     ("train", "run", "S1", "relu"), ("train", "run", "S2", "sigmoid")]
    rows = list(csv.DictReader(io.StringIO(R.export_csv(store, klass, small))))
    assert [(r["kind"], r["nickname"], r["activation"]) for r in rows][3:] == \
        [("run", "S0", "sigmoid"), ("run", "S1", "relu"), ("run", "S2", "sigmoid")]
    assert float(rows[4]["test_acc"]) == pytest.approx(stored[1].test_acc)
    store.engine.dispose()


# --- the pages through AppTest -------------------------------------------------------------------------------
def lesson_page(url: str, owner: str, lang: str = "en") -> AppTest:
    """The Lesson page as this student sees it."""
    at = AppTest.from_file(str(ROOT / "views" / "lesson.py"), default_timeout=120)
    at.session_state["owner"], at.session_state["lang"] = owner, lang
    return at.run()


def board_page(url: str, key: str, lang: str = "en") -> AppTest:
    """The class board (a teacher tab) for this key."""
    at = AppTest.from_file(str(ROOT / "views" / "classroom.py"), default_timeout=120)
    at.session_state["lang"] = lang
    at.query_params["teacher"] = key
    return at.run()


def test_pages_a_student_waits_follows_and_votes_and_two_teacher_tabs_agree(tmp_path, monkeypatch, small):
    url = f"sqlite:///{tmp_path / 'runs.sqlite3'}"
    monkeypatch.setenv("RELULAB_DB", url)
    monkeypatch.setenv("RELULAB_LESSONS", str(small.path.parent))
    store = Store(url)
    at = lesson_page(url, OWNERS[0])
    assert [i.value for i in at.info] == ["Join your class first: open the link or the QR code your teacher shows, "
                                          "or type the class code on the Class page."]
    klass, key = a_class(store, 2)
    at = lesson_page(url, OWNERS[0], "ko")
    assert at.info[0].value.startswith("선생님이 아직 강의를 시작하지 않았습니다")
    first, second = board_page(url, key), board_page(url, key)  # two teacher tabs
    first.button(key="lesson_start_button").click().run()
    assert not first.exception and first.header[0].value == "Guess"
    second.run()  # a refresh of the other tab
    assert second.header[0].value == "Guess"
    at = lesson_page(url, OWNERS[0])
    assert at.header[0].value == "Guess" and at.caption[0].value.startswith("Class 7B · you are S0 · Step 1 of 3")
    at.button(key="vote_guess_relu").click().run()
    at.button(key="vote_guess_sigmoid").click().run()  # a second vote replaces the first
    assert LS.tally(store, klass.id, "small", small.step("guess")) == {"sigmoid": 1, "relu": 0}
    assert any(s.value.startswith("Your prediction: **Sigmoid**") for s in at.success)
    first.button(key="lesson_next").click().run()
    second.button(key="lesson_next").click().run()  # pressed on the stale tab: still one step
    assert LS.current(store, klass.id).step_id == "train"
    assert first.run().header[0].value == second.header[0].value == "Train"
    at = lesson_page(url, OWNERS[1], "ko")  # another student, in Korean: lands on the current step
    assert at.header[0].value == "학습" and "시그모이드 6층" not in at.markdown[0].value
    assert any("내가 학습할 것: **ReLU**" == m.value for m in at.markdown)
    store.engine.dispose()


def test_the_app_takes_a_student_of_a_locked_lesson_to_it(tmp_path, monkeypatch, small):
    url = f"sqlite:///{tmp_path / 'runs.sqlite3'}"
    monkeypatch.setenv("RELULAB_DB", url)
    monkeypatch.setenv("RELULAB_LESSONS", str(small.path.parent))
    store = Store(url)
    klass, key = a_class(store, 1)
    LS.start(store, klass.id, key, small)

    def opened(page: str) -> AppTest:
        """The app opened at a page by this student."""
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.session_state["owner"] = OWNERS[0]
        at.run()
        return at.switch_page(f"views/{page}.py").run()

    at = opened("activations")
    assert not at.exception and at.header[0].value == "Guess"  # taken to the lesson
    assert opened("classroom").title[0].value == t("class.title", "en")  # the Class page stays open
    LS.unlock(store, klass.id, key, True)
    at = opened("activations")
    assert at.title[0].value == t("act.title", "en")
    store.engine.dispose()
