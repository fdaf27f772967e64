"""Lesson mode's pages through AppTest: a student who waits, follows the class and votes while two teacher tabs
agree on the step, and the app taking a student of a locked lesson to it (the Class page stays open)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from lab.i18n import t
from lab.lesson_mode import state as LS
from lab.runs.store import Store
from tests.classroom_help import OWNERS, a_class, small_lesson  # noqa: F401 - a fixture

ROOT = Path(__file__).resolve().parent.parent


# --- the pages through AppTest -------------------------------------------------------------------------------
def lesson_page(url: str, owner: str, lang: str = "en") -> AppTest:
    """The Lesson page as this student sees it."""
    at = AppTest.from_file(str(ROOT / "views" / "lesson.py"), default_timeout=120)
    at.session_state["owner"], at.session_state["lang"] = owner, lang
    return at.run()


def board_page(url: str, key: str, lang: str = "en") -> AppTest:
    """The class board (a teacher tab) for this key."""
    at = AppTest.from_file(str(ROOT / "views" / "classroom.py"), default_timeout=120)
    at.session_state["lang"] = lang
    at.query_params["teacher"] = key
    return at.run()


def test_pages_a_student_waits_follows_and_votes_and_two_teacher_tabs_agree(tmp_path, monkeypatch, small):
    url = f"sqlite:///{tmp_path / 'runs.sqlite3'}"
    monkeypatch.setenv("RELULAB_DB", url)
    monkeypatch.setenv("RELULAB_LESSONS", str(small.path.parent))
    store = Store(url)
    at = lesson_page(url, OWNERS[0])
    assert [i.value for i in at.info] == ["Join your class first: open the link or the QR code your teacher shows, "
                                          "or type the class code on the Class page."]
    klass, key = a_class(store, 2)
    at = lesson_page(url, OWNERS[0], "ko")
    assert at.info[0].value.startswith("선생님이 아직 강의를 시작하지 않았습니다")
    first, second = board_page(url, key), board_page(url, key)  # two teacher tabs
    first.button(key="lesson_start_button").click().run()
    assert not first.exception and first.header[0].value == "Guess"
    second.run()  # a refresh of the other tab
    assert second.header[0].value == "Guess"
    at = lesson_page(url, OWNERS[0])
    assert at.header[0].value == "Guess" and at.caption[0].value.startswith("Class 7B · you are S0 · Step 1 of 3")
    at.button(key="vote_guess_relu").click().run()
    at.button(key="vote_guess_sigmoid").click().run()  # a second vote replaces the first
    assert LS.tally(store, klass.id, "small", small.step("guess")) == {"sigmoid": 1, "relu": 0}
    assert any(s.value.startswith("Your prediction: **Sigmoid**") for s in at.success)
    first.button(key="lesson_next").click().run()
    second.button(key="lesson_next").click().run()  # pressed on the stale tab: still one step
    assert LS.current(store, klass.id).step_id == "train"
    assert first.run().header[0].value == second.header[0].value == "Train"
    at = lesson_page(url, OWNERS[1], "ko")  # another student, in Korean: lands on the current step
    assert at.header[0].value == "학습" and "시그모이드 6층" not in at.markdown[0].value
    assert any("내가 학습할 것: **ReLU**" == m.value for m in at.markdown)
    store.engine.dispose()


def test_the_app_takes_a_student_of_a_locked_lesson_to_it(tmp_path, monkeypatch, small):
    url = f"sqlite:///{tmp_path / 'runs.sqlite3'}"
    monkeypatch.setenv("RELULAB_DB", url)
    monkeypatch.setenv("RELULAB_LESSONS", str(small.path.parent))
    store = Store(url)
    klass, key = a_class(store, 1)
    LS.start(store, klass.id, key, small)

    def opened(page: str) -> AppTest:
        """The app opened at a page by this student."""
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.session_state["owner"] = OWNERS[0]
        at.run()
        return at.switch_page(f"views/{page}.py").run()

    at = opened("activations")
    assert not at.exception and at.header[0].value == "Guess"  # taken to the lesson
    assert opened("classroom").title[0].value == t("class.title", "en")  # the Class page stays open
    LS.unlock(store, klass.id, key, True)
    at = opened("activations")
    assert at.title[0].value == t("act.title", "en")
    store.engine.dispose()
