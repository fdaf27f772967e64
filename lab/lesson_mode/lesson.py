"""A lesson as the pages use it: steps with a title, a text, what the lab shows, and at most one activity.

Built only by lab.lesson_mode.loader from a validated lesson file (docs/LESSONS.md); frozen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lab.engine.config import RunConfig

SHOW_KINDS = ("diagram", "activations", "chain", "race", "presets")
ACTIVITY_KINDS = ("predict", "run", "reveal")
GROUP_FIELDS = ("activation", "optimizer", "depth", "width", "init", "lr", "epochs")  # what arms may differ in


@dataclass(frozen=True)
class Words:
    """One text in both languages."""

    en: str
    ko: str

    def __call__(self, lang: str) -> str:
        """The text in lang (English for any other language)."""
        return self.ko if lang == "ko" else self.en


@dataclass(frozen=True)
class Show:
    """What the lab already has, shown on a step: the diagram, activation plots, the chain, the race, presets."""

    kind: str
    activations: tuple[str, ...] = ()  # activations, chain
    depth: int = 6  # chain
    init: str = "default"  # chain
    surface: str = "valley"  # race
    racers: tuple[str, ...] = ()  # race
    presets: tuple[str, ...] = ()  # presets: Train presets shown as cards with a link
    reported: dict[str, float] = field(default_factory=dict)  # presets: the lesson's own test accuracy


@dataclass(frozen=True)
class Choice:
    """One answer of a prediction."""

    id: str
    label: Words


@dataclass(frozen=True)
class Arm:
    """One side of a Run activity's comparison: its name and the config its students train."""

    id: str
    label: Words
    config: RunConfig
    reported: float | None = None  # the lesson's own test accuracy for it, drawn next to the class's


@dataclass(frozen=True)
class Activity:
    """predict (a question with choices), run (the class trains arms) or reveal (prediction vs measurement)."""

    kind: str
    question: Words | None = None  # predict
    choices: tuple[Choice, ...] = ()  # predict
    answer: str | None = None  # predict: a choice id, "race" (the step's race decides) or None
    preset: str | None = None  # run: the Train preset it starts from
    arms: tuple[Arm, ...] = ()  # run
    predict: str | None = None  # reveal: the predict step's id (or None: only the measurement)
    run: str | None = None  # reveal: the run step's id

    def choice(self, choice_id: str) -> Choice | None:
        """The choice with this id, or None."""
        return next((c for c in self.choices if c.id == choice_id), None)

    def arm(self, arm_id: str) -> Arm | None:
        """The arm with this id, or None."""
        return next((a for a in self.arms if a.id == arm_id), None)

    @property
    def group_by(self) -> str:
        """The config field the arms differ in (the board colours the class's curves by it)."""
        for name in GROUP_FIELDS:
            if len({getattr(a.config, name) for a in self.arms}) > 1:
                return name
        return "activation"


@dataclass(frozen=True)
class Step:
    """One step of a lesson."""

    id: str
    title: Words
    text: Words
    show: Show | None = None
    activity: Activity | None = None

    @property
    def kind(self) -> str | None:
        """Its activity's kind, or None."""
        return self.activity.kind if self.activity else None

    @property
    def hides(self) -> bool:
        """Something students see only once the teacher reveals it (votes, the class's runs, a race)."""
        return self.kind in ("predict", "run")


@dataclass(frozen=True)
class Lesson:
    """A lesson file, validated."""

    id: str
    title: Words
    summary: Words
    steps: tuple[Step, ...]
    path: Path

    def index(self, step_id: str) -> int | None:
        """The position of the step with this id, or None."""
        return next((i for i, s in enumerate(self.steps) if s.id == step_id), None)

    def step(self, step_id: str) -> Step | None:
        """The step with this id, or None."""
        i = self.index(step_id)
        return None if i is None else self.steps[i]
