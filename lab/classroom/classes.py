"""Classes: a teacher's class with a join code, a secret teacher key, members, limits and a challenge.

A class lives in the run store (tables relulab_classes and relulab_members), so a refresh or a
server restart keeps it. The teacher key is only ever stored as its SHA-256; students join with
the short code and a nickname (no accounts). Errors are ClassError with an i18n key.
"""

from __future__ import annotations

import hmac
import json
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update

from lab.classroom.text import (
    CODE_ALPHABET,
    CODE_LEN,
    NAME_MAX,
    NICK_MAX,
    ClassError,
    base_url,
    board_query,
    challenge_text,
    clean_name,
    clean_nickname,
    escape_markdown,
    hash_key,
    join_link,
    new_code,
    nickname_shortened,
    normalise_code,
    teacher_link,
)
from lab.engine.config import ConfigError, RunConfig
from lab.i18n import t
from lab.runs import schema as S
from lab.runs.store import ACTIVE, Store, new_token

# The words of a class (lab.classroom.text) stay importable from here, where the pages look for them.
__all__ = ["CODE_ALPHABET", "CODE_LEN", "NAME_MAX", "NICK_MAX", "ClassError", "ClassRow", "Membership", "base_url",
           "board_for", "board_query", "can_start", "challenge_banner_data", "challenge_text", "clean_nickname",
           "close_class", "create_class", "escape_markdown", "find_code", "get_class", "join", "join_link", "leave",
           "membership", "nickname_shortened", "normalise_code", "send_challenge", "start_args", "stop_all",
           "teacher_link"]
LIMITS = {"max_students": (1, 200), "max_runs": (1, 100)}


@dataclass(frozen=True)
class ClassRow:
    """One class as stored (without its key hash)."""

    id: str
    code: str
    name: str
    challenge: RunConfig | None
    max_students: int
    max_runs: int
    created: float
    closed: float | None  # when the teacher closed it; None while open

    @property
    def open(self) -> bool:
        """Students may join and start runs."""
        return self.closed is None


@dataclass(frozen=True)
class Membership:
    """A student's class as the Train page needs it."""

    class_id: str
    code: str
    name: str
    nickname: str
    challenge: RunConfig | None
    open: bool
    max_runs: int

    def run_args(self) -> dict:
        """Keyword arguments for Store.create_run: the run carries the class and the nickname."""
        return {"class_id": self.class_id, "nickname": self.nickname}


def _row(row) -> ClassRow:
    """A ClassRow from a classes-table mapping."""
    challenge = None
    if row["challenge"]:
        try:
            challenge = RunConfig.from_dict(json.loads(row["challenge"]))
        except (ConfigError, ValueError, TypeError):
            challenge = None  # a challenge this version cannot read is no challenge
    return ClassRow(id=row["id"], code=row["code"], name=row["name"], created=row["created"],
                    closed=row["closed"], challenge=challenge, max_students=row["max_students"],
                    max_runs=row["max_runs"])


def create_class(store: Store, name: str, max_students: int = 40, max_runs: int = 10) -> tuple[ClassRow, str]:
    """A new open class and its teacher key (shown once; only its hash is stored)."""
    name = clean_name(name)
    for field, value in (("max_students", max_students), ("max_runs", max_runs)):
        lo, hi = LIMITS[field]
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            raise ClassError("class.err.limit", field=field, lo=lo, hi=hi)
    key = secrets.token_urlsafe(24)
    with store.tx() as conn:
        for _ in range(20):  # 31^6 codes: a clash is rare; try another
            code = new_code()
            if conn.execute(select(S.classes.c.id).where(S.classes.c.code == code)).first() is None:
                break
        class_id = new_token()
        conn.execute(insert(S.classes).values(id=class_id, code=code, teacher_hash=hash_key(key), name=name,
                                              created=time.time(), closed=None, challenge=None,
                                              max_students=max_students, max_runs=max_runs))
    return get_class(store, class_id), key


def get_class(store: Store, class_id: str) -> ClassRow | None:
    """The class with this id, or None."""
    with store.tx() as conn:
        row = conn.execute(select(S.classes).where(S.classes.c.id == class_id)).mappings().first()
    return _row(row) if row else None


def find_code(store: Store, code: str) -> ClassRow:
    """The open class with this join code; ClassError for an unknown or closed one."""
    code = normalise_code(code)
    if len(code) != CODE_LEN or any(c not in CODE_ALPHABET for c in code):
        raise ClassError("class.err.code")
    with store.tx() as conn:
        row = conn.execute(select(S.classes).where(S.classes.c.code == code)).mappings().first()
    if row is None:
        raise ClassError("class.err.code")
    if row["closed"] is not None:
        raise ClassError("class.err.closed")
    return _row(row)


def join(store: Store, code: str, owner: str, nickname: str) -> Membership:
    """Join a class by code (again: a new nickname); ClassError if wrong, closed, full or the nickname is bad."""
    nick = clean_nickname(nickname)
    klass = find_code(store, code)
    with store.tx() as conn:
        members = conn.execute(select(S.members.c.owner, S.members.c.nickname).where(
            S.members.c.class_id == klass.id)).all()
        mine = any(m.owner == owner for m in members)
        if any(m.nickname.casefold() == nick.casefold() and m.owner != owner for m in members):
            raise ClassError("class.err.nick_taken", nickname=nick)
        if mine:
            conn.execute(update(S.members).where(S.members.c.class_id == klass.id,
                                                 S.members.c.owner == owner).values(nickname=nick))
        else:
            if len(members) >= klass.max_students:
                raise ClassError("class.err.full", n=klass.max_students)
            conn.execute(insert(S.members).values(class_id=klass.id, owner=owner, nickname=nick,
                                                  joined=time.time()))
    return Membership(klass.id, klass.code, klass.name, nick, klass.challenge, True, klass.max_runs)


def leave(store: Store, owner: str, class_id: str) -> None:
    """The student leaves the class (their runs keep it)."""
    with store.tx() as conn:
        conn.execute(S.members.delete().where(S.members.c.class_id == class_id, S.members.c.owner == owner))


def membership(store: Store, owner: str | None) -> Membership | None:
    """The class this browser joined last (open or closed), or None."""
    if not owner:
        return None
    query = (select(S.classes, S.members.c.nickname).join(S.members, S.members.c.class_id == S.classes.c.id)
             .where(S.members.c.owner == owner).order_by(S.members.c.joined.desc()).limit(1))
    with store.tx() as conn:
        row = conn.execute(query).mappings().first()
    if row is None:
        return None
    klass = _row(row)
    return Membership(klass.id, klass.code, klass.name, row["nickname"], klass.challenge, klass.open,
                      klass.max_runs)


def can_start(store: Store, class_id: str, owner: str) -> tuple[bool, str | None]:
    """(True, None) if this student may start another run in the class, else (False, i18n key)."""
    with store.tx() as conn:
        closed = conn.execute(select(S.classes.c.closed, S.classes.c.max_runs).where(
            S.classes.c.id == class_id)).first()
        if closed is None:
            return False, "class.err.code"
        if closed.closed is not None:
            return False, "class.err.closed"
        used = conn.execute(select(func.count()).where(S.runs.c.class_id == class_id,
                                                       S.runs.c.owner == owner)).scalar_one()
    return (True, None) if used < closed.max_runs else (False, "class.err.run_limit")


def board_for(store: Store, teacher_key: str) -> ClassRow:
    """The class this teacher key opens; ClassError('class.err.key') for any other text."""
    key = str(teacher_key or "")
    if not 16 <= len(key) <= 64:
        raise ClassError("class.err.key")
    digest = hash_key(key)
    with store.tx() as conn:
        row = conn.execute(select(S.classes).where(S.classes.c.teacher_hash == digest)).mappings().first()
    if row is None or not hmac.compare_digest(row["teacher_hash"], digest):
        raise ClassError("class.err.key")
    return _row(row)


def _check_key(store: Store, class_id: str, teacher_key: str) -> None:
    """ClassError unless teacher_key is this class's key."""
    with store.tx() as conn:
        stored = conn.execute(select(S.classes.c.teacher_hash).where(S.classes.c.id == class_id)).scalar()
    if stored is None or not hmac.compare_digest(stored, hash_key(str(teacher_key or ""))):
        raise ClassError("class.err.key")


def send_challenge(store: Store, class_id: str, teacher_key: str, config: RunConfig | None) -> None:
    """Set (or with None clear) the config every student of the class is asked to train."""
    _check_key(store, class_id, teacher_key)
    with store.tx() as conn:
        conn.execute(update(S.classes).where(S.classes.c.id == class_id).values(
            challenge=config.to_json() if config is not None else None))


def stop_all(store: Store, class_id: str, teacher_key: str) -> int:
    """Ask every queued or training run of the class to stop; how many were asked."""
    _check_key(store, class_id, teacher_key)
    with store.tx() as conn:
        ids = conn.execute(select(S.runs.c.id).where(S.runs.c.class_id == class_id,
                                                     S.runs.c.status.in_(ACTIVE))).scalars().all()
    return sum(store.request_stop(run_id, origin="teacher") for run_id in ids)


def close_class(store: Store, class_id: str, teacher_key: str) -> None:
    """Close the class: no one joins or starts a run any more; its runs and board stay."""
    _check_key(store, class_id, teacher_key)
    with store.tx() as conn:
        conn.execute(update(S.classes).where(S.classes.c.id == class_id, S.classes.c.closed.is_(None)).values(
            closed=time.time()))


def challenge_banner_data(store: Store, owner: str | None, lang: str = "en") -> tuple[Membership, str] | None:
    """(membership, 'Your teacher asks: ...') when this student's open class has a challenge, else None."""
    member = membership(store, owner)
    if member is None or not member.open or member.challenge is None:
        return None
    return member, t("class.challenge_banner", lang, challenge=challenge_text(member.challenge, lang))


def start_args(store: Store, owner: str | None, count: int = 1) -> dict:
    """Store.create_run's class_id and nickname for this student's next `count` runs ({} outside an open
    class); ClassError('class.err.run_limit') when they would pass the class's runs per student."""
    member = membership(store, owner)
    if member is None or not member.open:
        return {}
    with store.tx() as conn:
        used = conn.execute(select(func.count()).where(S.runs.c.class_id == member.class_id,
                                                       S.runs.c.owner == owner)).scalar_one()
    if used + count > member.max_runs:
        raise ClassError("class.err.run_limit")
    return member.run_args()
