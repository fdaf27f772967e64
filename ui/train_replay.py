"""The Train page's replays: an identical run's result played back at the pace it trained, what happened in
the student's words, ⏭ Jump to the end, and Train it anyway.

A replay is one of the student's runs (lab/runs/replay.py); its charts are its record folded up to where
the playback stands (lab/runs/playback.py). Nothing here names the run it replays or its owner.
"""

from __future__ import annotations

import threading

import streamlit as st

from lab.engine.events import RunRecord
from lab.figures import train as charts
from lab.figures.sketch import img_of
from lab.i18n import t
from lab.runs.playback import Frame, frame
from lab.runs.progress import progress_of
from lab.runs.store import StoredRun
from lab.web import train_form as form
from ui.train import Page

_shared: dict[tuple[str, str], charts.LiveFigures] = {}  # (original, lang) -> charts its followers' tabs share
_shared_lock = threading.Lock()
_compared: dict[tuple, list[str]] = {}  # the history's comparison images, by what they compare
FOLLOW_READ_S = 0.5  # the followed run's events are read for its followers at most this often
FOLLOW_S = 1.0  # the followers' charts are rebuilt at most once a second (their tabs poll once a second)


def frame_of(page: Page, run: StoredRun) -> Frame | None:
    """Where an ended replay's playback stands (None: not one, or the student jumped to its end)."""
    # A live follower needs none: it keeps its original's clock, so it shows what the original has done.
    if not run.replay or run.active or run.id in page.state.skipped:
        return None
    return frame(page.store, run)


def playing(page: Page, run: StoredRun) -> bool:
    """A replay still being played back (its lesson still unfolding)."""
    return (shown := frame_of(page, run)) is not None and not shown.done


def shape(page: Page, runs: list[StoredRun]) -> tuple[tuple[str, str], ...]:
    """The runs that keep the live view ticking: active ones and replays being played; a change redraws the page."""
    return tuple((r.id, r.status) for r in runs if r.active) + tuple(
        (r.id, "playing") for r in runs if not r.active and playing(page, r))


def record_of(page: Page, run: StoredRun) -> RunRecord:
    """The run's record as shown now: a replay's up to its playback; a live follower's, its original's."""
    # A live follower's events are its original's: one fold for every tab that follows it.
    if run.replay and run.active:  # thirty tabs polling: the store is read for them at most every FOLLOW_READ_S
        return page.store.record(run.replay_of, max_age=FOLLOW_READ_S)
    shown = frame_of(page, run)
    if shown is not None and not shown.done:
        return page.store.record(run.id, upto=shown.seq)
    if run.replay and run.status == "finished" and (original := page.store.record(run.replay_of)).status == "finished":
        return original  # a replay's events are a copy of its original's: thirty tabs, one fold, one set of charts
    return page.store.record(run.id)


def figures(page: Page, run: StoredRun | None, record: RunRecord) -> charts.LiveFigures:
    """The charts' memo: shared by the tabs showing one original's record (followers, replays played out)."""
    # Thirty students pressing one preset cost the server one set of charts, not thirty: while they follow
    # the run, and at its end, when every tab redraws its page at once.
    # (max_age: the record that record_of just returned, as it is, without reading the store again)
    if run is None or not run.replay or record is not page.store.record(run.replay_of, max_age=3600.0):
        return page.state.live_figures
    with _shared_lock:
        if len(_shared) > 64:
            _shared.clear()
        live = run.active  # a finished record's charts are built once and never held back
        return _shared.setdefault((run.replay_of, page.lang, live),
                                  charts.LiveFigures(img_of, min_interval=FOLLOW_S if live else 0.0))


def fingerprint(record: RunRecord) -> tuple:
    """What tells two records' charts apart, without an object's id (an id is reused once its object is gone)."""
    last = record.steps[-1] if record.steps else {}
    return (record.config.get("seed"), len(record.steps), len(record.epochs), len(record.activations),
            record.status, record.seconds, last.get("step"), last.get("loss"))


def compared(page: Page, picked: list[tuple[str, RunRecord]], build) -> list[str]:
    """The history's comparison images of these (label, record) pairs: shared by every tab comparing the same."""
    # Keyed by the records themselves (a played-out replay shows its original's record), so the tabs of a
    # class that trained one preset build one set, not one each, when the run ends and every page redraws.
    key = (page.lang, *((label, fingerprint(record)) for label, record in picked))
    with _shared_lock:
        if key in _compared:
            return _compared[key]
    images = build()
    with _shared_lock:
        if len(_compared) > 64:
            _compared.clear()
        _compared[key] = images
    return images


def progress_line(page: Page, run: StoredRun, box) -> None:
    """The run's progress bar: a replay's at its playback step; a queued run's place and estimated start."""
    shown = frame_of(page, run)
    if shown is not None and not shown.done and run.status != "queued" and run.total_steps:
        per_epoch = max(1, run.total_steps // max(1, run.config.epochs))
        epoch = min(run.config.epochs, shown.step // per_epoch + 1)
        text = t("replay.playing", page.lang, label=run.label, epoch=epoch, epochs=run.config.epochs,
                 step=shown.step, total=run.total_steps)
        box.progress(min(1.0, shown.step / run.total_steps), text=text)
        return
    place, start_in = page.store.queue_wait(run)
    progress = progress_of(run, place, start_in=start_in)
    box.progress(progress.fraction, text=form.progress_text(progress, run.label, page.lang))


def note(page: Page, run: StoredRun, box) -> None:
    """What happened (in the student's language), with ⏭ Jump to the end and Train it anyway (its owner's)."""
    if not run.replay:
        return
    lang = page.lang
    box.info(t("replay.following" if run.active else "replay.message", lang), icon=":material/replay:")
    if run.owner != page.owner:
        return
    skip, anyway, _ = box.columns([1, 1, 2])
    if playing(page, run):  # a live follower has nothing to skip: it shows what its original has done
        skip.button(t("replay.skip", lang), key=f"replay_skip_{run.id}", on_click=page.state.skipped.add,
                    args=(run.id,), width="stretch")
    anyway.button(t("replay.anyway", lang), key=f"replay_anyway_{run.id}", help=t("replay.anyway_help", lang),
                  on_click=train_anyway, args=(page, run), width="stretch")


def train_anyway(page: Page, run: StoredRun) -> None:
    """Train it anyway: the replay is queued to train for real (the same run, its result its own)."""
    if page.store.train_anyway(run.id, page.owner):
        page.state.skipped.discard(run.id)
        page.executor.submit(run.id)
        st.toast(t("replay.anyway_started", page.lang, label=run.label))
