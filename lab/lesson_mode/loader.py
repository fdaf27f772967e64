"""Lesson files: TOML a teacher can edit (format in docs/LESSONS.md), read and validated into a Lesson.

Every lesson file in the lessons folder ($RELULAB_LESSONS, else lessons/ next to app.py) is read
with the standard library's tomllib. A broken one is not a traceback: LessonFileError names the
file, the step and the field, and says what is wrong, in English or Korean. A file is read again
when it changes, so a teacher's edit shows on the board's next run without a restart.
"""

from __future__ import annotations

import os
import re
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path

from lab.engine.config import ACTIVATION_NAMES, INIT_NAMES, PRESETS, ConfigError, RunConfig
from lab.i18n import t
from lab.lesson_mode.lesson import ACTIVITY_KINDS, SHOW_KINDS, Activity, Arm, Choice, Lesson, Show, Step, Words
from lab.lessons.race_names import RACER_ORDER, SURFACE_KEYS

ROOT = Path(__file__).resolve().parents[2]
FORMAT = 1
ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
MAX_STEPS = 60
TYPE_KEYS = {str: "text", dict: "table", list: "list", bool: "bool", int: "int", float: "number"}


class LessonFileError(ValueError):
    """A lesson file that cannot be used: which file, step and field, and what is wrong (an i18n key)."""

    def __init__(self, path: Path, field: str, key: str, step: tuple[int, str | None] | None = None,
                 **values: object):
        self.path, self.field, self.key, self.step, self.values = path, field, key, step, values
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        """The whole message in lang: where, then what."""
        values = {k: t(f"lesson.type.{v}", lang) if k in ("expected", "found") else v for k, v in self.values.items()}
        problem = t(self.key, lang, **values)
        name = _shown_path(self.path)
        if self.step is None:
            where = t("lesson.err.where_file", lang, file=name, field=self.field) if self.field else \
                t("lesson.err.where_only", lang, file=name)
        else:
            number, step_id = self.step
            where = t("lesson.err.where_step", lang, file=name, n=number, step=step_id or "?",
                      field=self.field or "—")
        return f"{where}: {problem}"


def _shown_path(path: Path) -> str:
    """The file's path relative to the app when it is inside it, else as given."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _type_key(value: object) -> str:
    """The i18n type name of a TOML value."""
    return next((key for kind, key in TYPE_KEYS.items() if type(value) is kind), "other")


class _Reader:
    """Checks one file's values; the first problem raises LessonFileError with the current step."""

    def __init__(self, path: Path):
        self.path, self.step = path, None

    def fail(self, field: str, key: str, **values: object):
        """Raise the error for field."""
        raise LessonFileError(self.path, field, key, self.step, **values)

    def typed(self, value: object, field: str, kind: type) -> object:
        """value if it is of kind (an int is a number too), else an error naming both types."""
        ok = type(value) is kind or (kind is float and type(value) is int)
        if not ok:
            self.fail(field, "lesson.err.type", expected=TYPE_KEYS[kind], found=_type_key(value))
        return value

    def table(self, data: object, field: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
        """A table with only the allowed keys and every required one."""
        self.typed(data, field or "(top)", dict)
        for key in data:
            if key not in allowed:
                self.fail(_join(field, key), "lesson.err.unknown", allowed=", ".join(allowed))
        for key in required:
            if key not in data:
                self.fail(_join(field, key), "lesson.err.missing")
        return data

    def text(self, value: object, field: str) -> str:
        """A non-empty string."""
        if not str(self.typed(value, field, str)).strip():
            self.fail(field, "lesson.err.empty")
        return value.strip()

    def words(self, data: dict, name: str, field: str) -> Words:
        """data[name] as {en = ..., ko = ...}, both non-empty."""
        if name not in data:
            self.fail(_join(field, name), "lesson.err.missing")
        where = _join(field, name)
        both = self.table(data[name], where, ("en", "ko"), ("en", "ko"))
        return Words(self.text(both["en"], f"{where}.en"), self.text(both["ko"], f"{where}.ko"))

    def ident(self, value: object, field: str) -> str:
        """A short lowercase id."""
        if not ID.match(str(self.typed(value, field, str))):
            self.fail(field, "lesson.err.id", value=value)
        return value

    def items(self, value: object, field: str, lo: int, hi: int) -> list:
        """A list of lo to hi items."""
        if not lo <= len(self.typed(value, field, list)) <= hi:
            self.fail(field, "lesson.err.count", lo=lo, hi=hi, n=len(value))
        return value

    def pick(self, value: object, field: str, allowed: tuple[str, ...]) -> str:
        """One of the allowed names."""
        if self.typed(value, field, str) not in allowed:
            self.fail(field, "lesson.err.choice_of", value=value, allowed=", ".join(allowed))
        return value

    def names(self, value: object, field: str, allowed: tuple[str, ...], lo: int, hi: int) -> tuple[str, ...]:
        """A list of distinct allowed names."""
        out = tuple(self.pick(v, f"{field}[{i + 1}]", allowed) for i, v in enumerate(self.items(value, field, lo, hi)))
        self.unique(out, field)
        return out

    def unique(self, ids: tuple[str, ...] | list[str], field: str) -> None:
        """No id twice."""
        seen = set()
        for value in ids:
            if value in seen:
                self.fail(field, "lesson.err.duplicate", value=value)
            seen.add(value)

    def number(self, value: object, field: str, lo: float, hi: float, kind: type = float) -> float:
        """A number (or whole number) between lo and hi."""
        self.typed(value, field, kind)
        if not lo <= value <= hi:
            self.fail(field, "lesson.err.range", value=value, lo=lo, hi=hi)
        return value


def _join(field: str, key: str) -> str:
    """A dotted field path."""
    return f"{field}.{key}" if field else key


def read_show(r: _Reader, data: object) -> Show:
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


def read_config(r: _Reader, base: RunConfig, data: object, field: str) -> RunConfig:
    """base with the fields of a config table changed; an error naming the field for a bad value."""
    changes = r.table(data, field, tuple(RunConfig().to_dict()))
    try:
        return RunConfig.from_dict({**base.to_dict(), **changes})
    except (ConfigError, TypeError) as exc:
        r.fail(field, "lesson.err.config", detail=str(exc))


def read_activity(r: _Reader, data: object, show: Show | None, earlier: dict[str, Step]) -> Activity:
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


def read_step(r: _Reader, data: object, earlier: dict[str, Step]) -> Step:
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
    r = _Reader(path)
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
                                          other=_shown_path(lessons[value.id].path)))
        else:
            lessons[value.id] = value
    return Catalogue(lessons, tuple(errors))
