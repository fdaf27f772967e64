"""The words of a class: join codes, teacher keys, nicknames, links, the challenge in a few words, ClassError.

Plain text in and out, no database: lab.classroom.classes keeps the classes themselves.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata

from lab.engine.config import RunConfig
from lab.i18n import t

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud and typed on phones
CODE_LEN = 6
NICK_MAX = 24
NAME_MAX = 80
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


class ClassError(ValueError):
    """A class action that is not allowed; key names the message in lab/i18n/classes.py."""

    def __init__(self, key: str, **values: object):
        super().__init__(t(key, "en", **values))
        self.key, self.values = key, values

    def message(self, lang: str = "en") -> str:
        """The message in lang."""
        return t(self.key, lang, **self.values)


def hash_key(key: str) -> str:
    """SHA-256 hex of a teacher key (what the store keeps)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_code() -> str:
    """A random join code, e.g. 'K7MXQ3'."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LEN))


def normalise_code(text: str) -> str:
    """What a student typed as a code: upper case, without spaces or dashes."""
    return re.sub(r"[\s\-]", "", str(text or "")).upper()


def _plain_nickname(text: str) -> str:
    """The nickname without control or format characters, its spaces collapsed (not yet shortened)."""
    nick = "".join(c for c in str(text or "") if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co"))
    return " ".join(nick.split())


def clean_nickname(text: str) -> str:
    """The nickname as kept: plain, at most NICK_MAX characters (a longer one is shortened); ClassError if empty."""
    nick = _plain_nickname(text)
    if not nick:
        raise ClassError("class.err.nick_empty")
    return nick[:NICK_MAX].rstrip()


def nickname_shortened(text: str) -> bool:
    """True when clean_nickname had to shorten what the student typed (the page says to what)."""
    return len(_plain_nickname(text)) > NICK_MAX


def escape_markdown(text: str) -> str:
    """Text shown as-is inside Streamlit markdown: markdown and HTML characters escaped."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def clean_name(text: str) -> str:
    """A class name without control characters, its spaces collapsed, at most NAME_MAX characters."""
    return " ".join("".join(c for c in str(text or "") if unicodedata.category(c)[0] != "C").split())[:NAME_MAX]


def challenge_text(config: RunConfig, lang: str = "en") -> str:
    """A challenge in a few words, e.g. 'sigmoid, depth 6, SGD 0.1'."""
    from lab.engine.optim_table import OPTIMIZERS

    return t("class.challenge_short", lang, activation=config.activation, depth=config.depth,
             optimizer=OPTIMIZERS[config.optimizer].cls_name, lr=f"{config.effective_lr:g}")


def join_link(base: str, code: str, lang: str | None = None) -> str:
    """The link students open (and the QR code holds): <base>/classroom?join=CODE."""
    return f"{base.rstrip('/')}/classroom?join={code}" + (f"&lang={lang}" if lang else "")


def teacher_link(base: str, key: str, lang: str | None = None) -> str:
    """The teacher's secret board link: <base>/classroom?teacher=KEY."""
    return f"{base.rstrip('/')}/classroom?teacher={key}" + (f"&lang={lang}" if lang else "")


def board_query(code: str, lang: str, projector: bool = False) -> dict[str, str]:
    """The board's query: ?board=CODE (no secret: it opens only where the teacher's key is kept)."""
    return {"board": code, **({"view": "projector"} if projector else {}), "lang": lang}


def base_url(page_url: str | None) -> str:
    """scheme://host[:port] of the page's URL (Streamlit's st.context.url); '' if unknown."""
    match = re.match(r"^(https?://[^/?#]+)", page_url or "")
    return match.group(1) if match else ""
