"""Lesson mode on the class board: start a lesson, then Back / Next / Reveal / Unlock exploration, the step
as the projector shows it with the class's live answers, and the lesson's record as CSV or JSON.

ui/classroom.py's teacher view calls teacher_panel(page, klass, key, LS.current(...)) above the board.
Every action is a write to the store (lab/lesson_mode/state.py) checked against the teacher key; a
second teacher tab follows the first within a second.
"""

from __future__ import annotations

import streamlit as st

from lab.classroom import classes as C
from lab.classroom.classes import ClassRow
from lab.i18n import t
from lab.lesson_mode import record as R
from lab.lesson_mode import state as LS
from lab.lesson_mode.lesson import Lesson
from lab.lesson_mode.loader import load_lessons
from lab.runs.store import Store
from ui import lesson_steps as S

RECORD_S = 3.0  # the downloadable record is at most this old


def teacher_panel(page, klass: ClassRow, key: str, state, idle=None) -> None:
    """The lesson's part of the board (page: ui.classroom.ClassPage); state: the class's LS.current(), read once
    a redraw; idle: where to offer a lesson when none is on."""
    store, lang = page.store, page.lang
    catalogue = load_lessons()
    for error in catalogue.errors:
        st.error(error.message(lang), icon=":material/error:")
    lesson = catalogue.lessons.get(state.lesson_id) if state else None
    if state is None or not state.live or lesson is None:
        with idle if idle is not None else st.container():  # idle: a popover beside the board's title
            if state is not None and state.live:  # its file is gone or broken now: say so, offer to end it
                st.error(t("lesson.err.gone", lang, lesson=state.lesson_id))
                st.button(t("lesson.end", lang), key="lesson_end_gone", on_click=S.run_action,
                          args=(LS.end, store, klass.id, key))
            start_form(store, klass, key, catalogue.lessons, state, lang, boxed=idle is None)
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
    if _stamp(lesson) not in _warmed:  # a server that restarted mid-lesson, or an edited lesson file
        with st.spinner(t("lesson.preparing", lang)):
            warm(lesson)


_warmed: set[tuple[str, str, float]] = set()  # lessons whose figures this server process has built


def _stamp(lesson: Lesson) -> tuple[str, str, float]:
    """The lesson's id, file and the file's time: what a warm-up is kept for."""
    return lesson.id, str(lesson.path), lesson.path.stat().st_mtime if lesson.path.exists() else 0.0


def warm(lesson: Lesson) -> None:
    """Build every step's figures in both languages, once per server process and lesson file."""
    # A chain measured on MNIST, a race, torch's import: done as the lesson starts (or, on a server that
    # restarted, once the board is drawn), because while it runs every page of this process waits.
    done = _stamp(lesson)
    if done in _warmed:
        return
    from ui import lesson_show

    for step in lesson.steps:  # each figure is cached when built: an interrupted warm-up goes on where it was
        if step.show is not None:
            lesson_show.warm(step)
    _warmed.add(done)


def begin(store: Store, class_id: str, key: str, lesson: Lesson) -> None:
    """Start (or resume) the lesson once its figures are built, so that no screen waits for them on a step."""
    C.board_for(store, key)  # a wrong key builds nothing
    warm(lesson)
    LS.start(store, class_id, key, lesson)


@st.fragment(run_every=S.POLL_S)
def waiting(store: Store, class_id: str, seen: tuple | None) -> None:
    """No live lesson on this tab: another teacher tab starting one redraws it."""
    now = LS.current(store, class_id)
    if (now.signature() if now else None) != seen:
        st.rerun(scope="app")


def lesson_on(state) -> bool:
    """Whether a lesson state is live (its file still loads): its step is then on top of the board."""
    return bool(state and state.live and state.lesson_id in load_lessons().lessons)


def start_form(store: Store, klass: ClassRow, key: str, lessons: dict[str, Lesson], state, lang: str,
               boxed: bool = True) -> None:
    """Pick a lesson and start it (an ended one resumes at its step); boxed under its heading, or bare (a popover)."""
    if not lessons:
        return
    with st.container(border=boxed, key="lesson_start"):
        if boxed:
            st.markdown(f"**{t('lesson.mode', lang)}**")
        st.caption(t("lesson.mode_help", lang))
        ids = list(lessons)
        # A radio, not a selectbox: Streamlit's select shows its value in one <input> line, which cuts a
        # lesson's title on a phone; a radio's titles wrap, and every lesson is in sight on the projector.
        pick = st.radio(t("lesson.pick", lang), ids, format_func=lambda i: lessons[i].title(lang),
                        index=ids.index(state.lesson_id) if state and state.lesson_id in ids else 0,
                        key="lesson_pick")
        resume = state is not None and state.lesson_id == pick
        st.button(t("lesson.resume" if resume else "lesson.start", lang), type="primary", key="lesson_start_button",
                  icon=":material/play_arrow:", on_click=S.run_action,
                  args=(begin, store, klass.id, key, lessons[pick]))


def controls(view: S.View, klass: ClassRow) -> None:
    """Back, Next, Reveal (or Hide), Unlock (or Lock) exploration, End, and the record's downloads."""
    lang, store, key, lesson, step = view.lang, view.store, view.key, view.lesson, view.step
    last = len(lesson.steps) - 1
    # A row that wraps: in columns, a projector's 1024 px in presentation type broke "JSON" in two.
    row = st.container(horizontal=True, vertical_alignment="center", key="lesson_controls")
    row.button(t("lesson.back", lang), key="lesson_back", icon=":material/arrow_back:",
               disabled=view.index == 0, on_click=S.run_action,
               args=(LS.go, store, view.class_id, key, lesson, step.id, view.index - 1))
    row.button(t("lesson.next", lang), key="lesson_next", icon=":material/arrow_forward:", type="primary",
               disabled=view.index == last, on_click=S.run_action,
               args=(LS.go, store, view.class_id, key, lesson, step.id, view.index + 1))
    row.button(t("lesson.hide" if view.revealed else "lesson.reveal", lang), key="lesson_reveal",
               icon=":material/visibility:", disabled=not step.hides, on_click=S.run_action,
               args=(LS.reveal, store, view.class_id, key, step.id, not view.revealed),
               help=t("lesson.reveal_help", lang))
    row.button(t("lesson.lock" if view.state.unlocked else "lesson.unlock", lang), key="lesson_unlock",
               icon=":material/lock_open:" if not view.state.unlocked else ":material/lock:",
               on_click=S.run_action, args=(LS.unlock, store, view.class_id, key, not view.state.unlocked),
               help=t("lesson.unlock_help", lang))
    with row.popover(t("lesson.end", lang)):
        st.button(t("lesson.end_confirm", lang), key="lesson_end", type="primary", on_click=S.run_action,
                  args=(LS.end, store, view.class_id, key))
    with row:
        downloads(view, klass)
    if view.state.unlocked:
        st.caption(t("lesson.unlocked_note", lang))


@st.fragment(run_every=RECORD_S)
def downloads(view: S.View, klass: ClassRow) -> None:
    """The lesson's record as CSV and as JSON, side by side, rebuilt every few seconds."""
    # Not built when clicked: a file made on a click is referenced by no element, and the page's
    # once-a-second fragments had Streamlit (1.67) delete it before a busy browser fetched it.
    store, lesson = view.store, view.lesson
    # One fragment for both: two fragments in the controls' row stood one above the other.
    with st.container(horizontal=True, width="content", gap="small"):
        for kind, build, mime in (("csv", R.export_csv, "text/csv"), ("json", R.export_json, "application/json")):
            st.download_button(kind.upper(), build(store, klass, lesson), f"lesson-{lesson.id}-{klass.code}.{kind}",
                               mime, key=f"lesson_{kind}", help=t("lesson.export_help", view.lang), on_click="ignore")
