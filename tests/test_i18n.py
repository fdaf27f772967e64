"""The catalogue: every key in both languages, same placeholders, real Korean, no key used but missing."""

import re
import string
from pathlib import Path

import pytest

from lab import i18n
from lab.engine.config import ACTIVATION_NAMES, INIT_NAMES, PRESETS
from lab.i18n import CATALOGUES, LANGS, missing_keys, pick_language, t
from lab.lessons.family_tree import EDGES, EXTRA_NODES, NODES
from lab.lessons.race import SURFACES

ROOT = Path(__file__).resolve().parent.parent
HANGUL = re.compile(r"[\uac00-\ud7a3]")
# t("literal.key", ...) anywhere in the app; not torch's x.t() (a dot or word char before t).
LITERAL_KEY = re.compile(r"""(?<![\w.])t\(\s*["']([A-Za-z0-9_.\-]+)["']\s*[,)]""")


def _fields(text: str) -> set[str] | None:
    """The str.format field names in text (None if it is not a valid format string)."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return None


@pytest.mark.parametrize("module", i18n._MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_english_and_korean_have_the_same_keys(module):
    en, ko = set(module.EN), set(module.KO)
    assert not en - ko, f"{module.__name__}: missing in KO: {sorted(en - ko)}"
    assert not ko - en, f"{module.__name__}: missing in EN: {sorted(ko - en)}"


def test_missing_keys_reports_nothing():
    assert missing_keys() == {}


def test_missing_keys_catches_a_key_missing_from_one_language(monkeypatch):
    from lab.i18n import lessons

    monkeypatch.setattr(lessons, "KO", {k: v for k, v in lessons.KO.items() if k != "act.title"})
    assert missing_keys() == {"lab.i18n.lessons": {"act.title"}}


def test_no_key_is_defined_twice_across_modules():
    seen: dict[str, str] = {}
    for module in i18n._MODULES:
        for key in module.EN:
            assert key not in seen, f"{key} in both {seen[key]} and {module.__name__}"
            seen[key] = module.__name__


@pytest.mark.parametrize("module", i18n._MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_placeholders_agree_and_nothing_is_empty(module):
    for key in module.EN.keys() & module.KO.keys():
        en, ko = module.EN[key], module.KO[key]
        assert en.strip() and ko.strip(), f"{key} is empty"
        assert _fields(en) == _fields(ko), f"{key}: placeholders differ: {_fields(en)} vs {_fields(ko)}"


@pytest.mark.parametrize("module", i18n._MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_korean_catalogue_is_written_in_korean(module):
    korean = [k for k, v in module.KO.items() if HANGUL.search(v)]
    # Names such as "ReLU" or "tanh" stay as they are; everything else is Korean.
    assert len(korean) >= 0.7 * len(module.KO), f"{module.__name__}: only {len(korean)} of {len(module.KO)}"


def test_every_literal_key_used_in_the_app_exists():
    files = [ROOT / "app.py", *sorted((ROOT / "views").glob("*.py")), *sorted((ROOT / "lab").rglob("*.py"))]
    used = {(path.name, key) for path in files for key in LITERAL_KEY.findall(path.read_text("utf-8"))}
    assert used, "the scan found no t() calls at all"
    missing = sorted((name, key) for name, key in used if key not in CATALOGUES["en"])
    assert not missing, f"keys used but not in the catalogue: {missing}"


def test_every_generated_key_of_the_lesson_pages_exists():
    keys = [f"act.name.{a}" for a in ACTIVATION_NAMES] + [f"act.init.{i}" for i in INIT_NAMES]
    keys += [f"surface.{s}" for s in SURFACES] + [f"surface.{s}.about" for s in SURFACES]
    keys += [f"tree.idea.{n.key}" for n in NODES + EXTRA_NODES]
    keys += [f"tree.branch.{label}" for *_, label in EDGES if label]
    keys += [f"nav.{p}" for p in ("home", "train", "draw", "activations", "optimizers")]
    keys += [f"home.card.{p}" for p in ("train", "draw", "activations", "optimizers")]
    keys += [f"home.preset.{p}.{part}" for p in ("lesson-softmax", "lesson-nn")
             for part in ("name", "what", "go")]
    assert {"lesson-softmax", "lesson-nn"} <= set(PRESETS)
    for lang in LANGS:
        assert [k for k in keys if k not in CATALOGUES[lang]] == [], lang


def test_t_formats_and_falls_back():
    assert t("nav.home", "ko") == "홈"
    assert t("nav.home", "en") == "Home"
    assert t("opt.status.diverged", "ko", step=7) == "7번째 걸음에서 발산"
    assert t("no.such.key", "ko") == "no.such.key"
    assert t("nav.home", "fr") == "Home"  # unknown language: English


@pytest.mark.parametrize(("query", "locale", "expected"), [
    ("ko", None, "ko"), ("en", "ko-KR", "en"), (None, "ko-KR", "ko"), (None, "ko", "ko"),
    (None, "en-US", "en"), ("fr", "ko-KR", "ko"), (None, "de-DE", "en"), (None, None, "en"),
    ("KO", None, "ko"),
])
def test_pick_language_prefers_the_url_then_the_browser(query, locale, expected):
    assert pick_language(query, locale) == expected
