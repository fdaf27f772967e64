"""Identical runs train once (lab/runs/replay.py), on SQLite and a real PostgreSQL: a replay of an ended run,
a follower of a run in training, followers that train for real when their original stops, Train it anyway."""

from __future__ import annotations

import threading

import torch

from lab.engine.config import RunConfig
from lab.runs.execute import execute_run
from lab.runs.identity import local_trains_on, run_key
from lab.runs.store import Store
from tests.conftest import wait_until

TINY = RunConfig(depth=1, width=32, epochs=2, train_subset=500, batch_size=50, log_every=1, probe_every=3)
KEY = run_key(TINY, *local_trains_on(TINY, 1))


def trained(store: Store, mnist, owner: str = "alice", config: RunConfig = TINY, **kw):
    """A run of config trained to its end in this process (one thread, as the key says)."""
    run = store.create_run(config, owner, key=run_key(config, *local_trains_on(config, 1)), **kw)
    execute_run(store, run.id, threads=1, data=mnist)
    return store.get_run(run.id)


def untimed(record: dict) -> dict:
    """A record without its clock readings (the seconds a run and each epoch took)."""
    return {**record, "seconds": None, "epochs": [{**e, "seconds": None} for e in record["epochs"]]}


def same_result(store: Store, a: str, b: str, replayed: bool = True) -> None:
    """Two runs' records, metrics and final weights are the same, step by step (a replay: seconds too)."""
    ra, rb = store.record(a).to_dict(), store.record(b).to_dict()
    if not replayed:  # trained twice: the same numbers, in its own time
        ra, rb = untimed(ra), untimed(rb)
    steps = ra["total_steps"]
    assert ra == rb and ra["status"] in ("finished", "diverged") and len(ra["steps"]) == steps >= 20
    wa, wb = store.load_weights(a), store.load_weights(b)
    assert wa[1:] == wb[1:] == ("final", steps) and all(torch.equal(wa[0][k], wb[0][k]) for k in wa[0])
    x, y = store.get_run(a), store.get_run(b)
    assert (x.status, x.step, x.total_steps, x.test_acc, x.final_loss) == \
        (y.status, y.step, y.total_steps, y.test_acc, y.final_loss)
    assert x.seconds == y.seconds or not replayed


def test_an_identical_run_replays_a_finished_one_and_train_it_anyway_trains(store_url, mnist):
    store = Store(store_url)
    original = trained(store, mnist, nickname="Zorro")
    assert original.run_key == KEY and original.replay_of is None  # the key at create held at training
    replay = store.create_run(TINY, "bob", key=KEY, reuse=True, nickname="Bee")
    assert replay.replay_of == original.id and replay.status == "finished" and replay.owner == "bob"
    assert replay.number == 1 and replay.nickname == "Bee" and replay.started and replay.ended
    same_result(store, original.id, replay.id)
    assert store.load() == (0, 0) and store.claim("local") is None  # nothing to train
    # A replay of a replay's source is the original (an original first, then the oldest).
    assert store.create_run(TINY, "carol", key=KEY, reuse=True).replay_of == original.id
    # Its row is its own: deleting the original leaves the replay whole.
    assert store.delete_run(original.id, "alice")
    same_result(store, replay.id, store.create_run(TINY, "dan", key=KEY, reuse=True).id)
    anyway = trained(store, mnist, owner="bob")  # Train it anyway: reuse off
    assert anyway.replay_of is None and anyway.node and anyway.started > replay.created
    same_result(store, replay.id, anyway.id, replayed=False)  # deterministic: the replay was its exact result
    other = store.create_run(TINY.replace(seed=1), "bob", key=run_key(TINY.replace(seed=1), "cpu", 1), reuse=True)
    assert other.replay_of is None and other.status == "queued"  # another seed trains


def test_followers_of_a_queued_and_of_a_training_run_follow_it_live(store_url, mnist):
    store = Store(store_url)
    config = TINY.replace(epochs=8)  # long enough to join while it trains
    key = run_key(config, *local_trains_on(config, 1))
    original = store.create_run(config, "alice", key=key, reuse=True)
    early = store.create_run(config, "bob", key=key, reuse=True)
    assert early.replay_of == original.id and early.status == "queued" and early.started is None
    assert store.queue_place(early) == store.queue_place(original) == 1 and store.load() == (0, 1)
    assert store.claim("local").id == original.id and store.claim("local") is None  # followers are never claimed
    assert store.get_run(early.id).status == "running" and store.get_run(early.id).started
    late: list = []

    def join_when_training() -> None:
        wait_until(lambda: store.get_run(original.id).step > 0, timeout=60, every=0.005)
        late.append(store.create_run(config, "carol", key=key, reuse=True))

    joiner = threading.Thread(target=join_when_training)
    joiner.start()
    execute_run(store, original.id, threads=1, data=mnist, claimed=True)
    joiner.join()
    assert late and late[0].replay_of == original.id and late[0].status == "running"  # joined mid-run
    assert 0 < late[0].step < store.get_run(original.id).step
    for follower in (early, late[0]):
        same_result(store, original.id, follower.id)
    assert store.record(late[0].id, upto=3).to_dict() != store.record(late[0].id).to_dict()  # played back in part


def test_followers_train_for_real_when_their_original_stops(store_url, mnist):
    store = Store(store_url)
    original = store.create_run(TINY, "alice", key=KEY, reuse=True)
    first, second = (store.create_run(TINY, o, key=KEY, reuse=True) for o in ("bob", "carol"))
    third = store.create_run(TINY, "dan", key=KEY, reuse=True)
    assert store.request_stop(third.id, "dan") and store.get_run(third.id).status == "stopped"  # only itself
    assert store.get_run(original.id).status == "queued"
    store.claim("local", original.id)
    store.request_stop(original.id, "alice")
    execute_run(store, original.id, threads=1, data=mnist, claimed=True)
    assert store.get_run(original.id).status == "stopped"
    lead, follower = store.get_run(first.id), store.get_run(second.id)
    assert (lead.status, lead.replay_of, lead.step) == ("queued", None, 0)
    assert (follower.status, follower.replay_of) == ("queued", first.id)
    assert store.load_weights(first.id) is None and store.claim("local").id == first.id
    execute_run(store, first.id, threads=1, data=mnist, claimed=True)
    same_result(store, first.id, second.id)
    assert store.record(first.id).to_dict() == Store(store.url).record(first.id).to_dict()  # a fresh fold agrees


def test_followers_of_a_run_that_died_train_for_real(store_url):
    store = Store(store_url)
    original = store.create_run(TINY, "alice", key=KEY, reuse=True)
    follower = store.create_run(TINY, "bob", key=KEY, reuse=True)
    store.claim("local", original.id)
    assert store.load_weights(follower.id) is None and not store.has_weights([follower.id])
    store.save_weights(original.id, {"w": torch.ones(2)}, 5)  # a checkpoint: the Draw page's live model
    weights, kind, step = store.load_weights(follower.id)  # a live follower draws with its original's
    assert torch.equal(weights["w"], torch.ones(2)) and (kind, step) == ("checkpoint", 5)
    assert store.has_weights([follower.id, original.id]) == {follower.id, original.id}
    assert store.end_without_events(original.id, "interrupted", "the server stopped")  # what recover() does
    again = store.get_run(follower.id)
    assert (again.status, again.replay_of) == ("queued", None) and store.claim("local").id == follower.id


def test_a_run_queued_under_a_key_it_does_not_train_with_frees_its_followers(store_url, mnist):
    store = Store(store_url)
    wrong = run_key(TINY, "cuda", 1)  # e.g. queued for a GPU that the node it landed on did not have
    original = store.create_run(TINY, "alice", key=wrong)
    follower = store.create_run(TINY, "bob", key=wrong, reuse=True)
    assert follower.replay_of == original.id
    execute_run(store, original.id, threads=1, data=mnist)
    assert store.get_run(original.id).run_key == KEY
    assert store.get_run(follower.id).status == "queued" and store.get_run(follower.id).replay_of is None


def test_followers_left_behind_by_a_crash_are_settled(store_url, mnist):
    store = Store(store_url)
    original = trained(store, mnist)
    follower = store.create_run(TINY, "bob", key=KEY, reuse=True)
    assert follower.status == "finished"
    # As if the original's end had been written while the follower's row missed it:
    from sqlalchemy import update

    from lab.runs import schema as S
    with store.tx() as conn:
        conn.execute(update(S.runs).where(S.runs.c.id == follower.id).values(status="running", replay_of=original.id))
    assert store.settle_replays() == 1 and store.get_run(follower.id).status == "finished"
    same_result(store, original.id, follower.id)


def test_a_replay_plays_back_at_the_originals_pace(store_url, mnist):
    from sqlalchemy import update

    from lab.runs import schema as S
    from lab.runs.playback import frame

    store = Store(store_url)
    original = trained(store, mnist)
    with store.tx() as conn:  # as if it had taken 100 s: 5 s a step
        conn.execute(update(S.runs).where(S.runs.c.id == original.id).values(seconds=100.0))
    replay = store.create_run(TINY, "bob", key=KEY, reuse=True)
    start = replay.started
    assert frame(store, replay, now=start).step == 0
    half = frame(store, replay, now=start + 50.0)
    assert half.step == 10 and not half.done
    shown = store.record(replay.id, upto=half.seq)
    assert [s["step"] for s in shown.steps] == list(range(1, 11)) and len(shown.epochs) == 1
    assert shown.status == "running" and shown.activations == [a for a in store.record(replay.id).activations
                                                               if a["step"] <= 10]
    late = frame(store, replay, now=start + 99.0)
    assert late.step == 19 and store.record(replay.id, upto=late.seq).status == "running"  # its end not yet
    assert frame(store, replay, now=start + 100.0).done
    assert frame(store, original).done and frame(store, original).seq is None  # a trained run is shown whole
