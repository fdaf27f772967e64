"""The Train page's Plotly figures draw exactly what real runs recorded."""

from __future__ import annotations

import math
from copy import deepcopy

import pytest

from lab.engine.config import PRESETS, RunConfig
from lab.engine.events import RunRecord
from lab.engine.train import Trainer
from lab.figures.train import (
    MAX_POINTS,
    LiveFigures,
    accuracy_figure,
    compare_accuracy_figure,
    compare_grad_figure,
    compare_loss_figure,
    epoch_loss_figure,
    grad_heatmap,
    grad_norm_figure,
    layer_colors,
    loss_step_figure,
    run_figures,
    saturation_figure,
    smooth,
)


@pytest.fixture(scope="module")
def record(mnist):
    """A real 2-hidden-layer run: 2 epochs of 8 steps, every step logged and probed."""
    config = RunConfig(depth=2, width=32, epochs=2, train_subset=400, batch_size=50, log_every=1,
                       probe_every=1)
    return Trainer(config, data=mnist).run()


@pytest.fixture(scope="module")
def vanishing_pair(mnist):
    """The vanishing-gradient preset pair, 20 steps each (same weights where shapes allow, same batches)."""
    short = dict(train_subset=2000, epochs=1, log_every=1)
    return [Trainer(PRESETS[name].replace(**short), data=mnist).run()
            for name in ("vanishing-sigmoid", "vanishing-relu")]


def test_loss_chart_plots_every_logged_step_raw_and_smoothed(record):
    fig = loss_step_figure(record)
    raw, smoothed = fig.data
    assert list(raw.x) == [s["step"] for s in record.steps] == list(range(1, 17))
    assert list(raw.y) == [s["loss"] for s in record.steps]
    assert smoothed.y[0] == pytest.approx(raw.y[0])  # bias-corrected: starts at the first value
    assert smoothed.y[-1] < smoothed.y[0]  # it learns
    assert fig.layout.meta == "loss-step" and fig.layout.title.text == "Loss per step"
    assert loss_step_figure(record, "ko").layout.title.text == "스텝별 손실"


def test_smoothing_is_an_exponential_average_that_skips_gaps():
    assert smooth([2.0, 2.0, 2.0]) == pytest.approx([2.0, 2.0, 2.0])
    values = smooth([1.0, 0.0], weight=0.5)
    assert values == pytest.approx([1.0, (0.25) / 0.75])  # (0.5*0.5*1 + 0.5*0) / (1 - 0.25)
    assert smooth([1.0, math.nan, 3.0, math.inf])[1] is None
    assert smooth([1.0, math.nan, 3.0, math.inf])[3] is None


def test_epoch_charts_show_loss_and_train_test_accuracy_in_percent(record):
    acc = accuracy_figure(record)
    train, test = acc.data
    assert list(train.x) == [1, 2]
    assert list(test.y) == pytest.approx([100 * e["test_acc"] for e in record.epochs])
    assert list(train.y) == pytest.approx([100 * e["train_acc"] for e in record.epochs])
    (loss,) = epoch_loss_figure(record).data
    assert list(loss.y) == pytest.approx([e["train_loss"] for e in record.epochs])


def test_gradient_norm_lines_are_per_layer_on_a_log_axis(record):
    fig = grad_norm_figure(record)
    assert fig.layout.yaxis.type == "log"
    assert [trace.name for trace in fig.data] == ["fc1", "fc2", "out"] == record.layers
    for i, trace in enumerate(fig.data):
        assert list(trace.y) == pytest.approx([s["grad_norms"][i] for s in record.steps])


def test_heatmap_is_layer_by_step_of_log_norms(record):
    (heat,) = grad_heatmap(record).data
    assert list(heat.y) == record.layers and list(heat.x) == list(range(1, 17))
    assert heat.z[0][0] == pytest.approx(math.log10(record.steps[0]["grad_norms"][0]))
    assert len(heat.z) == 3 and all(len(row) == 16 for row in heat.z)


def test_heatmap_shows_the_vanishing_gradient_as_a_dark_band_at_the_input(vanishing_pair):
    sigmoid, relu = vanishing_pair
    assert sigmoid.steps[0]["grad_norms"] != relu.steps[0]["grad_norms"]
    z_sig = grad_heatmap(sigmoid).data[0].z
    z_relu = grad_heatmap(relu).data[0].z
    mean = lambda row: sum(row) / len(row)
    # sigmoid: fc1 (input) is orders of magnitude darker than its output layer, and than ReLU's fc1
    assert mean(z_sig[-1]) - mean(z_sig[0]) > 2
    assert mean(z_relu[0]) - mean(z_sig[0]) > 2
    compare = compare_grad_figure([("sigmoid", sigmoid), ("relu", relu)])
    assert [tr.name for tr in compare.data] == ["sigmoid", "relu"] and compare.layout.yaxis.type == "log"
    assert list(compare.data[0].y) == pytest.approx(sigmoid.steps[-1]["grad_norms"])


def test_saturation_chart_has_saturated_and_dead_lines_per_hidden_layer(record):
    fig = saturation_figure(record)
    assert [tr.name for tr in fig.data] == ["fc1", "fc1 dead", "fc2", "fc2 dead"]
    # No legend: each layer's saturated line is named at its end (the dashed one shares its colour).
    assert not any(tr.showlegend for tr in fig.data)
    assert [a.text.split("</span> ")[1] for a in fig.layout.annotations if a.name == "end-label"] == ["fc1", "fc2"]
    assert "fc1 saturated" in fig.data[0].hovertemplate
    assert list(fig.data[0].y) == pytest.approx([100 * a["saturated"][0] for a in record.activations])
    assert list(fig.data[3].y) == pytest.approx([100 * a["dead"][1] for a in record.activations])
    assert fig.data[1].line.dash == "dash"


def test_softmax_regression_and_an_empty_run_get_notes_not_errors(mnist):
    softmax = Trainer(RunConfig(depth=0, epochs=1, train_subset=200, log_every=1), data=mnist).run()
    fig = saturation_figure(softmax)
    assert not fig.data and "no hidden layers" in fig.layout.annotations[0].text
    empty = RunRecord()
    figures = run_figures(empty)
    assert set(figures) == {"loss-step", "accuracy", "grad-lines", "grad-heatmap", "saturation",
                            "loss-epoch"}
    assert all(not f.data for f in figures.values())


def test_compare_overlays_one_line_per_run(vanishing_pair, record):
    runs = [("sigmoid", vanishing_pair[0]), ("relu", vanishing_pair[1]), ("small", record)]
    loss = compare_loss_figure(runs)
    assert [tr.name for tr in loss.data] == ["sigmoid", "relu", "small"]
    assert list(loss.data[2].x) == [s["step"] for s in record.steps]
    acc = compare_accuracy_figure(runs)
    assert list(acc.data[2].y) == pytest.approx([100 * e["test_acc"] for e in record.epochs])
    assert len({tr.line.color for tr in loss.data}) == 3
    assert not compare_loss_figure([]).data


def test_non_finite_losses_are_gaps_not_crashes(record):
    broken = deepcopy(record)
    broken.steps[-1]["loss"] = math.nan
    broken.steps[-2]["grad_norms"] = [math.inf, 0.0, 1.0]
    fig = loss_step_figure(broken)
    assert fig.data[0].y[-1] is None
    assert grad_norm_figure(broken).data[0].y[-2] is None and grad_heatmap(broken).data[0].z[1][-2] is None
    fig.to_json()  # serialisable for the browser


def test_long_runs_are_thinned_for_the_live_redraw_but_keep_their_ends(record):
    long = deepcopy(record)
    long.steps = [dict(s, step=i + 1) for i, s in enumerate(record.steps * 300)]  # 4800 logged steps
    fig = loss_step_figure(long)
    assert len(fig.data[0].x) <= MAX_POINTS + 1
    assert fig.data[0].x[0] == 1 and fig.data[0].x[-1] == 4800
    assert fig.data[1].y[-1] == pytest.approx(smooth([s["loss"] for s in long.steps])[-1])
    assert len(grad_heatmap(long).data[0].x) <= MAX_POINTS + 1


def test_legends_sit_under_the_plot_and_the_figure_grows_with_their_rows(vanishing_pair, record):
    from lab.figures.layout import HEIGHT, legend_rows, wrap_title

    runs = [(f"run {i}", record) for i in range(6)]
    deep, shallow = compare_loss_figure(runs), compare_loss_figure(runs[:1])
    for fig in (deep, shallow, accuracy_figure(record)):
        legend, title = fig.layout.legend, fig.layout.title
        assert (legend.yref, legend.y, legend.yanchor) == ("container", 0, "bottom")  # the bottom margin
        assert (title.yref, title.y, title.yanchor) == ("paper", 1, "bottom")  # above the plot area
    assert legend_rows(["fc1", "fc2", "fc3", "fc4", "fc5", "fc6"]) == 3 and legend_rows([]) == 0
    assert deep.layout.height > shallow.layout.height > HEIGHT  # 6 runs: more legend rows, more room
    assert deep.layout.margin.b - shallow.layout.margin.b == deep.layout.height - shallow.layout.height
    wrapped = wrap_title("Saturated (solid) and dead (dashed) units")
    assert wrapped == "Saturated (solid) and dead<br>(dashed) units"
    assert grad_norm_figure(record).layout.yaxis.dtick == 1  # decades only: no 8 px minor digits


def test_live_charts_are_rebuilt_only_when_what_they_draw_has_grown(record):
    # A live run gains steps every tick but an epoch only now and then: the epoch charts must stay the
    # very same figures (the browser then skips redrawing them), the step charts must show the new steps.
    partial = deepcopy(record)
    partial.steps, partial.epochs = record.steps[:8], record.epochs[:1]
    memo = LiveFigures()
    first = memo.get(partial, [])
    assert set(first) == set(run_figures(partial))
    partial.steps = record.steps[:12]
    second = memo.get(partial, [])
    for name in ("accuracy", "loss-epoch", "saturation"):
        assert second[name] is first[name], name
    for name in ("loss-step", "grad-lines", "grad-heatmap"):
        assert second[name] is not first[name], name
    assert list(second["loss-step"].data[0].x) == list(range(1, 13))
    partial.epochs = record.epochs
    assert memo.get(partial, [])["accuracy"] is not first["accuracy"]
    assert memo.get(partial, [], "ko")["loss-step"].layout.title.text == "스텝별 손실"


def test_layer_lines_are_named_at_their_ends_in_colour_blind_safe_colours(vanishing_pair):
    from lab.figures.layout import END_LABEL, LABEL_GAP, spread

    fig = grad_norm_figure(vanishing_pair[0])  # 6 sigmoid layers: fc1 far below out
    labels = [END_LABEL.match(a.text).groups() for a in fig.layout.annotations if a.name == "end-label"]
    heights = [a.y for a in fig.layout.annotations if a.name == "end-label"]
    assert [name for _, name in labels] == [tr.name for tr in fig.data] == vanishing_pair[0].layers
    assert [color for color, _ in labels] == [tr.line.color for tr in fig.data]  # the swatch is the line's colour
    assert heights == sorted(heights) and heights[0] < 0.3  # fc1's label low, where its line ends
    lo, hi = fig.layout.yaxis.range  # whole decades, as the SVG sketch draws the axis
    last = [next(y for y in reversed(tr.y) if y) for tr in fig.data]
    assert lo <= math.log10(min(last)) and math.log10(max(last)) <= hi
    assert not any(tr.showlegend for tr in fig.data) and fig.layout.margin.r > 40
    assert len(set(layer_colors(11))) == 11 and layer_colors(7)[0] == "rgb(68, 1, 84)"  # viridis, dark at fc1
    assert all(b - a >= LABEL_GAP - 1e-9 for a, b in zip(sorted(spread([0.5] * 5)), sorted(spread([0.5] * 5))[1:]))
    assert spread([0.9, 0.95, 1.0]) == pytest.approx([1 - 2 * LABEL_GAP, 1 - LABEL_GAP, 1.0])
