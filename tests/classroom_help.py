"""Shared pieces of the class and lesson tests: a fresh store (SQLite and PostgreSQL), a class with students,
a run of a class member with logged losses, and the small lesson (a prediction, a run of two arms, the reveal)."""

from __future__ import annotations

import time

import pytest

from lab.classroom import classes as C
from lab.engine.config import RunConfig
from lab.engine.events import EpochEnded, RunEnded, RunStarted, StepsLogged
from lab.lesson_mode.loader import load_lessons
from lab.runs.store import Store

TINY = RunConfig(depth=1, width=16, epochs=1, train_subset=500)
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


@pytest.fixture(name="store")
def store_fixture(store_url):
    """A fresh store (SQLite and PostgreSQL)."""
    s = Store(store_url)
    yield s
    s.engine.dispose()


@pytest.fixture(name="small")
def small_lesson(tmp_path):
    """The small lesson, in a folder of its own."""
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "small.toml").write_text(SMALL, encoding="utf-8")
    return load_lessons(folder).lessons["small"]


def a_class(store: Store, n: int = 3) -> tuple[C.ClassRow, str]:
    """A class with n students (OWNERS, joined in order)."""
    klass, key = C.create_class(store, "7B")
    for i, owner in enumerate(OWNERS[:n]):
        C.join(store, klass.code, owner, f"S{i}")
        time.sleep(0.002)  # distinct join times: the split's order
    return klass, key


def trained(store: Store, owner: str, member: C.Membership, config: RunConfig, losses: list[float],
            test_acc: float | None = None, grads=(0.5, 1.0), status: str = "finished") -> str:
    """A run of a class member with logged losses (and an epoch and an end if test_acc is given)."""
    run = store.create_run(config, owner, **member.run_args())
    store.claim(run_id=run.id)  # as a worker does: it is training
    steps = [1 + 10 * i for i in range(len(losses))]
    store.append_events(run.id, [RunStarted(config.to_dict(), "cpu", "", [], [], 600, 600),
                                 StepsLogged(steps, losses, [list(grads)] * len(losses))])
    if test_acc is not None:
        store.append_events(run.id, [EpochEnded(1, losses[-1], test_acc, test_acc, 2.0)])
        store.finish(run.id, RunEnded(status, "done", steps[-1], losses[-1], 2.0))
    return run.id
