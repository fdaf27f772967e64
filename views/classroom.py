"""The Class page: a teacher creates a class; ?join=CODE lets a student in; ?teacher=KEY opens the live board."""

import streamlit as st

from lab.runs.store import open_store
from ui import classroom as ui

store = open_store()  # a store that cannot be used stops the page: app.py says so and waits for it
page = ui.ClassPage(store)
if st.query_params.get("teacher") is not None:
    ui.teacher_view(page, st.query_params["teacher"])
elif st.query_params.get("join"):
    ui.join_view(page, st.query_params["join"])
else:
    ui.create_view(page)
