"""What a lesson step shows from the lab: the home page's diagram, the activation plots, the gradient chain,
the optimizer race, the Train presets. Each is built once per setting and language (st.cache_data)."""

from __future__ import annotations

import streamlit as st

from lab.engine.config import PRESETS
from lab.i18n import LANGS, t
from lab.lesson_mode.lesson import Show, Step
from ui.charts import plotly_with_alt

DIAGRAM_MAX_PX = 620  # as on the home page: its 16-unit text stays >= 12 px
RACE_PX = 640  # the Optimizers page's race is 760 px high: a projector shows less


@st.cache_data(max_entries=16, show_spinner=False)
def _activations(names: tuple[str, ...], lang: str):
    """f and f' of each activation (lab/figures/activations.py)."""
    from lab.figures.activations import activation_figure

    return activation_figure(list(names), lang, columns=min(2, len(names)))


@st.cache_data(max_entries=16, show_spinner=False)
def _chain_results(names: tuple[str, ...], depth: int, init: str) -> list:
    """The chain formula and the gradient norms measured on a real MNIST batch, per activation (any language)."""
    from lab.figures.activations import chain_result

    return [chain_result(name, depth, init) for name in names]


@st.cache_data(max_entries=32, show_spinner=False)
def _chain(names: tuple[str, ...], depth: int, init: str, lang: str, stacked: bool):
    """The chain of slopes against measured gradient norms (stacked: for a student's screen, maybe a phone)."""
    from lab.figures.activations import chain_figure

    return chain_figure(_chain_results(names, depth, init), lang, stacked)


@st.cache_data(max_entries=16, show_spinner=False)
def _paths(surface: str, racers: tuple[str, ...], full: bool) -> list:
    """Every racer's trajectory (full), or only its start (before the reveal)."""
    from lab.lessons.race import SURFACES, run_racer

    return [run_racer(SURFACES[surface], r, steps=None if full else 0) for r in racers]


@st.cache_data(max_entries=16, show_spinner=False)
def _race(surface: str, racers: tuple[str, ...], full: bool, lang: str):
    """The race figure; before the reveal only the start, the minimum and who races (no paths)."""
    from lab.figures.race import race_figure
    from lab.lessons.race import SURFACES

    return race_figure(SURFACES[surface], _paths(surface, racers, full), lang, height=RACE_PX)


@st.cache_data(max_entries=16, show_spinner=False)
def _winner(surface: str, racers: tuple[str, ...]) -> tuple[str, int | None]:
    """The racer that first reaches the surface's minimum (and when)."""
    from lab.lessons.race import SURFACES, first_to_minimum

    return first_to_minimum(SURFACES[surface], _paths(surface, racers, True))


def race_winner(step: Step) -> tuple[str, int | None]:
    """(racer, step) of the step's race winner."""
    return _winner(step.show.surface, step.show.racers)


def warm(step: Step) -> None:
    """Build the step's figures in both languages now, so that no screen waits for them on Next."""
    item = step.show
    for lang in LANGS:
        if item is None:
            return
        if item.kind == "activations":
            _activations(item.activations, lang)
        elif item.kind == "chain":
            for stacked in (False, True):
                _chain(item.activations, item.depth, item.init, lang, stacked)
        elif item.kind == "race":
            _race(item.surface, item.racers, False, lang)
            _race(item.surface, item.racers, True, lang)
            _winner(item.surface, item.racers)


def show(step: Step, lang: str, revealed: bool, linkable: bool = False, narrow: bool = False) -> None:
    """Draw the step's `show` (race paths after the reveal, preset links when free, narrow for a phone)."""
    item: Show = step.show
    if item.kind == "diagram":
        from lab.figures.diagram import backprop_svg

        st.markdown(f'<div class="relulab-diagram" style="max-width: {DIAGRAM_MAX_PX}px">{backprop_svg(lang)}</div>',
                    unsafe_allow_html=True)
    elif item.kind == "activations":
        plotly_with_alt(st, _activations(item.activations, lang), None, f"lesson_show_{step.id}", theme=None,
                        config={"displayModeBar": False})
    elif item.kind == "chain":
        with st.spinner(t("act.chain.computing", lang)):
            figure = _chain(item.activations, item.depth, item.init, lang, narrow)
        plotly_with_alt(st, figure, None, f"lesson_show_{step.id}", theme=None, config={"displayModeBar": False})
    elif item.kind == "race":
        full = revealed or step.kind != "predict"
        plotly_with_alt(st, _race(item.surface, item.racers, full, lang), None, f"lesson_show_{step.id}_{int(full)}",
                        theme=None, config={"displayModeBar": False})
        if full:
            from lab.lessons.race import racer_label

            racer, at = race_winner(step)
            st.caption(t("lesson.race_first", lang, racer=racer_label(racer), step=at) if at is not None
                       else t("lesson.race_closest", lang, racer=racer_label(racer)))
        else:
            st.caption(t("lesson.race_hidden", lang))
    elif item.kind == "presets":
        presets(item, lang, linkable)


def presets(item: Show, lang: str, linkable: bool) -> None:
    """A card per Train preset: its name, its config, the lesson's accuracy, and (when free to) a link to train it."""
    for column, name in zip(st.columns(len(item.presets)), item.presets, strict=True):
        with column.container(border=True):
            config, label = PRESETS[name], t(f"lesson.preset.{name}", lang)
            if name in item.reported:
                st.metric(label, f"{item.reported[name]:.1%}", help=t("lesson.reported_help", lang))
            else:
                st.markdown(f"**{label}**")
            st.caption(t("lesson.preset_line", lang, activation=config.activation, depth=config.depth,
                         width=config.width, optimizer=config.optimizer, lr=f"{config.effective_lr:g}",
                         epochs=config.epochs))
            if linkable:
                st.page_link("views/train.py", label=t("lesson.open_preset", lang), icon=":material/play_arrow:",
                             query_params={**config.to_query(), "lang": lang})
