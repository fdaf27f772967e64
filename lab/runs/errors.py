"""The run store's errors, and a sentence for people about any database error (never a traceback).

A StoreUnavailable is worth waiting for (a server down, a full disk, a lock): pages show a banner and
trainers ride it out; any other StoreError needs someone to act, and its message says what to do.
"""

from __future__ import annotations


class StoreError(RuntimeError):
    """The run store cannot be used; the message says why and what to do, for people."""


class StoreUnavailable(StoreError):
    """The store is there but does not answer now (down, unreachable, full, locked): worth waiting for."""


def store_error(exc: BaseException, url: str) -> StoreError:
    """The StoreError for a database error: StoreUnavailable when waiting may cure it."""
    message, passing = _explained(exc, url)
    return (StoreUnavailable if passing else StoreError)(message)


def _explained(exc: BaseException, url: str) -> tuple[str, bool]:
    """(a sentence for people, whether the cause may pass: a server down, a full disk, a lock)."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
    low = text.lower()
    where = safe_url(url)
    if "not a database" in low or "malformed" in low:
        return (f"The run store {where} is not a readable SQLite database (corrupt or another kind of "
                "file). Move it aside and ReLU Lab starts a new one; nothing was changed in it."), False
    if "readonly" in low or "read-only" in low or "permission denied" in low:
        return f"The run store {where} is read-only: ReLU Lab needs to write there ({text}).", False
    if "disk" in low and "full" in low or "no space" in low:
        return f"The disk holding the run store {where} is full: free some space ({text}).", True
    if "password authentication failed" in low:
        return f"PostgreSQL refused the user name or password in RELULAB_DB ({where}).", False
    if "database is locked" in low or "database table is locked" in low:
        return f"The run store {where} is locked by another process ({text}).", True
    if "too many clients" in low or "connection slots are reserved" in low:
        return f"The run store's database {where} refuses new connections: all its slots are taken ({text}).", True
    if any(word in low for word in ("connection", "could not connect", "timeout", "shutting down", "starting up",
                                    "recovery mode", "server closed", "terminating")):
        return f"The run store's database {where} cannot be reached: is it running? ({text})", True
    if "unable to open" in low:
        return f"The run store file {where} cannot be opened ({text}).", False
    return f"The run store {where} failed: {text}", False


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
    return url
