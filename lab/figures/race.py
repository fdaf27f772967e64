"""Race figures: the animated contour with every optimizer's path, and loss against step."""

from __future__ import annotations

import base64
import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from lab.i18n import t
from lab.lessons.race import Surface, Trajectory, racer_label

MAX_FRAMES = 50  # animation frames, whatever the number of steps: keeps the page light
MAX_FRAME_POINTS = 80  # points per path in a moving frame (the last frame has every step)
FONT = dict(size=18)
GAP_FLOOR = 1e-12  # f - f_min below this is drawn at the floor of the log axis
RACER_COLORS = {
    "sgd": "#222222", "momentum": "#1f77b4", "nag": "#17becf", "adagrad": "#ff7f0e",
    "rmsprop": "#d62728", "adadelta": "#8c564b", "adam": "#2ca02c", "nadam": "#9467bd",
    "adamax": "#bcbd22", "adamw": "#e377c2", "radam": "#7f7f7f", "sparseadam": "#006400",
    "asgd": "#aec7e8", "rprop": "#ff9896", "lbfgs": "#393b79",
}
CONTOUR_SCALE = [[0, "#fffaeb"], [0.3, "#fde6b8"], [0.6, "#dce8f2"], [1, "#a8c5df"]]
CONTOUR_LEVELS = 28  # filled bands of log(f - f_min)
IMAGE_SIDE = 480  # pixels of the surface picture
TOP_PX, BOTTOM_PX = 20, 200  # margins of the race figure; the bottom one holds the controls
BUTTONS_PX = 44  # Play / Pause / Continue start this far under the plot (below the tick labels)
SLIDER_PX = 100  # the step slider and its "Step N" label start here, under the buttons


def _hex_rgb(color: str) -> np.ndarray:
    """'#rrggbb' -> array([r, g, b]) as floats."""
    return np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.float64)


def surface_image(surface: Surface, side: int = IMAGE_SIDE) -> str:
    """The surface as a filled contour map (log scale, banded, darker band edges), a PNG data URI."""
    # A picture under the axes instead of a go.Contour trace: Plotly clears contour traces while
    # it animates frames (or flickers them with redraw), and a picture is never redrawn.
    _, _, f = surface.grid(side)  # (side, side), row 0 = lowest y
    z = np.log10(np.maximum(f - surface.f_min, 0) + 1e-2)
    band = np.clip(((z - z.min()) / (np.ptp(z) + 1e-12) * CONTOUR_LEVELS).astype(int), 0, CONTOUR_LEVELS - 1)
    stops = np.array([s for s, _ in CONTOUR_SCALE])
    colors = np.stack([_hex_rgb(c) for _, c in CONTOUR_SCALE])  # (stops, 3)
    level = band / (CONTOUR_LEVELS - 1)
    rgb = np.stack([np.interp(level, stops, colors[:, k]) for k in range(3)], axis=-1)  # (side, side, 3)
    edge = (band != np.roll(band, 1, axis=0)) | (band != np.roll(band, 1, axis=1))
    edge[0, :] = edge[:, 0] = False
    rgb[edge] *= 0.82  # the contour lines
    picture = Image.fromarray(rgb[::-1].round().astype(np.uint8))  # image rows run top (max y) down
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def frame_steps(steps: int, max_frames: int = MAX_FRAMES) -> list[int]:
    """The steps shown as animation frames: 0, ..., steps, at most max_frames + 1 of them."""
    return sorted({int(round(s)) for s in np.linspace(0, steps, min(steps, max_frames) + 1)})


def _upto(traj: Trajectory, step: int) -> np.ndarray:
    """The points of a path up to step (a diverged path stops where it left), shape (k, 2)."""
    return traj.points[: min(step, len(traj.points) - 1) + 1]


def _legend_name(traj: Trajectory, lang: str) -> str:
    """Legend text: class, lr, and a warning when the racer diverged."""
    name = f"{racer_label(traj.racer)}  lr={traj.lr:g}"
    return name + (" " + t("race.diverged_at", lang, step=traj.diverged_at) if traj.diverged_at else "")


def _path_points(traj: Trajectory, step: int, thin: bool) -> np.ndarray:
    """The path up to step as float32 (k, 2); thin keeps at most MAX_FRAME_POINTS (and the last)."""
    pts = _upto(traj, step).astype(np.float32)
    if thin and len(pts) > MAX_FRAME_POINTS:
        pts = pts[np.unique(np.linspace(0, len(pts) - 1, MAX_FRAME_POINTS).round().astype(int))]
    return pts


def _path_traces(trajs: list[Trajectory], lang: str) -> list[go.Scatter]:
    """For each racer the line of its whole path and a big dot where it ends (the still picture)."""
    out = []
    for traj in trajs:
        pts = _path_points(traj, traj.steps, thin=False)
        color = RACER_COLORS.get(traj.racer, "#333")
        out.append(go.Scatter(x=pts[:, 0], y=pts[:, 1], mode="lines", line=dict(color=color, width=3),
                              name=_legend_name(traj, lang), legendgroup=traj.racer, hoverinfo="skip"))
        out.append(go.Scatter(x=pts[-1:, 0], y=pts[-1:, 1], mode="markers", legendgroup=traj.racer,
                              marker=dict(color=color, size=16, line=dict(color="white", width=2)),
                              showlegend=False, name=racer_label(traj.racer),
                              hovertemplate="%{fullData.name}<br>(%{x:.3f}, %{y:.3f})<extra></extra>"))
    return out


def _frame(trajs: list[Trajectory], step: int, moving: list[int], last: bool) -> go.Frame:
    """One animation frame: only the x and y of each path and dot (the rest stays as drawn)."""
    # Long paths are thinned in the moving frames so 50 frames of a long race stay a few hundred
    # kB; the last frame has every step.
    data = []
    for traj in trajs:
        pts = _path_points(traj, step, thin=not last)
        data += [go.Scatter(x=pts[:, 0], y=pts[:, 1]), go.Scatter(x=pts[-1:, 0], y=pts[-1:, 1])]
    return go.Frame(data=data, traces=moving, name=str(step))


def race_figure(surface: Surface, trajs: list[Trajectory], lang: str, height: int = 760) -> go.Figure:
    """Contour of the surface (log scale) with every path; play, pause and a step slider."""
    base = [
        go.Scatter(x=[surface.minimum[0]], y=[surface.minimum[1]], mode="markers",
                   marker=dict(symbol="star", size=26, color="gold", line=dict(color="black", width=1.5)),
                   name=t("race.minimum", lang)),
        go.Scatter(x=[surface.start[0]], y=[surface.start[1]], mode="markers",
                   marker=dict(symbol="x", size=16, color="black"), name=t("race.start", lang)),
    ]
    shown = frame_steps(max([1] + [tr.steps for tr in trajs]))
    moving = list(range(len(base), len(base) + 2 * len(trajs)))
    frames = [_frame(trajs, s, moving, last=s == shown[-1]) for s in shown]
    fig = go.Figure(data=base + _path_traces(trajs, lang), frames=frames)
    play = dict(frame=dict(duration=60, redraw=False), transition=dict(duration=0), mode="immediate")
    # Under the plot, two bands that cannot overlap at any width or language: the buttons, then the
    # slider with its "Step N" label. Positions are pixels turned into paper units of the plot area.
    below = lambda px: -px / (height - TOP_PX - BOTTOM_PX)  # noqa: E731
    fig.update_layout(
        height=height, font=FONT, plot_bgcolor="white", margin=dict(l=70, r=20, t=TOP_PX, b=BOTTOM_PX),
        xaxis=dict(range=list(surface.x_range), showgrid=False, zeroline=False),
        yaxis=dict(range=list(surface.y_range), showgrid=False, zeroline=False),
        images=[dict(source=surface_image(surface), xref="x", yref="y", x=surface.x_range[0],
                     y=surface.y_range[1], sizex=np.ptp(surface.x_range), sizey=np.ptp(surface.y_range),
                     sizing="stretch", xanchor="left", yanchor="top", layer="below")],
        legend=dict(font=dict(size=16), orientation="h", x=0, y=1.01, yanchor="bottom"),
        updatemenus=[dict(type="buttons", direction="left", x=0.0, y=below(BUTTONS_PX), xanchor="left",
                          yanchor="top", pad=dict(r=10, t=0), font=dict(size=18), showactive=False, buttons=[
                              dict(label=t("race.play", lang), method="animate",
                                   args=[None, {**play, "fromcurrent": False}]),
                              dict(label=t("race.pause", lang), method="animate",
                                   args=[[None], dict(frame=dict(duration=0, redraw=False),
                                                      mode="immediate", transition=dict(duration=0))]),
                              dict(label=t("race.resume", lang), method="animate",
                                   args=[None, {**play, "fromcurrent": True}]),
                          ])],
        sliders=[dict(active=len(shown) - 1, x=0.0, y=below(SLIDER_PX), len=1.0, xanchor="left",
                      yanchor="top",
                      currentvalue=dict(prefix=t("race.step", lang) + " ", font=dict(size=18)),
                      font=dict(size=14), pad=dict(t=0, b=0),
                      steps=[dict(label=str(s), method="animate",
                                  args=[[str(s)], dict(frame=dict(duration=0, redraw=False),
                                                       mode="immediate", transition=dict(duration=0))])
                             for s in shown])],
    )
    return fig


def loss_figure(surface: Surface, trajs: list[Trajectory], lang: str, height: int = 420) -> go.Figure:
    """f - f_min against the step for every racer, on a log axis (lower is better)."""
    fig = go.Figure()
    for traj in trajs:
        gap = np.maximum(traj.losses - surface.f_min, GAP_FLOOR)
        fig.add_trace(go.Scatter(x=np.arange(len(gap)), y=gap, mode="lines", name=_legend_name(traj, lang),
                                 line=dict(color=RACER_COLORS.get(traj.racer, "#333"), width=3)))
        if traj.diverged_at:
            fig.add_trace(go.Scatter(x=[len(gap) - 1], y=[gap[-1]], mode="markers", showlegend=False,
                                     marker=dict(symbol="x", size=18, color="#d62728"), hoverinfo="skip"))
    fig.update_layout(height=height, font=FONT, plot_bgcolor="white", margin=dict(l=80, r=20, t=20, b=60),
                      xaxis=dict(title=t("race.step", lang), gridcolor="#eee"),
                      yaxis=dict(title=t("race.gap", lang), type="log", exponentformat="power",
                                 dtick=2, gridcolor="#eee", minor=dict(showgrid=False, ticks="")),
                      legend=dict(font=dict(size=16), orientation="h", x=0, y=1.01, yanchor="bottom"))
    return fig
