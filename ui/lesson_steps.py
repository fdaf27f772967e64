"""A lesson step on screen, for students and for the board: its heading, text, what the lab shows, its activity.

The step's fixed part is drawn once per step (the Plotly charts are heavy on a phone); a fragment
redraws only the live part (votes, runs, the reveal) every second and, when the teacher moves the
lesson in the store, reruns the whole page on the new step.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from lab.classroom.classes import ClassError, escape_markdown
from lab.i18n import t
from lab.lesson_mode import experiment as X
from lab.lesson_mode import record as R
from lab.lesson_mode import state as LS
from lab.lesson_mode.lesson import Lesson, Step
from lab.lesson_mode.state import LessonState
from lab.runs.store import Store, StoreError
from ui.charts import plotly_with_alt

POLL_S = 1.0  # each screen reads the lesson's row this often: a Next shows within ~2 s


@dataclass
class View:
    """One screen of a lesson: the store, the class, the lesson and where it stands, who looks."""

    store: Store
    class_id: str
    lesson: Lesson
    state: LessonState
    lang: str
    owner: str
    key: str | None = None  # the teacher key on the board; None on a student's screen
    present: bool = False

    @property
    def index(self) -> int:
        """The step's position."""
        return self.state.position(self.lesson)

    @property
    def step(self) -> Step:
        """The step shown."""
        return self.lesson.steps[self.index]

    @property
    def revealed(self) -> bool:
        """The teacher revealed what this step kept hidden."""
        return self.step.id in self.state.revealed

    @property
    def teacher(self) -> bool:
        """The board's view."""
        return self.key is not None


def step_key(step: Step) -> str:
    """The step's container key (a CSS class st-key-lesson_step_<id> the tests and screenshots find)."""
    return "lesson_step_" + step.id.replace("-", "_")


def heading(view: View, who: str | None = None) -> None:
    """'Step 4 of 9 · the lesson' (after who is looking, on a student's screen) and the step's title."""
    lesson, lang = view.lesson, view.lang
    where = t("lesson.step_of", lang, n=view.index + 1, total=len(lesson.steps), lesson=lesson.title(lang))
    st.caption(f"{who} · {where}" if who else where)
    st.header(view.step.title(lang), anchor=False)


def content(view: View) -> None:
    """The step's text, what the lab shows and the live activity, side by side on a wide screen."""
    # A phone stacks the columns in reading order: text and picture left of the activity, or the text left
    # of a chart-sized activity (a run's curves, the reveal).
    step, lang = view.step, view.lang
    if step.activity is None:
        st.markdown(step.text(lang))
        if step.show is not None:
            _show(view)
        live(view)  # nothing to do but follow the teacher
        return
    left, right = st.columns([1.45, 1] if step.show is not None else [1, 2.2], gap="large")
    with left:
        st.markdown(step.text(lang))
        if step.show is not None:
            _show(view)
    with right:
        live(view)


def _show(view: View) -> None:
    """What the lab shows for the step (Plotly and torch are imported only when a step shows a chart)."""
    from ui import lesson_show

    lesson_show.show(view.step, view.lang, view.revealed, view.state.unlocked or view.teacher, not view.teacher)


def changed(view: View) -> bool:
    """The lesson moved (step, reveal, exploration, end) since this page was drawn."""
    now = LS.current(view.store, view.class_id)
    return now is None or now.signature(view.lesson) != view.state.signature(view.lesson)


@st.fragment(run_every=POLL_S)
def live(view: View) -> None:
    """Every second: the page follows the lesson; the activity's live part (votes, runs, reveal)."""
    if changed(view):
        st.rerun(scope="app")
    kind = view.step.kind
    if kind == "predict":
        predict(view)
    elif kind == "run":
        run(view)
    elif kind == "reveal":
        reveal(view)


def run_action(action, *args) -> None:
    """A button's callback: the store action, or its message for the next run (never a traceback)."""
    try:
        action(*args)
    except ClassError as exc:
        st.session_state.lesson_error = exc.message(st.session_state.get("lang", "en"))
    except StoreError as exc:  # the database said no (busy, unreachable): its sentence, and nothing lost
        st.session_state.lesson_error = str(exc)


def show_error() -> None:
    """The message an action left, once."""
    if message := st.session_state.pop("lesson_error", None):
        st.warning(message)


def predict(view: View) -> None:
    """Students pick a choice (again to change it); the board counts live; after the reveal everyone sees them."""
    step, lang, act = view.step, view.lang, view.step.activity
    st.markdown(f"#### {act.question(lang)}")
    show_error()
    if not view.teacher:
        mine = LS.my_vote(view.store, view.class_id, view.lesson.id, step.id, view.owner)
        for choice in act.choices:
            st.button(choice.label(lang), key=f"vote_{step.id}_{choice.id}", width="stretch",
                      type="primary" if choice.id == mine else "secondary", disabled=view.revealed,
                      icon=":material/check_circle:" if choice.id == mine else None,
                      on_click=run_action,
                      args=(LS.vote, view.store, view.class_id, view.owner, view.lesson, step, choice.id))
        if mine and not view.revealed:
            st.success(t("lesson.voted", lang, choice=act.choice(mine).label(lang)))
        elif not view.revealed:
            st.info(t("lesson.vote_prompt", lang))
    counts = LS.tally(view.store, view.class_id, view.lesson.id, step)
    size = LS.class_size(view.store, view.class_id)
    if view.teacher or view.revealed:
        from lab.figures.lesson import votes_figure

        answer = _answer(view)
        labels = [c.label(lang) for c in act.choices]
        st.caption(t("lesson.n_voted", lang, n=sum(counts.values()), total=size))
        plotly_with_alt(st, votes_figure(labels, list(counts.values()), answer if view.revealed else None, lang),
                        None, f"lesson_votes_{step.id}", theme=None, config={"displayModeBar": False})
        if view.revealed and answer is not None:
            st.success(t("lesson.answer", lang, answer=act.choices[answer].label(lang)))
    else:
        st.caption(t("lesson.votes_hidden", lang, n=sum(counts.values()), total=size))


def _answer(view: View) -> int | None:
    """The index of the answer: the file's choice, or the race's winner."""
    act = view.step.activity
    if act.answer == "race":
        from ui import lesson_show

        winner, _ = lesson_show.race_winner(view.step)
        ids = [c.id for c in act.choices]
        return ids.index(winner) if winner in ids else None
    return next((i for i, c in enumerate(act.choices) if c.id == act.answer), None)


def run(view: View) -> None:
    """A student trains their arm; the board follows the class's runs, grouped as the question asks."""
    if view.teacher:
        class_runs(view)
        return
    from ui import lesson_run

    lesson_run.my_run(view)
    if view.revealed:
        class_runs(view)


def class_runs(view: View) -> None:
    """How many have trained, the class's loss curves by arm, and the measured accuracies."""
    from lab.classroom import board as B
    from lab.classroom.classes import get_class
    from lab.figures import board as F

    lang, step = view.lang, view.step
    runs = X.step_runs(view.store, view.class_id, view.lesson.id, step.id)
    done = sum(r.status == "finished" for _, r in runs)
    st.caption(t("lesson.run_counts", lang, started=len(runs), total=LS.class_size(view.store, view.class_id),
                 training=sum(r.active for _, r in runs), done=done))
    board = B.board_data(view.store, get_class(view.store, view.class_id))
    ids = {r.id for _, r in runs}
    board.runs = [r for r in board.runs if r.id in ids]
    board.curves = {k: v for k, v in board.curves.items() if k in ids}
    group = step.activity.group_by
    plotly_with_alt(st, F.curves_figure(board, group, lang), F.curves_alt(board, group, lang),
                    f"lesson_curves_{step.id}", theme=None)
    if view.teacher and runs:
        arms = {a.id: a.label(lang) for a in step.activity.arms}
        st.dataframe([{t("lesson.col.nickname", lang): r.nickname, t("lesson.col.arm", lang): arms.get(arm, arm),
                       t("lesson.col.status", lang): t(f"train.status.{r.status}", lang),
                       t("lesson.col.test_acc", lang): r.test_acc} for arm, r in runs],
                     hide_index=True, key=f"lesson_runs_{step.id}", column_config={
                         t("lesson.col.test_acc", lang): st.column_config.NumberColumn(format="percent")})


def reveal(view: View) -> None:
    """The predictions next to what the class measured: one chart."""
    from lab.figures.lesson import reveal_figure

    data = R.reveal_data(view.store, view.class_id, view.lesson, view.step, view.lang)
    done = sum(len(m) for m in data.measured)
    st.caption(t("lesson.reveal_counts", view.lang, votes=data.voters, runs=data.runs, done=done)
               if view.step.activity.predict else t("lesson.reveal_runs", view.lang, runs=data.runs, done=done))
    plotly_with_alt(st, reveal_figure(data, view.lang, stacked=not view.teacher), None, f"lesson_reveal_{view.step.id}",
                    theme=None, config={"displayModeBar": False})


def in_class(nickname: str, name: str, lang: str) -> str:
    """'Class 7B · you are Ada' (markdown-escaped)."""
    return t("lesson.in_class", lang, name=escape_markdown(name), nickname=escape_markdown(nickname))
