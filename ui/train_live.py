"""The Train page's runs: a permanent link's run, the live run, the history and the code of the config."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from lab.draw.modelfile import model_bytes
from lab.engine.config import RunConfig
from lab.engine.events import RunRecord
from lab.figures import train as charts
from lab.figures.sketch import img_of
from lab.i18n import t
from lab.lessons.codegen import pytorch_script
from lab.runs import table as runtable
from lab.runs.labels import distinct_labels
from lab.runs.store import ENDED, StoredRun
from lab.web import train_form as form
from ui import outage
from ui import train_replay as replays
from ui.train import Page, my_runs

NO_RUN = RunRecord()  # one object for ever: the live figures are keyed by a record's identity


def chart_rows(page: Page) -> tuple[tuple[str, str], ...]:
    """The run's charts two a row; in presentation mode the lesson's two (loss, gradients) first."""
    if page.present:
        return ("loss-step", "grad-lines"), ("accuracy", "grad-heatmap"), ("saturation", "loss-epoch")
    return ("loss-step", "accuracy"), ("grad-lines", "grad-heatmap"), ("saturation", "loss-epoch")


def linked_run(page: Page) -> None:
    """A permanent link (?run=): the run as recorded, in any browser; the page stops there."""
    if not (linked := st.query_params.get("run")):
        return
    lang, store = page.lang, page.store
    run = store.get_run(linked)
    if run is None:
        st.error(t("runs.bad_link", lang, run_id=linked[:40]))
    else:
        st.title(t("runs.shared_title", lang, label=run.label))
        st.caption(t("runs.shared_intro", lang) + " " + (t("runs.node", lang, node=run.node) if run.node else ""))
        if run.owner != page.owner:
            st.caption(t("runs.shared_owner", lang))
        st.dataframe(pd.DataFrame([runtable.row(run)]).rename(columns=lambda c: t(f"train.col.{c}", lang)),
                     hide_index=True)
        show_run(page, run, "linked")
        st.code(pytorch_script(run.config), language="python")
    if st.button(t("runs.train_this" if run else "runs.own_runs", lang), key="train_unlink"):
        st.query_params.clear()
        if run is not None:
            st.query_params.from_dict(run.config.to_query())
        st.rerun()
    st.stop()


def show_run(page: Page, run: StoredRun, key: str) -> None:
    """A recorded run's end message, charts, downloads, links and code."""
    lang, store = page.lang, page.store
    end = form.end_message(runtable.ended_of(run), run.config, run.test_acc, lang)
    if end:
        getattr(st, end[0])(end[1])
    if run.replay:  # as recorded: the whole replay at once
        st.info(t("replay.message", lang), icon=":material/replay:")
    record = store.record(run.id)
    figures = page.state.run_figures(key).get(record, [], lang)
    for row in chart_rows(page):
        for col, name in zip(st.columns(2), row, strict=True):
            col.plotly_chart(figures[name], key=f"train_{key}_{name}")
    c1, c2, c3, c4 = st.columns(4, vertical_alignment="bottom")
    run_links(page, run, c1, c2)
    c3.download_button(t("train.dl_json", lang), runtable.json_text(store, [run]), f"relulab_{run.id}.json",
                       "application/json", key=f"train_{key}_json")
    if (weights := store.load_weights(run.id)) is not None:
        c4.download_button(t("train.dl_model", lang), model_file(run, weights), f"relulab_{run.id}.pt",
                           "application/octet-stream", key=f"train_{key}_model")


def run_links(page: Page, run: StoredRun, link, draw) -> None:
    """The run's permanent link and the Draw page with its model, in two columns."""
    link.markdown(f"[{t('runs.link', page.lang)}](train?run={run.id})", help=t("runs.link_help", page.lang))
    draw.markdown(f"[{t('runs.draw_with', page.lang)}](draw?model={run.id})")


def model_file(run: StoredRun, weights) -> bytes:
    """The run's trained model as a .pt file the Draw page (or torch.load) reads."""
    meta = {"label": run.label, "config": run.config.to_dict(), "test_acc": run.test_acc, "run_id": run.id}
    return model_bytes(weights[0], run.config.activation, run.config.leaky_slope, meta)


def live_run(page: Page, runs: list[StoredRun]) -> None:
    """The live view, redrawn often while a run is active: often just after a start, slower later (shared CPU)."""
    active = [r for r in runs if r.active]
    training = any(r.status == "running" for r in active)
    fresh = any(r.step == 0 and time.time() - r.created < 10 for r in active)  # its first point is awaited
    shape = replays.shape(page, runs)  # when this changes, the whole page is redrawn
    every = (0.5 if fresh else 1.0 if training or len(shape) > len(active) else 2.0) if shape else None
    st.fragment(outage.guarded(live_view), run_every=every)(page, shape)  # a banner while the store is away


def live_view(page: Page, shape: tuple[tuple[str, str], ...]) -> None:
    """Progress of this browser's runs and the charts of the one in focus (empty frames before the first run)."""
    lang, store = page.lang, page.store
    runs = my_runs(page)
    now_active = [r for r in runs if r.active]
    if replays.shape(page, runs) != shape:
        st.rerun()  # a run started or ended (or a replay's playback): redraw the whole page (history, buttons)
    played = [r for r in runs if (r.id, "playing") in shape]
    # Everything above the charts in one block, so the charts keep their places in the page and the
    # browser updates them in place: redrawing a chart is far cheaper than creating it.
    head = st.container()
    running, waiting = store.load()
    head.caption(t("train.server", lang, running=running, waiting=waiting, limit=getattr(page.executor, "slots", "…")))
    for run in now_active + played:
        replays.progress_line(page, run, head)
    ended = [r for r in runs if r.status in ENDED]
    training_now = [r for r in now_active if r.status == "running"]
    focus = training_now[-1] if training_now else (now_active[0] if now_active else (played[-1] if played else None))
    shown = focus or (ended[-1] if ended else None)
    record, paired = NO_RUN, []
    if shown is None:  # the charts' empty frames, so that they keep their places when a run starts
        head.info(t("train.empty", lang))
    else:
        now = "replay.now" if focus in played else "train.now" if focus else "train.last"  # a follower trains
        head.subheader(t(now, lang, label=shown.label))
        if not focus and (end := form.end_message(runtable.ended_of(shown), shown.config, shown.test_acc, lang)):
            getattr(head, end[0])(end[1])
        replays.note(page, shown, head)
        record = replays.record_of(page, shown)
        if record.device_note:
            head.info(t("train.device_note", lang, note=record.device_note))
        group = shown.group_name
        paired = [(r.label, store.record(r.id)) for r in runs
                  if group and r.group_name == group and r.status != "queued"]
    # The charts are light SVG images, redrawn only when their part of the record grows. Six Plotly
    # charts redrawn each second kept Chromium's main thread busy, every click and reload queued
    # behind them, and a phone had to fetch Plotly's 4.7 MB script first. Zoom and hover: the run's
    # permanent link (Plotly).
    sketches = replays.figures(page, shown).get(record, paired, lang)
    group_slot = st.container()  # a paired comparison's overlay, when there is one
    if "group" in sketches:
        group_slot.html(sketches["group"])
    charts_box = st.container(key="train_charts_live")  # two a row, one a row when narrow (style.py)
    for row in chart_rows(page):
        for col, name in zip(charts_box.columns(2), row, strict=True):
            col.html(sketches[name])
    if shown is not None:
        st.caption(f"[{t('runs.interactive', lang)}](train?run={shown.id})")


def history(page: Page, runs: list[StoredRun]) -> None:
    """The ended runs: a table, comparison charts of the picked ones, downloads, links and delete."""
    lang, store, owner = page.lang, page.store, page.owner
    ended = [r for r in runs if r.status in ENDED and not replays.playing(page, r)][-runtable.MAX_HISTORY:]
    if not ended:
        return
    st.header(t("train.history", lang))
    st.dataframe(pd.DataFrame(form.history_table([runtable.row(r) for r in ended], lang)), hide_index=True,
                 column_config={name: st.column_config.NumberColumn(format=f)
                                for name, f in form.history_formats(lang).items()})
    by_label = {r.label: r for r in ended}
    shown = dict(zip(by_label, distinct_labels([r.config for r in ended], [r.number for r in ended]),
                     strict=True))  # labels that say how runs differ
    last_group = [r.label for r in ended if r.group_name and r.group_name == ended[-1].group_name]
    chosen = st.multiselect(t("train.compare_pick", lang), list(by_label), format_func=shown.get,
                            default=last_group if len(last_group) > 1 else list(by_label)[-2:])
    picked = [(shown[label], store.record(by_label[label].id)) for label in chosen]
    compared = page.state.compare_memo.get((lang, *((label, charts.record_version(r)) for label, r in picked)),
                                           lambda: [img_of(f) for f in charts.compare_figures(picked, lang)])
    columns = st.container(key="train_charts_compare").columns(2)  # two a row as the run's charts (issue 17)
    for i, image in enumerate(compared):
        columns[i % 2].html(image)
    st.subheader(t("train.take_home", lang))
    c1, c2, c3 = st.columns(3, vertical_alignment="bottom")
    c1.download_button(t("train.dl_csv", lang), runtable.csv_text(ended), "relulab_runs.csv", "text/csv")
    c2.download_button(t("train.dl_json", lang), lambda: runtable.json_text(store, ended), "relulab_runs.json",
                       "application/json")
    pick = by_label[c3.selectbox(t("train.model_pick", lang), list(by_label)[::-1], key="train_pick",
                                 format_func=shown.get)]
    if (weights := store.load_weights(pick.id)) is not None:
        c3.download_button(t("train.dl_model", lang), lambda: model_file(pick, weights),
                           f"relulab_run{pick.number}.pt", "application/octet-stream")
    l1, l2, l3 = st.columns(3)
    run_links(page, pick, l1, l2)
    if l3.button(t("runs.delete", lang), key="train_delete") and store.delete_run(pick.id, owner):
        st.toast(t("runs.deleted", lang, label=pick.label))
        st.rerun()


def code(page: Page, config: RunConfig) -> None:
    """The PyTorch script of the controls' config, to read and to download; drawn only while opened."""
    # Closed, it sends nothing: the browser's syntax highlighter took 0.8 s of each page load's
    # main thread (a CPU profile of a reload mid-run) for code nobody had asked to see.
    box = st.expander(t("train.code", page.lang), key="train_code_open", on_change="rerun")
    if not box.open:
        return
    with box:
        script = pytorch_script(config)
        st.caption(t("train.code_help", page.lang))
        st.code(script, language="python")
        st.download_button(t("train.dl_code", page.lang), script, "relulab_train.py", "text/x-python")
