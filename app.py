"""ReLU Lab entry point: language, shared setup and the st.navigation router."""

import streamlit as st

from lab.i18n import LANG_NAMES, LANGS, pick_language, t
from lab.runs.executor import get_executor
from lab.runs.store import StoreError, open_store
from lab.web.presence import COOKIE, TabHandle, Tabs, cookie_script, owner_token
from lab.web.style import style_tag
from ui import lesson, outage


def presenting() -> bool:
    """Presentation mode: ?present=1 (or 0) wins, then what this session chose."""
    query = st.query_params.get("present")
    if query in ("0", "1"):
        st.session_state.present = query == "1"
    return bool(st.session_state.get("present", False))


def switch_present() -> None:
    """The toggle's callback: remember the mode and keep it in the URL (a teacher can bookmark it)."""
    st.session_state.present = st.session_state.present_switch
    st.query_params["present"] = "1" if st.session_state.present_switch else "0"


present = presenting()
st.set_page_config(page_title="ReLU Lab", page_icon=":material/show_chart:", layout="wide",
                   initial_sidebar_state="collapsed" if present else "auto")


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


@st.cache_resource(show_spinner=False)
def tabs(url: str) -> Tabs:
    """Open tabs per browser in this server process, for the store at url (one for every session)."""
    return Tabs(open_store(url))


@st.cache_resource(scope="session", on_release=TabHandle.release, show_spinner=False)
def this_tab(owner: str, url: str) -> TabHandle:
    """This tab, for as long as Streamlit keeps its session; closing it starts the runs' grace period."""
    return tabs(url).opened(owner)


def connect_runs() -> None:
    """The run store and this server's executor (its workers start with the first visitor)."""
    owner = owner_token(st.context.cookies.get(COOKIE), st.session_state.get("owner"))
    st.session_state.owner = owner
    # On every run, not only the first: an element that comes and goes would shift the page's
    # elements and remount the Draw page's canvas (its strokes lost). A reload finds this browser's runs.
    st.html(cookie_script(owner), unsafe_allow_javascript=True)
    try:
        store = open_store()
        get_executor(store)
        this_tab(owner, store.url)
        st.session_state.store_error = None
        outage.send_kept(store, owner)  # a stop pressed while the store was away
    except StoreError as exc:  # the lesson pages still work; Train and Draw say why they cannot
        st.session_state.store_error = str(exc)


lang = current_language()
st.query_params["lang"] = lang  # page links drop query params; the language stays in the URL
st.session_state.lang_switch = lang  # the switch shows the language even when ?lang= changed it
if present:
    st.query_params["present"] = "1"
st.session_state.present_switch = present
st.html(style_tag(lang, present))  # Korean line breaking, wrapping buttons, the projector's type

# (page file and url path, icon); Material icons ship with Streamlit, so no emoji font is needed.
PAGE_FILES = (("home", ":material/home:"), ("train", ":material/model_training:"),
              ("draw", ":material/draw:"), ("activations", ":material/show_chart:"),
              ("optimizers", ":material/explore:"),
              ("classroom", ":material/groups:"), ("lesson", ":material/school:"))
PAGES = [st.Page(f"views/{name}.py", title=t(f"nav.{name}", lang), icon=icon, url_path=name,
                 default=name == "home") for name, icon in PAGE_FILES]
page = st.navigation(PAGES)
with st.sidebar:
    st.segmented_control(t("lang.label", lang), LANGS, format_func=LANG_NAMES.get, key="lang_switch",
                         required=True, on_change=switch_language)
    st.toggle(t("app.present", lang), key="present_switch", on_change=switch_present,
              help=t("app.present_help", lang))
st.set_page_config(page_title=f"{page.title} · {t('app.title', lang)}")
top = st.empty()  # an outage's banner goes here (always there: nothing below it moves)
connect_runs()
try:
    lesson.follow(page)  # a student whose teacher leads a lesson is taken to it (ui/lesson.py)
    page.run()
except StoreError as exc:  # the store went away mid-page: a banner, never a traceback; back by itself
    outage.wait_for_store(top, exc)
