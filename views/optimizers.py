"""The optimizers page: torch.optim racing on 2-D surfaces, and the optimizer family tree."""

import pandas as pd
import streamlit as st

from lab.figures.race import loss_figure, race_figure
from lab.i18n import t
from lab.lessons.family_tree import extras_rows, family_tree_figure
from lab.lessons.race import (
    DEFAULT_RACERS,
    RACER_ORDER,
    SURFACES,
    default_lr,
    distance_to_minimum,
    race_code,
    racer_label,
    run_racer,
)
from ui.charts import plotly_with_alt

lang = st.session_state.get("lang", "en")
tree_figure = st.cache_resource(show_spinner=False)(family_tree_figure)  # the same for every student


@st.cache_data(max_entries=512, show_spinner=False)
def cached_racer(surface_key: str, racer: str, lr: float, steps: int):
    """One racer's trajectory; cached per (surface, racer, lr, steps) so one changed lr reruns one."""
    return run_racer(SURFACES[surface_key], racer, lr, steps)


@st.cache_data(max_entries=32, show_spinner=False)
def cached_race_figure(surface_key: str, race: tuple[tuple[str, float], ...], steps: int, lang: str):
    """The animated race figure (0.3-0.6 s to build), shared by every session that asks the same."""
    trajs = [cached_racer(surface_key, racer, lr, steps) for racer, lr in race]
    return race_figure(SURFACES[surface_key], trajs, lang)


st.title(t("opt.title", lang))
st.markdown(t("opt.lead", lang))

# The racers on a row of their own: beside the surface, a projector's large type with the sidebar open
# left the surface's name 95 px (issue 23).
top = st.columns([3, 1], gap="medium")
surface_key = top[0].selectbox(t("opt.surface", lang), list(SURFACES), index=1, key="race_surface",
                               format_func=lambda k: t(f"surface.{k}", lang))
surface = SURFACES[surface_key]
steps = top[1].number_input(t("opt.steps", lang), 10, 2000, surface.default_steps, 10,
                            key=f"race_steps_{surface_key}")
racers = st.multiselect(t("opt.racers", lang), RACER_ORDER, default=list(DEFAULT_RACERS),
                        format_func=racer_label, key="race_racers")
st.caption(t(f"surface.{surface_key}.about", lang, x=surface.start[0], y=surface.start[1]))

# One lr per racer; keys carry the surface so each surface starts from its own defaults.
lrs: dict[str, float] = {}
with st.expander(t("opt.lrs", lang), expanded=False):
    cols = st.columns(5)
    for i, racer in enumerate(racers):
        lrs[racer] = cols[i % 5].number_input(
            racer_label(racer), min_value=1e-6, max_value=100.0, value=default_lr(surface, racer),
            format="%g", step=None, key=f"race_lr_{surface_key}_{racer}")
    st.caption(t("opt.lrs.caption", lang))

if not racers:
    st.info(t("opt.racers.none", lang))
else:
    race = tuple((r, float(lrs.get(r, default_lr(surface, r)))) for r in racers)
    with st.spinner(t("opt.computing", lang)):
        trajs = [cached_racer(surface_key, r, lr, int(steps)) for r, lr in race]
        figure = cached_race_figure(surface_key, race, int(steps), lang)
    plotly_with_alt(st, figure, None, "race_fig", theme=None)
    st.caption(t("opt.race.caption", lang))
    st.subheader(t("opt.loss.title", lang))
    plotly_with_alt(st, loss_figure(surface, trajs, lang), None, "loss_fig", theme=None)
    table = pd.DataFrame({
        t("opt.col.optimizer", lang): [racer_label(tr.racer) for tr in trajs],
        t("opt.col.lr", lang): [f"{tr.lr:g}" for tr in trajs],
        t("opt.col.end", lang): [f"({tr.end[0]:.3f}, {tr.end[1]:.3f})" for tr in trajs],
        t("opt.col.distance", lang): [distance_to_minimum(surface, tr) for tr in trajs],
        t("opt.col.gap", lang): [float(tr.losses[-1] - surface.f_min) for tr in trajs],
        t("opt.col.status", lang): [t("opt.status.diverged", lang, step=tr.diverged_at) if tr.diverged_at
                                    else t("opt.status.ok", lang) for tr in trajs],
    }).sort_values(t("opt.col.distance", lang))
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={t("opt.col.distance", lang): st.column_config.NumberColumn(format="%.3g"),
                                t("opt.col.gap", lang): st.column_config.NumberColumn(format="%.3g")})
    with st.expander(t("opt.code.title", lang)):
        shown = st.selectbox(t("opt.code.pick", lang), racers, format_func=racer_label, key="race_code")
        st.code(race_code(surface, shown, float(lrs.get(shown, default_lr(surface, shown))), int(steps)),
                language="python")

st.header(t("tree.title", lang))
st.markdown(t("tree.lead", lang))
plotly_with_alt(st, tree_figure(lang), None, "tree_fig", theme=None, config={"displayModeBar": False})
st.caption(t("tree.caption", lang))
with st.expander(t("tree.extras", lang)):
    columns = {name: t(f"tree.col.{name}", lang) for name in ("class", "from", "idea")}
    st.dataframe(pd.DataFrame(extras_rows(lang)).rename(columns=columns), hide_index=True, width="stretch")
