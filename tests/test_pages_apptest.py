"""AppTest: every page renders in both languages; the language follows URL, browser and the switch."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lab.i18n import t

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("home", "train", "draw", "activations", "optimizers", "classroom", "lesson")
# Train and Draw may build models or start threads on first render: give every run room.
TIMEOUT = 180
# The h1 of the pages this suite knows; Train and Draw are checked by their navigation title.
TITLES = {"home": "home.title", "activations": "act.title", "optimizers": "opt.title", "classroom": "class.title",
          "lesson": "lesson.page_title"}


def open_app(lang: str | None = None, locale: str | None = None) -> AppTest:
    """The app run once, with ?lang= and the browser locale as given."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    if lang:
        at.query_params["lang"] = lang
    if locale:
        at.context["locale"] = locale
    return at.run()


def navigation(at: AppTest) -> list[str]:
    """The page titles st.navigation registered in the last run (what the sidebar shows)."""
    return [info["page_name"] for info in at._registered_pages.values()]


def show(at: AppTest, page: str) -> AppTest:
    """Switch to a page file and run it."""
    return at.switch_page(f"views/{page}.py").run()


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_in_both_languages(page, lang):
    at = show(open_app(lang), page)
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state.lang == lang and at.query_params.get("lang") == lang
    assert navigation(at) == [t(f"nav.{p}", lang) for p in PAGES]
    titles = [title.value for title in at.title]
    if page in TITLES:
        assert titles[:1] == [t(TITLES[page], lang)]
    errors = [e.value for e in at.error]
    assert not errors, errors


def test_switching_language_changes_the_page_title_and_the_navigation():
    at = show(open_app("en"), "activations")
    assert at.title[0].value == "Activation functions and their slopes"
    assert navigation(at)[3] == "Activations"
    at.sidebar.segmented_control(key="lang_switch").set_value("ko").run()
    assert not at.exception
    assert at.title[0].value == t("act.title", "ko") == "활성화 함수와 기울기"
    assert navigation(at) == ["홈", "학습", "숫자 그리기", "활성화 함수", "옵티마이저", "수업", "강의"]
    assert at.query_params["lang"] == "ko"  # kept in the URL
    show(at, "optimizers")
    assert at.title[0].value == "옵티마이저 경주" and at.query_params["lang"] == "ko"
    at.sidebar.segmented_control(key="lang_switch").set_value("en").run()
    assert at.title[0].value == "Optimizers race" and navigation(at)[4] == "Optimizers"


def test_the_browser_locale_decides_the_first_visit_and_the_url_wins():
    at = open_app(locale="ko-KR")
    assert at.session_state.lang == "ko" and at.title[0].value == t("home.title", "ko")
    assert at.query_params["lang"] == "ko"
    at = open_app("en", locale="ko-KR")
    assert at.session_state.lang == "en" and navigation(at)[0] == "Home"
    at = open_app(locale="de-DE")
    assert at.session_state.lang == "en"
    at.query_params["lang"] = "ko"  # someone edits the URL mid-session
    at.run()
    assert at.title[0].value == t("home.title", "ko")
    assert at.sidebar.segmented_control(key="lang_switch").value == "ko"


def test_home_links_open_the_train_page_with_the_lessons_presets():
    at = open_app("ko")
    links = {link.proto.query_string: link for link in at.get("page_link")}
    softmax, nn = links["preset=lesson-softmax&lang=ko"], links["preset=lesson-nn&lang=ko"]
    assert softmax.proto.page.endswith("train") and nn.proto.page.endswith("train")
    assert nn.value == t("home.preset.lesson-nn.go", "ko")
    cards = [link.value for link in at.get("page_link") if link.proto.query_string == "lang=ko"]
    # A card per page but the Lesson page, which a class reaches from the Class page.
    assert cards == [t("home.card.open", "ko", page=t(f"nav.{p}", "ko")) for p in PAGES[1:] if p != "lesson"]
