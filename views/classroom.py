"""The Class page: a teacher creates a class; ?join=CODE lets a student in; the teacher's board.

?teacher=KEY (the teacher link) keeps the key in the browser and becomes ?board=CODE; ?board=CODE opens
the board where the key is kept, with &view=projector without controls.
"""

import streamlit as st

from lab.runs.store import open_store
from ui import classroom as ui

store = open_store()  # a store that cannot be used stops the page: app.py says so and waits for it
page = ui.ClassPage(store)
query = st.query_params
if query.get("teacher") is not None:
    ui.take_key(page, query["teacher"])
elif query.get("board") is not None:
    ui.board_view(page, query["board"], projector=query.get("view") == "projector")
elif query.get("join"):
    ui.join_view(page, query["join"])
else:
    ui.create_view(page)
