"""What a run's charts show, said in one sentence each when it happens: a vanished gradient (with the measured
ratio), a diverged loss, dead units; each with a link to the page that explains why."""

from __future__ import annotations

import math

from lab.classroom.board import VANISHED
from lab.engine.events import RunRecord
from lab.figures.alt import number
from lab.i18n import t

DEAD = 0.5  # a hidden layer with at least this fraction of dead units is named


def one_in(ratio: float) -> str:
    """A small ratio as people say it: 1/29,000 (two significant digits)."""
    n = 1 / ratio
    digits = max(0, int(math.floor(math.log10(n))) - 1)
    return f"1/{round(n, -digits):,.0f}"


def insights(record: RunRecord, lr: float, lang: str) -> list[tuple[str, str]]:
    """(level, markdown sentence) for what the run's charts show now: diverged, vanished, dead units."""
    out: list[tuple[str, str]] = []
    steps = record.steps
    bad = next((s for s in steps if s["loss"] is None or not math.isfinite(s["loss"])), None)
    if bad is not None or record.status == "diverged":
        loss = "NaN" if bad is None or bad["loss"] is None or math.isnan(bad["loss"]) else f"{bad['loss']:g}"
        step = bad["step"] if bad else record.last_step
        out.append(("error", t("room.insight.diverged", lang, loss=loss, step=step, lr=f"{lr:g}",
                               link=f"optimizers?lang={lang}")))
    if steps and len(record.layers) >= 2:  # at least one hidden layer between the input and the output
        norms = steps[-1]["grad_norms"]
        first, last = norms[0], norms[-1]
        if first is not None and last and math.isfinite(first) and math.isfinite(last) and last > 0 \
                and 0 < first / last < VANISHED:
            out.append(("warning", t("room.insight.vanished", lang, step=steps[-1]["step"],
                                     first=record.layers[0], last=record.layers[-1], ratio=one_in(first / last),
                                     a=number(first), b=number(last), link=f"activations?lang={lang}")))
    if record.activations and record.hidden_layers:
        dead = record.activations[-1]["dead"]
        worst = max(range(len(dead)), key=lambda i: dead[i])
        if dead[worst] >= DEAD:
            out.append(("warning", t("room.insight.dead", lang, pct=f"{dead[worst]:.0%}",
                                     layer=record.hidden_layers[worst], link=f"activations?lang={lang}")))
    return out
