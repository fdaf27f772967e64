"""Which browsers have a tab open: an owner token per browser, its open tabs in this process, and a teacher's key.

A browser keeps a random owner token in a cookie, so a reload finds its runs again. When
the last tab of an owner closes, the store hears of it; the executor stops that owner's
runs only after a grace period (lab.runs.executor.GRACE_S), so a refresh never kills a run.
"""

from __future__ import annotations

import logging
import threading

from lab.runs.store import Store, StoreError, new_token

LOG = logging.getLogger(__name__)
COOKIE = "relulab_owner"
# The teacher key of the last board opened in this browser: a teacher link puts it here and leaves the
# address bar, so the URL on a projector holds no secret (issue 23).
TEACHER_COOKIE = "relulab_teacher"
TEACHER_COOKIE_S = 30 * 86_400


def valid_token(text: str | None) -> bool:
    """True for a token this app could have made (cookie values are user input)."""
    return bool(text) and 16 <= len(text) <= 64 and all(c.isalnum() or c in "-_" for c in text)


def owner_token(cookie: str | None, session: str | None) -> str:
    """The owner token: this session's, else the browser's cookie, else a new one."""
    if valid_token(session):
        return session
    return cookie if valid_token(cookie) else new_token()


def cookie_script(token: str, name: str = COOKIE, max_age: int = 31_536_000) -> str:
    """JavaScript that keeps a token (owner or teacher key) in a cookie, a year by default (sent with the
    next page load's WebSocket); only a token this app could have made is written."""
    if not valid_token(token):
        raise ValueError("not a token")
    return f"<script>document.cookie = '{name}={token}; path=/; max-age={max_age}; SameSite=Lax';</script>"


def teacher_key(cookie: str | None, session: str | None) -> str | None:
    """The teacher key this browser keeps: this session's, else its cookie's; None if neither is one."""
    if valid_token(session):
        return session
    return cookie if valid_token(cookie) else None


class Tabs:
    """Open tabs per owner in this server process; the store is told when an owner has none left."""

    def __init__(self, store: Store):
        self.store = store
        self._open: dict[str, int] = {}
        self._lock = threading.Lock()

    def opened(self, owner: str) -> TabHandle:
        """A tab of owner opened (its handle closes it)."""
        with self._lock:
            self._open[owner] = self._open.get(owner, 0) + 1
        self._tell(owner, True)
        return TabHandle(self, owner)

    def closed(self, owner: str) -> None:
        """A tab of owner closed."""
        with self._lock:
            left = self._open[owner] = max(0, self._open.get(owner, 0) - 1)
        if left == 0:
            self._tell(owner, False)

    def _tell(self, owner: str, present: bool) -> None:
        """Write presence to the store; a failing store must not break the page."""
        try:
            self.store.owner_present(owner, present)
        except StoreError as exc:
            LOG.error("presence of a browser not stored: %s", exc)


class TabHandle:
    """One open tab; release() is called when Streamlit drops the session."""

    def __init__(self, tabs: Tabs, owner: str):
        self.tabs, self.owner, self._released = tabs, owner, False

    def release(self) -> None:
        """The tab is gone."""
        if not self._released:
            self._released = True
            self.tabs.closed(self.owner)
