"""Which browsers have a tab open: an owner token per browser, and its open tabs in this process.

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


def valid_token(text: str | None) -> bool:
    """True for a token this app could have made (cookie values are user input)."""
    return bool(text) and 16 <= len(text) <= 64 and all(c.isalnum() or c in "-_" for c in text)


def owner_token(cookie: str | None, session: str | None) -> str:
    """The owner token: this session's, else the browser's cookie, else a new one."""
    if valid_token(session):
        return session
    return cookie if valid_token(cookie) else new_token()


def cookie_script(token: str) -> str:
    """JavaScript that keeps the token for a year (sent with the next page load's WebSocket)."""
    return (f"<script>document.cookie = '{COOKIE}={token}; path=/; max-age=31536000; SameSite=Lax';"
            "</script>")


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
