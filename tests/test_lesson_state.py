"""Lesson mode's state in a real store (SQLite and PostgreSQL) without a browser: the step kept for a refresh,
a second teacher tab, another server and a restart, a store made before lesson mode, only the teacher key
moving the lesson, predictions counted once per student, the class split, and real lesson runs on MNIST with
the reveal and the record."""

from __future__ import annotations

import csv
import io
import json

import pytest

from lab.classroom import classes as C
from lab.figures.lesson import reveal_figure, votes_figure
from lab.lesson_mode import experiment as X
from lab.lesson_mode import record as R
from lab.lesson_mode import state as LS
from lab.runs.execute import execute_run
from lab.runs.store import Store
from tests.classroom_help import OWNERS, a_class, small_lesson, store_fixture  # noqa: F401 - fixtures


class InProcess:
    """An executor that trains a submitted run at once, in this process (as the CLI does), on real MNIST."""

    name = "cli"

    def __init__(self, store: Store, data):
        self.store, self.data, self.submitted = store, data, []

    def submit(self, run_id: str) -> None:
        """Train the run to its end."""
        self.submitted.append(run_id)
        execute_run(self.store, run_id, data=self.data, executor="cli")


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
