"""Lesson mode's lesson files without a browser: the seed lesson in both languages (and the figures its steps
show on a narrow screen), broken lesson files and the messages that name their file, step and field, a file
that is not TOML, and a lessons folder that keeps its good lessons, reports the bad ones and rereads an edit."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from lab.lesson_mode.loader import LessonFileError, load_lessons, read_lesson
from lab.lessons.race import RACERS, SURFACES
from lab.lessons.race_names import RACER_ORDER, SURFACE_KEYS
from tests.classroom_help import SMALL

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "lessons" / "relu.toml"


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
