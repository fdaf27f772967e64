"""The Train page under AppTest: renders, presets, a tiny run into the history, bad URLs, tab close."""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

import pytest
import torch
from streamlit.runtime.caching import clear_session_resource_cache
from streamlit.testing.v1 import AppTest

from lab.engine.config import PRESETS, RunConfig
from lab.engine.models import build_from_config, model_from_state_dict, plain_state_dict
from lab.runs.sources import browser_models
from lab.runs.store import new_token, open_store
from lab.web.train_form import (
    PRESET_MENU,
    WIDTHS,
    config_from_widgets,
    format_seconds,
    incoming_config,
    preset_configs,
    widget_values,
    with_value,
)

ROOT = Path(__file__).resolve().parent.parent
SESSION_ID = "test session id"  # AppTest runs every script with this session id
TINY = {"train_subset": "300", "epochs": "1", "depth": "1", "width": "32"}


@pytest.fixture(autouse=True)
def fresh_session():
    """Release the session-scoped runs before and after each test, as a closed tab would."""
    clear_session_resource_cache(SESSION_ID)
    yield
    clear_session_resource_cache(SESSION_ID)


def train_page(query: dict[str, str] | None = None, lang: str = "en", owner: str | None = None) -> AppTest:
    """The Train page of a new browser (or a new tab of owner's) run once, directly, with these query params."""
    at = AppTest.from_file(str(ROOT / "views" / "train.py"), default_timeout=60)
    at.session_state["lang"] = lang
    at.session_state["owner"] = owner or new_token()
    at.query_params.update(query or {})
    return at.run()


def wait_for_history(at: AppTest, rows: int = 1, timeout: float = 120) -> AppTest:
    """Rerun (AppTest does not fire run_every) until the history table has this many rows."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, at.exception
        if at.dataframe and len(at.dataframe[0].value) >= rows:
            # The live view runs before the history in the script, so the run that just ended
            # may have shown as training earlier in this same run: one more run is consistent.
            return at.run()
        time.sleep(0.3)
    pytest.fail("the run never reached the history")


def widget_config(at: AppTest) -> dict:
    """The main controls' values."""
    return {"activation": at.selectbox(key="train_w_activation").value,
            "optimizer": at.selectbox(key="train_w_optimizer").value,
            "depth": at.slider(key="train_w_depth").value,
            "width": at.select_slider(key="train_w_width").value,
            "init": at.selectbox(key="train_w_init").value,
            "epochs": at.number_input(key="train_w_epochs").value,
            "seed": at.number_input(key="train_w_seed").value}


def expected(config: RunConfig) -> dict:
    """widget_config() of a RunConfig."""
    return {k: getattr(config, k) for k in ("activation", "optimizer", "depth", "width", "init", "epochs",
                                            "seed")}


def test_default_page_renders_under_the_router():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = "en"
    at.run()
    at.switch_page("views/train.py").run()
    assert not at.exception
    assert "lang_switch" in [getattr(e, "key", None) for e in at.sidebar]  # app.py's switch: routed
    assert at.title[0].value == "Train a network on MNIST"
    assert widget_config(at) == expected(RunConfig())
    assert at.button(key="train_start").label == "▶ Train" and at.button(key="train_stop").disabled
    assert not at.warning and "No run yet" in at.info[0].value
    assert not at.code  # the PyTorch script is drawn once its expander is opened
    at.session_state["train_code_open"] = True
    assert "torch.optim.Adam(model.parameters(), lr=learning_rate)" in at.run().code[0].value


def test_korean_page_renders():
    at = train_page(lang="ko")
    assert not at.exception and at.title[0].value == "MNIST로 신경망 학습하기"
    assert at.button(key="train_start").label == "▶ 학습"


@pytest.mark.parametrize("name", PRESET_MENU)
def test_each_preset_from_the_url_renders_and_fills_the_controls(name):
    at = train_page({"preset": name})
    assert not at.exception and not at.warning
    assert widget_config(at) == expected(preset_configs(name)[0])
    assert "preset" not in at.query_params  # replaced by the preset's own config keys
    assert RunConfig.from_query({k: v for k, v in at.query_params.items() if k != "lang"})[0] == \
        preset_configs(name)[0]


@pytest.mark.parametrize("name", ["lesson-softmax", "lesson-nn"])
def test_lesson_preset_buttons_load_the_lesson_config(name):
    at = train_page()
    at.button(key=f"train_preset_{name}").click().run()
    assert not at.exception
    assert widget_config(at) == expected(PRESETS[name])
    assert not open_store().list_runs(owner=at.session_state["owner"])  # loading a preset trains nothing


def test_comparison_preset_button_queues_a_paired_run_per_config():
    at = train_page()
    at.button(key="train_preset_vanishing").click().run()
    assert not at.exception
    runs = open_store().list_runs(owner=at.session_state["owner"])
    assert [r.config for r in runs] == preset_configs("vanishing")
    assert runs[0].config.seed == runs[1].config.seed and runs[0].group_name == runs[1].group_name
    # The paired runs start from the same weights: the sigmoid net's initial ones, exactly.
    sigmoid_start = plain_state_dict(build_from_config(PRESETS["vanishing-sigmoid"]))
    relu_start = plain_state_dict(build_from_config(runs[1].config))
    assert runs[1].active and all(torch.equal(relu_start[k], sigmoid_start[k]) for k in sigmoid_start)
    assert len(at.get("progress")) == 2  # one training (or about to), one waiting its turn
    at.button(key="train_stop").click().run()
    toasts = [toast.value for toast in at.toast]
    deadline = time.monotonic() + 20
    while any(r.active for r in open_store().list_runs(owner=at.session_state["owner"])):
        assert time.monotonic() < deadline, "Stop did not end the paired runs"
        time.sleep(0.05)
    # The page says so in a toast, first thing, for each run that had stopped by then (a run still
    # waiting its turn stops at once; whether the second one was still waiting depends on the slots),
    # with the step the store recorded.
    ended = {r.label: r for r in open_store().list_runs(owner=at.session_state["owner"])}
    assert toasts and len(toasts) <= 2, toasts
    for text in toasts:
        label = next(label for label in ended if f"Stopped {label} at step" in text)
        assert ended[label].status == "stopped" and text == f"■ Stopped {label} at step {ended[label].step}."


def test_a_tiny_run_joins_the_history_with_its_metrics():
    at = train_page(TINY)
    at.button(key="train_start").click().run()
    assert not at.exception
    wait_for_history(at)
    table = at.dataframe[0].value
    row = table.iloc[0]
    assert row["Status"] == "finished" and row["Steps"] == 3 and row["Hidden layers"] == 1
    assert 0.0 < row["Test acc."] <= 1.0 and row["Final loss"] > 0
    assert "Finished after 3 steps" in at.success[0].value
    (source,) = browser_models(open_store(), at.session_state["owner"])
    assert source.label == row["Run"] and not source.live
    model = model_from_state_dict(source.snapshot(), source.config.activation)
    assert model.fc1.out_features == 32
    assert at.button(key="train_stop").disabled
    charts = re.findall(r'data-meta="([\w-]+)" data-points="(\d+)"', " ".join(h.value for h in at.get("html")))
    drawn = dict(charts)  # the run's charts and the comparison overlays, as SVG images
    assert set(drawn) == {"loss-step", "accuracy", "grad-lines", "grad-heatmap", "saturation", "loss-epoch",
                          "compare-loss", "compare-accuracy", "compare-grad"} and len(charts) == 9
    assert drawn["loss-step"] == "1" and drawn["accuracy"] == "1"  # step 1 logged (log_every 10), 1 epoch
    assert not at.get("plotly_chart")  # no Plotly on the Train page: its run's page has the interactive ones


def test_a_tampered_url_falls_back_to_defaults_with_a_notice():
    at = train_page({"depth": "99", "activation": "banana", "lr": "abc", "o.momentum": "5"})
    assert not at.exception
    notices = " ".join(w.value for w in at.warning)
    for key in ("depth", "activation", "lr", "momentum"):
        assert key in notices
    assert widget_config(at) == expected(RunConfig())
    assert "depth" not in at.query_params and "activation" not in at.query_params


def test_a_diverged_run_is_shown_with_its_step_and_a_hint():
    at = train_page({"optimizer": "sgd", "lr": "10000", "init": "normal", "train_subset": "1000",
                     "epochs": "1", "width": "64"})
    at.button(key="train_start").click().run()
    wait_for_history(at)
    assert at.dataframe[0].value.iloc[0]["Status"] == "diverged"
    message = at.error[0].value
    assert "diverged at step" in message and "Lower the learning rate (try 1000)" in message
    assert not at.exception


def test_closing_the_tab_ends_its_run_after_the_grace_period(monkeypatch):
    from lab.runs import executor

    monkeypatch.setattr(executor, "GRACE_S", 2.0)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = "en"
    at.run().switch_page("views/train.py").run()
    # the default config trains for minutes: only the closed tab can end it soon. A seed no other test
    # trains, so this run trains rather than replaying a stored twin (which would end at once).
    at.number_input(key="train_w_seed").set_value(secrets.randbelow(2**31 - 1)).run()
    at.button(key="train_start").click().run()
    store, owner = open_store(), at.session_state["owner"]
    (run,) = store.list_runs(owner=owner)
    assert run.active and run.replay_of is None
    clear_session_resource_cache(SESSION_ID)  # what Streamlit does when the session disconnects
    closed = time.monotonic()
    time.sleep(1.0)
    assert store.get_run(run.id).active, "a refresh (a tab back within the grace period) must not stop it"
    while store.get_run(run.id).active and time.monotonic() - closed < 30:
        time.sleep(0.05)
    assert not store.get_run(run.id).active, "the run outlived its browser"
    assert store.get_run(run.id).status == "stopped"


def test_url_logic_without_streamlit():
    config, notices, preset = incoming_config({"preset": "nope", "lang": "ko"}, None, cuda=False)
    assert config is None and preset is None and "preset='nope' ignored" in notices[0]
    config, notices, _ = incoming_config({"device": "cuda", "depth": "3"}, None, cuda=False)
    assert config.device == "auto" and config.depth == 3 and "no CUDA" in notices[0]
    current = RunConfig(depth=4)
    assert incoming_config(current.to_query(), current, cuda=False) == (None, [], None)  # our own URL
    assert incoming_config({"lang": "en"}, current, cuda=False) == (None, [], None)  # no config: keep it
    config, _, preset = incoming_config({"preset": "vanishing-relu"}, current, cuda=False)
    assert config == PRESETS["vanishing-relu"] and preset == "vanishing-relu"


def test_widgets_round_trip_every_config_field():
    config = RunConfig(activation="leaky_relu", leaky_slope=0.2, optimizer="rmsprop", lr=0.005,
                       opt_params={"momentum": 0.5, "centered": True}, depth=3, width=100, init="xavier",
                       batch_size=64, epochs=4, seed=3, train_subset=6000, augment=True, log_every=5)
    assert config_from_widgets(widget_values(config), RunConfig()) == config
    default_lr = config_from_widgets({**widget_values(config), "default_lr": True}, RunConfig())
    assert default_lr.lr is None and default_lr.effective_lr == 1e-3
    assert with_value(WIDTHS, 100) == [16, 32, 64, 100, 128, 256, 512, 1024]
    assert [format_seconds(s) for s in (4.4, 65, 3725)] == ["4 s", "1:05", "1:02:05"]


@pytest.mark.parametrize("optimizer,words", [("lbfgs", "full-batch"), ("rprop", "full-batch"),
                                             ("sparseadam", "embedding-bag")])
def test_picking_a_quirky_optimizer_explains_its_quirk(optimizer, words):
    at = train_page({"optimizer": optimizer})
    assert not at.exception
    assert any(words in c.value for c in at.caption)
    assert not any("full-batch" in c.value for c in train_page({"optimizer": "adam"}).caption)


def test_a_second_train_click_while_a_run_is_active_starts_nothing():
    # The button is disabled while a run is active, but a click can still come from a page drawn before
    # (a second tab of the same browser, a slow phone, a replayed message): it must not start a second run.
    query = {"train_subset": "60000", "epochs": "20"}
    first = train_page(query)
    owner = first.session_state["owner"]
    stale = train_page(query, owner=owner)
    first.button(key="train_start").click().run()
    store = open_store()
    (run,) = store.list_runs(owner=owner)
    stale.button(key="train_start").click().run()
    assert not stale.exception
    try:
        assert [r.id for r in store.list_runs(owner=owner)] == [run.id]
    finally:
        store.request_stop(run.id, owner)


def test_the_pytorch_code_is_sent_only_once_its_expander_is_opened():
    at = train_page({"activation": "sigmoid", "depth": "3"})
    assert not at.exception and not at.code  # closed: no script for the browser to highlight
    at.session_state["train_code_open"] = True  # the student opens "Show as PyTorch code"
    at.run()
    (code,) = at.code
    assert "nn.Sigmoid()" in code.value and code.value.count("nn.Linear(") == 4
