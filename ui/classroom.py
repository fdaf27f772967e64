"""The Class page's steps: create a class, join one by its code, and the teacher's live board.

The teacher key never stays in a URL: a teacher link (?teacher=KEY) puts it in this browser's session
and cookie, and the address becomes ?board=CODE, which opens the board only where the key is kept. The
projector view (?board=CODE&view=projector) shows the board without controls or secrets.
"""

from __future__ import annotations

import streamlit as st

from lab.classroom import board as B
from lab.classroom import classes as C
from lab.engine.config import CHOICES, PRESETS
from lab.engine.optim_table import OPTIMIZERS
from lab.figures import board as F
from lab.i18n import t
from lab.lesson_mode import state as LS
from lab.runs.store import Store
from lab.web import presence
from ui import outage
from ui.charts import plotly_with_alt
from ui.lesson_board import lesson_on, teacher_panel

KEEP = "—"  # a challenge selector left at the preset's value
REFRESH_S = 1.0  # a new run shows within ~1.5 s (target 3 s); ~140 ms server time at 300 runs


class ClassPage:
    """The page's store and st.session_state (lang, present, owner, class_created, teacher_key), the base URL."""

    def __init__(self, store: Store) -> None:
        self.lang = st.session_state.get("lang", "en")
        self.present = bool(st.session_state.get("present", False))
        self.store, self.owner, self.base = store, owner_token(), C.base_url(st.context.url)

    @property
    def created(self) -> tuple[str, str] | None:
        """The class this session created, as (its id, its teacher key), or None."""
        return st.session_state.get("class_created")

    @created.setter
    def created(self, value: tuple[str, str]) -> None:
        """Remember the class this session created."""
        st.session_state.class_created = value

    @property
    def key(self) -> str | None:
        """The teacher key this browser keeps (this session's, else the cookie's), or None."""
        return presence.teacher_key(st.context.cookies.get(presence.TEACHER_COOKIE),
                                    st.session_state.get("teacher_key"))

    def keep_key(self, key: str) -> None:
        """Keep a teacher key in this session and, for later visits, in this browser's cookie (not the URL)."""
        st.session_state.teacher_key = key
        st.html(presence.cookie_script(key, presence.TEACHER_COOKIE, presence.TEACHER_COOKIE_S),
                unsafe_allow_javascript=True)


def owner_token() -> str:
    """This browser's owner token, as app.py keeps it (the page may run without app.py under AppTest)."""
    st.session_state.owner = presence.owner_token(st.context.cookies.get(presence.COOKIE),
                                                  st.session_state.get("owner"))
    return st.session_state.owner


def show_links(page: ClassPage, klass: C.ClassRow, key: str | None = None) -> None:
    """The join code big, the join link with its QR code, and (once, for its creator) the teacher link."""
    lang = page.lang
    link = C.join_link(page.base, klass.code, lang)
    left, right = st.columns([3, 2])
    left.markdown(f"<div class='relulab-code' style='font-size:5rem;font-weight:700;letter-spacing:.3rem'>"
                  f"{klass.code}</div>", unsafe_allow_html=True)  # code: from CODE_ALPHABET only
    left.markdown(t("class.join_at", lang))
    left.code(link, language=None)
    right.image(B.qr_png(link), width=280, caption=t("class.qr", lang))
    if key:
        st.warning(t("room.key_kept", lang))
        st.code(C.teacher_link(page.base, key, lang), language=None)
        st.button(t("class.open_board", lang), type="primary", key="class_open_board", on_click=go_board,
                  args=(klass.code, lang))


def go_board(code: str, lang: str, projector: bool = False) -> None:
    """A button's callback: the board's address (no key in it), kept in the URL like the language."""
    present = {"present": st.query_params["present"]} if "present" in st.query_params else {}
    st.query_params.from_dict(C.board_query(code, lang, projector) | present)


def create_view(page: ClassPage) -> None:
    """A form that creates a class; afterwards its code, links and QR code."""
    lang, store = page.lang, page.store
    st.title(t("class.title", lang))
    st.markdown(t("class.intro", lang))
    with st.form("class_create"):
        name = st.text_input(t("class.name", lang), max_chars=C.NAME_MAX, key="class_name")
        cols = st.columns(2)
        students = cols[0].number_input(t("class.max_students", lang), 1, 200, 40, key="class_max_students")
        per = cols[1].number_input(t("class.max_runs", lang), 1, 100, 10, key="class_max_runs")
        if st.form_submit_button(t("class.create", lang), type="primary"):
            klass, key = C.create_class(store, name, int(students), int(per))
            page.created = (klass.id, key)
            page.keep_key(key)  # the creator is the teacher: the board opens here without the link
    if page.created is not None:
        class_id, key = page.created
        show_links(page, C.get_class(store, class_id), key)
    with st.form("class_code"):
        code = st.text_input(t("class.have_code", lang), max_chars=12, key="class_code_input")
        if st.form_submit_button(t("class.go", lang)):
            st.query_params["join"] = C.normalise_code(code)
            st.rerun()


def join_view(page: ClassPage, code: str) -> None:
    """The nickname form for a join link; clear messages for a wrong, closed or full class."""
    lang, store = page.lang, page.store
    st.title(t("class.join_title", lang))
    try:
        klass = C.find_code(store, code)
    except C.ClassError as exc:
        st.error(exc.message(lang))
        return
    st.subheader(C.escape_markdown(klass.name or klass.code))
    mine = C.membership(store, page.owner)
    shortened = False
    with st.form("class_join"):
        # No max_chars: the browser would cut a long nickname silently; the page shortens it and says so.
        nick = st.text_input(t("class.nickname", lang), max_chars=200, key="class_nick",
                             value=mine.nickname if mine and mine.class_id == klass.id else "")
        if st.form_submit_button(t("class.join", lang), type="primary"):
            try:
                mine = C.join(store, code, page.owner, nick)
                shortened = C.nickname_shortened(nick)
            except C.ClassError as exc:
                st.error(exc.message(lang))
    if mine and mine.class_id == klass.id:
        if shortened:
            st.info(t("room.nick_shortened", lang, n=C.NICK_MAX, nickname=C.escape_markdown(mine.nickname)))
        st.success(t("class.joined", lang, nickname=C.escape_markdown(mine.nickname)))
        st.page_link("views/train.py", label=t("class.to_train", lang), icon=":material/model_training:")
        st.page_link("views/lesson.py", label=t("lesson.follow", lang), icon=":material/school:")


def challenge_form(page: ClassPage, klass: C.ClassRow, key: str) -> None:
    """The teacher picks a preset and changes activation, optimizer, depth or epochs; sent to every student."""
    lang, store = page.lang, page.store
    with st.form("class_challenge"):
        st.markdown(f"**{t('class.challenge', lang)}**")
        # The preset on a row of its own: its name is read whole (a select cannot wrap its value).
        preset = st.selectbox(t("class.preset", lang), list(PRESETS), key="ch_preset",
                              format_func=lambda name: t(f"room.preset.{name}", lang))
        cols = st.columns(4)
        act = cols[0].selectbox(t("class.chart.activation", lang), [KEEP, *CHOICES["activation"]], key="ch_act")
        opt = cols[1].selectbox(t("class.chart.optimizer", lang), [KEEP, *CHOICES["optimizer"]], key="ch_opt",
                                format_func=lambda o: OPTIMIZERS[o].cls_name if o in OPTIMIZERS else o)
        depth = cols[2].selectbox(t("class.chart.depth", lang), [KEEP, *range(11)], key="ch_depth")
        epochs = cols[3].selectbox(t("class.epochs", lang), [KEEP, 1, 2, 3, 5, 10, 15], key="ch_epochs")
        changes = {k: v for k, v in (("activation", act), ("optimizer", opt), ("depth", depth),
                                     ("epochs", epochs)) if v != KEEP}
        if "optimizer" in changes:
            changes["lr"], changes["opt_params"] = None, {}  # the new optimizer's own default rate
        send, clear = st.columns(2)
        if send.form_submit_button(t("class.send", lang), type="primary"):
            C.send_challenge(store, klass.id, key, PRESETS[preset].replace(**changes))
        if clear.form_submit_button(t("class.clear", lang)):
            C.send_challenge(store, klass.id, key, None)
    current = C.get_class(store, klass.id).challenge
    st.caption(t("class.challenge_now", lang, challenge=C.challenge_text(current, lang) if current else "—"))


@st.fragment(run_every=REFRESH_S)
@outage.guarded
def live_board(page: ClassPage, class_id: str, color_by: str, projector: bool = False) -> None:
    """Counts, the class's curves, accuracy charts, best run, flags, who is in and the table; every second."""
    lang = page.lang
    board = B.board_data(page.store, C.get_class(page.store, class_id))
    counts = board.counts
    shown = ["queued", "training", "finished", "stopped", "diverged"] + (["failed"] if counts["failed"] else [])
    cols = st.columns(len(shown) + 1)
    cols[0].metric(t("class.students", lang), len(board.members))
    for col, name in zip(cols[1:], shown, strict=True):
        label = t(f"class.count.{name}" if name in ("queued", "training") else f"room.count.{name}", lang)
        col.metric(label, counts[name], help=t("room.count.stopped_help", lang, before=counts["stopped_early"])
                   if name == "stopped" and counts["stopped_early"] else None)
    # The curves first: on a projector (1024x768, presentation mode) they sit in the first screenful.
    # Presenting: 440 px on the projector view; the teacher's own board keeps its controls above them.
    height = (440 if projector else 380) if page.present else 520
    plotly_with_alt(st, F.curves_figure(board, color_by, lang, height=height),
                    F.curves_alt(board, color_by, lang), "board_curves")
    st.caption(t("replay.board", lang, trained=board.trained, replayed=board.replayed))
    left, right = st.columns(2)
    plotly_with_alt(left, F.accuracy_heatmap(board, lang), F.heatmap_alt(board, lang), "board_heatmap")
    plotly_with_alt(right, F.optimizer_bars(board, lang), F.bars_alt(board, lang), "board_optimizers")
    if board.best:
        best = board.best
        st.success(t("class.best", lang, nickname=C.escape_markdown(best.nickname), acc=f"{best.test_acc:.1%}",
                     config=C.escape_markdown(best.label)))
    for note in B.flag_notes(board, lang, C.escape_markdown):  # one note per flag, not one box per run
        st.warning(note)
    st.markdown(t("class.who", lang) + " " + ", ".join(
        f"{C.escape_markdown(m['nickname'])} ({m['runs']})" for m in board.members))
    rows = B.table_rows(board, lang)
    st.dataframe(rows, hide_index=True, key="board_table", column_config={
        t("room.col.test_acc", lang): st.column_config.NumberColumn(format="percent"),
        t("room.col.loss", lang): st.column_config.NumberColumn(format="%.3f")})
    if projector:  # no downloads on the projector: nothing there but the class's results
        return
    down = st.columns(2)
    # Deferred: the exports are built when clicked, not on every refresh.
    down[0].download_button("CSV", lambda: B.export_csv(board), f"class-{board.klass.code}.csv", "text/csv",
                            key="board_csv")
    down[1].download_button("JSON", lambda: B.export_json(board), f"class-{board.klass.code}.json",
                            "application/json", key="board_json")


def take_key(page: ClassPage, key: str) -> None:
    """A teacher link: its key kept in this browser, the address cleaned to ?board=CODE, then the board."""
    lang = page.lang
    try:
        klass = C.board_for(page.store, key)
    except C.ClassError as exc:
        st.title(t("class.board_title", lang, name=""))
        st.error(exc.message(lang))
        return
    page.keep_key(key)
    st.query_params.from_dict({k: v for k, v in st.query_params.to_dict().items() if k != "teacher"}
                              | {"board": klass.code})
    teacher_view(page, klass, key)


def board_view(page: ClassPage, code: str, projector: bool) -> None:
    """?board=CODE: the board where this browser keeps the class's teacher key; nothing anywhere else."""
    lang = page.lang
    try:
        klass = C.board_for(page.store, page.key or "")
        if klass.code != C.normalise_code(code):
            raise C.ClassError("class.err.key")
    except C.ClassError:
        st.title(t("class.board_title", lang, name=""))
        st.error(t("room.board_only_teacher", lang))
        return
    if projector:
        projector_view(page, klass)
    else:
        teacher_view(page, klass, page.key)


def projector_view(page: ClassPage, klass: C.ClassRow) -> None:
    """The board for the projector: no controls, no key, no links but the public join code."""
    lang = page.lang
    st.title(t("class.board_title", lang, name=C.escape_markdown(klass.name or klass.code)))
    st.markdown(t("room.join_with", lang, code=klass.code) if klass.open else t("class.closed_note", lang))
    live_board(page, klass.id, st.session_state.get("board_colors") or "activation", projector=True)
    st.markdown(f"[{t('room.teacher_view', lang)}](classroom?board={klass.code}&lang={lang})")


def teacher_view(page: ClassPage, klass: C.ClassRow, key: str) -> None:
    """The board with the teacher's controls: colours, projector view, stop all, close, challenge, links."""
    lang, store = page.lang, page.store
    title = t("class.board_title", lang, name=C.escape_markdown(klass.name or klass.code))
    idle, lesson = None, LS.current(store, klass.id)  # read once a redraw
    if page.present and not lesson_on(lesson):
        # Presenting with no lesson on, lesson mode is a popover beside the title: at 1024x768 the class's
        # curves stay in the first screenful (issue 23), and a started lesson's step shows on top.
        head = st.columns([3, 1], vertical_alignment="center")
        head[0].title(title)
        idle = head[1].popover(t("lesson.mode", lang), icon=":material/school:", key="lesson_offer")
    else:
        st.title(title)
    if not klass.open:
        st.info(t("class.closed_note", lang))
    panel = st.container()  # a live lesson's step, above the board (ui/lesson_board.py); filled below
    # A row that wraps: in columns, a projector's large type with the sidebar open broke "Projector" in two.
    bar = st.container(horizontal=True, vertical_alignment="bottom", key="board_bar")
    color_by = bar.segmented_control(t("class.color_by", lang), F.COLOR_BY, default="activation",
                                     format_func=lambda c: t(f"class.by.{c}", lang), key="board_color_by",
                                     required=True)
    st.session_state.board_colors = color_by  # the projector view colours its curves the same way
    bar.button(t("room.projector", lang), key="board_projector", help=t("room.projector_help", lang),
               on_click=go_board, args=(klass.code, lang, True))
    if bar.button(t("class.stop_all", lang), key="board_stop_all"):
        st.toast(t("class.stopped", lang, n=C.stop_all(store, klass.id, key)))
    with bar.popover(t("class.close", lang), disabled=not klass.open):
        if st.button(t("class.close_confirm", lang), key="board_close", type="primary"):
            C.close_class(store, klass.id, key)
            st.rerun()
    live_board(page, klass.id, color_by or "activation")
    with panel:
        teacher_panel(page, klass, key, lesson, idle)
    challenge_form(page, klass, key)
    with st.expander(t("class.links", lang), expanded=False):
        show_links(page, klass)
