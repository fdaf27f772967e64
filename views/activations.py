"""The activations page: f and f' with saturated ends shaded, and the vanishing-gradient chain."""

import streamlit as st

from lab.engine.config import ACTIVATION_NAMES, INIT_NAMES
from lab.figures.activations import (
    SHADE_FRACTION,
    activation_figure,
    chain_figure,
    chain_result,
    ratio_text,
)
from lab.i18n import t
from ui.charts import plotly_with_alt

lang = st.session_state.get("lang", "en")
act_name = lambda name: t(f"act.name.{name}", lang)  # noqa: E731


@st.cache_data(max_entries=64, show_spinner=False)
def cached_chain(activation: str, depth: int, init: str, slope: float):
    """The chain formula and the measured gradient norms (a real MNIST batch), once per setting."""
    return chain_result(activation, depth, init, slope)


st.title(t("act.title", lang))
st.markdown(t("act.lead", lang))

# f and f' side by side for each chosen activation
pick, slope_col, range_col = st.columns([4, 1.3, 1.3], gap="medium")
names = pick.multiselect(t("act.pick", lang), ACTIVATION_NAMES, default=["sigmoid", "tanh", "relu",
                         "leaky_relu"], format_func=act_name, key="act_names")
slope = slope_col.slider(t("act.slope", lang), 0.0, 0.5, 0.01, 0.01, key="act_slope",
                         help=t("act.slope.help", lang))
x_max = range_col.slider(t("act.range", lang), 2.0, 12.0, 6.0, 1.0, key="act_range")
if names:
    plotly_with_alt(st, activation_figure(names, lang, slope, x_max), None, "act_fig", theme=None)
else:
    st.info(t("act.pick.none", lang))
st.caption(t("act.shade.caption", lang, percent=round(SHADE_FRACTION * 100)))

with st.expander(t("act.formulas.title", lang)):
    st.markdown(t("act.formulas", lang))

# The chain: multiply one local derivative per layer, and compare with what the engine measures.
st.header(t("act.chain.title", lang))
st.markdown(t("act.chain.lead", lang))
# The picks on a row of their own: in a third of the row, a projector's large type with the sidebar open
# left the init's name 87 px (issue 23).
chosen = st.multiselect(t("act.chain.pick", lang), ACTIVATION_NAMES, default=["sigmoid", "relu"],
                        format_func=act_name, key="chain_acts")
c2, c3 = st.columns(2, gap="medium")
depth = c2.slider(t("act.chain.depth", lang), 1, 10, 6, key="chain_depth")
init = c3.selectbox(t("act.chain.init", lang), INIT_NAMES, index=INIT_NAMES.index("kaiming"),
                    format_func=lambda name: t(f"act.init.{name}", lang), key="chain_init")
if not chosen:
    st.info(t("act.pick.none", lang))
    st.stop()
try:
    with st.spinner(t("act.chain.computing", lang)):
        results = [cached_chain(name, depth, init, slope) for name in chosen]
except Exception as exc:  # MNIST missing or corrupt: say so instead of a traceback
    st.error(t("error.generic", lang, message=exc))
    st.stop()
plotly_with_alt(st, chain_figure(results, lang), None, "chain_fig", theme=None)
cols = st.columns(len(results))
for column, res in zip(cols, results, strict=True):
    column.metric(t("act.chain.metric", lang, name=act_name(res.activation)),
                  ratio_text(res.measured[0] / res.measured[-1]),
                  t("act.chain.formula_ratio", lang, value=ratio_text(res.predicted[0] / res.predicted[-1])),
                  delta_color="off", delta_arrow="off", help=t("act.chain.metric.help", lang))
st.caption(t("act.chain.caption", lang, depth=depth, init=t(f"act.init.{init}", lang)))
with st.expander(t("act.chain.how.title", lang)):
    st.markdown(t("act.chain.how", lang))
