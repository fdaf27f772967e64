"""The Lesson page (a student's screen) and the rule that keeps a class's students on it while the teacher leads.

A student who joined a class opens this page (the Class page links to it after joining). Until the
teacher starts a lesson it waits; then it shows the step the class is on, whenever they arrive, and
follows the teacher's Next and Back within about two seconds, phones included.
"""

from __future__ import annotations

import streamlit as st

from lab.classroom.classes import get_class
from lab.i18n import t
from lab.lesson_mode import state as LS
from lab.lesson_mode.loader import load_lessons
from lab.runs.store import Store, StoreError, open_store
from ui import lesson_steps as S
from ui.session import AppKeys

FREE_PAGES = ("lesson", "classroom")  # what a student may open while the teacher keeps the class on the lesson


def follow(page) -> None:
    """app.py's hook: a student whose class is in a lesson (not unlocked) is taken to the Lesson page."""
    if page.url_path in FREE_PAGES or st.session_state.get("store_error"):
        return
    try:
        if LS.locked(open_store(), st.session_state.get("owner")):
            st.switch_page("views/lesson.py", query_params={"lang": st.session_state.get("lang", "en")})
    except StoreError:
        return


@st.fragment(run_every=S.POLL_S)
def wait_for_start(store: Store, class_id: str, seen: tuple | None) -> None:
    """Before the lesson starts (or after it ended): the page is drawn again when that changes."""
    now = LS.current(store, class_id)
    if (now.signature() if now else None) != seen:
        st.rerun(scope="app")


def student_page() -> None:
    """The page: join first, wait for the teacher, then the class's current step."""
    keys = AppKeys()
    lang = keys.lang
    if keys.store_error:
        st.error(t("store.error", lang, message=keys.store_error))
        return
    store = open_store()
    mine = LS.member_class(store, keys.owner)
    klass = get_class(store, mine[0]) if mine else None
    if klass is None:
        st.title(t("lesson.page_title", lang))
        st.info(t("lesson.join_first", lang))
        st.page_link("views/classroom.py", label=t("lesson.to_class", lang), icon=":material/groups:")
        return
    state = LS.current(store, klass.id)
    lessons = load_lessons().lessons
    lesson = lessons.get(state.lesson_id) if state else None
    if state is None or not state.live or lesson is None:
        st.title(t("lesson.page_title", lang))
        st.caption(S.in_class(mine[1], klass.name or klass.code, lang))
        st.info(t("lesson.ended" if state and not state.live else "lesson.waiting", lang))
        if state and state.live and lesson is None:
            st.error(t("lesson.err.gone", lang, lesson=state.lesson_id))
        wait_for_start(store, klass.id, state.signature() if state else None)
        return
    view = S.View(store, klass.id, lesson, state, lang, keys.owner, present=keys.present)
    with st.container(key=S.step_key(view.step)):
        S.heading(view, S.in_class(mine[1], klass.name or klass.code, lang))
        S.content(view)
    if state.unlocked:
        explore(lang)


def explore(lang: str) -> None:
    """Free exploration: the teacher unlocked every page."""
    st.success(t("lesson.unlocked", lang))
    cols = st.columns(4)
    for col, (name, icon) in zip(cols, (("train", ":material/model_training:"), ("draw", ":material/draw:"),
                                        ("activations", ":material/show_chart:"),
                                        ("optimizers", ":material/explore:")), strict=True):
        col.page_link(f"views/{name}.py", label=t(f"nav.{name}", lang), icon=icon, query_params={"lang": lang})
