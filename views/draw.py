"""The Draw page: draw or upload a digit, see the 28x28 image the network sees, and its prediction."""

from __future__ import annotations

import streamlit as st

from lab.draw.canvas_sim import CANVAS
from lab.draw.modelfile import MAX_MODEL_BYTES, ModelFileError, load_model_bytes
from lab.draw.predict import load_default_model, model_from_source, probabilities, probability_figure, top_guesses
from lab.draw.preprocess import BlankImageError, enlarge, has_ink, preprocess
from lab.draw.uploads import MAX_BYTES, UploadError, decode_upload
from lab.i18n import t
from lab.runs.labels import TrainedModel, model_choices, relabel
from lab.runs.sources import browser_models, run_model
from lab.runs.store import new_token, open_store

lang = st.session_state.get("lang", "en")
DEFAULT = "__default__"  # picker key of the shipped model; trained models are keyed by their label
FILE = "__file__"  # picker key of a model file the user uploaded
LIVE_REFRESH_S = 2.0  # how often a still-training model's prediction is refreshed


def trained_models() -> dict:
    """This browser's stored models by label (and a model linked by ?model=<run id>), oldest first."""
    if st.session_state.get("store_error"):
        return {}
    store = open_store()
    sources = browser_models(store, st.session_state.setdefault("owner", new_token()))
    if LINKED is not None:
        sources = [s for s in sources if s.run_id != LINKED.run_id] + [LINKED]
    return {s.label: s for s in sources}


def default_name() -> str:
    """The picker's text for the shipped model, with its test accuracy."""
    try:
        acc = float(load_default_model()[1].get("test_acc") or 0.0)
    except ModelFileError:
        acc = 0.0
    return t("draw.model.default", lang, acc=acc)


def model_file():
    """An optional uploaded model file (`python -m lab train --save`): its name, or None if absent/refused."""
    with st.expander(t("draw.model_file", lang)):
        file = st.file_uploader(t("draw.model_file.label", lang), type=["pt"], key="draw_model_file",
                                max_upload_size=MAX_MODEL_BYTES // 2**20)
    if file is None:
        return None
    cached = st.session_state.get("draw_file_model")
    if cached is None or cached[0] != file.file_id:  # load once per uploaded file, not every rerun
        try:
            model, _ = load_model_bytes(file.getvalue())
        except ModelFileError as exc:
            st.error(t("draw.model.bad", lang, message=exc))
            return None
        st.session_state.draw_file_model = (file.file_id, model.eval())
    return file.name


def model_options(file_name: str | None) -> tuple[dict[str, str], str]:
    """Picker text -> model key (trained newest first, an uploaded file, the shipped one), and the default.

    Issue 17: each trained model shows its test accuracy, and the best finished one is the default.
    The texts do not change while a model trains, so the picker keeps its choice meanwhile.
    """
    trained = TRAINED
    shown = relabel(list(trained), [source.config for source in trained.values()])  # how runs differ
    models = [TrainedModel(label, text, source.status, source.test_acc)
              for (label, source), text in zip(trained.items(), shown, strict=True)]
    choices, best = model_choices(models, lang)
    if LINKED is not None:
        best = LINKED.label  # "draw with this model" from a run's page
    uploaded = {t("draw.model.file", lang, name=file_name): FILE} if file_name else {}
    options = {**{text: key for key, text in choices}, **uploaded, default_name(): DEFAULT}
    return options, best or (FILE if file_name else DEFAULT)


def get_model(key: str):
    """The chosen model in eval mode (a fresh snapshot for a trained one), or None after an error."""
    try:
        if key == DEFAULT:
            return load_default_model()[0]
        if key == FILE:
            return st.session_state.draw_file_model[1]
        return model_from_source(TRAINED[key])
    except ModelFileError as exc:
        st.error(t("draw.model.missing", lang, message=exc))
    except (ValueError, RuntimeError, KeyError) as exc:  # shapes that do not chain 784 -> 10
        st.error(t("draw.model.bad", lang, message=exc))
    return None


def canvas_input():
    """The drawing canvas (white on black like MNIST) and its controls; the RGBA image or None."""
    # Imported here: the component registers itself with the running app (streamlit run or
    # AppTest), and fails when imported in a plain Python process.
    from streamlit_drawable_canvas import st_canvas

    st.session_state.setdefault("draw_canvas_n", 0)
    width = st.slider(t("draw.stroke", lang), 6, 40, 20, key="draw_stroke")
    result = st_canvas(stroke_width=width, stroke_color="#FFFFFF", background_color="#000000",
                       height=CANVAS, width=CANVAS, drawing_mode="freedraw", return_image_data=True,
                       key=f"draw_canvas_{st.session_state.draw_canvas_n}")
    if st.button(t("draw.clear", lang), icon=":material/ink_eraser:", key="draw_clear"):
        st.session_state.draw_canvas_n += 1  # a new key mounts an empty canvas
        st.rerun()
    st.caption(t("draw.toolbar_hint", lang))
    image = result.image_data
    if not has_ink(image):
        st.info(t("draw.empty", lang))
        return None
    return image


def upload_input():
    """A PNG/JPEG upload, decoded safely; the image array or None (with a message)."""
    file = st.file_uploader(t("draw.upload", lang), type=["png", "jpg", "jpeg"], key="draw_upload",
                            help=t("draw.upload_hint", lang), max_upload_size=MAX_BYTES // 2**20)
    if file is None:
        st.info(t("draw.upload_empty", lang))
        return None
    try:
        return decode_upload(file.getvalue())
    except UploadError as exc:
        st.error(exc.message(lang))
        return None


def show_steps(steps) -> None:
    """What was drawn, the crop, the 20 px version and the 28x28 input, side by side."""
    st.subheader(t("draw.steps", lang))
    cols = st.columns(4)
    shown = [(steps.gray, "input", 160), (steps.cropped, "cropped", 160), (steps.scaled, "scaled", 160),
             (steps.final, "final", 168)]
    for col, (img, name, size) in zip(cols, shown, strict=True):  # PNG: JPEG would blur the pixels
        col.image(enlarge(img, size), caption=t(f"draw.step.{name}", lang), width=size, output_format="PNG")
    if steps.inverted:
        st.caption(t("draw.inverted", lang))
    st.caption(t("draw.steps_caption", lang))


def show_prediction(model_key: str, vector) -> None:
    """Top guess, close runner-up and the probability bars for one preprocessed digit."""
    model = get_model(model_key)
    if model is None:
        return
    probs = probabilities(model, vector)
    (digit, p), second = top_guesses(probs)
    st.subheader(t("draw.prediction", lang))
    st.markdown(f"## {t('draw.guess', lang, digit=digit)} · {t('draw.confidence', lang, p=p)}")
    if second:
        st.markdown(f"### {t('draw.second', lang, digit=second[0], p=second[1])}")
    if p < 0.5:
        st.warning(t("draw.unsure", lang))
    st.plotly_chart(probability_figure(probs, t("draw.axis.digit", lang), t("draw.axis.prob", lang)),
                    config={"displayModeBar": False}, key="draw_probs")


st.title(t("draw.title", lang))
st.caption(t("draw.intro", lang))

LINKED = (run_model(open_store(), st.query_params["model"])
          if st.query_params.get("model") and not st.session_state.get("store_error") else None)
TRAINED = trained_models()
if st.query_params.get("model") and LINKED is None:
    st.warning(t("runs.bad_link", lang, run_id=st.query_params["model"][:40]))
picker_box = st.container()  # the picker shows above the model-file expander it depends on
options, default_key = model_options(model_file())
with picker_box:
    if len(options) > 1:
        index = list(options.values()).index(default_key)
        chosen = options[st.selectbox(t("draw.model", lang), list(options), index=index)]
        if default_key not in (FILE, DEFAULT):
            st.caption(t("draw.model.best", lang))
    else:
        chosen = DEFAULT
        st.caption(t("draw.model.using", lang, name=default_name()))
source = TRAINED.get(chosen)
live = bool(getattr(source, "live", False))
if live:
    st.caption(t("draw.model.live_note", lang))

left, right = st.columns([1, 1], gap="large")
with left:
    mode = st.segmented_control(t("draw.source", lang), ["canvas", "upload"], default="canvas",
                                format_func=lambda m: t(f"draw.source.{m}", lang), key="draw_source")
    image = upload_input() if mode == "upload" else canvas_input()

steps = None
if image is not None:
    try:
        steps = preprocess(image)
    except BlankImageError:
        st.info(t("draw.empty", lang))
if steps is not None:
    with right:
        # A model still training is re-read every few seconds: the guess improves as it learns.
        st.fragment(show_prediction, run_every=LIVE_REFRESH_S if live else None)(chosen, steps.vector)
    show_steps(steps)
