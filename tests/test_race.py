"""The optimizer race is torch.optim itself, sensible at its defaults; its figures and the family tree."""

import numpy as np
import pytest
import torch

from lab.engine.optim_table import OPTIMIZERS
from lab.figures.diagram import backprop_svg
from lab.figures.race import MAX_FRAMES, frame_steps, loss_figure, race_figure, surface_image
from lab.lessons.family_tree import (
    EDGES,
    EXTRA_NODES,
    NODES,
    POSITIONS,
    backprop_parts,
    extras_rows,
    family_tree_figure,
    torch_class,
)
from lab.lessons.race import (
    RACERS,
    SURFACES,
    default_lr,
    distance_to_minimum,
    race_code,
    run_race,
    run_racer,
)


def test_rosenbrock_adam_and_rmsprop_end_closer_than_sgd_at_the_page_defaults():
    rosenbrock = SURFACES["rosenbrock"]
    assert rosenbrock.start == (-2.0, 2.0) and rosenbrock.minimum == (1.0, 1.0)
    race = run_race(rosenbrock, ["sgd", "adam", "rmsprop"])  # default lrs and steps
    ends = {tr.racer: distance_to_minimum(rosenbrock, tr) for tr in race}
    assert ends["adam"] < ends["sgd"], ends
    assert ends["rmsprop"] < ends["sgd"], ends


def test_every_racer_covers_every_optimizer_of_lab_optim():
    assert set(OPTIMIZERS) <= {name for name, _ in RACERS.values()}


@pytest.mark.parametrize("surface_key", list(SURFACES))
def test_every_optimizer_has_a_finite_trajectory_on_the_map_at_its_defaults(surface_key):
    surface = SURFACES[surface_key]
    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    for racer in RACERS:
        tr = run_racer(surface, racer)
        assert tr.diverged_at is None, (racer, tr.diverged_at)
        assert tr.points.shape == (surface.default_steps + 1, 2), racer
        assert np.isfinite(tr.points).all() and np.isfinite(tr.losses).all(), racer
        # the page's defaults keep every path on the plotted map (10% margin)
        mx, my = 0.1 * (x1 - x0), 0.1 * (y1 - y0)
        assert (tr.points[:, 0] > x0 - mx).all() and (tr.points[:, 0] < x1 + mx).all(), racer
        assert (tr.points[:, 1] > y0 - my).all() and (tr.points[:, 1] < y1 + my).all(), racer
        assert tr.losses[-1] < tr.losses[0] or surface_key == "rastrigin", (racer, tr.losses[[0, -1]])


def test_sgd_step_is_exactly_x_minus_lr_times_the_gradient():
    surface = SURFACES["beale"]
    lr = default_lr(surface, "sgd")
    xy = torch.tensor(surface.start, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(surface(xy), xy)
    tr = run_racer(surface, "sgd", lr, 1)
    np.testing.assert_allclose(tr.points[1], (xy - lr * grad).detach().numpy(), rtol=1e-12)


def test_sparseadam_on_a_sparse_embedding_row_follows_adam():
    # Every step touches the one row, so SparseAdam's lazy moments equal Adam's dense ones; the
    # two classes only add eps at a different point of the bias correction (a 1e-8 difference).
    surface = SURFACES["valley"]
    sparse, dense = run_racer(surface, "sparseadam", 0.2, 60), run_racer(surface, "adam", 0.2, 60)
    np.testing.assert_allclose(sparse.points, dense.points, rtol=1e-6)
    assert not np.array_equal(sparse.points, run_racer(surface, "adam", 0.1, 60).points)


def test_lbfgs_through_its_closure_solves_rosenbrock():
    rosenbrock = SURFACES["rosenbrock"]
    assert distance_to_minimum(rosenbrock, run_racer(rosenbrock, "lbfgs")) < 1e-3


def test_a_diverging_racer_stops_and_says_when():
    tr = run_racer(SURFACES["rosenbrock"], "sgd", lr=0.1, steps=50)
    assert tr.diverged_at is not None and tr.diverged_at <= 50
    assert len(tr.points) == tr.diverged_at and np.isfinite(tr.points).all()
    names = [trace.name for trace in race_figure(SURFACES["rosenbrock"], [tr], "en").data]
    assert any("diverged" in (name or "") for name in names)


@pytest.mark.parametrize("racer", ["sgd", "nag", "rmsprop", "lbfgs", "sparseadam", "rprop"])
def test_the_code_shown_on_the_page_reproduces_the_race(racer):
    surface = SURFACES["rosenbrock"]
    lr = default_lr(surface, racer)
    namespace: dict = {}
    exec(race_code(surface, racer, lr, 40), namespace)  # noqa: S102 - our own generated snippet
    end = namespace["point"]().detach().numpy()
    np.testing.assert_allclose(end, run_racer(surface, racer, lr, 40).end, rtol=1e-9, atol=1e-12)


def test_race_figure_animates_every_path_with_play_pause_and_a_slider():
    surface = SURFACES["saddle"]
    trajs = run_race(surface, ["sgd", "adam", "lbfgs"], steps=150)
    fig = race_figure(surface, trajs, "ko")
    shown = frame_steps(150)
    assert len(fig.frames) == len(shown) <= MAX_FRAMES + 1 and shown[0] == 0 and shown[-1] == 150
    assert [s.label for s in fig.layout.sliders[0].steps] == [str(s) for s in shown]
    labels = [b.label for b in fig.layout.updatemenus[0].buttons]
    assert labels == ["▶ 재생", "|| 일시정지", "▷ 이어서"]
    assert len(fig.layout.images) == 1 and fig.layout.images[0].layer == "below"  # the map
    assert fig.layout.images[0].sizex == pytest.approx(4.0) and fig.layout.images[0].x == -2.0
    last = fig.frames[-1]
    assert len(last.data) == 2 * len(trajs)  # a path and a head per racer
    for tr, path in zip(trajs, last.data[::2], strict=True):  # the last frame: every step
        np.testing.assert_allclose(np.c_[path.x, path.y], tr.points, rtol=1e-6, atol=1e-6)
    first = fig.frames[0]
    assert all(len(path.x) == 1 for path in first.data[::2])  # every racer at the start
    middle = fig.frames[len(fig.frames) // 2]
    for tr, path, head in zip(trajs, middle.data[::2], middle.data[1::2], strict=True):
        step = int(middle.name)
        assert len(path.x) <= 81 and head.x[0] == pytest.approx(tr.points[step, 0], rel=1e-6)
        assert path.x[-1] == head.x[0]  # the path is drawn up to where the dot is


@pytest.mark.parametrize(("surface_key", "lopsided"), [("rosenbrock", True), ("valley", True),
                                                     ("beale", False), ("saddle", False)])
def test_surface_picture_follows_the_loss_and_is_the_right_way_up(surface_key, lopsided):
    import base64
    import io

    from PIL import Image

    surface = SURFACES[surface_key]
    uri = surface_image(surface, side=200)
    assert uri.startswith("data:image/png;base64,")
    pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGB"))
    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    # 10 x 10 blocks: the map's red channel falls steadily from low loss (cream) to high (blue)
    red = pixels[..., 0].reshape(10, 20, 10, 20).mean(axis=(1, 3))  # [block row (top first), block col]
    centres_x = x0 + (np.arange(10) + 0.5) / 10 * (x1 - x0)
    centres_y = y1 - (np.arange(10) + 0.5) / 10 * (y1 - y0)  # image rows run from the top
    gy, gx = np.meshgrid(centres_y, centres_x, indexing="ij")
    log_loss = np.log10(surface(torch.tensor(np.stack([gx, gy], -1))).numpy() - surface.f_min + 1e-2)

    def ranks(values):
        return np.argsort(np.argsort(values.ravel()))

    agreement = np.corrcoef(ranks(red), ranks(-log_loss))[0, 1]
    flipped = np.corrcoef(ranks(red[::-1]), ranks(-log_loss))[0, 1]
    assert agreement > 0.8, agreement
    if lopsided:  # upside down, these surfaces would look different
        assert flipped < agreement - 0.2, (agreement, flipped)


def test_loss_figure_is_log_scale_one_line_per_racer():
    surface = SURFACES["rosenbrock"]
    trajs = run_race(surface, ["sgd", "adam"], steps=30)
    fig = loss_figure(surface, trajs, "en")
    assert fig.layout.yaxis.type == "log"
    assert [len(trace.y) for trace in fig.data] == [31, 31]


def _texts(fig) -> list[str]:
    """Every text a diagram draws."""
    return [a.text for a in fig.layout.annotations if a.text]


def test_family_tree_is_the_lessons_and_names_real_torch_classes():
    for node in NODES + EXTRA_NODES:
        assert hasattr(torch.optim, torch_class(node)), node
    edges = {(parent, child) for parent, child, *_ in EDGES}
    assert {("gd", "sgd"), ("sgd", "momentum"), ("momentum", "nag"), ("sgd", "adagrad"),
            ("adagrad", "rmsprop"), ("adagrad", "adadelta"), ("rmsprop", "adam"), ("momentum", "adam"),
            ("adam", "nadam"), ("nag", "nadam")} == edges
    # the tree and the table together name every optimizer of lab.engine.optim
    named = {torch_class(n) for n in NODES} | {row["class"].split(".")[-1] for row in extras_rows("en")}
    assert {spec.cls_name for spec in OPTIMIZERS.values()} <= named
    english, korean = _texts(family_tree_figure("en")), _texts(family_tree_figure("ko"))
    for node in NODES:  # one box per node: its name, its torch.optim call, its idea
        (box,) = [text for text in english if text.startswith(f"<b>{node.title}</b>")]
        assert f"torch.optim.{torch_class(node)}" in box
    assert any("RMSProp의 보폭" in text for text in korean)
    assert any("RMSProp's step size" in text for text in english)
    assert "<b>방향</b>" in korean and "<b>direction</b>" in english
    lines = [tr for tr in family_tree_figure("en").data if tr.mode == "lines"]
    assert len(lines) == len(EDGES)


def test_family_tree_boxes_do_not_overlap():
    fig = family_tree_figure("ko")
    rects = [(s.x0, s.x1, s.y0, s.y1) for s in fig.layout.shapes]
    assert len(rects) == len(POSITIONS)
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert a[1] <= b[0] or b[1] <= a[0] or a[3] <= b[2] or b[3] <= a[2], (a, b)


def test_backprop_diagram_is_translated_well_formed_svg():
    from xml.etree import ElementTree

    svg = {lang: ElementTree.fromstring(backprop_svg(lang)) for lang in ("en", "ko")}
    lines = {lang: ["".join(span.itertext()) for span in root.iter("{http://www.w3.org/2000/svg}tspan")
                    if span.get("x")] for lang, root in svg.items()}
    assert "입력" in lines["ko"] and "input" in lines["en"] and "x" in lines["en"]
    assert "× σ'(z) ≤ 0.25" in lines["ko"] and "∂loss/∂ŷ" in lines["en"]
    bold = [s.text for s in svg["ko"].iter("{http://www.w3.org/2000/svg}tspan") if s.get("font-weight")]
    assert "입력" in bold  # <b> of the box titles survives as bold
    boxes, arrows, _, _ = backprop_parts("en")
    root = svg["en"]
    assert len(root.findall("{http://www.w3.org/2000/svg}rect")) == len(boxes)
    lines_drawn = root.findall("{http://www.w3.org/2000/svg}line")
    assert len(lines_drawn) == len(arrows)
    assert sum(line.get("stroke-dasharray") is not None for line in lines_drawn) == sum(a[4] for a in arrows)
