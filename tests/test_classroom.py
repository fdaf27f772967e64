"""Issue 17 without a browser: presets set or reset every field, hints, reset, labels, ETA, history order."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.runtime.caching import clear_session_resource_cache
from streamlit.testing.v1 import AppTest

from lab.engine.config import PRESETS, RunConfig
from lab.engine.events import RunEnded
from lab.figures.activations import chain_result
from lab.runs.labels import TrainedModel, distinct_labels, model_choices, relabel
from lab.runs.table import COLUMNS
from lab.web.style import page_css
from lab.web.train_form import (
    all_widget_values,
    config_hint,
    end_message,
    eta_ready,
    hint_reasons,
    history_formats,
    history_table,
    leftovers,
    preset_fields,
    progress_text,
    without_leftovers,
)

ROOT = Path(__file__).resolve().parent.parent
SESSION_ID = "test session id"
W = "train_w_"


@pytest.fixture(autouse=True)
def fresh_session():
    """Release the session-scoped runs before and after each test, as a closed tab would."""
    clear_session_resource_cache(SESSION_ID)
    yield
    clear_session_resource_cache(SESSION_ID)


def train_page(lang: str = "en") -> AppTest:
    """The Train page run once, directly."""
    at = AppTest.from_file(str(ROOT / "views" / "train.py"), default_timeout=60)
    at.session_state["lang"] = lang
    return at.run()


def page_config(at: AppTest) -> RunConfig:
    """The RunConfig the page holds after its last run."""
    return at.session_state["train_config"]


def texts(elements) -> str:
    """All values of a list of text elements, joined."""
    return "\n".join(str(e.value) for e in elements)


def test_a_preset_resets_what_the_student_set_before_including_other_optimizers_settings():
    at = train_page()
    at.selectbox(key=W + "optimizer").set_value("sgd").run()
    at.number_input(key=W + "opt.sgd.momentum").set_value(0.9).run()
    at.number_input(key=W + "train_subset").set_value(5000).run()
    at.number_input(key=W + "seed").set_value(3).run()
    at.toggle(key=W + "augment").set_value(True).run()
    assert page_config(at).opt_params == {"momentum": 0.9} and page_config(at).train_subset == 5000
    at.button(key="train_preset_lesson-nn").click().run()
    assert not at.exception
    assert page_config(at) == PRESETS["lesson-nn"]  # the defaults plus the preset's fields, nothing else
    assert "Preset loaded: **Lesson: 3-layer ReLU net**" in texts(at.info)
    assert "init=normal" in texts(at.info) and "Press ▶ Train" in texts(at.info)
    # SGD's momentum from before the preset is gone: switching back to SGD shows its default.
    at.selectbox(key=W + "optimizer").set_value("sgd").run()
    assert at.number_input(key=W + "opt.sgd.momentum").value == 0.0
    assert page_config(at).opt_params == {}


def test_leftovers_of_a_preset_get_a_hint_and_one_click_back_to_defaults():
    # The lesson: after "Lesson: 3-layer ReLU net", sigmoid + SGD + 6 layers kept init
    # "Normal, std 1" and a fixed lr 0.001, and nothing said why the run could not learn.
    at = train_page()
    at.button(key="train_preset_lesson-nn").click().run()
    at.selectbox(key=W + "activation").set_value("sigmoid").run()
    at.selectbox(key=W + "optimizer").set_value("sgd").run()
    at.slider(key=W + "depth").set_value(6).run()
    assert not at.exception
    config = page_config(at)
    assert (config.init, config.lr) == ("normal", 0.001)
    hint = texts(at.warning)
    assert "cannot show the vanishing gradient" in hint and "100× below SGD's default 0.1" in hint
    assert "Still from the preset “Lesson: 3-layer ReLU net”: lr=0.001, init=normal" in hint
    assert "Preset loaded" not in texts(at.info)  # the config is no longer the preset
    at.button(key="train_use_defaults").click().run()
    config = page_config(at)
    assert config == RunConfig(activation="sigmoid", optimizer="sgd", depth=6)  # the student's choices stay
    assert not at.warning and at.toggle(key=W + "default_lr").value


def test_reset_puts_every_control_back_to_the_defaults():
    at = train_page(lang="ko")
    at.button(key="train_preset_lesson-softmax").click().run()
    at.number_input(key=W + "epochs").set_value(3).run()
    assert at.button(key="train_reset").label == "↺ 기본값으로"
    at.button(key="train_reset").click().run()
    assert not at.exception and page_config(at) == RunConfig()
    assert at.slider(key=W + "depth").value == 2 and at.selectbox(key=W + "init").value == "default"
    assert not any("프리셋을 불러왔습니다" in i.value for i in at.info)


def test_train_is_disabled_while_a_run_is_active():
    at = train_page()
    assert not at.button(key="train_start").disabled
    at.button(key="train_start").click().run()  # the default config trains for minutes
    assert at.button(key="train_start").disabled and not at.button(key="train_stop").disabled
    clear_session_resource_cache(SESSION_ID)


def test_preset_logic_without_streamlit():
    assert preset_fields("lesson-nn") == {"init": "normal", "lr": 0.001}
    assert set(preset_fields("vanishing")) == {"activation", "optimizer", "lr", "depth", "width", "epochs"}
    values = all_widget_values(PRESETS["lesson-nn"])
    assert values["opt.sgd.momentum"] == 0.0 and values["opt.rmsprop.centered"] is False
    deep = PRESETS["lesson-nn"].replace(activation="sigmoid", optimizer="sgd", depth=6)
    assert leftovers(deep, "lesson-nn") == {"init": "normal", "lr": 0.001}
    assert leftovers(PRESETS["lesson-nn"], "lesson-nn") == {}  # unchanged: nothing is left over
    assert without_leftovers(deep, "lesson-nn") == RunConfig(activation="sigmoid", optimizer="sgd", depth=6)
    assert hint_reasons(deep) == ["normal_init", "low_lr"]
    assert hint_reasons(RunConfig(activation="sigmoid", optimizer="sgd", depth=6)) == []
    assert hint_reasons(PRESETS["lesson-nn"]) == []  # relu with normal init learns: no hint
    assert config_hint(PRESETS["vanishing-sigmoid"], "vanishing", "en") is None
    assert "포화" in config_hint(deep, "lesson-nn", "ko")


def test_the_hint_is_true_normal_init_hides_the_vanishing_gradient(mnist):
    # What the hint claims, measured on a real MNIST batch through fresh 6-layer sigmoid nets:
    # PyTorch's default init shrinks fc1's gradient by orders of magnitude; std-1 init does not.
    default = chain_result("sigmoid", 6, "default")
    normal = chain_result("sigmoid", 6, "normal")
    shrink_default = default.measured[0] / default.measured[-1]
    shrink_normal = normal.measured[0] / normal.measured[-1]
    assert shrink_default < 1e-3 and shrink_normal > 100 * shrink_default


def test_labels_add_what_differs_between_runs_of_the_same_shape():
    configs = [RunConfig(init="normal"), RunConfig(), RunConfig(epochs=3), RunConfig(activation="sigmoid")]
    labels = distinct_labels(configs, [1, 2, 3, 4])
    assert labels == ["#1 relu · adam 0.001 · 2×256 · init=normal · epochs=15",
                      "#2 relu · adam 0.001 · 2×256 · init=default · epochs=15",
                      "#3 relu · adam 0.001 · 2×256 · init=default · epochs=3",
                      "#4 sigmoid · adam 0.001 · 2×256"]  # nothing to tell it from: no extras
    assert len(set(labels)) == 4
    sgd = [RunConfig(optimizer="sgd"), RunConfig(optimizer="sgd", opt_params={"momentum": 0.9})]
    assert distinct_labels(sgd) == ["relu · sgd 0.1 · 2×256", "relu · sgd 0.1 · 2×256 · momentum=0.9"]
    assert relabel(["#7 relu · sgd 0.1 · 2×256", "#8 relu · sgd 0.1 · 2×256"], sgd) == [
        "#7 relu · sgd 0.1 · 2×256", "#8 relu · sgd 0.1 · 2×256 · momentum=0.9"]
    assert relabel(["lesson-nn #1"], sgd[:1]) == ["lesson-nn #1"]  # not a run label: kept


def test_model_choices_default_to_the_best_finished_model():
    models = [TrainedModel("a", "#1", "finished", 0.95), TrainedModel("b", "#2", "finished", 0.97),
              TrainedModel("c", "#3", "finished", 0.098), TrainedModel("d", "#4", "diverged", None),
              TrainedModel("e", "#5", "running", None)]
    options, best = model_choices(models, "en")
    assert best == "b"
    assert options == [("e", "#5 · still training"), ("c", "#3 · test 9.8%"), ("b", "#2 · test 97.0%"),
                       ("a", "#1 · test 95.0%")]
    assert model_choices(models[3:], "en")[1] == "e"  # nothing finished: the newest usable one
    assert model_choices([], "en") == ([], None)


def test_history_reads_run_status_accuracy_loss_seconds_then_config_in_both_languages():
    assert COLUMNS[:5] == ("run", "status", "test_acc", "final_loss", "seconds")
    row = dict.fromkeys(COLUMNS, 1) | {"status": "stopped"}
    (ko,) = history_table([row], "ko")
    assert list(ko)[:5] == ["실행", "상태", "테스트 정확도", "최종 손실", "초"] and ko["상태"] == "중지"
    assert history_table([row], "en")[0]["Status"] == "stopped"
    assert history_formats("ko")["테스트 정확도"] == "percent"


def progress(step: int, elapsed: float, total: int = 1000) -> SimpleNamespace:
    """A running Progress-like value with a naive ETA."""
    return SimpleNamespace(state="running", place=0, step=step, total_steps=total, epoch=1, epochs=5,
                           elapsed=elapsed, eta=elapsed / step * (total - step), fraction=step / total)


def test_no_eta_until_enough_of_the_run_has_passed():
    early = progress(step=20, elapsed=3.0)  # the "3:15 left" at 3 s of a 50 s run
    assert not eta_ready(early) and "left" not in progress_text(early, "#1", "en")
    later = progress(step=120, elapsed=6.0)
    assert eta_ready(later) and "about 44 s left" in progress_text(later, "#1", "en")
    assert "남음" not in progress_text(early, "#1", "ko")


def test_stopping_in_the_first_epoch_says_no_epoch_finished():
    ended = RunEnded(status="stopped", message="", step=42, loss=1.2, seconds=3.0)
    level, text = end_message(ended, RunConfig(), None, "en")
    assert level == "info" and "before the first epoch finished" in text and "—" not in text
    assert "첫 에포크" in end_message(ended, RunConfig(), None, "ko")[1]
    assert "last test accuracy 91.00%" in end_message(ended, RunConfig(), 0.91, "en")[1]


def test_page_css_breaks_korean_between_words_and_enlarges_type_when_presenting():
    assert "keep-all" in page_css("ko") and "keep-all" in page_css("en")  # Korean words in English pages too
    assert "font-size: 19px" in page_css("en", present=True) and "font-size: 19px" not in page_css("en")
