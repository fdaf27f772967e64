"""The Train page's steps up to its buttons: the URL and the form, the controls, presets, start and stop."""

from __future__ import annotations

import time
from dataclasses import dataclass

import streamlit as st
import torch

from lab.classroom import classes
from lab.engine.config import CHOICES, RunConfig
from lab.engine.optim_table import OPTIMIZERS
from lab.i18n import t
from lab.runs import table as runtable
from lab.runs.execute import Executor
from lab.runs.executor import get_executor
from lab.runs.identity import key_for
from lab.runs.store import ACTIVE, Store, StoredRun, open_store
from lab.web import train_form as form
from ui import outage
from ui.train_state import TrainState

CUDA = torch.cuda.is_available()
MAX_ACTIVE = 6  # queued + training runs one browser may have; a shared machine is small


@dataclass(frozen=True)
class Page:
    """What every step needs: the session's keys, the language, presentation mode, the store, this browser."""

    state: TrainState
    lang: str
    present: bool
    store: Store
    owner: str
    executor: Executor


def open_page(state: TrainState) -> Page:
    """The page's context; a store that cannot open stops the page (app.py says why and waits for it)."""
    store = open_store()
    executor = get_executor(store)
    executor.warm()  # a student here will likely train soon: the first run need not wait for torch's imports
    return Page(state, state.lang, state.present, store, state.owner, executor)


def read_url(page: Page) -> RunConfig:
    """The config a link or a preset in the URL asks for, else the controls' own; the controls set to it."""
    state = page.state
    saved = state.config
    url = {} if state.take_loaded() else st.query_params.to_dict()
    incoming, notices, url_preset = form.incoming_config(url, saved, CUDA)
    if incoming is not None or notices:
        state.notices = notices
    if url_preset:  # a home page link: note the preset like a button would (issue 17)
        state.preset = url_preset
    current = incoming or saved or RunConfig()
    for name, value in form.widget_values(current).items():
        if incoming is not None or not state.has_widget(name):
            state.set_widget(name, value)
    return current


def show_controls(page: Page, current: RunConfig) -> None:
    """The sidebar: every field of a RunConfig as a control bound to its widget key."""
    lang, state, key = page.lang, page.state, page.state.key
    with st.sidebar:
        st.header(t("train.controls", lang))
        act = st.selectbox(t("train.activation", lang), CHOICES["activation"], key=key("activation"))
        st.slider(t("train.leaky_slope", lang), 0.0, 1.0, step=0.01, key=key("leaky_slope"),
                  disabled=act != "leaky_relu")
        opt = st.selectbox(t("train.optimizer", lang), CHOICES["optimizer"], key=key("optimizer"),
                           format_func=lambda name: OPTIMIZERS[name].cls_name)
        spec = OPTIMIZERS[opt]
        for note in [k for k, on in (("train.full_batch", spec.full_batch), ("train.sparse", spec.sparse)) if on]:
            st.caption(t(note, lang, name=spec.cls_name))
        for name, value in form.opt_param_values(current, opt).items():
            state.default_widget(name, value)
        use_default = st.toggle(t("train.default_lr", lang, lr=f"{spec.default_lr:g}"), key=key("default_lr"))
        if use_default:
            state.set_widget("lr", spec.default_lr)
        st.select_slider(t("train.lr", lang), form.with_value(form.LR_GRID, state.widget("lr")), key=key("lr"),
                         disabled=use_default, format_func=lambda v: f"{v:g}")
        with st.expander(t("train.opt_settings", lang, name=spec.cls_name)):
            for name, hyper in spec.params.items():
                if hyper.kind == "bool":
                    st.checkbox(name, key=key(f"opt.{opt}.{name}"))
                elif hyper.kind == "int":
                    st.number_input(name, int(hyper.lo), int(hyper.hi), step=1, key=key(f"opt.{opt}.{name}"))
                else:
                    st.number_input(name, float(hyper.lo), float(hyper.hi), step=(hyper.hi - hyper.lo) / 100,
                                    format="%.5g", key=key(f"opt.{opt}.{name}"))
        st.slider(t("train.depth", lang), 0, 10, key=key("depth"), help=t("train.depth_help", lang))
        st.select_slider(t("train.width", lang), form.with_value(form.WIDTHS, state.widget("width")),
                         key=key("width"))
        st.selectbox(t("train.init", lang), CHOICES["init"], key=key("init"), help=t("train.init_help", lang),
                     format_func=lambda name: t(f"train.init.{name}", lang))
        st.select_slider(t("train.batch_size", lang), form.with_value(form.BATCHES, state.widget("batch_size")),
                         key=key("batch_size"))
        st.number_input(t("train.epochs", lang), 1, 100, key=key("epochs"))
        st.selectbox(t("train.device", lang), ("auto", "cpu", "cuda") if CUDA else ("auto", "cpu"), key=key("device"))
        st.number_input(t("train.seed", lang), 0, 2**31 - 1, key=key("seed"), help=t("train.seed_help", lang))
        st.toggle(t("train.augment", lang), key=key("augment"), help=t("train.augment_help", lang))
        with st.expander(t("train.advanced", lang)):
            st.number_input(t("train.train_subset", lang), 0, 60000, step=1000, key=key("train_subset"),
                            help=t("train.train_subset_help", lang))
            st.number_input(t("train.log_every", lang), 1, 10000, key=key("log_every"))
            st.number_input(t("train.probe_every", lang), 1, 100000, key=key("probe_every"))


def read_config(page: Page, current: RunConfig) -> RunConfig:
    """The controls' RunConfig, kept for the next run and written to the URL (the URL reproduces the run)."""
    config = form.config_from_widgets(page.state.widget_values(), current)
    if config != current:  # the user moved a control: old notices about the link no longer apply
        page.state.notices = []
    page.state.config = config
    query = st.query_params.to_dict()
    wanted = {k: v for k, v in query.items() if not form.is_config_key(k) and k != "preset"} | config.to_query()
    if wanted != query:
        st.query_params.from_dict(wanted)
    return config


def header(page: Page) -> None:
    """The title, and the intro unless presenting (on a projector the teacher says it; the charts move up)."""
    st.title(t("train.title", page.lang))
    if not page.present:
        st.caption(t("train.intro", page.lang))


def lesson_tools(page: Page, config: RunConfig) -> None:
    """The class banner, what was wrong with the link, the preset buttons and what the preset holds.

    Above the buttons normally; under the live charts in presentation mode, so that on a projector
    (1024x768) the loss and gradient charts of a run sit in the first screenful."""
    lang = page.lang
    class_banner(page)
    for notice in page.state.notices:
        st.warning(t("train.notice", lang, detail=notice))
    for col, name in zip(st.columns(len(form.PRESET_MENU)), form.PRESET_MENU, strict=True):
        col.button(t(f"train.preset.{name}", lang), on_click=load_preset, args=(page, name), width="stretch",
                   help=t(f"train.preset_help.{name}", lang), key=f"train_preset_{name}")
    preset_note(page, config)


@st.fragment(run_every=3)
@outage.silent
def class_banner(page: Page) -> None:
    """The student's class and the teacher's challenge, looked up every 3 s; one click loads it."""
    lang = page.lang
    member = classes.membership(page.store, page.owner)
    if member is None:
        return
    if not member.open:  # said, not just gone: ▶ Train now starts a run of the student's own
        st.info(t("room.class_closed", lang, name=classes.escape_markdown(member.name or member.code)))
        return
    st.caption(t("class.in_class", lang, name=classes.escape_markdown(member.name or member.code),
                 nickname=classes.escape_markdown(member.nickname)))
    if member.challenge is not None:
        text, use = st.columns([5, 1], vertical_alignment="center")
        text.info(t("class.challenge_banner", lang, challenge=classes.challenge_text(member.challenge, lang)))
        if use.button(t("class.use_challenge", lang), key="train_use_challenge"):
            st.query_params.from_dict({"lang": lang, **member.challenge.to_query()})
            st.rerun(scope="app")  # the page reads the config from the URL, as for a shared link


def my_runs(page: Page) -> list[StoredRun]:
    """This browser's recent runs, oldest first: the active ones and the history."""
    return page.store.list_runs(owner=page.owner, limit=runtable.MAX_HISTORY + MAX_ACTIVE)


def preset_note(page: Page, config: RunConfig) -> None:
    """Which preset the controls hold, or a hint (and one click back) when the config hides its point."""
    lang, preset = page.lang, page.state.preset
    if preset and config == form.preset_configs(preset)[0]:
        fields = ", ".join(f"{k}={v}" for k, v in form.preset_fields(preset).items())
        note = t("train.preset_loaded", lang, name=t(f"train.preset.{preset}", lang), fields=fields)
        st.info(note if preset in form.GROUP_PRESETS else f"{note} {t('train.preset_press', lang)}")
    if hint := form.config_hint(config, preset, lang):  # a config that cannot show what its preset was about
        st.warning(hint, icon=":material/lightbulb:")
        if left_over := form.leftovers(config, preset):
            st.button(t("train.use_defaults", lang, fields=", ".join(left_over)), key="train_use_defaults",
                      on_click=set_widgets, args=(page, form.without_leftovers(config, preset), None))


def start_stop(page: Page, config: RunConfig, runs: list[StoredRun]) -> None:
    """A comparison preset's runs start here; then ▶ Train (off while a run is active), ■ Stop and ↺ Reset."""
    lang, active = page.lang, [r for r in runs if r.active]
    if pending := page.state.take_group():
        start(page, form.preset_configs(pending), f"{pending}-{page.state.next_group()}")
        st.rerun()
    left, middle, right, _ = st.columns([1, 1, 1.2, 1.8], vertical_alignment="center")
    left.button(t("train.start", lang), type="primary", width="stretch", key="train_start", disabled=bool(active),
                help=t("train.running_note", lang) if active else None, on_click=start, args=(page, [config], None))
    middle.button(t("train.stop", lang), on_click=stop_all, args=(page,), disabled=not active, width="stretch",
                  key="train_stop")
    right.button(t("train.reset", lang), key="train_reset", width="stretch", help=t("train.reset_help", lang),
                 on_click=set_widgets, args=(page, RunConfig(), None))


def load_preset(page: Page, name: str) -> None:
    """Preset button: put the preset in the controls; a comparison preset also starts its runs."""
    set_widgets(page, form.preset_configs(name)[0], name)
    if name in form.GROUP_PRESETS:
        page.state.queue_group(name)


def set_widgets(page: Page, config: RunConfig, preset: str | None) -> None:
    """Reset, "use defaults" and preset buttons (issue 17): every control to config, the preset noted."""
    page.state.loaded(config, preset, form.all_widget_values(config))


@outage.toast_on_failure("outage.not_started")
def start(page: Page, configs: list[RunConfig], group: str | None) -> None:
    """Queue runs in the store (they train in this order); the executor picks them up."""
    store, owner, lang = page.store, page.owner, page.lang
    active = store.list_runs(owner=owner, statuses=ACTIVE)
    if group is None and active:  # ▶ Train is disabled while a run is active: this click came from a stale page
        st.toast(t("train.running_note", lang))
        return
    room = MAX_ACTIVE - len(active)
    if room < len(configs):
        st.warning(t("train.too_many", lang, n=MAX_ACTIVE))
    try:  # a student's runs carry the class (and count against its runs per student)
        in_class = classes.start_args(store, owner, min(len(configs), max(0, room)))
    except classes.ClassError as exc:
        st.warning(exc.message(lang))
        return
    for config in configs[:max(0, room)]:  # recorded with its executor: a restarted Ray server resubmits its own
        # An identical run (same key) is not trained again: this one replays or follows it (lab/runs/replay.py).
        run = store.create_run(config, owner, group, executor=page.executor.name, key=key_for(config, page.executor),
                               reuse=True, **in_class)
        page.executor.submit(run.id)


@outage.keep_stop
def stop_all(page: Page) -> None:
    """Stop this browser's runs, then wait (up to 1.5 s) so the page can say they stopped: first in a toast."""
    asked = page.store.list_runs(owner=page.owner, statuses=ACTIVE)
    for run in asked:
        page.store.request_stop(run.id, page.owner)
        page.executor.stop(run.id)
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline and page.store.list_runs(owner=page.owner, statuses=ACTIVE):
        time.sleep(0.05)
    # The toast is the rerun's first message: the browser shows it before the page below is redrawn.
    for run in asked:
        if (now := page.store.get_run(run.id)) is not None and now.status == "stopped":
            st.toast(t("train.stopped_toast", page.lang, label=now.label, step=now.step))
