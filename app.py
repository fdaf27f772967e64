"""ReLU Lab entry point: language, shared setup and the st.navigation router."""

import streamlit as st

from lab.i18n import LANG_NAMES, LANGS, pick_language, t
from lab.runqueue import run_queue

st.set_page_config(page_title="ReLU Lab", page_icon=":material/show_chart:", layout="wide")


def current_language() -> str:
    """?lang= wins, then what this session chose, then the browser's locale (first visit)."""
    query = st.query_params.get("lang")
    if query in LANGS:
        st.session_state.lang = query
    elif st.session_state.get("lang") not in LANGS:
        st.session_state.lang = pick_language(None, st.context.locale)
    return st.session_state.lang


def switch_language() -> None:
    """The switch's callback: remember the choice and keep it in the URL."""
    st.session_state.lang = st.session_state.lang_switch
    st.query_params["lang"] = st.session_state.lang_switch


lang = current_language()
st.query_params["lang"] = lang  # page links drop query params; the language stays in the URL
st.session_state.lang_switch = lang  # the switch shows the language even when ?lang= changed it

# (page file and url path, icon); Material icons ship with Streamlit, so no emoji font is needed.
PAGE_FILES = (("home", ":material/home:"), ("train", ":material/model_training:"),
              ("draw", ":material/draw:"), ("activations", ":material/show_chart:"),
              ("optimizers", ":material/explore:"),
              ("classroom", ":material/groups:"))
PAGES = [st.Page(f"views/{name}.py", title=t(f"nav.{name}", lang), icon=icon, url_path=name,
                 default=name == "home") for name, icon in PAGE_FILES]
page = st.navigation(PAGES)
with st.sidebar:
    st.segmented_control(t("lang.label", lang), LANGS, format_func=LANG_NAMES.get, key="lang_switch",
                         required=True, on_change=switch_language)
st.set_page_config(page_title=f"{page.title} · {t('app.title', lang)}")
run_queue()  # the server's run queue; its first call starts the training worker while students read
page.run()
