"""The Train page: pick activation, optimizer and depth, watch it learn live, compare runs."""

import time

import pandas as pd
import streamlit as st
import torch

from lab.classroom import classes
from lab.draw.modelfile import model_bytes
from lab.engine.config import CHOICES, RunConfig
from lab.engine.optim import OPTIMIZERS
from lab.figures import train as charts
from lab.i18n import t
from lab.lessons.codegen import pytorch_script
from lab.runs import table as runtable
from lab.runs.executor import get_executor
from lab.runs.labels import distinct_labels
from lab.runs.progress import progress_of
from lab.runs.store import ACTIVE, ENDED, new_token, open_store
from lab.web import train_form as form

lang = st.session_state.get("lang", "en")
W = "train_w_"  # prefix of this page's widget keys in st.session_state
CUDA = torch.cuda.is_available()
PRESENT = st.session_state.get("present", False)  # presentation mode (app.py): the lesson's two charts first
CHART_ROWS = ((("loss-step", "grad-lines"), ("accuracy", "grad-heatmap"), ("saturation", "loss-epoch")) if PRESENT
              else (("loss-step", "accuracy"), ("grad-lines", "grad-heatmap"), ("saturation", "loss-epoch")))
MAX_ACTIVE = 6  # queued + training runs one browser may have; a shared machine is small
if st.session_state.get("store_error"):
    st.error(t("store.error", lang, message=st.session_state.store_error))
    st.stop()
store, owner = open_store(), st.session_state.setdefault("owner", new_token())  # app.py sets it
executor = get_executor(store)


def load_preset(name: str) -> None:
    """Preset button: put the preset in the controls; a comparison preset also starts its runs."""
    config = form.preset_configs(name)[0]
    st.session_state.update({W + k: v for k, v in form.all_widget_values(config).items()})  # issue 17
    st.session_state.train_config, st.session_state.train_preset = config, name
    st.session_state.train_preset_loaded, st.session_state.train_notices = True, []
    if name in form.GROUP_PRESETS:
        st.session_state.train_pending = name


def set_widgets(config: RunConfig, preset: str | None) -> None:
    """Reset button and "use defaults" button (issue 17): every widget to config, the preset noted."""
    st.session_state.update({W + k: v for k, v in form.all_widget_values(config).items()})
    st.session_state.train_config, st.session_state.train_preset = config, preset
    st.session_state.train_notices, st.session_state.train_preset_loaded = [], True  # the URL is stale


def start(configs: list[RunConfig], group: str | None) -> None:
    """Queue runs in the store (they train in this order); the executor picks them up."""
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
    for config in configs[:max(0, room)]:
        executor.submit(store.create_run(config, owner, group, **in_class).id)


@st.fragment(run_every=3)
def class_banner() -> None:
    """The student's class and the teacher's challenge, looked up every 3 s; one click loads it."""
    member = classes.membership(store, owner)
    if member is None or not member.open:
        return
    st.caption(t("class.in_class", lang, name=classes.escape_markdown(member.name or member.code),
                 nickname=classes.escape_markdown(member.nickname)))
    if member.challenge is not None:
        text, use = st.columns([5, 1], vertical_alignment="center")
        text.info(t("class.challenge_banner", lang, challenge=classes.challenge_text(member.challenge, lang)))
        if use.button(t("class.use_challenge", lang), key="train_use_challenge"):
            st.query_params.from_dict({"lang": lang, **member.challenge.to_query()})
            st.rerun(scope="app")  # the page reads the config from the URL, as for a shared link


def stop_all() -> None:
    """Stop this browser's runs, then wait (up to 1.5 s) so the page can say they stopped."""
    for run in store.list_runs(owner=owner, statuses=ACTIVE):
        store.request_stop(run.id, owner)
        executor.stop(run.id)
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline and store.list_runs(owner=owner, statuses=ACTIVE):
        time.sleep(0.05)


def show_run(run, record, key: str) -> None:
    """A recorded run's end message, charts, downloads, links and code."""
    end = form.end_message(runtable.ended_of(run), run.config, run.test_acc, lang)
    if end:
        getattr(st, end[0])(end[1])
    memo = st.session_state.setdefault(f"train_memo_{key}", charts.FigureMemo())
    figures = memo.get((lang, charts.record_version(record)), lambda: charts.live_figures(record, [], lang))
    for row in CHART_ROWS:
        for col, name in zip(st.columns(2), row, strict=True):
            col.plotly_chart(figures[name], key=f"train_{key}_{name}")
    c1, c2, c3, c4 = st.columns(4, vertical_alignment="bottom")
    c1.markdown(f"[{t('runs.link', lang)}](train?run={run.id})", help=t("runs.link_help", lang))
    c2.markdown(f"[{t('runs.draw_with', lang)}](draw?model={run.id})")
    c3.download_button(t("train.dl_json", lang), runtable.json_text(store, [run]), f"relulab_{run.id}.json",
                       "application/json", key=f"train_{key}_json")
    if (weights := store.load_weights(run.id)) is not None:
        meta = {"label": run.label, "config": run.config.to_dict(), "test_acc": run.test_acc, "run_id": run.id}
        c4.download_button(t("train.dl_model", lang), model_bytes(weights[0], run.config.activation,
                           run.config.leaky_slope, meta), f"relulab_{run.id}.pt", "application/octet-stream",
                           key=f"train_{key}_model")


if linked := st.query_params.get("run"):  # a permanent link: the run as recorded, in any browser
    run = store.get_run(linked)
    if run is None:
        st.error(t("runs.bad_link", lang, run_id=linked[:40]))
    else:
        st.title(t("runs.shared_title", lang, label=run.label))
        st.caption(t("runs.shared_intro", lang) + " " + (t("runs.node", lang, node=run.node) if run.node else ""))
        if run.owner != owner:
            st.caption(t("runs.shared_owner", lang))
        st.dataframe(pd.DataFrame([runtable.row(run)]).rename(columns=lambda c: t(f"train.col.{c}", lang)),
                     hide_index=True)
        show_run(run, store.record(run.id), "linked")
        st.code(pytorch_script(run.config), language="python")
    if st.button(t("runs.train_this" if run else "runs.own_runs", lang), key="train_unlink"):
        st.query_params.clear()
        if run is not None:
            st.query_params.from_dict(run.config.to_query())
        st.rerun()
    st.stop()
saved = st.session_state.get("train_config")
url = {} if st.session_state.pop("train_preset_loaded", False) else st.query_params.to_dict()
incoming, notices, url_preset = form.incoming_config(url, saved, CUDA)
if incoming is not None or notices:
    st.session_state.train_notices = notices
if url_preset:  # a home page link: note the preset like a button would (issue 17)
    st.session_state.train_preset = url_preset
current = incoming or saved or RunConfig()
for key, value in form.widget_values(current).items():
    if incoming is not None or W + key not in st.session_state:
        st.session_state[W + key] = value

with st.sidebar:
    st.header(t("train.controls", lang))
    act = st.selectbox(t("train.activation", lang), CHOICES["activation"], key=W + "activation")
    st.slider(t("train.leaky_slope", lang), 0.0, 1.0, step=0.01, key=W + "leaky_slope",
              disabled=act != "leaky_relu")
    opt = st.selectbox(t("train.optimizer", lang), CHOICES["optimizer"], key=W + "optimizer",
                       format_func=lambda name: OPTIMIZERS[name].cls_name)
    spec = OPTIMIZERS[opt]
    for note in [k for k, on in (("train.full_batch", spec.full_batch), ("train.sparse", spec.sparse)) if on]:
        st.caption(t(note, lang, name=spec.cls_name))
    for key, value in form.opt_param_values(current, opt).items():
        st.session_state.setdefault(W + key, value)
    use_default = st.toggle(t("train.default_lr", lang, lr=f"{spec.default_lr:g}"), key=W + "default_lr")
    if use_default:
        st.session_state[W + "lr"] = spec.default_lr
    st.select_slider(t("train.lr", lang), form.with_value(form.LR_GRID, st.session_state[W + "lr"]),
                     key=W + "lr", disabled=use_default, format_func=lambda v: f"{v:g}")
    with st.expander(t("train.opt_settings", lang, name=spec.cls_name)):
        for name, hyper in spec.params.items():
            key = f"{W}opt.{opt}.{name}"
            if hyper.kind == "bool":
                st.checkbox(name, key=key)
            elif hyper.kind == "int":
                st.number_input(name, int(hyper.lo), int(hyper.hi), step=1, key=key)
            else:
                st.number_input(name, float(hyper.lo), float(hyper.hi), step=(hyper.hi - hyper.lo) / 100,
                                format="%.5g", key=key)
    st.slider(t("train.depth", lang), 0, 10, key=W + "depth", help=t("train.depth_help", lang))
    st.select_slider(t("train.width", lang), form.with_value(form.WIDTHS, st.session_state[W + "width"]),
                     key=W + "width")
    st.selectbox(t("train.init", lang), CHOICES["init"], key=W + "init", help=t("train.init_help", lang),
                 format_func=lambda name: t(f"train.init.{name}", lang))
    st.select_slider(t("train.batch_size", lang),
                     form.with_value(form.BATCHES, st.session_state[W + "batch_size"]), key=W + "batch_size")
    st.number_input(t("train.epochs", lang), 1, 100, key=W + "epochs")
    devices = ("auto", "cpu", "cuda") if CUDA else ("auto", "cpu")
    st.selectbox(t("train.device", lang), devices, key=W + "device")
    st.number_input(t("train.seed", lang), 0, 2**31 - 1, key=W + "seed", help=t("train.seed_help", lang))
    st.toggle(t("train.augment", lang), key=W + "augment", help=t("train.augment_help", lang))
    with st.expander(t("train.advanced", lang)):
        st.number_input(t("train.train_subset", lang), 0, 60000, step=1000, key=W + "train_subset",
                        help=t("train.train_subset_help", lang))
        st.number_input(t("train.log_every", lang), 1, 10000, key=W + "log_every")
        st.number_input(t("train.probe_every", lang), 1, 100000, key=W + "probe_every")

values = {k[len(W):]: v for k, v in st.session_state.items() if k.startswith(W)}
config = form.config_from_widgets(values, current)
if config != current:  # the user moved a control: old notices about the link no longer apply
    st.session_state.train_notices = []
st.session_state.train_config = config
query = st.query_params.to_dict()
wanted = {k: v for k, v in query.items() if not form.is_config_key(k) and k != "preset"} | config.to_query()
if wanted != query:
    st.query_params.from_dict(wanted)  # the URL reproduces the run

st.title(t("train.title", lang))
if not PRESENT:  # on a projector the teacher says it; the charts move up
    st.caption(t("train.intro", lang))
class_banner()
for notice in st.session_state.get("train_notices", []):
    st.warning(t("train.notice", lang, detail=notice))
for col, name in zip(st.columns(len(form.PRESET_MENU)), form.PRESET_MENU, strict=True):
    col.button(t(f"train.preset.{name}", lang), on_click=load_preset, args=(name,), width="stretch",
               help=t(f"train.preset_help.{name}", lang), key=f"train_preset_{name}")


mine = store.list_runs(owner=owner, limit=runtable.MAX_HISTORY + MAX_ACTIVE)
active = [r for r in mine if r.active]
preset = st.session_state.get("train_preset")
if preset and config == form.preset_configs(preset)[0]:
    fields = ", ".join(f"{k}={v}" for k, v in form.preset_fields(preset).items())
    note = t("train.preset_loaded", lang, name=t(f"train.preset.{preset}", lang), fields=fields)
    st.info(note if preset in form.GROUP_PRESETS else f"{note} {t('train.preset_press', lang)}")
if hint := form.config_hint(config, preset, lang):  # a config that cannot show what its preset was about
    st.warning(hint, icon=":material/lightbulb:")
    if left_over := form.leftovers(config, preset):
        st.button(t("train.use_defaults", lang, fields=", ".join(left_over)), key="train_use_defaults",
                  on_click=set_widgets, args=(form.without_leftovers(config, preset), None))
if pending := st.session_state.pop("train_pending", None):
    st.session_state.train_groups = st.session_state.get("train_groups", 0) + 1
    start(form.preset_configs(pending), f"{pending}-{st.session_state.train_groups}")
    st.rerun()
left, middle, right, _ = st.columns([1, 1, 1.2, 1.8], vertical_alignment="center")
left.button(t("train.start", lang), type="primary", width="stretch", key="train_start", disabled=bool(active),
            help=t("train.running_note", lang) if active else None, on_click=start, args=([config], None))
middle.button(t("train.stop", lang), on_click=stop_all, disabled=not active, width="stretch", key="train_stop")
right.button(t("train.reset", lang), key="train_reset", width="stretch", help=t("train.reset_help", lang),
             on_click=set_widgets, args=(RunConfig(), None))
training = any(r.status == "running" for r in active)
# Just queued: look often, so the first point shows as soon as it trains; waiting long: slower (shared CPU).
fresh = any(r.status == "queued" and time.time() - r.created < 10 for r in active)
shape = tuple((r.id, r.status) for r in active)  # when this changes, the whole page is redrawn


@st.fragment(run_every=(0.5 if fresh else 1.0 if training else 2.0) if active else None)
def live_view() -> None:
    """Progress of this browser's runs and the charts of the one in focus; redrawn every second."""
    runs = store.list_runs(owner=owner, limit=runtable.MAX_HISTORY + MAX_ACTIVE)
    now_active = [r for r in runs if r.active]
    if tuple((r.id, r.status) for r in now_active) != shape:
        st.rerun()  # a run started or ended: redraw the whole page (history, buttons)
    running, waiting = store.load()
    st.caption(t("train.server", lang, running=running, waiting=waiting, limit=getattr(executor, "slots", "…")))
    for run in now_active:
        progress = progress_of(run, store.queue_place(run))
        st.progress(progress.fraction, text=form.progress_text(progress, run.label, lang))
    ended = [r for r in runs if r.status in ENDED]
    training_now = [r for r in now_active if r.status == "running"]
    focus = training_now[-1] if training_now else (now_active[0] if now_active else None)
    shown = focus or (ended[-1] if ended else None)
    if shown is None:
        st.info(t("train.empty", lang))
        return
    st.subheader(t("train.now" if focus else "train.last", lang, label=shown.label))
    if not focus and (end := form.end_message(runtable.ended_of(shown), shown.config, shown.test_acc, lang)):
        getattr(st, end[0])(end[1])
    record = store.record(shown.id)
    if record.device_note:
        st.info(t("train.device_note", lang, note=record.device_note))
    if shown.status == "queued":
        return  # nothing trained yet: the queue place above is all there is to show
    group = shown.group_name
    paired = [(r.label, store.record(r.id)) for r in runs
              if group and r.group_name == group and r.status != "queued"]
    memo = st.session_state.setdefault("train_figure_memo", charts.FigureMemo())
    figures = memo.get((lang, *map(charts.record_version, [record, *(r for _, r in paired)])),
                       lambda: charts.live_figures(record, paired, lang))
    if "group" in figures:
        st.plotly_chart(figures["group"], key="train_chart_group")
    for row in CHART_ROWS:
        for col, name in zip(st.columns(2), row, strict=True):
            col.plotly_chart(figures[name], key=f"train_chart_{name}")


live_view()

history = [r for r in mine if r.status in ENDED][-runtable.MAX_HISTORY:]
if history:
    st.header(t("train.history", lang))
    st.dataframe(pd.DataFrame(form.history_table([runtable.row(r) for r in history], lang)), hide_index=True,
                 column_config={name: st.column_config.NumberColumn(format=f)
                                for name, f in form.history_formats(lang).items()})
    by_label = {r.label: r for r in history}
    shown = dict(zip(by_label, distinct_labels([r.config for r in history], [r.number for r in history]),
                     strict=True))  # labels that say how runs differ
    last_group = [r.label for r in history if r.group_name and r.group_name == history[-1].group_name]
    chosen = st.multiselect(t("train.compare_pick", lang), list(by_label), format_func=shown.get,
                            default=last_group if len(last_group) > 1 else list(by_label)[-2:])
    picked = [(shown[label], store.record(by_label[label].id)) for label in chosen]
    memo = st.session_state.setdefault("train_compare_memo", charts.FigureMemo())
    compared = memo.get((lang, *((label, charts.record_version(r)) for label, r in picked)),
                        lambda: charts.compare_figures(picked, lang))
    columns = st.columns(2)  # issue 17: two a row, as the run's charts (three were 177 px wide at 1024)
    for i, figure in enumerate(compared):
        columns[i % 2].plotly_chart(figure)
    st.subheader(t("train.take_home", lang))
    c1, c2, c3 = st.columns(3, vertical_alignment="bottom")
    c1.download_button(t("train.dl_csv", lang), runtable.csv_text(history), "relulab_runs.csv", "text/csv")
    c2.download_button(t("train.dl_json", lang), lambda: runtable.json_text(store, history), "relulab_runs.json",
                       "application/json")
    pick = by_label[c3.selectbox(t("train.model_pick", lang), list(by_label)[::-1], key="train_pick",
                                 format_func=shown.get)]
    if (weights := store.load_weights(pick.id)) is not None:
        meta = {"label": pick.label, "config": pick.config.to_dict(), "test_acc": pick.test_acc,
                "run_id": pick.id}
        c3.download_button(t("train.dl_model", lang), lambda: model_bytes(
            weights[0], pick.config.activation, pick.config.leaky_slope, meta),
            f"relulab_run{pick.number}.pt", "application/octet-stream")
    l1, l2, l3 = st.columns(3)
    l1.markdown(f"[{t('runs.link', lang)}](train?run={pick.id})", help=t("runs.link_help", lang))
    l2.markdown(f"[{t('runs.draw_with', lang)}](draw?model={pick.id})")
    if l3.button(t("runs.delete", lang), key="train_delete") and store.delete_run(pick.id, owner):
        st.toast(t("runs.deleted", lang, label=pick.label))
        st.rerun()

with st.expander(t("train.code", lang)):
    script = pytorch_script(config)
    st.caption(t("train.code_help", lang))
    st.code(script, language="python")
    st.download_button(t("train.dl_code", lang), script, "relulab_train.py", "text/x-python")
