"""The Train page with replays, under AppTest: a second student's identical run is the first one's exact result,
played back at its pace with the words in both languages, ⏭ Jump to the end, Train it anyway; no nickname leaks."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import update

from lab.classroom import board as B
from lab.classroom import classes as C
from lab.i18n import t
from lab.runs import schema as S
from lab.runs.execute import execute_run
from lab.runs.identity import run_key
from lab.runs.store import Store, open_store
from tests.test_classes import TINY, open_page, texts
from tests.test_replay import same_result
from tests.test_train_page import fresh_session, train_page, wait_for_history  # noqa: F401 - a fixture

# A config no other test trains (its own seed), so the first student's run trains here.
QUERY = {"train_subset": "500", "epochs": "2", "depth": "1", "width": "32", "seed": "4242", "log_every": "1",
         "batch_size": "50"}
WORDS = {"en": ("Same configuration and seed as an earlier run: this is its exact result (training is "
                "deterministic). Change the seed to train your own.", "⏭ Jump to the end", "Train it anyway"),
         "ko": ("앞선 실행과 설정과 시드가 같습니다. 이것은 그 실행의 결과 그대로입니다(학습은 결정적입니다). 직접 "
                "학습하려면 시드를 바꾸세요.", "⏭ 끝으로 건너뛰기", "그래도 직접 학습하기")}


def everything(at) -> str:
    """Every text the page shows (elements' values, labels, HTML) in one string."""
    parts = []
    for kind in ("title", "header", "subheader", "caption", "markdown", "info", "success", "warning", "error",
                 "html", "button", "toast"):
        for element in at.get(kind):
            parts += [str(getattr(element, "value", "")), str(getattr(element, "label", ""))]
    parts += [str(p.proto.text) for p in at.get("progress")]
    parts += [at.dataframe[i].value.to_csv() for i in range(len(at.dataframe))]
    return "\n".join(parts)


def points(at, meta: str = "loss-step") -> int:
    """How many points the live loss chart (an SVG image) draws."""
    found = dict(re.findall(r'data-meta="([\w-]+)" data-points="(\d+)"', " ".join(h.value for h in at.get("html"))))
    return int(found.get(meta, 0))


@pytest.fixture(scope="module")
def original():
    """The first student's run: trained by the page's executor, in a class, with a nickname."""
    at = train_page(QUERY)
    at.button(key="train_start").click().run()
    wait_for_history(at)
    store = open_store()
    (run,) = store.list_runs(owner=at.session_state["owner"])
    assert run.status == "finished" and run.replay_of is None and run.run_key
    with store.tx() as conn:  # in a class of its own, and as if it had taken 1000 s: the playback lasts
        conn.execute(update(S.runs).where(S.runs.c.id == run.id).values(
            nickname="Zorro", class_id="zorros-class", seconds=1000.0))
    return store.get_run(run.id)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_an_identical_run_is_replayed_at_its_pace_in_the_students_language(original, lang):
    message, skip, anyway = WORDS[lang]
    at = train_page(QUERY, lang=lang)
    at.button(key="train_start").click().run()
    store, owner = open_store(), at.session_state["owner"]
    (run,) = store.list_runs(owner=owner)
    assert run.replay_of == original.id and run.status == "finished" and run.owner == owner
    trained = [r.id for r in store.list_runs() if r.run_key == run.run_key and not r.replay]
    assert trained == [original.id]  # nothing trains again: the server did the work once
    with store.tx() as conn:  # halfway through its playback (1000 s at the original's pace)
        conn.execute(update(S.runs).where(S.runs.c.id == run.id).values(started=time.time() - 500))
    at.run()
    assert not at.exception
    text = everything(at)
    assert message in [i.value for i in at.info] and "Zorro" not in text and "zorros-class" not in text
    assert at.button(key=f"replay_skip_{run.id}").label == skip
    assert at.button(key=f"replay_anyway_{run.id}").label == anyway
    (bar,) = at.get("progress")
    assert ("10/20" in bar.proto.text or "11/20" in bar.proto.text) and 0.45 < bar.proto.value / 100 < 0.6
    assert 5 <= points(at) <= 12  # about half of its 20 logged steps
    assert not at.dataframe  # not in the history while it plays: the lesson still unfolds
    at.button(key=f"replay_skip_{run.id}").click().run()
    at.run()
    assert points(at) == 20 and at.success and "20" in at.success[0].value  # its end, at once
    assert len(at.dataframe[0].value) == 1 and "Zorro" not in everything(at)
    same_result(store, original.id, run.id)  # its record is the original's, event for event


def test_train_it_anyway_trains_the_same_numbers(original):
    at = train_page(QUERY)
    at.button(key="train_start").click().run()
    store, owner = open_store(), at.session_state["owner"]
    (run,) = store.list_runs(owner=owner)
    assert run.replay_of == original.id
    at.button(key=f"replay_anyway_{run.id}").click().run()
    assert not at.exception
    again = store.get_run(run.id)
    assert again.replay_of is None and again.active and not store.load_weights(run.id)
    deadline = time.monotonic() + 120
    while store.get_run(run.id).active:
        assert time.monotonic() < deadline, "Train it anyway never trained"
        time.sleep(0.2)
    trained = store.get_run(run.id)
    assert trained.status == "finished" and trained.node and trained.started > run.created
    same_result(store, original.id, run.id, replayed=False)  # trained again: the same numbers, step by step
    at = wait_for_history(at)
    assert not any(WORDS["en"][0] == i.value for i in at.info)  # its own run now: no replay message


def test_the_board_counts_trained_and_replayed_runs_and_names_only_its_class(tmp_path, monkeypatch, mnist):
    sqlite_url = f"sqlite:///{tmp_path / 'board.sqlite3'}"
    store = Store(sqlite_url)
    klass, key = C.create_class(store, "7B")
    ann, bo = (C.join(store, klass.code, o, n) for o, n in (("a", "Ann"), ("b", "Bo")))
    other, _ = C.create_class(store, "8C")
    zorro = C.join(store, other.code, "z", "Zorro")
    config = TINY.replace(epochs=1)
    original = store.create_run(config, "z", key=run_key(config, "cpu", 1), **zorro.run_args())
    execute_run(store, original.id, threads=1, data=mnist)
    replayed = store.create_run(config, "a", key=run_key(config, "cpu", 1), reuse=True, **ann.run_args())
    own = store.create_run(config.replace(seed=9), "b", key=run_key(config.replace(seed=9), "cpu", 1), reuse=True,
                           **bo.run_args())
    execute_run(store, own.id, threads=1, data=mnist)
    assert replayed.replay_of == original.id and replayed.nickname == "Ann"
    board = B.board_data(store, C.board_for(store, key))
    assert (board.trained, board.replayed) == (1, 1) and [r.nickname for r in board.runs] == ["Ann", "Bo"]
    assert board.curves[replayed.id] == B.curve_cache(store).update(store, {original.id: 10**9})[original.id]
    for lang in ("en", "ko"):
        at = open_page(sqlite_url, monkeypatch, teacher=key, lang=lang)
        assert not at.exception
        assert t("replay.board", lang, trained=1, replayed=1) in [c.value for c in at.caption]
        assert "Zorro" not in texts(at) + at.dataframe[0].value.to_csv()


def test_a_run_identical_to_one_in_training_follows_it_live():
    long = {**QUERY, "train_subset": "60000", "epochs": "30", "seed": "4343"}  # trains for minutes
    first = train_page(long)
    first.button(key="train_start").click().run()
    store = open_store()
    (lead,) = store.list_runs(owner=first.session_state["owner"])
    for lang in ("en", "ko"):
        at = train_page(long, lang=lang)
        at.button(key="train_start").click().run()
        (run,) = store.list_runs(owner=at.session_state["owner"])
        try:
            assert run.replay_of == lead.id and run.active and not at.exception
            assert t("replay.following", lang) in [i.value for i in at.info]
            assert at.button(key="train_start").disabled  # it is this student's active run
            assert at.button(key=f"replay_anyway_{run.id}").label == WORDS[lang][2]
            assert not [b for b in at.button if b.key == f"replay_skip_{run.id}"]  # live: nothing to skip
        finally:
            store.request_stop(run.id)
            assert store.get_run(run.id).status == "stopped" and store.get_run(lead.id).active  # only itself
    store.request_stop(lead.id)
