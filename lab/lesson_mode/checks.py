"""The checks of a lesson file's values: each names the file, the step and the field of the first problem.

LessonFileError carries an i18n key (lab/i18n/lesson_mode.py) and says where and what in English or Korean;
Reader checks one value at a time (a table's keys, a text in both languages, an id, a list, a name, a number).
"""

from __future__ import annotations

import re
from pathlib import Path

from lab.i18n import t
from lab.lesson_mode.lesson import Words

ROOT = Path(__file__).resolve().parents[2]
ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
TYPE_KEYS = {str: "text", dict: "table", list: "list", bool: "bool", int: "int", float: "number"}


class LessonFileError(ValueError):
    """A lesson file that cannot be used: which file, step and field, and what is wrong (an i18n key)."""

    def __init__(self, path: Path, field: str, key: str, step: tuple[int, str | None] | None = None,
                 **values: object):
        """The error for this file, field and message key (step: its number and id)."""
        self.path, self.field, self.key, self.step, self.values = path, field, key, step, values
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        """The whole message in lang: where, then what."""
        values = {k: t(f"lesson.type.{v}", lang) if k in ("expected", "found") else v for k, v in self.values.items()}
        problem = t(self.key, lang, **values)
        name = shown_path(self.path)
        if self.step is None:
            where = t("lesson.err.where_file", lang, file=name, field=self.field) if self.field else \
                t("lesson.err.where_only", lang, file=name)
        else:
            number, step_id = self.step
            where = t("lesson.err.where_step", lang, file=name, n=number, step=step_id or "?",
                      field=self.field or "—")
        return f"{where}: {problem}"


def shown_path(path: Path) -> str:
    """The file's path relative to the app when it is inside it, else as given."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _type_key(value: object) -> str:
    """The i18n type name of a TOML value."""
    return next((key for kind, key in TYPE_KEYS.items() if type(value) is kind), "other")


class Reader:
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
