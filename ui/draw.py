"""The Draw page's steps: the models this browser has, the picker, the canvas or an upload, the prediction."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from lab.draw import predict  # by module, not by name: a test replaces predict.load_default_model
from lab.draw.canvas_sim import CANVAS
from lab.draw.modelfile import MAX_MODEL_BYTES, ModelFileError, load_model_bytes
from lab.draw.preprocess import BlankImageError, enlarge, has_ink, preprocess
from lab.draw.uploads import MAX_BYTES, UploadError, decode_upload
from lab.i18n import t
from lab.runs.labels import TrainedModel, model_choices, relabel
from lab.runs.sources import ModelSource, browser_models, run_model
from lab.runs.store import StoreError, open_store
from ui import outage
from ui.charts import plotly_with_alt
from ui.session import AppKeys

DEFAULT = "__default__"  # picker key of the shipped model; trained models are keyed by their label
FILE = "__file__"  # picker key of a model file the user uploaded
LIVE_REFRESH_S = 2.0  # how often a still-training model's prediction is refreshed


class DrawPage(AppKeys):
    """The page's st.session_state: lang, owner, store_error, draw_file_model and draw_canvas_n."""

    def file_loaded(self, file_id: str) -> bool:
        """Whether the model of the uploaded file with this id is loaded already."""
        cached = st.session_state.get("draw_file_model")
        return cached is not None and cached[0] == file_id

    def keep_file_model(self, file_id: str, model) -> None:
        """Remember the model loaded from an uploaded file (loaded once per file, not every rerun)."""
        st.session_state.draw_file_model = (file_id, model)

    @property
    def uploaded_model(self):
        """The model of the last uploaded file that loaded."""
        return st.session_state.draw_file_model[1]

    @property
    def canvas_key(self) -> str:
        """The canvas widget's key: draw_canvas_0, then one more for each Clear."""
        return f"draw_canvas_{st.session_state.setdefault('draw_canvas_n', 0)}"

    def clear_canvas(self) -> None:
        """Mount an empty canvas on the next run (a new key)."""
        st.session_state.draw_canvas_n += 1


@dataclass(frozen=True)
class Models:
    """The models besides the shipped one: this browser's by label (oldest first), and one linked by ?model=."""

    trained: dict[str, ModelSource]
    linked: ModelSource | None


def browser_sources(page: DrawPage) -> Models:
    """This browser's stored models (lab.runs.sources, the one accessor) and a linked one; a warning for a bad link."""
    run_id = st.query_params.get("model")
    try:
        store = open_store()
        linked = run_model(store, run_id) if run_id else None
        sources = browser_models(store, page.owner)
    except StoreError as exc:  # the store is away: the shipped model and files still work
        outage.notice(exc)
        linked, sources = None, []
    if linked is not None:
        sources = [s for s in sources if s.run_id != linked.run_id] + [linked]
    if run_id and linked is None:
        st.warning(t("runs.bad_link", page.lang, run_id=run_id[:40]))
    return Models({s.label: s for s in sources}, linked)


def default_name(lang: str) -> str:
    """The picker's text for the shipped model, with its test accuracy."""
    try:
        acc = float(predict.load_default_model()[1].get("test_acc") or 0.0)
    except ModelFileError:
        acc = 0.0
    return t("draw.model.default", lang, acc=acc)


def model_file(page: DrawPage) -> str | None:
    """An optional uploaded model file (`python -m lab train --save`): its name, or None if absent/refused."""
    with st.expander(t("draw.model_file", page.lang)):
        file = st.file_uploader(t("draw.model_file.label", page.lang), type=["pt"], key="draw_model_file",
                                max_upload_size=MAX_MODEL_BYTES // 2**20)
    if file is None:
        return None
    if not page.file_loaded(file.file_id):
        try:
            model, _ = load_model_bytes(file.getvalue())
        except ModelFileError as exc:
            st.error(t("draw.model.bad", page.lang, message=exc))
            return None
        page.keep_file_model(file.file_id, model.eval())
    return file.name


def model_options(models: Models, file_name: str | None, lang: str) -> tuple[dict[str, str], str]:
    """Picker text -> model key (trained newest first, an uploaded file, the shipped one), and the default."""
    # Issue 17: each trained model shows its test accuracy, and the best finished one is the default.
    # The texts do not change while a model trains, so the picker keeps its choice meanwhile.
    trained = models.trained
    shown = relabel(list(trained), [source.config for source in trained.values()])  # how runs differ
    listed = [TrainedModel(label, text, source.status, source.test_acc)
              for (label, source), text in zip(trained.items(), shown, strict=True)]
    choices, best = model_choices(listed, lang)
    if models.linked is not None:
        best = models.linked.label  # "draw with this model" from a run's page
    uploaded = {t("draw.model.file", lang, name=file_name): FILE} if file_name else {}
    options = {**{text: key for key, text in choices}, **uploaded, default_name(lang): DEFAULT}
    return options, best or (FILE if file_name else DEFAULT)


def pick_model(options: dict[str, str], default_key: str, lang: str) -> str:
    """The model picker when there is a choice, else a caption naming the shipped model; the chosen key."""
    if len(options) == 1:
        st.caption(t("draw.model.using", lang, name=default_name(lang)))
        return DEFAULT
    index = list(options.values()).index(default_key)
    chosen = options[st.selectbox(t("draw.model", lang), list(options), index=index)]
    if default_key not in (FILE, DEFAULT):
        st.caption(t("draw.model.best", lang))
    return chosen


def is_live(models: Models, key: str, lang: str) -> bool:
    """Whether the chosen model still trains; if so a caption says its guess follows the training."""
    live = bool(getattr(models.trained.get(key), "live", False))
    if live:
        st.caption(t("draw.model.live_note", lang))
    return live


def get_model(page: DrawPage, models: Models, key: str):
    """The chosen model in eval mode (a fresh snapshot for a trained one), or None after an error."""
    try:
        if key == DEFAULT:
            return predict.load_default_model()[0]
        if key == FILE:
            return page.uploaded_model
        return predict.model_from_source(models.trained[key])
    except ModelFileError as exc:
        st.error(t("draw.model.missing", page.lang, message=exc))
    except StoreError as exc:  # a still-training model's checkpoint cannot be read now
        outage.notice(exc)
    except (ValueError, RuntimeError, KeyError) as exc:  # shapes that do not chain 784 -> 10
        st.error(t("draw.model.bad", page.lang, message=exc))
    return None


def image_input(page: DrawPage):
    """The canvas or an upload, as the student picks; the image array or None."""
    mode = st.segmented_control(t("draw.source", page.lang), ["canvas", "upload"], default="canvas",
                                format_func=lambda m: t(f"draw.source.{m}", page.lang), key="draw_source")
    return upload_input(page.lang) if mode == "upload" else canvas_input(page)


def canvas_input(page: DrawPage):
    """The drawing canvas (white on black like MNIST) and its controls; the RGBA image or None."""
    # Imported here: the component registers itself with the running app (streamlit run or
    # AppTest), and fails when imported in a plain Python process.
    from streamlit_drawable_canvas import st_canvas

    width = st.slider(t("draw.stroke", page.lang), 6, 40, 20, key="draw_stroke")
    result = st_canvas(stroke_width=width, stroke_color="#FFFFFF", background_color="#000000",
                       height=CANVAS, width=CANVAS, drawing_mode="freedraw", return_image_data=True,
                       key=page.canvas_key)
    if st.button(t("draw.clear", page.lang), icon=":material/ink_eraser:", key="draw_clear"):
        page.clear_canvas()
        st.rerun()
    st.caption(t("draw.toolbar_hint", page.lang))
    image = result.image_data
    if not has_ink(image):
        st.info(t("draw.empty", page.lang))
        return None
    return image


def upload_input(lang: str):
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


def preprocessed(image, lang: str):
    """The preprocessing steps of an image, or None (a blank image gets the drawing hint)."""
    if image is None:
        return None
    try:
        return preprocess(image)
    except BlankImageError:
        st.info(t("draw.empty", lang))
        return None


def show_steps(steps, lang: str) -> None:
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


def show_prediction(page: DrawPage, models: Models, model_key: str, vector) -> None:
    """Top guess, close runner-up and the probability bars for one preprocessed digit."""
    model = get_model(page, models, model_key)
    if model is None:
        return
    lang = page.lang
    probs = predict.probabilities(model, vector)
    (digit, p), second = predict.top_guesses(probs)
    st.subheader(t("draw.prediction", lang))
    st.markdown(f"## {t('draw.guess', lang, digit=digit)} · {t('draw.confidence', lang, p=p)}")
    if second:
        st.markdown(f"### {t('draw.second', lang, digit=second[0], p=second[1])}")
    if p < 0.5:
        st.warning(t("draw.unsure", lang))
    plotly_with_alt(st, predict.probability_figure(probs, t("draw.axis.digit", lang), t("draw.axis.prob", lang)),
                    None, "draw_probs", config={"displayModeBar": False})
