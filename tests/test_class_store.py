"""Classes on a real store (SQLite and PostgreSQL): the short code and the key stored only as its hash, joining
(a code typed loosely, a rejoin, a wrong code, a full or closed class, a taken nickname), nicknames (control
characters, bad and long ones), limits, escaping, and the runs of a class: the limit per student, runs after
the class closed, the challenge and stop all."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select

from lab.classroom import board as B
from lab.classroom import classes as C
from lab.engine.config import PRESETS
from lab.figures import board as F
from lab.i18n import t
from lab.runs import schema as S
from tests.classroom_help import TINY, store_fixture, trained  # noqa: F401 - a fixture


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
