"""The keys app.py puts in st.session_state for every page, behind one base class of the pages' state objects."""

from __future__ import annotations

import streamlit as st

from lab.runs.store import new_token


class AppKeys:
    """Typed properties over what app.py sets: the language, presentation mode, a store error, the owner token."""

    @property
    def lang(self) -> str:
        """The page's language."""
        return st.session_state.get("lang", "en")

    @property
    def present(self) -> bool:
        """Presentation mode: the lesson's charts first, larger type."""
        return st.session_state.get("present", False)

    @property
    def store_error(self) -> str | None:
        """Why the run store could not open, or None."""
        return st.session_state.get("store_error")

    @property
    def owner(self) -> str:
        """This browser's owner token (a page run alone, as under AppTest, makes one)."""
        return st.session_state.setdefault("owner", new_token())
