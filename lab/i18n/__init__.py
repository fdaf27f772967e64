"""One catalogue of every user-visible string, in English and Korean.

Each module here (common, train, draw, lessons, optimizers, ...) holds two dicts, EN and KO, with the same
keys; tests/test_i18n.py fails when a key is missing from either.

May import: nothing else in lab. Checked by tests/test_layering.py.
"""

from __future__ import annotations

from lab.i18n import (
    classes,
    classroom,
    common,
    draw,
    faults,
    lesson_mode,
    lessons,
    optimizers,
    replay,
    room,
    runs,
    train,
)

LANGS = ("en", "ko")
LANG_NAMES = {"en": "English", "ko": "한국어"}
_MODULES = (common, train, draw, lessons, optimizers, classroom, runs, classes, faults, lesson_mode, replay, room)
CATALOGUES: dict[str, dict[str, str]] = {
    lang: {k: v for m in _MODULES for k, v in getattr(m, lang.upper()).items()} for lang in LANGS
}


def t(key: str, lang: str = "en", **values: object) -> str:
    """The string for key in lang, formatted with values; falls back to English, then the key."""
    text = CATALOGUES.get(lang, {}).get(key) or CATALOGUES["en"].get(key) or key
    return text.format(**values) if values else text


def pick_language(query_lang: str | None, locale: str | None) -> str:
    """?lang= wins, then the browser's locale (ko-KR -> ko), else English."""
    for candidate in (query_lang, (locale or "")[:2]):
        if candidate and candidate.lower() in LANGS:
            return candidate.lower()
    return "en"


def missing_keys() -> dict[str, set[str]]:
    """Keys one language has and another lacks, per module (empty when complete)."""
    out = {}
    for m in _MODULES:
        en, ko = set(m.EN), set(m.KO)
        if en ^ ko:
            out[m.__name__] = en ^ ko
    return out
