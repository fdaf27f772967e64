"""The Run activity: which arm each student trains, with which seed, and the lesson's runs in the store.

The split is a stable rule over the members: in the order they joined (then by owner token), member
i trains arm i mod (number of arms) with seed config.seed + i // (number of arms). So a class of two
arms is split in half, each pair of classmates shares a seed (the same first weights and batches, only
the arm differs) and every pair has its own: runs differ. A late joiner takes the next place and
nobody else's arm changes. Lesson runs are ordinary runs (history, Draw, permanent links, the board)
carrying the class and the nickname; relulab_lesson_runs says which step and arm each belongs to.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import insert, select, update

from lab.classroom import classes as C
from lab.engine.config import RunConfig
from lab.lesson_mode.lesson import Arm, Lesson, Step
from lab.lesson_mode.state import LessonError, current
from lab.runs import schema as S
from lab.runs.execute import Executor
from lab.runs.store import Store, StoredRun

RETRAIN = ("stopped", "failed", "interrupted")  # a lesson run that ended so may be trained again


@dataclass(frozen=True)
class Assignment:
    """What one student trains in a Run step."""

    arm: Arm
    place: int  # 0-based place among the members (join order)
    config: RunConfig


def members(store: Store, class_id: str) -> list[str]:
    """The class's owner tokens in the split's order: join time, then token."""
    with store.tx() as conn:
        rows = conn.execute(select(S.members.c.owner).where(S.members.c.class_id == class_id)
                            .order_by(S.members.c.joined, S.members.c.owner)).all()
    return [r.owner for r in rows]


def assign(step: Step, place: int) -> Assignment:
    """The arm and config of the member at this place (see the module's docstring)."""
    arms = step.activity.arms
    arm = arms[place % len(arms)]
    seed = (arm.config.seed + place // len(arms)) % 2**31
    return Assignment(arm, place, arm.config.replace(seed=seed))


def assignment(store: Store, class_id: str, owner: str, step: Step) -> Assignment | None:
    """This student's assignment in the step, or None if they are not in the class."""
    order = members(store, class_id)
    return assign(step, order.index(owner)) if owner in order else None


def lesson_run(store: Store, class_id: str, lesson_id: str, step_id: str, owner: str) -> tuple[str, StoredRun] | None:
    """(arm id, run) this student trained in the step, or None."""
    with store.tx() as conn:
        row = conn.execute(select(S.lesson_runs.c.arm, S.lesson_runs.c.run_id).where(
            S.lesson_runs.c.class_id == class_id, S.lesson_runs.c.lesson_id == lesson_id,
            S.lesson_runs.c.step_id == step_id, S.lesson_runs.c.owner == owner)).first()
    if row is None:
        return None
    run = store.get_run(row.run_id)
    return (row.arm, run) if run is not None else None


def start_run(store: Store, executor: Executor, class_id: str, owner: str, lesson: Lesson, step: Step) -> StoredRun:
    """Queue this student's run of the step (once: a run that is on or finished is returned as it is)."""
    now = current(store, class_id)
    if now is None or not now.live or now.lesson_id != lesson.id or lesson.steps[now.position(lesson)].id != step.id:
        raise LessonError("lesson.err.moved")
    if step.kind != "run":
        raise LessonError("lesson.err.bad_choice")
    mine = lesson_run(store, class_id, lesson.id, step.id, owner)
    if mine is not None and mine[1].status not in RETRAIN:
        return mine[1]
    given = assignment(store, class_id, owner, step)
    if given is None:
        raise LessonError("lesson.err.not_member")
    ok, why = C.can_start(store, class_id, owner)
    if not ok:
        raise C.ClassError(why)
    member = C.membership(store, owner)
    run = store.create_run(given.config, owner, executor=executor.name, class_id=class_id,
                           nickname=member.nickname if member else None)
    keys = dict(class_id=class_id, lesson_id=lesson.id, step_id=step.id, owner=owner)
    with store.tx() as conn:
        if mine is None:
            conn.execute(insert(S.lesson_runs).values(**keys, arm=given.arm.id, run_id=run.id, created=time.time()))
        else:
            conn.execute(update(S.lesson_runs).where(*(S.lesson_runs.c[k] == v for k, v in keys.items())).values(
                arm=given.arm.id, run_id=run.id, created=time.time()))
    executor.submit(run.id)
    return run


def step_runs(store: Store, class_id: str, lesson_id: str, step_id: str) -> list[tuple[str, StoredRun]]:
    """(arm id, run) of every student's run in the step, oldest first."""
    with store.tx() as conn:
        rows = conn.execute(select(S.lesson_runs.c.arm, S.lesson_runs.c.run_id).where(
            S.lesson_runs.c.class_id == class_id, S.lesson_runs.c.lesson_id == lesson_id,
            S.lesson_runs.c.step_id == step_id).order_by(S.lesson_runs.c.created)).all()
    runs = {r.id: r for r in store.list_runs(class_id=class_id)}
    return [(row.arm, runs[row.run_id]) for row in rows if row.run_id in runs]


def measured(store: Store, class_id: str, lesson_id: str, step: Step) -> dict[str, list[float]]:
    """The finished runs' test accuracies per arm id (every arm, in the file's order)."""
    out: dict[str, list[float]] = {a.id: [] for a in step.activity.arms}
    for arm, run in step_runs(store, class_id, lesson_id, step.id):
        if arm in out and run.status == "finished" and run.test_acc is not None:
            out[arm].append(float(run.test_acc))
    return out
