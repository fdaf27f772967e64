"""The activations page (placeholder until its issue lands)."""

import streamlit as st

from lab.i18n import t

st.title(t("nav.activations", st.session_state.get("lang", "en")))
