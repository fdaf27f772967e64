"""ReLU Lab entry point: language, shared setup and the st.navigation router."""

import streamlit as st

from lab.i18n import LANG_NAMES, LANGS, pick_language, t

st.set_page_config(page_title="ReLU Lab", page_icon="📈", layout="wide")

# Language: ?lang= wins, then what this session chose, then the browser's locale.
if "lang" not in st.session_state:
    st.session_state.lang = pick_language(st.query_params.get("lang"), st.context.locale)
elif st.query_params.get("lang") in LANGS:
    st.session_state.lang = st.query_params["lang"]
lang = st.session_state.lang

with st.sidebar:
    chosen = st.segmented_control(t("lang.label", lang), LANGS, default=lang,
                                  format_func=LANG_NAMES.get, key="lang_switch")
    if chosen and chosen != lang:
        st.session_state.lang = chosen
        st.query_params["lang"] = chosen
        st.rerun()
st.query_params["lang"] = lang

PAGES = [
    st.Page("pages/home.py", title=t("nav.home", lang), icon="🏠", url_path="home", default=True),
    st.Page("pages/train.py", title=t("nav.train", lang), icon="🏋️", url_path="train"),
    st.Page("pages/draw.py", title=t("nav.draw", lang), icon="✏️", url_path="draw"),
    st.Page("pages/activations.py", title=t("nav.activations", lang), icon="📉", url_path="activations"),
    st.Page("pages/optimizers.py", title=t("nav.optimizers", lang), icon="🧭", url_path="optimizers"),
]
st.navigation(PAGES).run()
