"""The class board on a real store (SQLite and PostgreSQL): the counts, the flags and the best run, the accuracy
grid and the optimizer bars, the loss curves read incrementally and coloured by the teacher's pick, the CSV and
JSON exports, and the join and teacher links with the QR code."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from lab.classroom import board as B
from lab.classroom import classes as C
from lab.engine.config import RunConfig
from lab.engine.events import RunEnded, StepsLogged
from lab.figures import board as F
from lab.i18n import t
from tests.classroom_help import TINY, store_fixture, trained  # noqa: F401 - a fixture


# --- the board: counts, flags, best run, curves, exports -----------------------------------------------
def test_the_board_counts_flags_and_finds_the_best_run(store):
    klass, key = C.create_class(store, "7B")
    ann, bo, cy = (C.join(store, klass.code, o, n) for o, n in (("a", "Ann"), ("b", "Bo"), ("c", "Cy")))
    sig = trained(store, "a", ann, TINY.replace(activation="sigmoid", depth=6), [2.3, 2.3], 0.1135,
                  grads=(2e-5, 0.3))
    relu = trained(store, "b", bo, TINY.replace(depth=6), [2.3, 0.3], 0.95)
    blown = trained(store, "c", cy, TINY.replace(optimizer="sgd", lr=100.0), [2.3, float("nan")], None)
    store.finish(blown, RunEnded("diverged", "blew up", 11, float("nan"), 1.0))
    store.create_run(TINY, "c", **cy.run_args())
    stopped = trained(store, "b", bo, TINY, [2.3, 1.0], 0.5, status="stopped")
    early = store.create_run(TINY, "c", **cy.run_args())
    store.request_stop(early.id, origin="teacher")  # stopped before it started
    board = B.board_data(store, C.board_for(store, key))
    assert board.counts == {"queued": 1, "training": 0, "finished": 2, "stopped": 2, "diverged": 1, "failed": 0,
                            "stopped_early": 1}
    board.runs = [r for r in board.runs if r.id not in (stopped, early.id)]
    assert [m["nickname"] for m in board.members] == ["Ann", "Bo", "Cy"]
    assert [m["runs"] for m in board.members] == [1, 2, 3]
    flags = {r.id: r.flags for r in board.runs}
    assert flags[sig] == ("vanished",) and flags[relu] == () and flags[blown] == ("diverged",)
    assert board.best.id == relu and board.best.config.activation == "relu"
    acts, depths, z, n = F.accuracy_grid(board)
    assert (acts, depths) == (["relu", "sigmoid"], [6]) and z == [[0.95], [0.1135]] and n == [[1], [1]]
    heat = F.accuracy_heatmap(board, "ko").to_dict()
    assert heat["data"][0]["text"] == [["95% (1)"], ["11% (1)"]]
    assert heat["layout"]["title"]["text"] == t("class.chart.heatmap", "ko")
    bars = F.optimizer_bars(board).to_dict()["data"][0]
    assert bars["x"] == ["adam"] and bars["y"] == [pytest.approx((0.95 + 0.1135) / 2)]


def test_curves_are_read_incrementally_and_coloured_by_the_teachers_pick(store):
    klass, key = C.create_class(store, "7B")
    ann = C.join(store, klass.code, "a", "Ann")
    bo = C.join(store, klass.code, "b", "Bo")
    first = trained(store, "a", ann, TINY.replace(activation="sigmoid"), [2.3, 2.2])
    trained(store, "b", bo, TINY.replace(optimizer="sgd"), [2.3, 1.0, 0.5])
    board = B.board_data(store, klass)
    assert board.curves[first] == ([1, 11], [2.3, 2.2])
    store.append_events(first, [StepsLogged([21, 31], [2.1, 2.0], [[1.0, 1.0]] * 2)])
    assert B.board_data(store, klass).curves[first] == ([1, 11, 21, 31], [2.3, 2.2, 2.1, 2.0])
    fig = F.curves_figure(B.board_data(store, klass), "activation").to_dict()
    assert sorted(d["name"] for d in fig["data"]) == ["relu", "sigmoid"]
    assert len({d["line"]["color"] for d in fig["data"]}) == 2
    y = next(np.asarray(d.y, dtype=float) for d in F.curves_figure(B.board_data(store, klass)).data
             if d.name == "sigmoid")
    assert np.allclose(y[:4], [2.3, 2.2, 2.1, 2.0]) and np.isnan(y[4])  # NaN ends a run
    fig = F.curves_figure(B.board_data(store, klass), "optimizer").to_dict()
    assert sorted(d["name"] for d in fig["data"]) == ["adam", "sgd"]
    assert F._decimate(list(range(1000)), [1.0] * 1000, 100)[0][-1] == 999
    assert len(F._decimate(list(range(1000)), [1.0] * 1000, 100)[0]) <= 101


def test_exports_have_one_row_per_run_with_nickname_config_and_metrics(store):
    klass, key = C.create_class(store, "7B")
    ann = C.join(store, klass.code, "a", "=HYPERLINK(\"x\")")
    bo = C.join(store, klass.code, "b", "보라")
    trained(store, "a", ann, TINY.replace(activation="tanh"), [2.3, 0.4], 0.91)
    trained(store, "b", bo, TINY, [2.3, 0.2], 0.96)
    board = B.board_data(store, klass)
    rows = list(csv.DictReader(io.StringIO(B.export_csv(board))))
    assert [r["nickname"] for r in rows] == ["'=HYPERLINK(\"x\")", "보라"]  # no spreadsheet formula
    assert [r["activation"] for r in rows] == ["tanh", "relu"] and [r["test_acc"] for r in rows] == ["0.91", "0.96"]
    data = json.loads(B.export_json(board))
    assert data["code"] == klass.code and len(data["runs"]) == 2
    run = data["runs"][1]
    assert run["nickname"] == "보라" and RunConfig.from_dict(run["config"]) == TINY
    assert run["metrics"]["test_acc"] == 0.96 and run["status"] == "finished"


def test_links_and_the_qr_code(store):
    assert C.base_url("https://relulab.streamlit.app/classroom?join=X") == "https://relulab.streamlit.app"
    assert C.join_link("http://127.0.0.1:8501", "K7MXQ3", "ko") == "http://127.0.0.1:8501/classroom?join=K7MXQ3&lang=ko"
    assert C.teacher_link("http://h", "KEY") == "http://h/classroom?teacher=KEY"
    png = B.qr_png("http://127.0.0.1:8501/classroom?join=K7MXQ3")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 300
    assert B.qr_svg("x").startswith("<svg")
