"""Classes and the class board on a real store: join, limits, bad input, escaping, teacher key, challenge,
stop all, export; and the Class page through AppTest (create, join, wrong code, wrong key, full)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from lab.classroom import board as B
from lab.classroom import classes as C
from lab.engine.config import PRESETS, RunConfig
from lab.engine.events import EpochEnded, RunEnded, RunStarted, StepsLogged
from lab.figures import board as F
from lab.i18n import t
from lab.runs import schema as S
from lab.runs.store import Store

ROOT = Path(__file__).resolve().parent.parent
TINY = RunConfig(depth=1, width=16, epochs=1, train_subset=500)


@pytest.fixture
def sqlite_url(tmp_path):
    """A fresh SQLite store URL (the page tests; the store tests run on both databases via store_url)."""
    return f"sqlite:///{tmp_path}/classes.sqlite3"


@pytest.fixture
def store(store_url):
    """A fresh Store."""
    s = Store(store_url)
    yield s
    s.engine.dispose()


def trained(store: Store, owner: str, member: C.Membership, config: RunConfig, losses: list[float],
            test_acc: float | None = None, grads=(0.5, 1.0), status: str = "finished") -> str:
    """A run of a class member with logged losses (and an epoch and an end if test_acc is given)."""
    run = store.create_run(config, owner, **member.run_args())
    store.claim(run_id=run.id)  # as a worker does: it is training
    steps = [1 + 10 * i for i in range(len(losses))]
    store.append_events(run.id, [RunStarted(config.to_dict(), "cpu", "", [], [], 600, 600),
                                 StepsLogged(steps, losses, [list(grads)] * len(losses))])
    if test_acc is not None:
        store.append_events(run.id, [EpochEnded(1, losses[-1], test_acc, test_acc, 2.0)])
        store.finish(run.id, RunEnded(status, "done", steps[-1], losses[-1], 2.0))
    return run.id


# --- the class: code, key, joining -------------------------------------------------------------------
def test_a_class_has_a_short_code_and_a_key_stored_only_as_its_hash(store):
    klass, key = C.create_class(store, "7B", 30, 5)
    assert len(klass.code) == C.CODE_LEN and set(klass.code) <= set(C.CODE_ALPHABET)
    assert not set(klass.code) & set("0O1IL")
    with store.engine.connect() as conn:
        stored = conn.execute(select(S.classes.c.teacher_hash).where(S.classes.c.id == klass.id)).scalar_one()
    assert stored == hashlib.sha256(key.encode()).hexdigest() and key not in stored
    assert len(key) >= 32
    assert C.board_for(store, key).id == klass.id
    other, other_key = C.create_class(store, "7C")
    assert other.code != klass.code and C.board_for(store, other_key).id == other.id


@pytest.mark.parametrize("bad", ["", "x", "join", "A" * 200, None])
def test_anything_but_the_teacher_key_is_refused(store, bad):
    klass, key = C.create_class(store, "7B")
    for text in (bad, klass.code, klass.id, key[:-1] + ("A" if key[-1] != "A" else "B"),
                 hashlib.sha256(key.encode()).hexdigest()):
        with pytest.raises(C.ClassError) as err:
            C.board_for(store, text)
        assert err.value.key == "class.err.key"
    with pytest.raises(C.ClassError):
        C.send_challenge(store, klass.id, klass.code, TINY)
    with pytest.raises(C.ClassError):
        C.stop_all(store, klass.id, "wrong-key-wrong-key")
    with pytest.raises(C.ClassError):
        C.close_class(store, klass.id, "")
    assert C.get_class(store, klass.id).open and C.get_class(store, klass.id).challenge is None


def test_join_by_code_typed_loosely_and_rejoin_changes_the_nickname(store):
    klass, _ = C.create_class(store, "7B", 2)
    loose = f" {klass.code[:3].lower()}-{klass.code[3:]} "
    member = C.join(store, loose, "owner-a", "  Ann  ")
    assert (member.class_id, member.nickname, member.open) == (klass.id, "Ann", True)
    assert C.join(store, klass.code, "owner-a", "Annie").nickname == "Annie"  # same seat, new name
    assert C.join(store, klass.code, "owner-b", "Bo").nickname == "Bo"  # still room: the rejoin took none
    assert C.membership(store, "owner-a").nickname == "Annie"
    assert C.membership(store, "nobody") is None and C.membership(store, None) is None


@pytest.mark.parametrize(("code", "key"), [("", "class.err.code"), ("ZZZZZZ", "class.err.code"),
                                           ("ABC", "class.err.code"), ("<script>", "class.err.code")])
def test_a_wrong_code_says_so(store, code, key):
    C.create_class(store, "7B")
    with pytest.raises(C.ClassError) as err:
        C.join(store, code, "owner-a", "Ann")
    assert err.value.key == key and err.value.message("ko") == t(key, "ko") != err.value.message("en")


def test_a_full_class_a_closed_class_and_a_taken_nickname_are_refused(store):
    klass, key = C.create_class(store, "7B", max_students=2)
    C.join(store, klass.code, "a", "Ann")
    with pytest.raises(C.ClassError) as err:
        C.join(store, klass.code, "b", "ANN")
    assert err.value.key == "class.err.nick_taken"
    C.join(store, klass.code, "b", "Bo")
    with pytest.raises(C.ClassError) as err:
        C.join(store, klass.code, "c", "Cy")
    assert err.value.key == "class.err.full" and "2" in err.value.message("en")
    C.close_class(store, klass.id, key)
    with pytest.raises(C.ClassError) as err:
        C.join(store, klass.code, "a", "Ann")
    assert err.value.key == "class.err.closed"
    assert C.membership(store, "a").open is False
    assert C.can_start(store, klass.id, "a") == (False, "class.err.closed")


@pytest.mark.parametrize(("typed", "kept"), [("Ann\x00\x1b[31m", "Ann[31m"), ("a\u202eb", "ab"),
                                              ("  two   words ", "two words"), ("<b>x</b>", "<b>x</b>"),
                                              ("김철수", "김철수"), ("x" * C.NICK_MAX, "x" * C.NICK_MAX)])
def test_nicknames_lose_control_characters_and_are_kept_as_typed(store, typed, kept):
    klass, _ = C.create_class(store, "7B")
    assert C.join(store, klass.code, "a", typed).nickname == kept


@pytest.mark.parametrize(("typed", "key"), [("", "class.err.nick_empty"), ("   \t", "class.err.nick_empty"),
                                             ("\x00\x01", "class.err.nick_empty")])
def test_bad_nicknames_are_refused(store, typed, key):
    klass, _ = C.create_class(store, "7B")
    with pytest.raises(C.ClassError) as err:
        C.join(store, klass.code, "a", typed)
    assert err.value.key == key
    assert C.membership(store, "a") is None


@pytest.mark.parametrize(("typed", "kept"), [("x" * (C.NICK_MAX + 6), "x" * C.NICK_MAX),
                                              ("Alexandra Konstantinopoulou", "Alexandra Konstantinopou"),
                                              ("Twenty three letters ab c d", "Twenty three letters ab"),
                                              ("가" * 30, "가" * C.NICK_MAX)])
def test_a_long_nickname_is_shortened_and_the_page_can_say_so(store, typed, kept):
    klass, _ = C.create_class(store, "7B")
    assert C.join(store, klass.code, "a", typed).nickname == kept
    assert C.nickname_shortened(typed) and not C.nickname_shortened(kept)
    assert t("room.nick_shortened", "ko", n=C.NICK_MAX, nickname=kept).startswith("닉네임은 최대 24자")


@pytest.mark.parametrize(("students", "runs"), [(0, 5), (5, 0), (201, 5), (5, 101), (True, 5), (5.5, 5)])
def test_limits_out_of_range_are_refused(store, students, runs):
    with pytest.raises(C.ClassError) as err:
        C.create_class(store, "7B", students, runs)
    assert err.value.key == "class.err.limit"


def test_escaping_for_markdown_and_no_nicknames_in_figures(store):
    assert C.escape_markdown("<img src=x onerror=alert(1)> **b** [l](http://x)") == (
        r"\<img src=x onerror=alert\(1\)\> \*\*b\*\* \[l\]\(http\:\/\/x\)".replace(r"\/", "/"))
    klass, key = C.create_class(store, "7B")
    member = C.join(store, klass.code, "a", "<b onmouseover=x>Eve</b>")
    trained(store, "a", member, TINY, [2.3, 1.0], 0.9)
    board = B.board_data(store, klass)
    assert board.best.nickname == "<b onmouseover=x>Eve</b>"  # kept as typed; the page escapes it
    assert "Eve" not in json.dumps(F.curves_figure(board).to_dict())  # figures carry no nicknames


# --- runs of a class: limits, challenge, stop all --------------------------------------------------------
def test_runs_per_student_are_limited(store):
    klass, _ = C.create_class(store, "7B", max_runs=2)
    member = C.join(store, klass.code, "a", "Ann")
    other = C.join(store, klass.code, "b", "Bo")
    for _ in range(2):
        assert C.can_start(store, klass.id, "a") == (True, None)
        store.create_run(TINY, "a", **member.run_args())
    assert C.can_start(store, klass.id, "a") == (False, "class.err.run_limit")
    store.create_run(TINY, "a")  # a run outside the class does not count
    assert C.can_start(store, klass.id, "b") == (True, None)
    assert other.run_args() == {"class_id": klass.id, "nickname": "Bo"}
    assert C.can_start(store, "no-such-class", "a")[0] is False
    with pytest.raises(C.ClassError) as err:
        C.start_args(store, "a")
    assert err.value.key == "class.err.run_limit"
    assert C.start_args(store, "b") == {"class_id": klass.id, "nickname": "Bo"}
    with pytest.raises(C.ClassError):
        C.start_args(store, "b", count=3)  # a comparison preset of 3 runs would pass the limit
    assert C.start_args(store, "stranger") == {}


def test_runs_after_the_class_closed_train_outside_it(store):
    klass, key = C.create_class(store, "7B")
    C.join(store, klass.code, "a", "Ann")
    C.close_class(store, klass.id, key)
    assert C.start_args(store, "a") == {} and C.challenge_banner_data(store, "a") is None


def test_a_challenge_reaches_every_student_and_can_be_withdrawn(store):
    klass, key = C.create_class(store, "7B")
    C.join(store, klass.code, "a", "Ann")
    C.join(store, klass.code, "b", "Bo")
    assert C.challenge_banner_data(store, "a") is None
    config = PRESETS["vanishing-sigmoid"].replace(epochs=1)
    C.send_challenge(store, klass.id, key, config)
    for owner in ("a", "b"):
        member, text = C.challenge_banner_data(store, owner, "en")
        assert member.challenge == config
        assert text == "Your teacher asks: sigmoid, depth 6, SGD 0.1"
    assert C.challenge_banner_data(store, "a", "ko")[1] == "선생님의 과제: sigmoid, 은닉층 6개, SGD 0.1"
    assert C.challenge_banner_data(store, "stranger") is None
    C.send_challenge(store, klass.id, key, None)
    assert C.challenge_banner_data(store, "a") is None and C.membership(store, "a").challenge is None


def test_stop_all_stops_the_class_runs_only(store):
    klass, key = C.create_class(store, "7B")
    member = C.join(store, klass.code, "a", "Ann")
    queued = store.create_run(TINY, "a", **member.run_args())
    running = store.create_run(TINY, "a", **member.run_args())
    assert store.claim(run_id=running.id).status == "running"
    done = trained(store, "a", member, TINY, [2.3, 0.5], test_acc=0.9)
    outsider = store.create_run(TINY, "x")
    mine = store.create_run(TINY, "a", **member.run_args())
    assert store.request_stop(mine.id, "a")  # the student's own stop, before the teacher's
    assert C.stop_all(store, klass.id, key) == 2
    assert store.get_run(queued.id).status == "stopped"
    assert store.stop_requested(running.id) and store.get_run(running.id).status == "running"
    assert store.get_run(done).status == "finished"
    assert store.get_run(outsider.id).status == "queued" and not store.stop_requested(outsider.id)
    # Who asked is kept (the first asker): the student's page can say their teacher stopped it.
    assert [store.stop_origin(r) for r in (queued.id, running.id, mine.id, done, outsider.id)] == [
        "teacher", "teacher", "owner", None, None]


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


# --- the Class page (AppTest) ---------------------------------------------------------------------------
def open_page(url: str, monkeypatch, **query) -> AppTest:
    """The app on the Class page with these query params, on the store at url."""
    monkeypatch.setenv("RELULAB_DB", url)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["lang"] = query.pop("lang", "en")
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    return at.switch_page("views/classroom.py").run()


def texts(at: AppTest) -> str:
    """Every markdown, code, success, error and warning text of the last run, joined."""
    parts = [e.value for kind in (at.markdown, at.code, at.success, at.error, at.warning, at.title, at.subheader)
             for e in kind]
    return "\n".join(str(p) for p in parts)


def test_page_creates_a_class_and_shows_code_link_qr_and_teacher_link(sqlite_url, monkeypatch):
    at = open_page(sqlite_url, monkeypatch)
    assert not at.exception and at.title[0].value == t("class.title", "en")
    at.text_input(key="class_name").input("7B physics")
    at.number_input(key="class_max_students").set_value(3)
    at.button(key="FormSubmitter:class_create-" + t("class.create", "en")).click().run()
    assert not at.exception, [e.value for e in at.exception]
    class_id, key = at.session_state.class_created
    klass = C.board_for(Store(sqlite_url), key)
    assert (klass.id, klass.name, klass.max_students) == (class_id, "7B physics", 3)
    body = texts(at)
    assert klass.code in body and f"/classroom?join={klass.code}" in body and f"/classroom?teacher={key}" in body
    assert t("room.key_kept", "en") in body
    assert at.session_state.teacher_key == key  # kept in this browser: the board opens here without the link
    assert [img.captions for img in at.image] == [[t("class.qr", "en")]]  # the QR code


def test_page_join_link_nickname_and_the_train_link(sqlite_url, monkeypatch):
    klass, _ = C.create_class(Store(sqlite_url), "7B")
    at = open_page(sqlite_url, monkeypatch, join=klass.code.lower())
    assert not at.error and at.title[0].value == t("class.join_title", "en")
    at.text_input(key="class_nick").input("<b>Neo</b>")
    at.button(key="FormSubmitter:class_join-" + t("class.join", "en")).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "\\<b\\>Neo\\</b\\>" in at.success[0].value  # escaped: shown as typed, not as markup
    assert C.membership(Store(sqlite_url), at.session_state.owner).nickname == "<b>Neo</b>"


def test_page_wrong_code_and_full_class_say_so(sqlite_url, monkeypatch):
    store = Store(sqlite_url)
    klass, _ = C.create_class(store, "7B", max_students=1)
    C.join(store, klass.code, "someone", "First")
    at = open_page(sqlite_url, monkeypatch, join="QQQQQQ")
    assert [e.value for e in at.error] == [t("class.err.code", "en")]
    at = open_page(sqlite_url, monkeypatch, join=klass.code, lang="ko")
    at.text_input(key="class_nick").input("Second")
    at.button(key="FormSubmitter:class_join-" + t("class.join", "ko")).click().run()
    assert [e.value for e in at.error] == [t("class.err.full", "ko", n=1)]


def test_page_the_board_opens_only_with_the_teacher_key(sqlite_url, monkeypatch):
    store = Store(sqlite_url)
    klass, key = C.create_class(store, "7B")
    member = C.join(store, klass.code, "a", "Ann")
    trained(store, "a", member, TINY, [2.3, 0.4], 0.93)
    for wrong in (klass.code, "not-the-key-not-the-key", ""):
        at = open_page(sqlite_url, monkeypatch, teacher=wrong)
        assert [e.value for e in at.error] == [t("class.err.key", "en")], wrong
        assert not at.get("plotly_chart") and not at.dataframe
    at = open_page(sqlite_url, monkeypatch, teacher=key, lang="ko")
    assert not at.exception and not at.error, [e.value for e in at.exception]
    assert at.title[0].value.startswith(t("class.board_title", "ko", name=""))
    # The key left the address for this browser's session (and its cookie): the URL holds the class code only.
    assert at.query_params.get("board") == klass.code and "teacher" not in at.query_params
    assert at.session_state.teacher_key == key
    counts = {m.label: m.value for m in at.metric}
    assert counts == {t("class.students", "ko"): "1", t("class.count.queued", "ko"): "0",
                      t("class.count.training", "ko"): "0", t("room.count.finished", "ko"): "1",
                      t("room.count.stopped", "ko"): "0", t("room.count.diverged", "ko"): "0"}
    table = at.dataframe[0].value
    assert table[t("room.col.nickname", "ko")].tolist() == ["Ann"]
    assert table[t("room.col.status", "ko")].tolist() == [t("class.status.finished", "ko")]
    assert not {"nickname", "run", "activation", "lr", "total_steps"} & set(table.columns)  # no field names
    assert len(at.get("plotly_chart")) == 3
    assert t("class.best", "ko", nickname="Ann", acc="93.0%", config=C.escape_markdown(
        store.list_runs(class_id=klass.id)[0].label)) in texts(at)


def test_page_a_board_url_opens_only_where_the_teacher_key_is_kept(sqlite_url, monkeypatch):
    store = Store(sqlite_url)
    klass, key = C.create_class(store, "7B")
    member = C.join(store, klass.code, "a", "Ann")
    trained(store, "a", member, TINY, [2.3, 0.4], 0.93)
    other, other_key = C.create_class(store, "8C")
    for query in ({"board": klass.code}, {"board": klass.code, "view": "projector"}):
        at = open_page(sqlite_url, monkeypatch, **query)  # a URL copied from the projector, in another browser
        assert [e.value for e in at.error] == [t("room.board_only_teacher", "en")]
        assert not at.get("plotly_chart") and not at.dataframe and not at.metric and not at.button
    # The projector view in the teacher's browser: the board, no controls, no secret.
    monkeypatch.setenv("RELULAB_DB", sqlite_url)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update({"lang": "en", "board": klass.code, "view": "projector"})
    at.session_state["teacher_key"] = key
    at.run()
    at = at.switch_page("views/classroom.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(at.get("plotly_chart")) == 3 and [m.value for m in at.metric][:4] == ["1", "0", "0", "1"]
    assert not at.button and not at.get("download_button") and not at.selectbox  # no controls (the sidebar's
    assert [g.key for g in at.get("button_group")] == ["lang_switch"]  # language switch is the app's own)
    assert key not in texts(at) and "teacher=" not in texts(at)
    assert t("room.join_with", "en", code=klass.code) in texts(at)
    # Another class's board URL does not open with this key.
    at.query_params["board"] = other.code
    at.run()
    assert [e.value for e in at.error] == [t("room.board_only_teacher", "en")] and not at.get("plotly_chart")
