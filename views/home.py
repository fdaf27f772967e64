"""The home page: the lesson's story, the forward/backward diagram, presets and a card per page."""

import streamlit as st

from lab.figures.diagram import backprop_svg
from lab.i18n import t

lang = st.session_state.get("lang", "en")
DIAGRAM_MAX_PX = 620  # 580 canvas units: text of 16 units stays >= 12 px down to a 435 px wide page

st.title(t("home.title", lang))
st.markdown(t("home.lead", lang))

st.subheader(t("home.story.title", lang))
st.markdown(t("home.story", lang))
st.subheader(t("home.diagram.title", lang))
# Inline SVG, not Plotly: the landing page then needs no 4.7 MB chart script (lab/figures/diagram.py).
# Its own row, not half of one: at 1024x768 a half-width diagram scaled its 16-unit text to 7 px.
st.markdown(f'<div class="relulab-diagram" style="max-width: {DIAGRAM_MAX_PX}px">{backprop_svg(lang)}</div>',
            unsafe_allow_html=True)
st.caption(t("home.diagram.caption", lang))

relu, optim = st.columns(2, gap="large")
with relu:
    st.subheader(t("home.relu.title", lang))
    st.markdown(t("home.relu", lang))
with optim:
    st.subheader(t("home.optim.title", lang))
    st.markdown(t("home.optim", lang))

# The lesson's two MNIST experiments, one click away on the Train page.
st.subheader(t("home.results.title", lang))
st.markdown(t("home.results", lang))
for column, preset, accuracy in zip(st.columns(2, gap="large"), ("lesson-softmax", "lesson-nn"),
                                    ("89.0%", "94.9%"), strict=True):
    with column.container(border=True):
        st.metric(t(f"home.preset.{preset}.name", lang), accuracy, help=t("home.results.help", lang))
        st.caption(t(f"home.preset.{preset}.what", lang))
        st.page_link("views/train.py", label=t(f"home.preset.{preset}.go", lang),
                     icon=":material/play_arrow:", query_params={"preset": preset, "lang": lang})

st.subheader(t("home.next.title", lang))
CARDS = (("train", ":material/model_training:"), ("draw", ":material/draw:"),
         ("activations", ":material/show_chart:"), ("optimizers", ":material/explore:"),
         ("classroom", ":material/groups:"))
# The cards wrap to a new row rather than squeeze their headings and links (lab/web/style.py).
for column, (key, icon) in zip(st.container(key="home_cards").columns(len(CARDS)), CARDS, strict=True):
    with column.container(border=True, height="stretch"):
        st.markdown(f"#### {icon} {t(f'nav.{key}', lang)}")
        st.markdown(t(f"home.card.{key}", lang))
        st.page_link(f"views/{key}.py", label=t("home.card.open", lang, page=t(f"nav.{key}", lang)),
                     icon=":material/arrow_forward:", query_params={"lang": lang})

with st.expander(t("home.code.title", lang)):
    st.code(t("home.code", lang), language="python")
