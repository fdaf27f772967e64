"""The pages while the run store does not answer: a short banner instead of a traceback, and back by themselves.

A fragment that meets a StoreError shows the banner and keeps polling (guarded); a page run that
failed on the store shows it at the top of the page, with a small fragment that reruns the page as
soon as the store answers (wait_for_store, from app.py). A stop pressed meanwhile is kept in the
session and sent once the store answers (keep_stop, send_kept). Lessons never touch the store.
"""

from __future__ import annotations

import functools
import time

import streamlit as st

from lab.i18n import t
from lab.runs.errors import StoreUnavailable
from lab.runs.store import ACTIVE, Store, StoreError, open_store

POLL_S = 2.0  # a page waiting for the store asks again this often
KEPT = "outage_stop"  # session key: when this tab asked its runs to stop while the store was away


def lang() -> str:
    """The page's language (app.py keeps it in the session)."""
    return st.session_state.get("lang", "en")


def notice(exc: StoreError) -> None:
    """The banner (for a store that cannot be used at all, what is wrong with it); never a traceback."""
    # An outage's cause (a database restarting, a full disk) is for the server's log, where the trainers'
    # writers say it; the page says only what a student needs to know, in the page's language.
    if isinstance(exc, StoreUnavailable):
        st.warning(t("outage.banner", lang()), icon=":material/cloud_off:")
    else:
        st.error(t("store.error", lang(), message=str(exc)))


def guarded(step):
    """step, showing notice() instead of raising when the store fails (for fragments: they poll anyway)."""
    @functools.wraps(step)
    def run(*args, **kwargs):
        try:
            return step(*args, **kwargs)
        except StoreError as exc:
            notice(exc)
            return None
    return run


def silent(step):
    """step, doing nothing instead of raising when the store fails (a side note the page's banner covers)."""
    @functools.wraps(step)
    def run(*args, **kwargs):
        try:
            return step(*args, **kwargs)
        except StoreError:
            return None
    return run


def wait_for_store(slot, exc: StoreError) -> None:
    """A page run failed on the store (exc): say so in slot, the page's top, and rerun the page once it answers."""
    with slot.container():
        st.fragment(_poll, run_every=POLL_S)(time.monotonic(), exc)


def _poll(failed_at: float, exc: StoreError) -> None:
    """Ask the store again (not in the page run that just failed); once it answers, rerun the whole page."""
    if time.monotonic() - failed_at > POLL_S / 2:
        try:
            open_store().load()
        except StoreError as now:
            exc = now
        else:
            st.rerun(scope="app")
    notice(exc)


def keep_stop(step):
    """A stop callback that, when the store is away, keeps the request for send_kept() and says so."""
    @functools.wraps(step)
    def run(*args, **kwargs):
        try:
            return step(*args, **kwargs)
        except StoreError:
            st.session_state[KEPT] = time.time()
            st.toast(t("outage.stop_kept", lang()), icon=":material/schedule:")
            return None
    return run


def toast_on_failure(key: str):
    """A callback that, when the store is away, says key's sentence in a toast instead of raising."""
    def wrap(step):
        @functools.wraps(step)
        def run(*args, **kwargs):
            try:
                return step(*args, **kwargs)
            except StoreError:
                st.toast(t(key, lang()), icon=":material/cloud_off:")
                return None
        return run
    return wrap


def send_kept(store: Store, owner: str) -> None:
    """Send a stop this tab asked for while the store was away, to the runs it had then; keep it if still away."""
    asked = st.session_state.get(KEPT)
    if asked is None:
        return
    try:
        for run in store.list_runs(owner=owner, statuses=ACTIVE):
            if run.created <= asked:
                store.request_stop(run.id, owner)
    except StoreError:
        return
    del st.session_state[KEPT]
    st.toast(t("outage.stop_sent", lang()))
