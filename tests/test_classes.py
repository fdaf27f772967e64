"""The Class page through AppTest: create a class (code, link, QR code, teacher link), join by link with a
nickname, a wrong code and a full class, the board only with the teacher key, and a board URL that opens only
in the browser that keeps the key (the projector view)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lab.classroom import classes as C
from lab.i18n import t
from lab.runs.store import Store
from tests.classroom_help import TINY, trained

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def sqlite_url(tmp_path):
    """A fresh SQLite store URL (the page tests; the store tests run on both databases via store_url)."""
    return f"sqlite:///{tmp_path}/classes.sqlite3"


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
