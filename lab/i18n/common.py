"""Strings shared by every page: navigation, language switch, errors."""

EN = {
    "app.title": "ReLU Lab",
    "nav.home": "Home",
    "nav.train": "Train",
    "nav.draw": "Draw",
    "nav.activations": "Activations",
    "nav.optimizers": "Optimizers",
    "lang.label": "Language",
    "error.generic": "Something went wrong: {message}",
}
KO = {
    "app.title": "ReLU 실험실",
    "nav.home": "홈",
    "nav.train": "학습",
    "nav.draw": "숫자 그리기",
    "nav.activations": "활성화 함수",
    "nav.optimizers": "옵티마이저",
    "lang.label": "언어",
    "error.generic": "문제가 생겼습니다: {message}",
}
