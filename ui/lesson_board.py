"""Lesson mode on the class board: start a lesson, then Back / Next / Reveal / Unlock exploration, the step
as the projector shows it with the class's live answers, and the lesson's record as CSV or JSON.

ui/classroom.py's teacher view calls teacher_panel(page, klass, key) above the board. Every action is a
write to the store (lab/lesson_mode/state.py) checked against the teacher key; a second teacher tab
follows the first within a second.
"""

from __future__ import annotations

import streamlit as st

from lab.classroom.classes import ClassRow
from lab.i18n import t
from lab.lesson_mode import record as R
from lab.lesson_mode import state as LS
from lab.lesson_mode.lesson import Lesson
from lab.lesson_mode.loader import load_lessons
from lab.runs.store import Store
from ui import lesson_steps as S


def teacher_panel(page, klass: ClassRow, key: str) -> None:
    """The lesson's part of the board (page: ui.classroom.ClassPage, for its store, language and owner)."""
    store, lang = page.store, page.lang
    catalogue = load_lessons()
    for error in catalogue.errors:
        st.error(error.message(lang), icon=":material/error:")
    state = LS.current(store, klass.id)
    lesson = catalogue.lessons.get(state.lesson_id) if state else None
    if state is None or not state.live or lesson is None:
        if state is not None and state.live:  # its file is gone or broken now: say so, offer to end it
            st.error(t("lesson.err.gone", lang, lesson=state.lesson_id))
            st.button(t("lesson.end", lang), key="lesson_end_gone", on_click=S.run_action,
                      args=(LS.end, store, klass.id, key))
        start_form(store, klass, key, catalogue.lessons, state, lang)
        S.show_error()
        waiting(store, klass.id, state.signature() if state else None)
        return
    view = S.View(store, klass.id, lesson, state, lang, page.owner, key=key,
                  present=bool(st.session_state.get("present")))
    with st.container(border=True, key="lesson_panel"):
        controls(view, klass)
        S.show_error()
        with st.container(key=S.step_key(view.step)):
            S.heading(view)
            S.content(view)


@st.fragment(run_every=S.POLL_S)
def waiting(store: Store, class_id: str, seen: tuple | None) -> None:
    """No live lesson on this tab: another teacher tab starting one redraws it."""
    now = LS.current(store, class_id)
    if (now.signature() if now else None) != seen:
        st.rerun(scope="app")


def start_form(store: Store, klass: ClassRow, key: str, lessons: dict[str, Lesson], state, lang: str) -> None:
    """Pick a lesson and start it (an ended one resumes at its step)."""
    if not lessons:
        return
    with st.container(border=True, key="lesson_start"):
        st.markdown(f"**{t('lesson.mode', lang)}**")
        st.caption(t("lesson.mode_help", lang))
        ids = list(lessons)
        pick = st.selectbox(t("lesson.pick", lang), ids, format_func=lambda i: lessons[i].title(lang),
                            index=ids.index(state.lesson_id) if state and state.lesson_id in ids else 0,
                            key="lesson_pick")
        resume = state is not None and state.lesson_id == pick
        st.button(t("lesson.resume" if resume else "lesson.start", lang), type="primary", key="lesson_start_button",
                  icon=":material/play_arrow:", on_click=S.run_action,
                  args=(LS.start, store, klass.id, key, lessons[pick]))


def controls(view: S.View, klass: ClassRow) -> None:
    """Back, Next, Reveal (or Hide), Unlock (or Lock) exploration, End, and the record's downloads."""
    lang, store, key, lesson, step = view.lang, view.store, view.key, view.lesson, view.step
    last = len(lesson.steps) - 1
    cols = st.columns([1, 1, 1.2, 1.4, 1, 0.7, 0.7], vertical_alignment="center")
    cols[0].button(t("lesson.back", lang), key="lesson_back", icon=":material/arrow_back:", width="stretch",
                   disabled=view.index == 0, on_click=S.run_action,
                   args=(LS.go, store, view.class_id, key, lesson, step.id, view.index - 1))
    cols[1].button(t("lesson.next", lang), key="lesson_next", icon=":material/arrow_forward:", type="primary",
                   width="stretch", disabled=view.index == last, on_click=S.run_action,
                   args=(LS.go, store, view.class_id, key, lesson, step.id, view.index + 1))
    cols[2].button(t("lesson.hide" if view.revealed else "lesson.reveal", lang), key="lesson_reveal",
                   icon=":material/visibility:", width="stretch", disabled=not step.hides, on_click=S.run_action,
                   args=(LS.reveal, store, view.class_id, key, step.id, not view.revealed),
                   help=t("lesson.reveal_help", lang))
    cols[3].button(t("lesson.lock" if view.state.unlocked else "lesson.unlock", lang), key="lesson_unlock",
                   icon=":material/lock_open:" if not view.state.unlocked else ":material/lock:", width="stretch",
                   on_click=S.run_action, args=(LS.unlock, store, view.class_id, key, not view.state.unlocked),
                   help=t("lesson.unlock_help", lang))
    with cols[4].popover(t("lesson.end", lang), width="stretch"):
        st.button(t("lesson.end_confirm", lang), key="lesson_end", type="primary", on_click=S.run_action,
                  args=(LS.end, store, view.class_id, key))
    name = f"lesson-{lesson.id}-{klass.code}"
    cols[5].download_button("CSV", lambda: R.export_csv(store, klass, lesson), f"{name}.csv", "text/csv",
                            key="lesson_csv", width="stretch", help=t("lesson.export_help", lang))
    cols[6].download_button("JSON", lambda: R.export_json(store, klass, lesson), f"{name}.json", "application/json",
                            key="lesson_json", width="stretch", help=t("lesson.export_help", lang))
    if view.state.unlocked:
        st.caption(t("lesson.unlocked_note", lang))
