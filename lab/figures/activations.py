"""Activation figures: f and f' with saturated ends shaded, and the vanishing-gradient chain panel."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from lab.engine.models import MAX_SLOPE, activation_fn, activation_grad, build_mlp, layer_names, linear_layers
from lab.engine.probes import grad_norms
from lab.i18n import t

SHADE_FRACTION = 0.1  # shaded red where |f'| < 10% of the activation's largest slope
RED, BLUE = "rgba(214, 39, 40, 0.22)", "rgba(31, 119, 180, 0.13)"
F_COLOR, DF_COLOR = "#1f4e9c", "#e4572e"
FONT = dict(size=18)
ACT_COLORS = {"sigmoid": "#d62728", "tanh": "#ff7f0e", "relu": "#1f77b4", "leaky_relu": "#17becf",
              "elu": "#2ca02c", "gelu": "#9467bd", "silu": "#8c564b"}
MC_SAMPLES = 20_000  # standard-normal draws for the expectations over typical pre-activations


def activation_curves(name: str, slope: float = 0.01, x_max: float = 6.0,
                      n: int = 601) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x (n,), f(x) (n,), f'(x) (n,)) through the engine's torch modules."""
    x = torch.linspace(-x_max, x_max, n, dtype=torch.float64)
    with torch.no_grad():
        f = activation_fn(name, slope)(x)
    return x.numpy(), f.numpy(), activation_grad(name, x, slope).numpy()


def saturated_spans(x: np.ndarray, slope_values: np.ndarray, threshold: float,
                    saturated: bool = True) -> list[tuple[float, float]]:
    """The x-intervals where |f'| < threshold (or, saturated=False, where it is not)."""
    flat = (np.abs(slope_values) < threshold) == saturated
    spans, start = [], None
    for xi, inside in zip(x, flat, strict=True):
        if inside and start is None:
            start = xi
        elif not inside and start is not None:
            spans.append((float(start), float(xi)))
            start = None
    if start is not None:
        spans.append((float(start), float(x[-1])))
    return spans


def activation_figure(names: list[str], lang: str, slope: float = 0.01, x_max: float = 6.0,
                      columns: int = 4) -> go.Figure:
    """One panel per activation: f solid, f' dashed, saturated ends red against a blue middle."""
    names = list(names) or ["sigmoid"]
    cols = min(columns, len(names))
    rows = math.ceil(len(names) / cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[t(f"act.name.{n}", lang) for n in names],
                        horizontal_spacing=0.06, vertical_spacing=0.16)
    for i, name in enumerate(names):
        row, col = i // cols + 1, i % cols + 1
        x, f, df = activation_curves(name, slope, x_max)
        peak = float(np.abs(df).max())
        threshold = SHADE_FRACTION * MAX_SLOPE.get(name, peak)
        for saturated, color in ((True, RED), (False, BLUE)):
            for x0, x1 in saturated_spans(x, df, threshold, saturated):
                fig.add_vrect(x0=x0, x1=x1, fillcolor=color, line_width=0, layer="below", row=row, col=col,
                              exclude_empty_subplots=False)  # the subplot has no traces yet
        first = i == 0  # one legend entry per curve kind, not per panel
        fig.add_trace(go.Scatter(x=x, y=f, name=t("act.fig.f", lang), line=dict(color=F_COLOR, width=4),
                                 legendgroup="f", showlegend=first), row=row, col=col)
        fig.add_trace(go.Scatter(x=x, y=df, name=t("act.fig.df", lang),
                                 line=dict(color=DF_COLOR, width=4, dash="dash"),
                                 legendgroup="df", showlegend=first), row=row, col=col)
        fig.add_annotation(text=t("act.fig.peak", lang, peak=f"{peak:.3g}"), showarrow=False,
                           xref="x domain" if i == 0 else f"x{i + 1} domain",
                           yref="y domain" if i == 0 else f"y{i + 1} domain",
                           x=0.02, y=0.98, xanchor="left", yanchor="top", font=dict(size=16))
    fig.update_layout(height=380 * rows, font=FONT, margin=dict(l=60, r=20, t=60, b=20),
                      legend=dict(orientation="h", y=-0.08 if rows == 1 else -0.04, font=dict(size=18)),
                      plot_bgcolor="white")
    fig.update_annotations(font_size=20, selector=dict(showarrow=False, xref="paper"))
    fig.update_xaxes(zeroline=True, zerolinecolor="#999", gridcolor="#eee", range=[-x_max, x_max])
    fig.update_yaxes(zeroline=True, zerolinecolor="#999", gridcolor="#eee")
    return fig


@dataclass
class ChainResult:
    """The chain formula and the measurement for one activation, one value per weight layer."""

    activation: str
    layers: list[str]  # fc1 .. fcL, out
    chain: np.ndarray  # product of local derivatives from the output back to each layer (out = 1)
    predicted: np.ndarray  # chain x size of the layer's input, scaled to the measured out layer
    measured: np.ndarray  # ||d loss / d W|| per layer on the real MNIST batch
    pre_activation_std: np.ndarray  # typical |z| per hidden layer (its standard deviation)


def mnist_batch(n: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """The first n real MNIST training images as floats in [0, 1] (n, 784), and labels (n,)."""
    from lab.engine.data import load_mnist, to_float

    mnist = load_mnist()
    return to_float(mnist.train_images[:n]), mnist.train_labels[:n]


@torch.no_grad()
def chain_formula(model: torch.nn.Sequential, activation: str, images: torch.Tensor,
                  slope: float = 0.01) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(chain (L+1,), input size (L+1,), z std (L,)): the mean-field product of local derivatives."""
    # Backward, each hidden layer multiplies the gradient by W^T and by f'(z): its typical gain is
    # sqrt(n * Var(W_next) * E[f'(z)^2]). The pre-activations z ~ N(0, q) are "typical" in that q
    # follows the forward pass of this initialisation: q = n * Var(W) * E[f(z_prev)^2] + Var(b).
    # No gradient is measured here: only the weights' variances and the batch's mean |x|^2.
    gen = torch.Generator().manual_seed(0)
    unit = torch.randn(MC_SAMPLES, generator=gen, dtype=torch.float64)
    layers = [layer for _, layer in linear_layers(model)]
    f = activation_fn(activation, slope)
    input_sq = float((images.double() ** 2).sum(1).mean())  # mean |x|^2 over the batch
    in_sizes, gains, stds = [math.sqrt(input_sq)], [], []
    q = float(layers[0].weight.double().var()) * input_sq + float(layers[0].bias.double().var())
    for layer, nxt in zip(layers[:-1], layers[1:]):
        z = unit * math.sqrt(q)  # typical pre-activations of this hidden layer
        width, var_next = layer.out_features, float(nxt.weight.double().var())
        gains.append(width * var_next * float((activation_grad(activation, z, slope) ** 2).mean()))
        h_sq = float((f(z) ** 2).mean())
        in_sizes.append(math.sqrt(width * h_sq))
        stds.append(math.sqrt(q))
        q = width * var_next * h_sq + float(nxt.bias.double().var())
    # chain[l] = sqrt(product of the gains of hidden layers l..L); the output layer's is 1
    chain = np.sqrt(np.cumprod([1.0] + gains[::-1]))[::-1]
    return chain, np.asarray(in_sizes), np.asarray(stds)


def measured_grad_norms(model: torch.nn.Sequential, images: torch.Tensor,
                        labels: torch.Tensor) -> np.ndarray:
    """||d loss / d W|| of each weight layer (L+1,) after one backward pass of cross-entropy."""
    model.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(images), labels)
    loss.backward()
    return grad_norms(model).double().numpy()


def chain_result(activation: str, depth: int, init: str = "kaiming", slope: float = 0.01,
                 width: int = 256, seed: int = 777, batch: int = 256) -> ChainResult:
    """The chain formula next to the gradient norms of a fresh net measured on real MNIST."""
    images, labels = mnist_batch(batch)
    model = build_mlp(depth, width, activation, init, seed, slope)
    chain, in_sizes, stds = chain_formula(model, activation, images, slope)
    measured = measured_grad_norms(model, images, labels)
    raw = chain * in_sizes  # d loss/dW = (backward signal) x (layer input)
    predicted = raw / raw[-1] * measured[-1]
    return ChainResult(activation, layer_names(depth), chain, predicted, measured, stds)


def chain_figure(results: list[ChainResult], lang: str, stacked: bool = False) -> go.Figure:
    """Left (stacked: above) the product of local derivatives per layer, right (below) measured norms; log."""
    fig = make_subplots(rows=2 if stacked else 1, cols=1 if stacked else 2, horizontal_spacing=0.1,
                        vertical_spacing=0.16, subplot_titles=[t("act.chain.left", lang), t("act.chain.right", lang)])
    second = dict(row=2, col=1) if stacked else dict(row=1, col=2)
    for res in results:
        color, label = ACT_COLORS.get(res.activation, "#333"), t(f"act.name.{res.activation}", lang)
        fig.add_trace(go.Scatter(x=res.layers, y=res.chain, name=label, legendgroup=res.activation,
                                 mode="lines+markers", line=dict(color=color, width=4),
                                 marker=dict(size=11)), row=1, col=1)
        fig.add_trace(go.Scatter(x=res.layers, y=res.measured, legendgroup=res.activation,
                                 name=t("act.chain.measured", lang, name=label), mode="markers+lines",
                                 line=dict(color=color, width=4), marker=dict(size=13, symbol="square")),
                      **second)
        fig.add_trace(go.Scatter(x=res.layers, y=res.predicted, legendgroup=res.activation,
                                 name=t("act.chain.predicted", lang, name=label), mode="lines",
                                 line=dict(color=color, width=3, dash="dot")), **second)
    fig.update_yaxes(type="log", exponentformat="power", dtick=1, gridcolor="#eee")  # one line a decade
    fig.update_yaxes(title_text=t("act.chain.left_axis", lang), row=1, col=1)
    fig.update_yaxes(title_text=t("act.chain.right_axis", lang), **second)
    fig.update_xaxes(title_text=t("act.chain.x_axis", lang), gridcolor="#eee")
    if stacked:  # a phone's column: smaller type, the layer names as the only x title
        fig.update_xaxes(title_text=None)
        fig.update_layout(height=820, font=dict(size=13), plot_bgcolor="white", margin=dict(l=50, r=10, t=40, b=10),
                          legend=dict(orientation="h", y=-0.12, font=dict(size=13)))
        fig.update_annotations(font_size=14)
        return fig
    fig.update_layout(height=580, font=FONT, plot_bgcolor="white", margin=dict(l=70, r=20, t=60, b=20),
                      legend=dict(orientation="h", y=-0.3, font=dict(size=16)))
    fig.update_annotations(font_size=20)
    return fig


def ratio_text(ratio: float) -> str:
    """A gradient ratio as students read it: 1/5,000 for a shrink, x1.6 for a growth."""
    if not np.isfinite(ratio) or ratio <= 0:
        return "0"
    if ratio >= 1:
        return f"×{ratio:,.1f}"
    return f"1/{1 / ratio:,.0f}" if 1 / ratio < 1e6 else f"1/{1 / ratio:.1e}"


def orders_of_magnitude(values: np.ndarray) -> float:
    """log10 of first layer over output layer: -6 means the first layer gets a millionth."""
    return float(np.log10(values[0] / values[-1]))
