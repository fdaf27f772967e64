"""The fair queue (lab/runs/queue.py) on SQLite and a real PostgreSQL: who trains next, places, estimated starts,
and no run claimed twice by several servers' workers at once."""

from __future__ import annotations

import threading
import time

from sqlalchemy import update

from lab.engine.config import RunConfig
from lab.runs import schema as S
from lab.runs.queue import WINDOW_S
from lab.runs.store import Store

TINY = RunConfig(depth=1, width=32, epochs=1, train_subset=500, batch_size=50)


def trained_for(store: Store, run_id: str, took: float, ago: float = 0.0, **row) -> None:
    """Record a run as having trained for `took` seconds, ending `ago` seconds back (still training if ago < 0)."""
    now = time.time()
    end = None if ago < 0 else now - ago
    start = (now if end is None else end) - took
    with store.tx() as conn:
        conn.execute(update(S.runs).where(S.runs.c.id == run_id).values(
            status="running" if end is None else "finished", started=start, ended=end, **row))


def test_a_students_first_run_never_waits_behind_another_students_fifth(store_url):
    store = Store(store_url)
    hog = [store.create_run(TINY.replace(seed=i), "hog") for i in range(6)]
    assert store.claim("local").id == hog[0].id
    trained_for(store, hog[0].id, 20.0, ago=-1)  # training for 20 s now
    others = [store.create_run(TINY, o) for o in ("b", "c", "d", "e", "f")]
    places = [store.queue_place(store.get_run(r.id)) for r in others + hog[1:]]
    assert places == list(range(1, 11)), places  # the five newcomers first (oldest first), then the hog's five
    store.end_without_events(hog[0].id, "finished", "done")
    order = [store.claim("local").id for _ in range(3)]
    assert order == [r.id for r in others[:3]]
    # Now b, c, d have trained (a moment each) and the hog 20 s: e and f still come before the hog.
    for run_id in order:
        trained_for(store, run_id, 5.0, ago=0.0)
    assert [store.claim("local").id for _ in range(2)] == [others[3].id, others[4].id]
    for run_id in (others[3].id, others[4].id):
        trained_for(store, run_id, 5.0, ago=0.0)
    assert store.claim("local").id == hog[1].id  # the hog's turn; its runs in the order it queued them


def test_least_training_time_lately_goes_first_and_old_training_is_forgotten(store_url):
    store = Store(store_url)
    busy, old, replayer = (store.create_run(TINY, o) for o in ("busy", "old", "replayer"))
    trained_for(store, busy.id, 300.0, ago=10.0)
    trained_for(store, old.id, 3000.0, ago=WINDOW_S + 1)  # long ago: forgotten
    trained_for(store, replayer.id, 900.0, ago=5.0, replay_of="x" * 22)  # a replay cost nothing
    queued = {o: store.create_run(TINY, o) for o in ("busy", "old", "replayer", "fresh")}
    # busy's run is the oldest of these, yet it goes last; the others, with no time lately, in age order.
    assert [store.queue_place(store.get_run(queued[o].id)) for o in ("busy", "old", "replayer", "fresh")] == \
        [4, 1, 2, 3]
    assert store.claim("local").id == queued["old"].id
    assert store.queue_place(store.get_run(queued["busy"].id)) == 3


def test_a_queued_run_sees_its_place_and_an_estimated_start(store_url):
    store = Store(store_url)
    first = store.create_run(TINY, "a")
    assert store.queue_wait(first) == (1, None)  # no run has finished here yet: no estimate
    trained_for(store, first.id, 10.0, ago=1.0, step=10, seconds=10.0)  # 1 s a step
    running = store.create_run(TINY, "b")
    store.claim("local")
    with store.tx() as conn:
        conn.execute(update(S.runs).where(S.runs.c.id == running.id).values(step=4, total_steps=10))
    waiting = [store.create_run(TINY, o) for o in ("c", "d")]
    assert store.queue_wait(store.get_run(waiting[0].id)) == (1, 6.0)  # the running run's 6 steps left
    assert store.queue_wait(store.get_run(waiting[1].id)) == (2, 16.0)  # and one run of 10 steps ahead
    assert store.queue_wait(store.get_run(running.id)) == (0, None)


def test_several_servers_claiming_at_once_never_claim_a_run_twice(store_url):
    store = Store(store_url)
    made = [store.create_run(TINY.replace(seed=i), f"s{i % 7}") for i in range(30)]
    claimed: list[str] = []
    lock = threading.Lock()

    def worker(server: Store) -> None:
        while (run := server.claim("local")) is not None:
            with lock:
                claimed.append(run.id)
            trained_for(server, run.id, 1.0, ago=-1)  # its owner's time grows: the order moves on

    servers = [Store(store_url) for _ in range(4)]  # four servers, each with its own connections
    threads = [threading.Thread(target=worker, args=(servers[i % 4],)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(claimed) == sorted(r.id for r in made) and len(set(claimed)) == 30
    for server in servers:
        server.engine.dispose()


def test_a_waiting_student_reads_their_place_and_start_in_their_language(store_url):
    from lab.runs.progress import progress_of
    from lab.web.train_form import progress_text

    store = Store(store_url)
    run = store.create_run(TINY, "a")
    waiting = progress_of(run, 2, start_in=65.0)
    assert progress_text(waiting, "#1 relu", "en") == \
        "#1 relu: waiting for a free slot, place 2 in the queue, starts in about 1:05"
    assert progress_text(waiting, "#1 relu", "ko") == "#1 relu: 빈 자리를 기다리는 중, 대기 순서 2번, 약 1:05 뒤 시작"
    assert "starts in" not in progress_text(progress_of(run, 2), "#1 relu", "en")  # no estimate before any run
