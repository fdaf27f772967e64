"""The Train page's keys in st.session_state behind one object: the rest of the page never names a key."""

from __future__ import annotations

from typing import Any

import streamlit as st

from lab.engine.config import RunConfig
from lab.figures import train as charts
from lab.figures.sketch import img_of
from ui.session import AppKeys

W = "train_w_"  # prefix of the page's widget keys; tests and the browser read them by these names


class TrainState(AppKeys):
    """Typed properties over st.session_state: what app.py puts there for the page, then the page's own keys."""

    def __init__(self) -> None:
        """Over this session's st.session_state (a proxy: it is right in callbacks and fragments too)."""
        self._s = st.session_state

    @property
    def config(self) -> RunConfig | None:
        """The config the controls held at the end of the last run."""
        return self._s.get("train_config")

    @config.setter
    def config(self, config: RunConfig) -> None:
        self._s.train_config = config

    @property
    def preset(self) -> str | None:
        """The preset last loaded (by a button or a home page link)."""
        return self._s.get("train_preset")

    @preset.setter
    def preset(self, name: str | None) -> None:
        self._s.train_preset = name

    @property
    def notices(self) -> list[str]:
        """What was wrong with the link the page was opened with."""
        return self._s.get("train_notices", [])

    @notices.setter
    def notices(self, notices: list[str]) -> None:
        self._s.train_notices = notices

    def loaded(self, config: RunConfig, preset: str | None, widgets: dict[str, Any]) -> None:
        """A button put config in the controls: the URL is stale until the next run writes it."""
        self.set_widgets(widgets)
        self.config, self.preset = config, preset
        self._s.train_preset_loaded, self.notices = True, []

    def take_loaded(self) -> bool:
        """Whether a button loaded the controls since the last run (read once)."""
        return self._s.pop("train_preset_loaded", False)

    def queue_group(self, preset: str) -> None:
        """A comparison preset's runs to start on the next run of the page."""
        self._s.train_pending = preset

    def take_group(self) -> str | None:
        """The comparison preset waiting to start (read once)."""
        return self._s.pop("train_pending", None)

    def next_group(self) -> int:
        """A new number for a group of runs started together."""
        self._s.train_groups = self._s.get("train_groups", 0) + 1
        return self._s.train_groups

    @property
    def skipped(self) -> set[str]:
        """Replays whose playback the student jumped to the end of (ui/train_replay.py)."""
        return self._s.setdefault("train_replay_skipped", set())

    @property
    def live_figures(self) -> charts.LiveFigures:
        """The Train page's charts as SVG images, each kept while the part of the record it draws stays the same."""
        return self._s.setdefault("train_figures_live", charts.LiveFigures(img_of))

    def run_figures(self, key: str, draw=None) -> charts.LiveFigures:
        """The figures of one run shown under key: Plotly (a permanent link's "linked"), or drawn by draw
        (the SVG images of a permanent link's run while it trains, "linked_live")."""
        return self._s.setdefault(f"train_figures_{key}", charts.LiveFigures(draw))

    @staticmethod
    def key(name: str) -> str:
        """The widget key of a control (a RunConfig field, "default_lr" or "opt.<optimizer>.<param>")."""
        return W + name

    def has_widget(self, name: str) -> bool:
        """Whether the control has a value yet."""
        return W + name in self._s

    def widget(self, name: str) -> Any:
        """A control's value."""
        return self._s[W + name]

    def set_widget(self, name: str, value: Any) -> None:
        """Set a control's value (before it is drawn)."""
        self._s[W + name] = value

    def default_widget(self, name: str, value: Any) -> None:
        """Give a control a value unless it has one."""
        self._s.setdefault(W + name, value)

    def set_widgets(self, values: dict[str, Any]) -> None:
        """Set many controls' values, by control name."""
        self._s.update({W + k: v for k, v in values.items()})

    def widget_values(self) -> dict[str, Any]:
        """Every control's value, by control name."""
        return {k[len(W):]: v for k, v in self._s.items() if k.startswith(W)}
