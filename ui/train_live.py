"""The Train page's runs: a permanent link's run, the live run, the history and the code of the config."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from lab.draw.modelfile import model_bytes
from lab.engine.config import RunConfig
from lab.engine.events import RunRecord
from lab.figures import train as charts
from lab.figures.alt import alt_of
from lab.figures.sketch import img_of
from lab.i18n import t
from lab.lessons.codegen import pytorch_script
from lab.runs import table as runtable
from lab.runs.labels import distinct_labels
from lab.runs.store import ENDED, StoredRun
from lab.web import train_form as form
from lab.web.insights import insights
from ui import outage
from ui import train_replay as replays
from ui.charts import plotly_with_alt
from ui.train import Page, my_runs

NO_RUN = RunRecord()  # one object for ever: the live figures are keyed by a record's identity


def chart_rows(page: Page) -> tuple[tuple[str, str], ...]:
    """The run's charts two a row; in presentation mode the lesson's two (loss, gradients) first."""
    if page.present:
        return ("loss-step", "grad-lines"), ("accuracy", "grad-heatmap"), ("saturation", "loss-epoch")
    return ("loss-step", "accuracy"), ("grad-lines", "grad-heatmap"), ("saturation", "loss-epoch")


def linked_run(page: Page) -> None:
    """A permanent link (?run=): the run as recorded, in any browser, followed live while it trains; the
    page stops there."""
    if not (linked := st.query_params.get("run")):
        return
    lang, store = page.lang, page.store
    run = store.get_run(linked)
    if run is None:
        st.error(t("runs.bad_link", lang, run_id=linked[:40]))
    else:
        st.title(t("runs.shared_title", lang, label=run.label))
        intro = t("room.live_intro" if run.active else "runs.shared_intro", lang)
        st.caption(intro + " " + (t("runs.node", lang, node=run.node) if run.node else ""))
        if run.owner != page.owner:
            st.caption(t("runs.shared_owner", lang))
        if run.active:  # as the owner's page does: the store polled, the charts redrawn as they grow
            st.fragment(linked_live, run_every=1.0)(page, run.id)
        else:
            run_table(run, lang)
            show_run(page, run, "linked")
        st.code(pytorch_script(run.config), language="python")
    if st.button(t("runs.train_this" if run else "runs.own_runs", lang), key="train_unlink"):
        st.query_params.clear()
        if run is not None:
            st.query_params.from_dict(run.config.to_query())
        st.rerun()
    st.stop()


def run_table(run: StoredRun, lang: str) -> None:
    """The run's one-row table (status, steps, loss, accuracy, seconds so far, config) with translated headers."""
    row = runtable.row(run)
    if run.status == "running" and run.started:  # seconds so far, not the 0 of a run not yet ended
        row["seconds"] = round(time.time() - run.started, 1)
    row["status"] = form.status_text(run.status, lang)
    st.dataframe(pd.DataFrame([row]).rename(columns=lambda c: t(f"train.col.{c}", lang)), hide_index=True)


def linked_live(page: Page, run_id: str) -> None:
    """A training run seen through its permanent link: progress, table and charts, redrawn every second."""
    lang, store = page.lang, page.store
    run = store.get_run(run_id)
    if run is None or not run.active:
        st.rerun()  # it ended (or was deleted): the whole page shows it as recorded
    replays.progress_line(page, run, st)  # the owner's progress bar (a queued run's place, a replay's step)
    run_table(run, lang)
    run_charts(page, store.record(run.id), [], run.config.effective_lr, page.state.run_figures("linked_live", img_of))


def show_run(page: Page, run: StoredRun, key: str) -> None:
    """A recorded run's end message, charts, downloads, links and code."""
    lang, store = page.lang, page.store
    end = form.end_message(runtable.ended_of(run), run.config, run.test_acc, lang, store.stop_origin(run.id))
    if end:
        getattr(st, end[0])(end[1])
    if run.replay:  # as recorded: the whole replay at once
        st.info(t("replay.message", lang), icon=":material/replay:")
    record = store.record(run.id)
    figures = page.state.run_figures(key).get(record, [], lang)
    for i, row in enumerate(chart_rows(page)):
        for col, name in zip(st.columns(2), row, strict=True):
            plotly_with_alt(col, figures[name], alt_of(figures[name]), f"train_{key}_{name}")
        if i == 0:
            say_insights(st.container(), record, run.config.effective_lr, lang)
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
    if weights is None:  # deleted since the page was drawn: nothing to give
        return b""
    meta = {"label": run.label, "config": run.config.to_dict(), "test_acc": run.test_acc, "run_id": run.id}
    return model_bytes(weights[0], run.config.activation, run.config.leaky_slope, meta)


def live_run(page: Page, runs: list[StoredRun]) -> None:
    """The live view, redrawn often while a run is active: often just after a start, slower later (shared CPU)."""
    active = [r for r in runs if r.active]
    training = any(r.status == "running" for r in active)
    fresh = any(r.step == 0 and time.time() - r.created < 10 for r in active)  # its first point is awaited
    shape = replays.shape(page, runs)  # when this changes, the whole page is redrawn
    # A tab that only follows another's run (a replay of a live run) redraws every FOLLOW_EVERY_S: thirty
    # students who pressed one preset kept a 2-core server's second core busy at 1 s, and slowed the run.
    following = all(r.replay for r in active) and active and len(shape) == len(active)
    every = (FOLLOW_EVERY_S if following else 0.5 if fresh else 1.0 if training or len(shape) > len(active)
             else 2.0) if shape else None
    st.fragment(outage.guarded(live_view), run_every=every)(page, shape)  # a banner while the store is away


def live_view(page: Page, shape: tuple[tuple[str, str], ...]) -> None:
    """Progress of this browser's runs and the charts of the one in focus (empty frames before the first run)."""
    lang, store = page.lang, page.store
    runs = my_runs(page)
    now_active = [r for r in runs if r.active]
    # A run started or ended (or a replay's playback): the whole page is redrawn (history, buttons), once this
    # view has shown the news: thirty tabs of one preset redraw their pages at once, the last ones seconds later.
    changed = replays.shape(page, runs) != shape
    played = [r for r in runs if (r.id, "playing") in shape]
    # Everything above the charts in one block, so the charts keep their places in the page and the
    # browser updates them in place: redrawing a chart is far cheaper than creating it.
    head = st.container()
    running, waiting = server_load(store)
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
        end_of = None if focus else runtable.ended_of(shown)
        stopped_by = store.stop_origin(shown.id) if end_of and end_of.status == "stopped" else None
        if end := form.end_message(end_of, shown.config, shown.test_acc, lang, stopped_by):
            getattr(head, end[0])(end[1])
        replays.note(page, shown, head)
        record = replays.record_of(page, shown)
        if record.device_note:
            head.info(t("train.device_note", lang, note=record.device_note))
        group = shown.group_name
        paired = [(r.label, store.record(r.id)) for r in runs
                  if group and r.group_name == group and r.status != "queued"]
    lr = shown.config.effective_lr if shown else 0.0
    run_charts(page, record, paired, lr, replays.figures(page, shown, record))  # shared by the tabs following one run
    if shown is not None:
        st.caption(f"[{t('runs.interactive', lang)}](train?run={shown.id})")
    if changed:
        st.rerun()


FOLLOW_EVERY_S = 2.0
_load: dict[int, tuple[float, tuple[int, int]]] = {}  # id(store) -> (time.monotonic(), its load then)


def server_load(store) -> tuple[int, int]:
    """(runs training, runs queued), read at most once a second for all the tabs of this process."""
    # Every tab's live view shows it each second: thirty tabs asked the same query thirty times.
    seen, load = _load.get(id(store), (-1e9, (0, 0)))
    if time.monotonic() - seen >= 1.0:
        load = store.load()
        _load[id(store)] = (time.monotonic(), load)
    return load


def run_charts(page: Page, record: RunRecord, paired, lr: float, figures: charts.LiveFigures) -> None:
    """A run's charts as SVG images two a row (the lesson's two first when presenting), what they show said
    under the first row."""
    # The charts are light SVG images, redrawn only when their part of the record grows. Six Plotly
    # charts redrawn each second kept Chromium's main thread busy, every click and reload queued
    # behind them, and a phone had to fetch Plotly's 4.7 MB script first. Zoom and hover: the run's
    # permanent link (Plotly), once it has ended.
    sketches = figures.get(record, paired, page.lang)
    group_slot = st.container()  # a paired comparison's overlay, when there is one
    if "group" in sketches:
        group_slot.html(sketches["group"])
    charts_box = st.container(key="train_charts_live")  # two a row, one a row when narrow (style.py)
    for i, row in enumerate(chart_rows(page)):
        for col, name in zip(charts_box.columns(2), row, strict=True):
            col.html(sketches[name])
        if i == 0:  # always there (empty or not): the rows below keep their places
            say_insights(charts_box.container(), record, lr, page.lang)


def say_insights(box, record: RunRecord, lr: float, lang: str) -> None:
    """What the charts show, one sentence each (vanished gradient, divergence, dead units), into box."""
    for level, text in insights(record, lr, lang):
        getattr(box, level)(text)


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
    picked = [(shown[label], replays.record_of(page, by_label[label])) for label in chosen]
    compared = replays.compared(page, picked, lambda: [img_of(f) for f in charts.compare_figures(picked, lang)])
    columns = st.container(key="train_charts_compare").columns(2)  # two a row as the run's charts (issue 17)
    for i, image in enumerate(compared):
        columns[i % 2].html(image)
    st.subheader(t("train.take_home", lang))
    c1, c2, c3 = st.columns([1, 1, 2], vertical_alignment="bottom")  # a run's label is read whole in c3
    c1.download_button(t("train.dl_csv", lang), runtable.csv_text(ended), "relulab_runs.csv", "text/csv")
    c2.download_button(t("train.dl_json", lang), lambda: runtable.json_text(store, ended), "relulab_runs.json",
                       "application/json")
    pick = by_label[c3.selectbox(t("train.model_pick", lang), list(by_label)[::-1], key="train_pick",
                                 format_func=shown.get)]
    if pick.id in store.has_weights([pick.id]):  # loaded when clicked: a page's rerun deserialises no weights
        c3.download_button(t("train.dl_model", lang), lambda: model_file(pick, store.load_weights(pick.id)),
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
