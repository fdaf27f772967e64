"""The app's CSS for the classroom: Korean line breaking, readable widgets, and the projector mode."""

from __future__ import annotations

from lab.draw.canvas_sim import CANVAS

CHART_MIN_PX = 400  # the narrowest column a Train page chart (an SVG image) gets; narrower: one a row
CARD_MIN_REM = 11  # the home page's cards: narrower, "Activations" and "Optimizers" broke mid-word
PRESENT_ROOT_PX = 19  # presentation mode: Streamlit sizes text in rem, so this scales it all (normally 16)

# Read by everyone (issue 23): captions, metric labels and help texts dark enough for WCAG AA (4.5:1;
# Streamlit draws captions at 60% opacity: 3.0:1; #575964 gives 7:1); a multiselect's text field keeps
# WCAG 2.2's 24 px target when its chips fill the row; what a rerun is redrawing keeps its colours (the
# live views rerun every second, and Streamlit's faded "stale" text failed contrast on the board);
# labels, links and metric labels wrap at a space instead of being cut ("Open Optimiz", "Softmax
# regression (one linear …"); a chart's description is there for a screen reader only (ui/charts.py)
# and takes no room.
ACCESS = """
.stApp [data-testid="stCaptionContainer"] { opacity: 1; }
.stApp [data-testid="stCaptionContainer"] :not(a), .stApp [data-testid="stWidgetLabel"] p,
.stApp [data-testid="stMetricLabel"] p, .stApp [data-testid="stTooltipHoverTarget"] { color: #575964; }
.stApp [data-testid="stMultiSelect"] input { min-width: 24px; }
.stApp [data-stale="true"] { opacity: 1 !important; transition: none !important; }
.stApp [data-testid="stMultiSelectTagsContainer"] { flex-wrap: wrap; overflow: visible; }
.stApp [data-testid="stMultiSelectTagsContainer"] span { white-space: normal; text-overflow: clip; max-width: 100%; }
.stApp [data-testid="stMetricLabel"], .stApp [data-testid="stMetricLabel"] *,
.stApp [data-testid="stPageLink"] *, .stApp [data-testid="stWidgetLabel"] * { white-space: normal !important;
  overflow: visible !important; text-overflow: clip !important; }
.relulab-sr { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%);
  white-space: nowrap; }
.stElementContainer:has(.relulab-sr) { position: absolute !important; width: 1px; height: 1px; margin: 0;
  overflow: hidden; clip-path: inset(50%); }
"""

# Every page: button and select texts wrap instead of being cut ("강의: 소프트맥…", "Kaiming uniforr").
# The Train page's charts are SVG images that scale with their column (lab/figures/sketch.py): in a
# column narrower than CHART_MIN_PX their text would shrink, so the charts go one a row there instead.
BASE = f"""
.stApp button p {{ white-space: normal; overflow-wrap: anywhere; text-align: center; }}
.stApp button {{ height: auto; min-height: 2.5rem; }}
.stApp [data-baseweb="select"] [data-testid="stSelectboxVirtualDropdown"] li,
.stApp [data-baseweb="select"] > div > div:first-child > div {{ white-space: normal; overflow: visible;
  text-overflow: clip; }}
.relulab-diagram svg {{ display: block; }}
[class*="st-key-train_charts"] [data-testid="stHorizontalBlock"] {{ flex-wrap: wrap; }}
[class*="st-key-train_charts"] [data-testid="stColumn"] {{ min-width: min(100%, {CHART_MIN_PX}px); }}
.st-key-home_cards [data-testid="stHorizontalBlock"], .st-key-draw_columns [data-testid="stHorizontalBlock"] {{
  flex-wrap: wrap; }}
.st-key-draw_columns [data-testid="stColumn"] {{ min-width: min(100%, {CANVAS + 8}px); }}
.st-key-home_cards [data-testid="stColumn"] {{ min-width: min(100%, {CARD_MIN_REM}rem); }}
{ACCESS}"""

# Korean breaks lines between words, never inside one ("이야/기", "기/울기는"); a word longer than the
# line (a URL, a formula) may still break so that nothing overflows. On every page, not only in Korean:
# English pages name the course in Korean ("모두를 위/한"), and keep-all changes nothing for Latin text.
# Streamlit sets word-break: break-word on headings and markdown itself, so every element is named.
KOREAN = """
.stApp, .stApp * { word-break: keep-all !important; overflow-wrap: break-word; }
.stApp pre, .stApp pre *, .stApp code { word-break: normal !important; }
"""

# The projector: larger type, less chrome at the top, so the charts that matter sit above the fold.
PRESENT = f"""
html {{ font-size: {PRESENT_ROOT_PX}px; }}
.stApp [data-testid="stMainBlockContainer"], .stApp .block-container {{ padding-top: 2.2rem;
  padding-bottom: 2rem; }}
.stApp [data-testid="stCaptionContainer"] {{ font-size: 0.95rem; }}
.stApp [data-testid="stDecoration"] {{ display: none; }}
"""


def page_css(lang: str, present: bool = False) -> str:
    """The CSS for a page in lang (Korean line breaking everywhere), with presentation mode's larger type."""
    return BASE + KOREAN + (PRESENT if present else "")


def style_tag(lang: str, present: bool = False) -> str:
    """page_css wrapped in a <style> element, for st.html."""
    return f"<style>{page_css(lang, present)}</style>"
