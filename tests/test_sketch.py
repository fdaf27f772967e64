"""A live run's charts as SVG draw what the Plotly figures of the same real run draw."""

from __future__ import annotations

import base64
import math
import re
import xml.etree.ElementTree as ET
from copy import deepcopy

import pytest

from lab.engine.config import RunConfig
from lab.engine.events import RunRecord
from lab.engine.train import Trainer
from lab.figures.sketch import MAX_COLUMNS, MAX_POINTS, img_of, nice_ticks, svg_of
from lab.figures.train import LiveFigures, grad_heatmap, loss_step_figure, run_figures

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def record(mnist):
    """A real 2-hidden-layer sigmoid run: 2 epochs of 8 steps, every step logged and probed."""
    config = RunConfig(activation="sigmoid", depth=2, width=32, epochs=2, train_subset=400, batch_size=50,
                       log_every=1, probe_every=1)
    return Trainer(config, data=mnist).run()


def parse(svg: str) -> ET.Element:
    """The SVG as XML (it must be well-formed for the browser to draw it)."""
    return ET.fromstring(svg)


def line_points(path: ET.Element) -> list[tuple[float, float]]:
    """The canvas points of an SVG path of M/L commands."""
    return [(float(x), float(y)) for x, y in re.findall(r"[ML]([-\d.]+) ([-\d.]+)", path.get("d"))]


def test_every_chart_of_a_real_run_is_a_well_formed_svg_named_as_its_plotly_chart(record):
    for name, fig in run_figures(record).items():
        root = parse(svg_of(fig))
        assert root.get("data-meta") == name == fig.layout.meta
        assert int(root.get("data-points")) == len(fig.data[0].x)
        titles = [t.text for t in root.iter(f"{SVG}text")]
        assert fig.layout.title.text.split("<br>")[0] in titles


def test_the_loss_line_follows_the_recorded_losses(record):
    fig = loss_step_figure(record)
    root = parse(svg_of(fig))
    raw = next(p for p in root.iter(f"{SVG}path") if p.findtext(f"{SVG}title") == fig.data[0].name)
    points = line_points(raw)
    assert len(points) == len(record.steps) == 16
    xs = [x for x, _ in points]
    assert xs == sorted(xs) and len(set(xs)) == 16  # one point per logged step, left to right
    # Canvas y grows downward: the highest loss is the topmost point, the lowest the bottom one.
    losses = [s["loss"] for s in record.steps]
    ys = [y for _, y in points]
    assert ys.index(min(ys)) == losses.index(max(losses)) and ys.index(max(ys)) == losses.index(min(losses))


def test_a_missing_value_breaks_the_line_and_a_log_axis_is_labelled_in_powers_of_ten(record):
    gapped = deepcopy(record)
    gapped.steps[5]["grad_norms"] = [0.0] * len(gapped.layers)  # a log axis cannot draw a zero
    fig = run_figures(gapped)["grad-lines"]
    root = parse(svg_of(fig))
    first = next(p for p in root.iter(f"{SVG}path") if p.findtext(f"{SVG}title") == gapped.layers[0])
    assert first.get("d").count("M") == 2  # two segments around the gap, as Plotly draws it
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert any(label.startswith("10⁻") for label in labels)


def test_a_long_run_is_thinned_for_the_browser_but_keeps_its_last_step(record):
    long = deepcopy(record)
    long.steps = [dict(record.steps[i % 16], step=i + 1) for i in range(3000)]
    root = parse(svg_of(loss_step_figure(long)))
    path = next(p for p in root.iter(f"{SVG}path") if p.findtext(f"{SVG}title"))
    assert len(line_points(path)) <= MAX_POINTS + 1
    heat = parse(svg_of(grad_heatmap(long)))
    cells = [r for r in heat.iter(f"{SVG}rect") if r.get("width") != "14" and r.get("fill") != "none"]
    assert len(cells) <= MAX_COLUMNS * len(long.layers)
    assert root.get("data-points") == str(len(loss_step_figure(long).data[0].x))


def test_an_empty_chart_shows_its_note_and_no_made_up_ticks():
    fig = run_figures(RunRecord())["loss-step"]
    root = parse(svg_of(fig))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert fig.layout.annotations[0].text in texts and "0.2" not in texts and root.get("data-points") == "0"


def test_nice_ticks_are_round_and_cover_the_range():
    assert nice_ticks(0, 2400) == [0, 500, 1000, 1500, 2000]
    assert nice_ticks(1, 5, integer=True) == [1, 2, 3, 4, 5]
    ticks = nice_ticks(0.013, 2.31)
    assert all(0.013 <= t <= 2.31 for t in ticks) and 4 <= len(ticks) <= 8
    assert all(math.isclose(b - a, ticks[1] - ticks[0]) for a, b in zip(ticks, ticks[1:]))


def test_sketches_are_redrawn_only_with_their_figures(record):
    partial = deepcopy(record)
    partial.steps, partial.epochs = record.steps[:8], record.epochs[:1]
    live = LiveFigures(img_of)
    first = live.get(partial, [])
    partial.steps = record.steps[:12]
    second = live.get(partial, [])
    assert second["accuracy"] is first["accuracy"]  # the same string: the browser has nothing to redo
    assert second["loss-step"] != first["loss-step"]
    assert 'data-meta="loss-step" data-points="12"' in second["loss-step"]
    svg = base64.b64decode(second["loss-step"].split("base64,")[1].split('"')[0]).decode()
    assert parse(svg).get("data-points") == "12"  # the image is the chart's SVG document
