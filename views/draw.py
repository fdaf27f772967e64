"""The Draw page: draw or upload a digit, see the 28x28 image the network sees, and its prediction."""

import streamlit as st

from lab.i18n import t
from ui import draw as ui

page = ui.DrawPage()
st.title(t("draw.title", page.lang))
st.caption(t("draw.intro", page.lang))

models = ui.browser_sources(page)
picker_box = st.container()  # the picker shows above the model-file expander it depends on
options, default_key = ui.model_options(models, ui.model_file(page), page.lang)
with picker_box:
    chosen = ui.pick_model(options, default_key, page.lang)
live = ui.is_live(models, chosen, page.lang)

# One a row when a column would be narrower than the canvas (lab/web/style.py): it scrolled sideways.
left, right = st.container(key="draw_columns").columns([1, 1], gap="large")
with left:
    image = ui.image_input(page)
steps = ui.preprocessed(image, page.lang)
if steps is not None:
    with right:
        # A model still training is re-read every few seconds: the guess improves as it learns.
        st.fragment(ui.show_prediction, run_every=ui.LIVE_REFRESH_S if live else None)(
            page, models, chosen, steps.vector)
    ui.show_steps(steps, page.lang)
