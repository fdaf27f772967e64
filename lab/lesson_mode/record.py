"""What the class predicted and measured: the Reveal's data, and the lesson's record for the teacher.

The record (CSV or JSON) has every prediction and every lesson run: step, nickname, choice, arm,
the run's id, config, status and test accuracy. Plain data; the figures are lab/figures/lesson.py.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from lab.classroom.classes import ClassRow
from lab.engine.events import finite
from lab.lesson_mode import experiment as X
from lab.lesson_mode import state as LS
from lab.lesson_mode.lesson import Lesson, Step
from lab.runs.store import Store


@dataclass(frozen=True)
class Reveal:
    """One chart's data: a category per choice (and per arm nobody could vote for), its votes and runs."""

    labels: list[str]
    votes: list[int | None]  # None: there was no prediction for this category
    measured: list[list[float]]  # the class's finished runs' test accuracies
    reported: list[float | None]  # the lesson's own figure, if the file gives one
    answer: int | None  # the category the file marks as the answer (predict steps only)
    voters: int
    runs: int  # all the step's runs, finished or not


def reveal_data(store: Store, class_id: str, lesson: Lesson, step: Step, lang: str) -> Reveal:
    """The Reveal of a reveal step (its predict and run steps), or of a predict or run step alone."""
    act = step.activity
    predict = lesson.step(act.predict) if act.kind == "reveal" and act.predict else (step if act.kind == "predict"
                                                                                     else None)
    run = lesson.step(act.run) if act.kind == "reveal" else (step if act.kind == "run" else None)
    counts = LS.tally(store, class_id, lesson.id, predict) if predict else {}
    got = X.measured(store, class_id, lesson.id, run) if run else {}
    cats: list[tuple[str, str]] = []  # (id, label)
    if predict:
        cats += [(c.id, c.label(lang)) for c in predict.activity.choices]
    if run:
        cats += [(a.id, a.label(lang)) for a in run.activity.arms if a.id not in dict(cats)]
    arms = {a.id: a for a in run.activity.arms} if run else {}
    answer = predict.activity.answer if predict and predict.activity.answer != "race" else None
    ids = [c for c, _ in cats]
    return Reveal(labels=[label for _, label in cats],
                  votes=[counts.get(c) if predict else None for c in ids],
                  measured=[got.get(c, []) for c in ids],
                  reported=[arms[c].reported if c in arms else None for c in ids],
                  answer=ids.index(answer) if answer in ids else None,
                  voters=sum(counts.values()),
                  runs=len(X.step_runs(store, class_id, lesson.id, run.id)) if run else 0)


def record_rows(store: Store, klass: ClassRow, lesson: Lesson) -> list[dict]:
    """One row per prediction and per lesson run, in the lesson's step order."""
    order = {s.id: i for i, s in enumerate(lesson.steps)}
    rows = [{"step": v["step"], "kind": "predict", "nickname": v["nickname"], "choice": v["choice"],
             "at": round(v["at"], 3)} for v in LS.votes_of(store, klass.id, lesson.id)]
    for step in (s for s in lesson.steps if s.kind == "run"):
        for arm, run in X.step_runs(store, klass.id, lesson.id, step.id):
            rows.append(finite({"step": step.id, "kind": "run", "nickname": run.nickname or "?", "arm": arm,
                                "run_id": run.id, "status": run.status, "test_acc": run.test_acc,
                                "final_loss": run.final_loss, "seconds": run.seconds, "config": run.config.to_dict()}))
    return sorted(rows, key=lambda r: (order.get(r["step"], len(order)), r["kind"], r["nickname"]))


def export_json(store: Store, klass: ClassRow, lesson: Lesson) -> str:
    """The lesson's record as JSON: the class, the lesson, where it stands, every prediction and run."""
    now = LS.current(store, klass.id)
    steps = [{"id": s.id, "kind": s.kind, "title": s.title.en} for s in lesson.steps]
    return json.dumps({"class": klass.name, "code": klass.code, "lesson": lesson.id, "steps": steps,
                       "step": now.step_id if now else None, "rows": record_rows(store, klass, lesson)},
                      indent=1, ensure_ascii=False)


CSV_FIELDS = ("step", "kind", "nickname", "choice", "arm", "run_id", "status", "test_acc", "final_loss", "seconds",
              "at", "activation", "depth", "optimizer", "lr", "epochs", "seed")


def export_csv(store: Store, klass: ClassRow, lesson: Lesson) -> str:
    """The lesson's record as CSV: one row per prediction or run (a run's main config fields as columns)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for row in record_rows(store, klass, lesson):
        config = row.pop("config", {})
        row.update({k: config.get(k) for k in ("activation", "depth", "optimizer", "lr", "epochs", "seed")})
        # A nickname starting with = + - @ would be a formula in a spreadsheet: quote it.
        writer.writerow({k: ("'" + v if isinstance(v, str) and v[:1] in "=+-@\t\r" else v) for k, v in row.items()})
    return out.getvalue()
