"""The rules that make a store outage safe, each without waiting for one: a batch sent twice is stored once,
a reader's end never swallows a trainer's event, a silent run is ended by whoever looks first, and every
page with the store down shows a banner in its language instead of a traceback.
"""

from __future__ import annotations

import socket
import time

import pytest
from sqlalchemy import update

from lab.engine.config import RunConfig
from lab.engine.events import RunEnded, StepsLogged
from lab.runs import schema as S
from lab.runs.store import Store
from tests.conftest import ROOT

SHORT = RunConfig(depth=1, width=32, epochs=2, train_subset=2000, batch_size=50)


def test_a_batch_sent_twice_is_stored_once_and_a_readers_end_never_swallows_a_trainers_event(store_url):
    """Store.append_events knows an event by its payload; where its number was taken, it goes after."""
    store = Store(store_url)
    run = store.create_run(SHORT, "alice")
    store.claim("local", run.id)
    blocks = [StepsLogged([s], [1.0 / s], [[0.5, 0.25]]) for s in range(1, 8)]
    store.append_events(run.id, blocks[:3], first_seq=1)
    store.append_events(run.id, blocks[:3], first_seq=1)  # the writer did not hear back: it sends them again
    assert [e for _, e in store.events(run.id)] == blocks[:3]
    seen = store.record(run.id)  # a page folded the run so far (the cache keeps its place)
    # The store was away long enough for a reader to take the run for dead (its heartbeat stale) ...
    assert store.end_without_events(run.id, "interrupted", "nobody trains it")
    assert store.record(run.id).status == "interrupted"
    # ... but its trainer lived: its next events, numbered 4.., come after the reader's end, not instead.
    store.append_events(run.id, blocks[3:5], first_seq=4)
    assert store.get_run(run.id).status == "running"  # the trainer is back: so is the run
    store.append_events(run.id, blocks[3:6], first_seq=4)  # a retry overlapping what is stored
    end = RunEnded("stopped", "Stopped at step 6.", 6, 1 / 6, 2.0)
    store.finish(run.id, end, seq=7)
    store.finish(run.id, end, seq=7)  # and the end's retry
    events = [e for _, e in store.events(run.id)]
    assert [e for e in events if isinstance(e, StepsLogged)] == blocks[:6]  # each once, in order
    assert [e.status for e in events if isinstance(e, RunEnded)] == ["interrupted", "stopped"]
    assert events[-1] == end and [seq for seq, _ in store.events(run.id)] == list(range(1, 9))
    record = store.record(run.id)
    assert record is seen and record.status == "stopped" and [s["step"] for s in record.steps] == [1, 2, 3, 4, 5, 6]
    assert store.get_run(run.id).status == "stopped"


def test_a_run_whose_trainer_fell_silent_is_interrupted_by_whoever_looks_first(store_url):
    store = Store(store_url)
    silent, beating = store.create_run(SHORT, "alice"), store.create_run(SHORT, "alice")
    for run in (silent, beating):
        store.claim("ray", run.id, node="another-node")
    store.append_events(beating.id, [StepsLogged([1], [2.3], [[1.0, 1.0]])])  # a heartbeat now
    with store.tx() as conn:  # the silent one's last heartbeat, 10 s ago
        conn.execute(update(S.runs).where(S.runs.c.id == silent.id).values(heartbeat=time.time() - 10))
    page = Store(store_url)
    assert [r.status for r in page.list_runs(owner="alice")] == ["running", "running"]  # 10 s is no outage
    page.stale_after = 5.0
    assert [r.status for r in page.list_runs(owner="alice")] == ["interrupted", "running"]
    assert "Interrupted at step 0" in store.get_run(silent.id).message
    assert store.record(silent.id).status == "interrupted"


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_page_with_the_store_down_shows_a_banner_in_its_language_and_no_traceback(lang, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from lab.i18n import t

    with socket.socket() as s:  # a PostgreSQL that is not there: the connection is refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("RELULAB_DB", f"postgresql+psycopg://relulab:pw@127.0.0.1:{port}/relulab")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params["lang"] = lang
    at.run()
    for page in ("train", "classroom", "draw", "home", "activations", "optimizers"):
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
        banners = [w.value for w in at.warning if w.value == t("outage.banner", lang)]
        assert len(banners) == (1 if page in ("train", "classroom", "draw") else 0), (page, banners)
        assert not [e.value for e in at.error], page  # a store that is away is no error of the page's
