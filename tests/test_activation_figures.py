"""The chain formula agrees with the engine's measured gradients; the f/f' figure shades the right places."""

import numpy as np
import pytest

from lab.figures.activations import (
    BLUE,
    RED,
    activation_curves,
    activation_figure,
    chain_figure,
    chain_result,
    orders_of_magnitude,
    ratio_text,
    saturated_spans,
)

DEPTH = 8


@pytest.mark.parametrize("init", ["default", "kaiming"])
def test_sigmoid_formula_and_measurement_both_fall_by_orders_of_magnitude(init):
    res = chain_result("sigmoid", DEPTH, init)
    assert res.layers[0] == "fc1" and res.layers[-1] == "out" and len(res.measured) == DEPTH + 1
    assert orders_of_magnitude(res.chain) < -3, res.chain
    assert orders_of_magnitude(res.measured) < -3, res.measured
    # and both fall layer after layer, from the output back to the input
    assert (np.diff(res.chain) > 0).all() and (np.diff(res.measured[:-1]) > 0).all()


def test_relu_with_kaiming_init_neither_vanishes():
    res = chain_result("relu", DEPTH, "kaiming")
    assert abs(orders_of_magnitude(res.chain)) < 1, res.chain
    assert abs(orders_of_magnitude(res.measured)) < 1, res.measured
    assert (res.measured > 0.1 * res.measured[-1]).all()


@pytest.mark.parametrize(("activation", "init"), [("sigmoid", "default"), ("relu", "kaiming"),
                                                   ("tanh", "normal")])
def test_formula_predicts_every_layers_measured_gradient_within_a_small_factor(activation, init):
    res = chain_result(activation, DEPTH, init)
    ratio = res.predicted / res.measured
    assert ((ratio > 0.25) & (ratio < 4)).all(), ratio  # over a range of up to 10^8


def test_the_slider_depth_changes_the_network():
    assert len(chain_result("sigmoid", 2, "kaiming").measured) == 3
    assert orders_of_magnitude(chain_result("sigmoid", 2, "kaiming").measured) > \
        orders_of_magnitude(chain_result("sigmoid", 6, "kaiming").measured)


def test_sigmoid_slope_peaks_at_a_quarter_and_saturates_at_both_ends():
    x, f, df = activation_curves("sigmoid", x_max=8)
    assert df.max() == pytest.approx(0.25) and x[df.argmax()] == pytest.approx(0.0)
    spans = saturated_spans(x, df, 0.1 * 0.25)
    assert len(spans) == 2 and spans[0][0] == -8 and spans[1][1] == 8
    # sigma'(x) = 0.025 at |x| = 3.64; the curve is sampled every 0.027
    assert spans[0][1] == pytest.approx(-3.64, abs=0.03) and spans[1][0] == pytest.approx(3.64, abs=0.03)
    assert saturated_spans(x, df, 0.1 * 0.25, saturated=False) == [(spans[0][1], spans[1][0])]


def test_relu_saturates_left_and_leaky_relu_with_a_big_slope_does_not():
    x, _, df = activation_curves("relu")
    ((start, end),) = saturated_spans(x, df, 0.1)
    assert start == -6.0 and end == pytest.approx(0.0, abs=0.03)
    x, _, df = activation_curves("leaky_relu", slope=0.3)
    assert saturated_spans(x, df, 0.1) == []


def test_activation_figure_draws_f_and_df_with_red_ends_and_blue_middle():
    fig = activation_figure(["sigmoid", "relu", "tanh"], "ko", x_max=6)
    assert len(fig.data) == 6  # f and f' per panel
    colors = [shape.fillcolor for shape in fig.layout.shapes]
    assert colors.count(RED) == 2 + 1 + 2 and colors.count(BLUE) == 3
    titles = [a.text for a in fig.layout.annotations]
    assert "시그모이드" in titles and "f' 최댓값 = 0.25" in titles


def test_chain_figure_is_log_scale_with_formula_and_measurement():
    fig = chain_figure([chain_result("sigmoid", 3, "kaiming")], "en")
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis2.type == "log"
    names = [trace.name for trace in fig.data]
    assert names == ["Sigmoid", "Sigmoid measured", "Sigmoid formula × layer input"]


def test_ratio_text():
    assert ratio_text(1 / 5000) == "1/5,000"
    assert ratio_text(1.6) == "×1.6"
    assert ratio_text(3e-9).startswith("1/3.3e+08")
