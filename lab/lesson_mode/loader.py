"""Lesson files: TOML a teacher can edit (format in docs/LESSONS.md), read and validated into a Lesson.

Every lesson file in the lessons folder ($RELULAB_LESSONS, else lessons/ next to app.py) is read
with the standard library's tomllib. A broken one is not a traceback: LessonFileError names the
file, the step and the field, and says what is wrong, in English or Korean. A file is read again
when it changes, so a teacher's edit shows on the board's next run without a restart.
"""

from __future__ import annotations

import os
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path

from lab.engine.config import ACTIVATION_NAMES, INIT_NAMES, PRESETS, ConfigError, RunConfig
from lab.lesson_mode.checks import ROOT, LessonFileError, Reader, shown_path
from lab.lesson_mode.lesson import ACTIVITY_KINDS, SHOW_KINDS, Activity, Arm, Choice, Lesson, Show, Step, Words
from lab.lessons.race_names import RACER_ORDER, SURFACE_KEYS

__all__ = ["Catalogue", "LessonFileError", "lessons_dir", "load_lessons", "read_lesson"]
FORMAT = 1
MAX_STEPS = 60


def read_show(r: Reader, data: object) -> Show:
    """The step's `show` table."""
    raw = r.table(data, "show", ("kind", "activations", "depth", "init", "surface", "racers", "presets",
                                 "reported"), ("kind",))
    kind = r.pick(raw["kind"], "show.kind", SHOW_KINDS)
    needs = {"activations": ("activations",), "chain": ("activations",), "race": ("surface", "racers"),
             "presets": ("presets",)}.get(kind, ())
    for name in needs:
        if name not in raw:
            r.fail(f"show.{name}", "lesson.err.missing")
    out: dict = {"kind": kind}
    if "activations" in raw:
        out["activations"] = r.names(raw["activations"], "show.activations", ACTIVATION_NAMES, 1, 7)
    if "depth" in raw:
        out["depth"] = int(r.number(raw["depth"], "show.depth", 1, 10, int))
    if "init" in raw:
        out["init"] = r.pick(raw["init"], "show.init", INIT_NAMES)
    if "surface" in raw:
        out["surface"] = r.pick(raw["surface"], "show.surface", SURFACE_KEYS)
    if "racers" in raw:
        out["racers"] = r.names(raw["racers"], "show.racers", RACER_ORDER, 1, 8)
    if "presets" in raw:
        out["presets"] = r.names(raw["presets"], "show.presets", tuple(PRESETS), 1, 4)
    if "reported" in raw:
        reported = r.table(raw["reported"], "show.reported", out.get("presets", ()))
        out["reported"] = {k: float(r.number(v, f"show.reported.{k}", 0.0, 1.0)) for k, v in reported.items()}
    return Show(**out)


def read_config(r: Reader, base: RunConfig, data: object, field: str) -> RunConfig:
    """base with the fields of a config table changed; an error naming the field for a bad value."""
    changes = r.table(data, field, tuple(RunConfig().to_dict()))
    try:
        return RunConfig.from_dict({**base.to_dict(), **changes})
    except (ConfigError, TypeError) as exc:
        r.fail(field, "lesson.err.config", detail=str(exc))


def read_activity(r: Reader, data: object, show: Show | None, earlier: dict[str, Step]) -> Activity:
    """The step's `activity` table: predict, run or reveal."""
    raw = r.table(data, "activity", ("kind", "question", "choices", "answer", "preset", "config", "arms",
                                     "predict", "run"), ("kind",))
    kind = r.pick(raw["kind"], "activity.kind", ACTIVITY_KINDS)
    allowed = {"predict": ("kind", "question", "choices", "answer"), "run": ("kind", "preset", "config", "arms"),
               "reveal": ("kind", "predict", "run")}[kind]
    for key in raw:
        if key not in allowed:
            r.fail(f"activity.{key}", "lesson.err.unused", kind=kind, allowed=", ".join(allowed))
    if kind == "predict":
        question = r.words(raw, "question", "activity")
        if "choices" not in raw:
            r.fail("activity.choices", "lesson.err.missing")
        choices = []
        for i, item in enumerate(r.items(raw["choices"], "activity.choices", 2, 6)):
            where = f"activity.choices[{i + 1}]"
            item = r.table(item, where, ("id", "en", "ko"), ("id", "en", "ko"))
            choices.append(Choice(r.ident(item["id"], f"{where}.id"),
                                  Words(r.text(item["en"], f"{where}.en"), r.text(item["ko"], f"{where}.ko"))))
        r.unique([c.id for c in choices], "activity.choices")
        answer = raw.get("answer")
        if answer is not None:
            r.typed(answer, "activity.answer", str)
            if answer == "race":
                if show is None or show.kind != "race" or any(c.id not in show.racers for c in choices):
                    r.fail("activity.answer", "lesson.err.race_answer")
            elif answer not in [c.id for c in choices]:
                r.fail("activity.answer", "lesson.err.choice_of", value=answer,
                       allowed=", ".join(c.id for c in choices))
        return Activity("predict", question=question, choices=tuple(choices), answer=answer)
    if kind == "run":
        preset = r.pick(raw["preset"], "activity.preset", tuple(PRESETS)) if "preset" in raw else None
        base = read_config(r, PRESETS[preset] if preset else RunConfig(), raw.get("config", {}), "activity.config")
        if "arms" not in raw:
            r.fail("activity.arms", "lesson.err.missing")
        arms = []
        for i, item in enumerate(r.items(raw["arms"], "activity.arms", 1, 4)):
            where = f"activity.arms[{i + 1}]"
            item = r.table(item, where, ("id", "en", "ko", "config", "reported"), ("id", "en", "ko"))
            reported = item.get("reported")
            arms.append(Arm(r.ident(item["id"], f"{where}.id"),
                            Words(r.text(item["en"], f"{where}.en"), r.text(item["ko"], f"{where}.ko")),
                            read_config(r, base, item.get("config", {}), f"{where}.config"),
                            None if reported is None else float(r.number(reported, f"{where}.reported", 0.0, 1.0))))
        r.unique([a.id for a in arms], "activity.arms")
        return Activity("run", preset=preset, arms=tuple(arms))
    if "run" not in raw:
        r.fail("activity.run", "lesson.err.missing")
    run_id = r.typed(raw["run"], "activity.run", str)
    run = earlier.get(run_id)
    if run is None or run.kind != "run":
        r.fail("activity.run", "lesson.err.ref", value=run_id, kind="run")
    predict_id = raw.get("predict")
    if predict_id is not None:
        predict = earlier.get(r.typed(predict_id, "activity.predict", str))
        if predict is None or predict.kind != "predict":
            r.fail("activity.predict", "lesson.err.ref", value=predict_id, kind="predict")
        if not {c.id for c in predict.activity.choices} & {a.id for a in run.activity.arms}:
            r.fail("activity.predict", "lesson.err.match", predict=predict_id, run=run_id)
    return Activity("reveal", predict=predict_id, run=run_id)


def read_step(r: Reader, data: object, earlier: dict[str, Step]) -> Step:
    """One [[steps]] table."""
    raw = r.table(data, "", ("id", "title", "text", "show", "activity"), ("id", "title", "text"))
    step_id = r.ident(raw["id"], "id")
    if step_id in earlier:
        r.fail("id", "lesson.err.duplicate", value=step_id)
    show = read_show(r, raw["show"]) if "show" in raw else None
    activity = read_activity(r, raw["activity"], show, earlier) if "activity" in raw else None
    return Step(step_id, r.words(raw, "title", ""), r.words(raw, "text", ""), show, activity)


def read_lesson(path: Path) -> Lesson:
    """The lesson in a file; LessonFileError naming the file, step and field when it is broken."""
    path = Path(path)
    r = Reader(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        r.fail("", "lesson.err.toml", detail=str(exc))
    except (OSError, UnicodeDecodeError) as exc:
        r.fail("", "lesson.err.read", detail=str(exc))
    top = r.table(data, "", ("format", "id", "title", "summary", "steps"), ("format", "id", "title", "steps"))
    if top["format"] != FORMAT:
        r.fail("format", "lesson.err.format", value=top["format"], want=FORMAT)
    lesson_id = r.ident(top["id"], "id")
    title = r.words(top, "title", "")
    summary = r.words(top, "summary", "") if "summary" in top else Words("", "")
    steps: dict[str, Step] = {}
    for i, raw in enumerate(r.items(top["steps"], "steps", 1, MAX_STEPS)):
        r.step = (i + 1, raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None)
        step = read_step(r, raw, steps)
        steps[step.id] = step
    return Lesson(lesson_id, title, summary, tuple(steps.values()), path)


@dataclass(frozen=True)
class Catalogue:
    """The lessons of a folder by id, in file order, and the files that could not be used."""

    lessons: dict[str, Lesson]
    errors: tuple[LessonFileError, ...]


def lessons_dir() -> Path:
    """The lessons folder: $RELULAB_LESSONS, else lessons/ next to app.py."""
    return Path(os.environ.get("RELULAB_LESSONS", "").strip() or ROOT / "lessons")


_cache: dict[Path, tuple[tuple[int, int], Lesson | LessonFileError]] = {}
_lock = threading.Lock()


def _cached(path: Path) -> Lesson | LessonFileError:
    """The file's lesson (or its error), read again only when its size or time changed."""
    stat = path.stat()
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _lock:
        hit = _cache.get(path)
        if hit and hit[0] == stamp:
            return hit[1]
    try:
        value: Lesson | LessonFileError = read_lesson(path)
    except LessonFileError as exc:
        value = exc
    with _lock:
        _cache[path] = (stamp, value)
    return value


def load_lessons(folder: Path | None = None) -> Catalogue:
    """Every *.toml lesson in the folder; broken files (and a lesson id used twice) go to errors."""
    folder = Path(folder) if folder else lessons_dir()
    lessons: dict[str, Lesson] = {}
    errors: list[LessonFileError] = []
    files = sorted(folder.glob("*.toml")) if folder.is_dir() else []
    if not files:
        errors.append(LessonFileError(folder, "", "lesson.err.none"))
    for path in files:
        value = _cached(path)
        if isinstance(value, LessonFileError):
            errors.append(value)
        elif value.id in lessons:
            errors.append(LessonFileError(path, "id", "lesson.err.same_id", value=value.id,
                                          other=shown_path(lessons[value.id].path)))
        else:
            lessons[value.id] = value
    return Catalogue(lessons, tuple(errors))
