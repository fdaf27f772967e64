"""A student's Run activity: what they train (their half of the class), the button, their run's progress."""

from __future__ import annotations

import streamlit as st

from lab.i18n import t
from lab.lesson_mode import experiment as X
from lab.runs.executor import get_executor
from lab.runs.labels import base_label
from ui.lesson_steps import View, run_action, show_error


def start(view: View) -> None:
    """The Train button's work: queue this student's run of the step (the executor trains it)."""
    X.start_run(view.store, get_executor(view.store), view.class_id, view.owner, view.lesson, view.step)


def my_run(view: View) -> None:
    """'You train: 6 sigmoid layers', ▶ Train, then the run's status, progress and test accuracy."""
    lang, step = view.lang, view.step
    given = X.assignment(view.store, view.class_id, view.owner, step)
    if given is None:
        st.warning(t("lesson.err.not_member", lang))
        return
    others = [a.label(lang) for a in step.activity.arms if a.id != given.arm.id]
    st.markdown(t("lesson.you_train", lang, arm=given.arm.label(lang)))
    if others:
        st.caption(t("lesson.others_train", lang, others=", ".join(others)))
    st.caption(t("lesson.run_config", lang, config=base_label(given.config), epochs=given.config.epochs,
                 images=given.config.train_subset or 60000, seed=given.config.seed))
    show_error()
    mine = X.lesson_run(view.store, view.class_id, view.lesson.id, step.id, view.owner)
    run = mine[1] if mine else None
    if run is None or run.status in X.RETRAIN:
        st.button(t("lesson.train", lang), key=f"lesson_train_{step.id}", type="primary", icon=":material/play_arrow:",
                  on_click=run_action, args=(start, view))
    if run is None:
        return
    if run.status == "queued":
        st.info(t("lesson.run_queued", lang, place=view.store.queue_place(run)))
    elif run.status == "running":
        done = run.step / run.total_steps if run.total_steps else 0.0
        st.progress(min(1.0, done), text=t("lesson.run_running", lang, step=run.step, total=run.total_steps or "…"))
    elif run.status == "finished" and run.test_acc is not None:
        st.success(t("lesson.run_done", lang, acc=f"{run.test_acc:.1%}"))
    else:
        st.warning(t("lesson.run_ended", lang, status=t(f"train.status.{run.status}", lang), message=run.message))
    if view.state.unlocked:
        st.page_link("views/train.py", label=t("lesson.open_run", lang), icon=":material/open_in_new:",
                     query_params={"run": run.id, "lang": lang})
