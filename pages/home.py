"""The home page (placeholder until its issue lands)."""

import streamlit as st

from lab.i18n import t

st.title(t("nav.home", st.session_state.get("lang", "en")))
