"""The Train page: pick activation, optimizer and depth, watch it learn live, compare runs."""

import pandas as pd
import streamlit as st
import torch

from lab import train_charts as charts
from lab import train_form as form
from lab.codegen import pytorch_script
from lab.config import CHOICES, RunConfig
from lab.i18n import t
from lab.modelfile import model_bytes
from lab.optim import OPTIMIZERS
from lab.run_labels import distinct_labels
from lab.worker import SessionRuns

lang = st.session_state.get("lang", "en")
W = "train_w_"  # prefix of this page's widget keys in st.session_state
CUDA = torch.cuda.is_available()
CHART_ROWS = (("loss-step", "accuracy"), ("grad-lines", "grad-heatmap"), ("saturation", "loss-epoch"))


@st.cache_resource(scope="session", on_release=SessionRuns.release, show_spinner=False)
def session_runs() -> SessionRuns:
    """This tab's runs and history; when the tab goes, on_release stops its runs."""
    return SessionRuns()


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
    """Queue runs and offer their models to the other pages (trained_models, newest last)."""
    jobs = runs.start_group(configs, group) if group else [j for j in [runs.start(configs[0])] if j]
    if len(jobs) < len(configs):
        st.warning(t("train.too_many", lang, n=runs.max_active))
    models = st.session_state.setdefault("trained_models", {})
    for job in jobs:
        models[job.label] = job.source


runs = session_runs()
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
st.caption(t("train.intro", lang))
for notice in st.session_state.get("train_notices", []):
    st.warning(t("train.notice", lang, detail=notice))
for col, name in zip(st.columns(len(form.PRESET_MENU)), form.PRESET_MENU, strict=True):
    col.button(t(f"train.preset.{name}", lang), on_click=load_preset, args=(name,), width="stretch",
               help=t(f"train.preset_help.{name}", lang), key=f"train_preset_{name}")

# --- issue 17: preset note, hint, reset; ▶ Train disabled while a run is active ---
preset = st.session_state.get("train_preset")
if preset and config == form.preset_configs(preset)[0]:
    fields = ", ".join(f"{k}={v}" for k, v in form.preset_fields(preset).items())
    note = t("train.preset_loaded", lang, name=t(f"train.preset.{preset}", lang), fields=fields)
    st.info(note if preset in form.GROUP_PRESETS else f"{note} {t('train.preset_press', lang)}")
if hint := form.config_hint(config, preset, lang):
    st.warning(hint, icon=":material/lightbulb:")
    if left_over := form.leftovers(config, preset):
        st.button(t("train.use_defaults", lang, fields=", ".join(left_over)), key="train_use_defaults",
                  on_click=set_widgets, args=(form.without_leftovers(config, preset), None))
if pending := st.session_state.pop("train_pending", None):  # before ▶ Train: it shows disabled at once
    st.session_state.train_groups = st.session_state.get("train_groups", 0) + 1
    start(form.preset_configs(pending), f"{pending}-{st.session_state.train_groups}")
busy = bool(runs.active())
left, middle, right, _ = st.columns([1, 1, 1.2, 1.8], vertical_alignment="center")
if left.button(t("train.start", lang), type="primary", width="stretch", key="train_start", disabled=busy,
               help=t("train.running_note", lang) if busy else None):
    start([config], None)
    if runs.active():
        st.rerun()  # redraw the page with ▶ Train disabled while the run is active
right.button(t("train.reset", lang), key="train_reset", width="stretch", help=t("train.reset_help", lang),
             on_click=set_widgets, args=(RunConfig(), None))
middle.button(t("train.stop", lang), on_click=runs.stop_all, disabled=not runs.active(), width="stretch",
              key="train_stop")
live = bool(runs.active())  # while anything is queued or training, the live view ticks
training = any(j.state == "running" for j in runs.active())  # only waiting: tick slower (shared CPU)


@st.fragment(run_every=(1.0 if training else 3.0) if live else None)
def live_view() -> None:
    """Progress of this tab's runs and the charts of the one in focus; redrawn every second."""
    jobs = runs.active()
    now_training = any(j.state == "running" for j in jobs)
    if runs.history.version != st.session_state.train_seen or (live and not jobs) or now_training != training:
        st.rerun()  # a run ended: redraw the whole page (history, buttons)
    running, waiting = runs.queue.load()
    st.caption(t("train.server", lang, running=running, waiting=waiting, limit=runs.queue.limit))
    for job in jobs:
        progress = job.progress()
        st.progress(progress.fraction, text=form.progress_text(progress, job.label, lang))
    # History first: a run is "done" before it joins the history, so it cannot show in both.
    entries, focus = runs.history.entries(), runs.focus()
    if focus is None and not entries:
        st.info(t("train.empty", lang))
        return
    record = focus.view() if focus else entries[-1].record
    label, group = (focus.label, focus.group) if focus else (entries[-1].label, entries[-1].group)
    st.subheader(t("train.now" if focus else "train.last", lang, label=label))
    last = entries[-1] if entries else None  # how it ended: success, stop, or divergence with a hint
    if not focus and (end := form.end_message(last.ended, last.config, last.record.final_test_acc, lang)):
        getattr(st, end[0])(end[1])
    if record.device_note:
        st.info(t("train.device_note", lang, note=record.device_note))
    if focus and focus.state == "queued":
        return  # nothing trained yet: the queue place above is all there is to show
    paired = [(e.label, e.record) for e in entries if group and e.group == group]
    paired += [(j.label, j.view()) for j in jobs if group and j.group == group and j.state == "running"]
    memo = st.session_state.setdefault("train_figure_memo", charts.FigureMemo())
    figures = memo.get((lang, *map(charts.record_version, [record, *(r for _, r in paired)])),
                       lambda: charts.live_figures(record, paired, lang))
    if "group" in figures:
        st.plotly_chart(figures["group"], key="train_chart_group")
    for row in CHART_ROWS:
        for col, name in zip(st.columns(2), row, strict=True):
            col.plotly_chart(figures[name], key=f"train_chart_{name}")


st.session_state.train_seen = runs.history.version
live_view()

entries = runs.history.entries()
models = st.session_state.setdefault("trained_models", {})
results = st.session_state.setdefault("trained_results", {})  # issue 17: the Draw picker's accuracies
for entry in entries:  # a diverged or failed model is no use to the Draw page
    results[entry.label] = (entry.status, entry.record.final_test_acc)
    if entry.status in ("diverged", "failed"):
        models.pop(entry.label, None)
if entries:
    st.header(t("train.history", lang))
    table = pd.DataFrame(form.history_table(runs.history.rows(), lang))  # issue 17: order, status
    st.dataframe(table, hide_index=True, column_config={
        name: st.column_config.NumberColumn(format=f) for name, f in form.history_formats(lang).items()})
    labels = [e.label for e in entries]
    shown = dict(zip(labels, distinct_labels([e.config for e in entries], [e.number for e in entries]),
                     strict=True))  # issue 17: labels that say how runs differ
    last_group = [e.label for e in entries if e.group and e.group == entries[-1].group]
    chosen = st.multiselect(t("train.compare_pick", lang), labels, format_func=shown.get,
                            default=last_group if len(last_group) > 1 else labels[-2:])
    picked = [(shown[e.label], e.record) for e in entries if e.label in chosen]
    memo = st.session_state.setdefault("train_compare_memo", charts.FigureMemo())
    compared = memo.get((lang, *((label, charts.record_version(r)) for label, r in picked)),
                        lambda: charts.compare_figures(picked, lang))
    columns = st.columns(2)  # issue 17: two a row, as the run's charts (three were 177 px wide at 1024)
    for i, figure in enumerate(compared):
        columns[i % 2].plotly_chart(figure)
    st.subheader(t("train.take_home", lang))
    c1, c2, c3 = st.columns(3, vertical_alignment="bottom")
    c1.download_button(t("train.dl_csv", lang), runs.history.to_csv, "relulab_runs.csv", "text/csv")
    c2.download_button(t("train.dl_json", lang), runs.history.to_json, "relulab_runs.json",
                       "application/json")
    pick = runs.history.by_label(c3.selectbox(t("train.model_pick", lang), labels[::-1],
                                              format_func=shown.get))
    meta = {"label": pick.label, "config": pick.config.to_dict(), "test_acc": pick.record.final_test_acc}
    c3.download_button(t("train.dl_model", lang), lambda: model_bytes(
        pick.source.snapshot(), pick.config.activation, pick.config.leaky_slope, meta),
        f"relulab_run{pick.number}.pt", "application/octet-stream")

with st.expander(t("train.code", lang)):
    script = pytorch_script(config)
    st.caption(t("train.code_help", lang))
    st.code(script, language="python")
    st.download_button(t("train.dl_code", lang), script, "relulab_train.py", "text/x-python")
