"""Where each class's lesson stands, in the run store, and the class's predictions.

One row per class in relulab_lessons: the lesson, its step (index and id), the steps revealed, free
exploration unlocked or not. Only the teacher key moves it; every page reads it from the store, so a
refresh, a second teacher tab, another server or a restart all find the same step. Predictions are
relulab_votes rows, one per student and step: a second vote replaces the first.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update

from lab.classroom.classes import board_for
from lab.classroom.text import ClassError
from lab.lesson_mode.lesson import Lesson, Step
from lab.runs import schema as S
from lab.runs.store import Store, StoreError


class LessonError(ClassError):
    """A lesson action that is not allowed now; key names the message in lab/i18n/lesson_mode.py."""


@dataclass(frozen=True)
class LessonState:
    """One class's lesson as stored."""

    class_id: str
    lesson_id: str
    step: int
    step_id: str
    revealed: frozenset[str]
    unlocked: bool
    started: float
    updated: float
    ended: float | None

    @property
    def live(self) -> bool:
        """The lesson is going on (not ended)."""
        return self.ended is None

    def position(self, lesson: Lesson) -> int:
        """The step's index in this lesson: by its id, else (the file changed) the stored index, clamped."""
        found = lesson.index(self.step_id)
        return found if found is not None else max(0, min(self.step, len(lesson.steps) - 1))

    def signature(self, lesson: Lesson | None = None) -> tuple:
        """What a page draws from: when it changes, the page is drawn again."""
        step_id = lesson.steps[self.position(lesson)].id if lesson else self.step_id
        return self.lesson_id, step_id, step_id in self.revealed, self.unlocked, self.live


def _state(row) -> LessonState:
    """A LessonState from a lessons-table mapping."""
    try:
        revealed = frozenset(str(s) for s in json.loads(row["revealed"] or "[]"))
    except (ValueError, TypeError):
        revealed = frozenset()
    return LessonState(row["class_id"], row["lesson_id"], row["step"], row["step_id"], revealed,
                       bool(row["unlocked"]), row["started"], row["updated"], row["ended"])


def _teacher(store: Store, class_id: str, key: str) -> None:
    """ClassError('class.err.key') unless key is this class's teacher key."""
    if board_for(store, key).id != class_id:
        raise ClassError("class.err.key")


def current(store: Store, class_id: str) -> LessonState | None:
    """The class's lesson (live or ended), or None."""
    with store.tx() as conn:
        row = conn.execute(select(S.lessons).where(S.lessons.c.class_id == class_id)).mappings().first()
    return _state(row) if row else None


def start(store: Store, class_id: str, key: str, lesson: Lesson) -> LessonState:
    """Start the lesson in the class, or resume it where it stood if the class had it before."""
    _teacher(store, class_id, key)
    now = time.time()
    with store.tx() as conn:
        row = conn.execute(select(S.lessons).where(S.lessons.c.class_id == class_id)).mappings().first()
        if row is not None and row["lesson_id"] == lesson.id:
            conn.execute(update(S.lessons).where(S.lessons.c.class_id == class_id).values(ended=None, updated=now))
        else:
            conn.execute(delete(S.lessons).where(S.lessons.c.class_id == class_id))
            conn.execute(insert(S.lessons).values(class_id=class_id, lesson_id=lesson.id, step=0,
                                                  step_id=lesson.steps[0].id, revealed="[]", unlocked=False,
                                                  started=now, updated=now, ended=None))
    return current(store, class_id)


def go(store: Store, class_id: str, key: str, lesson: Lesson, shown: str, to: int) -> LessonState:
    """Move the class from the step this page showed to step index `to` (a stale page moves nothing)."""
    # Two teacher tabs pressing Next at once move the class one step, not two: the update needs `shown`.
    _teacher(store, class_id, key)
    to = max(0, min(to, len(lesson.steps) - 1))
    with store.tx() as conn:
        conn.execute(update(S.lessons).where(S.lessons.c.class_id == class_id, S.lessons.c.lesson_id == lesson.id,
                                             S.lessons.c.step_id == shown, S.lessons.c.ended.is_(None)).values(
            step=to, step_id=lesson.steps[to].id, updated=time.time()))
    return current(store, class_id)


def reveal(store: Store, class_id: str, key: str, step_id: str, shown: bool = True) -> LessonState:
    """Show (or hide again) what the step keeps from students: its votes, the class's runs, the race."""
    _teacher(store, class_id, key)
    with store.tx() as conn:
        row = conn.execute(select(S.lessons.c.revealed).where(S.lessons.c.class_id == class_id)
                           .with_for_update()).first()
        if row is None:
            raise LessonError("lesson.err.none_live")
        done = set(json.loads(row.revealed or "[]"))
        done = done | {step_id} if shown else done - {step_id}
        conn.execute(update(S.lessons).where(S.lessons.c.class_id == class_id).values(
            revealed=json.dumps(sorted(done)), updated=time.time()))
    return current(store, class_id)


def unlock(store: Store, class_id: str, key: str, unlocked: bool) -> LessonState:
    """Let the students explore every page freely (or bring them back to the lesson)."""
    _teacher(store, class_id, key)
    with store.tx() as conn:
        conn.execute(update(S.lessons).where(S.lessons.c.class_id == class_id).values(
            unlocked=unlocked, updated=time.time()))
    return current(store, class_id)


def end(store: Store, class_id: str, key: str) -> LessonState | None:
    """End the lesson: students are free; its votes and runs stay for the export (start resumes it)."""
    _teacher(store, class_id, key)
    with store.tx() as conn:
        conn.execute(update(S.lessons).where(S.lessons.c.class_id == class_id).values(
            ended=time.time(), updated=time.time()))
    return current(store, class_id)


def member_class(store: Store, owner: str | None) -> tuple[str, str] | None:
    """(class id, nickname) of the class this browser joined last, or None."""
    if not owner:
        return None
    with store.tx() as conn:
        row = conn.execute(select(S.members.c.class_id, S.members.c.nickname).where(S.members.c.owner == owner)
                           .order_by(S.members.c.joined.desc()).limit(1)).first()
    return (row.class_id, row.nickname) if row else None


def locked(store: Store, owner: str | None) -> bool:
    """This browser's class has a live lesson that keeps its students on the lesson page."""
    mine = member_class(store, owner)
    if mine is None:
        return False
    with store.tx() as conn:
        row = conn.execute(select(S.lessons.c.unlocked, S.lessons.c.ended).where(
            S.lessons.c.class_id == mine[0])).first()
    return row is not None and row.ended is None and not row.unlocked


def vote(store: Store, class_id: str, owner: str, lesson: Lesson, step: Step, choice: str) -> None:
    """Record a student's prediction for the step now shown (a second vote replaces the first)."""
    now = current(store, class_id)
    if now is None or not now.live or now.lesson_id != lesson.id or lesson.steps[now.position(lesson)].id != step.id:
        raise LessonError("lesson.err.moved")
    if step.id in now.revealed:
        raise LessonError("lesson.err.vote_closed")
    if step.kind != "predict" or step.activity.choice(choice) is None:
        raise LessonError("lesson.err.bad_choice")
    keys = dict(class_id=class_id, lesson_id=lesson.id, step_id=step.id, owner=owner)
    mine = [S.votes.c[k] == v for k, v in keys.items()]
    for attempt in range(2):  # the same student's two tabs voting at once: one inserts, the other updates
        try:
            with store.tx() as conn:
                if conn.execute(select(S.members.c.owner).where(S.members.c.class_id == class_id,
                                                                S.members.c.owner == owner)).first() is None:
                    raise LessonError("lesson.err.not_member")
                if not conn.execute(update(S.votes).where(*mine).values(choice=choice, at=time.time())).rowcount:
                    conn.execute(insert(S.votes).values(**keys, choice=choice, at=time.time()))
            return
        except StoreError:
            if attempt:
                raise


def my_vote(store: Store, class_id: str, lesson_id: str, step_id: str, owner: str) -> str | None:
    """This student's choice for the step, or None."""
    with store.tx() as conn:
        return conn.execute(select(S.votes.c.choice).where(
            S.votes.c.class_id == class_id, S.votes.c.lesson_id == lesson_id, S.votes.c.step_id == step_id,
            S.votes.c.owner == owner)).scalar()


def tally(store: Store, class_id: str, lesson_id: str, step: Step) -> dict[str, int]:
    """Votes per choice id (every choice, in the file's order), counted by the store."""
    with store.tx() as conn:
        counts = dict(conn.execute(select(S.votes.c.choice, func.count()).where(
            S.votes.c.class_id == class_id, S.votes.c.lesson_id == lesson_id, S.votes.c.step_id == step.id)
            .group_by(S.votes.c.choice)).all())
    return {c.id: int(counts.get(c.id, 0)) for c in step.activity.choices}


def class_size(store: Store, class_id: str) -> int:
    """How many students are in the class."""
    with store.tx() as conn:
        return int(conn.execute(select(func.count()).where(S.members.c.class_id == class_id)).scalar_one())


def votes_of(store: Store, class_id: str, lesson_id: str) -> list[dict]:
    """Every prediction of the lesson: step id, nickname, choice, when (for the export)."""
    query = (select(S.votes.c.step_id, S.votes.c.choice, S.votes.c.at, S.members.c.nickname)
             .join(S.members, (S.members.c.class_id == S.votes.c.class_id) & (S.members.c.owner == S.votes.c.owner),
                   isouter=True)
             .where(S.votes.c.class_id == class_id, S.votes.c.lesson_id == lesson_id).order_by(S.votes.c.at))
    with store.tx() as conn:
        return [{"step": r.step_id, "nickname": r.nickname or "?", "choice": r.choice, "at": r.at}
                for r in conn.execute(query).all()]
