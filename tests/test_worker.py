"""The background worker: events in order, Stop within one step, release ends runs, the queue is fair."""

from __future__ import annotations

import io
import time

import pytest
import torch

from lab.config import RunConfig
from lab.events import ActivationsProbed, EpochEnded, RunEnded, RunStarted, StepsLogged
from lab.i18n import t
from lab.modelfile import load_model_bytes, model_bytes
from lab.models import build_from_config, model_from_state_dict
from lab.runqueue import cpu_count, default_limit
from lab.train_form import end_message, progress_text
from lab.worker import RunQueue, SessionRuns, TrainJob

TINY = RunConfig(depth=1, width=32, epochs=2, train_subset=500, batch_size=50, log_every=1, probe_every=3)
LONG = RunConfig(depth=2, width=256, epochs=50)  # far longer than any test waits: always stopped


def wait_until(predicate, timeout: float = 60.0) -> None:
    """Poll until predicate() holds; fail (not hang) if it never does."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail("condition not reached")
        time.sleep(0.02)


def test_events_arrive_in_order_and_the_view_matches_the_record(mnist):
    runs = SessionRuns(queue=RunQueue(limit=1, threads_per_run=1))
    job = runs.start(TINY)
    assert job.join(timeout=120)
    events, cursor = job.buffer.since(0)
    assert cursor == len(events) and isinstance(events[0], RunStarted) and isinstance(events[-1], RunEnded)
    assert sum(isinstance(e, (RunStarted, RunEnded)) for e in events) == 2
    steps = [s for e in events if isinstance(e, StepsLogged) for s in e.steps]
    assert steps == list(range(1, 21))  # 500 images / 50 per batch x 2 epochs, every step logged
    assert [e.epoch for e in events if isinstance(e, EpochEnded)] == [1, 2]
    probes = [e.step for e in events if isinstance(e, ActivationsProbed)]
    assert probes == sorted(probes) and probes[0] == 1
    # Epoch 1 ends after its last step (10) is published and before step 11 is.
    first_epoch_at = next(i for i, e in enumerate(events) if isinstance(e, EpochEnded))
    published_before = [s for e in events[:first_epoch_at] if isinstance(e, StepsLogged) for s in e.steps]
    assert max(published_before) == 10
    view, record = job.view(), job.trainer.record
    assert view.steps == record.steps and view.epochs == record.epochs and view.status == "finished"
    assert job.buffer.since(cursor) == ([], cursor)  # nothing after RunEnded
    (entry,) = runs.history.entries()
    assert entry.status == "finished" and entry.metrics()["steps"] == 20
    assert entry.metrics()["test_acc"] == record.epochs[-1]["test_acc"]


def test_stop_ends_the_run_within_one_step_and_keeps_the_weights(mnist):
    runs = SessionRuns(queue=RunQueue(limit=1, threads_per_run=1))
    job = runs.start(LONG)
    initial = build_from_config(LONG).state_dict()
    wait_until(lambda: job.trainer.step >= 30)
    step_at_stop = job.trainer.step
    started = time.perf_counter()
    job.stop()
    assert job.join(timeout=30), "the worker did not end after Stop"
    seconds = time.perf_counter() - started
    print(f"stop took {seconds * 1000:.0f} ms (step {step_at_stop} -> {job.trainer.step})")
    assert job.ended.status == "stopped"
    assert step_at_stop <= job.trainer.step <= step_at_stop + 1  # at most the step in flight
    (entry,) = runs.history.entries()
    learned = entry.source.snapshot()
    assert not torch.equal(learned["fc1.weight"], initial["fc1.weight"])  # it kept what it learned
    assert not entry.source.live
    model, meta = load_model_bytes(model_bytes(learned, "relu", 0.01, {"label": entry.label}))
    assert meta["label"] == entry.label and torch.equal(model.fc1.weight, learned["fc1.weight"])
    payload = torch.load(io.BytesIO(model_bytes(learned, "relu")), weights_only=True)
    assert torch.equal(payload["state_dict"]["out.bias"], learned["out.bias"])


def test_model_source_gives_consistent_weights_while_training(mnist):
    runs = SessionRuns(queue=RunQueue(limit=1, threads_per_run=1))
    job = runs.start(LONG)
    wait_until(lambda: job.trainer.step >= 5)
    assert job.source.live and job.source.label == job.label
    model = model_from_state_dict(job.source.snapshot(), "relu")  # taken mid-training
    x = mnist.test_images[:100].float() / 255
    assert model(x).shape == (100, 10) and torch.isfinite(model(x)).all()
    runs.release()
    assert runs.join(timeout=30) and not job.source.live


def test_releasing_a_session_ends_its_running_and_queued_runs(mnist):
    queue = RunQueue(limit=1, threads_per_run=1)
    tab = SessionRuns(queue=queue)
    running = tab.start(LONG)
    queued = tab.start(TINY)
    wait_until(lambda: running.state == "running")
    assert queued.state == "queued" and queued.progress().place == 1
    tab.release()  # what the session-scoped resource's on_release does when the tab closes
    assert tab.join(timeout=30), "a worker outlived its session"
    assert running.ended.status == "stopped" and queued.ended is None  # the queued one never trained
    assert [e.label for e in tab.history.entries()] == [running.label]
    assert tab.start(TINY) is None  # a released session takes no new runs
    assert queue.load() == (0, 0)


def test_queue_is_fifo_and_survives_a_session_released_while_waiting(mnist):
    queue = RunQueue(limit=1, threads_per_run=1)
    first, second, third = (SessionRuns(queue=queue) for _ in range(3))
    long_job = first.start(LONG)
    wait_until(lambda: long_job.state == "running")
    waiting_job = second.start(TINY)
    last_job = third.start(TINY)
    assert (waiting_job.progress().place, last_job.progress().place) == (1, 2)
    assert queue.load() == (1, 2)
    second.release()  # this tab closes while its run waits
    assert second.join(timeout=30)
    wait_until(lambda: last_job.progress().place == 1)
    first.stop_all()
    assert third.join(timeout=120), "the queue lost or deadlocked the last run"
    assert last_job.ended.status == "finished" and queue.load() == (0, 0)
    assert len(second.history) == 0 and len(third.history) == 1


def test_a_diverging_run_reports_diverged_with_a_hint(mnist):
    runs = SessionRuns(queue=RunQueue(limit=1, threads_per_run=1))
    config = RunConfig(optimizer="sgd", lr=1e4, init="normal", depth=2, width=64, train_subset=1000,
                       epochs=1, log_every=1)
    job = runs.start(config)
    assert job.join(timeout=60)
    assert job.ended.status == "diverged" and job.ended.step >= 1
    level, text = end_message(job.ended, config, None, "en")
    assert level == "error" and f"step {job.ended.step}" in text and "Lower the learning rate" in text
    assert "1000" in text and "Traceback" not in text  # the hint: 10x lower than 10000
    ko = end_message(job.ended, config, None, "ko")[1]
    assert "발산" in ko and ko != text
    (entry,) = runs.history.entries()
    assert entry.status == "diverged"


def test_progress_reports_queue_place_then_epoch_step_and_eta(mnist):
    queue = RunQueue(limit=1, threads_per_run=1)
    runs = SessionRuns(queue=queue)
    long_job = runs.start(LONG)
    queued = runs.start(TINY)
    wait_until(lambda: long_job.trainer.step >= 40)
    p = long_job.progress()
    assert p.state == "running" and p.total_steps == 600 * 50 and p.epoch == 1 and p.eta is not None
    assert 0 < p.fraction < 1
    q = queued.progress()
    assert q.state == "queued" and q.place == 1
    assert progress_text(q, "x", "en") == t("train.queued", "en", label="x", place=1)
    assert "epoch 1/50" in progress_text(p, "x", "en")
    runs.release()
    assert runs.join(timeout=30)


def test_limits_follow_the_cores_and_the_environment(monkeypatch):
    monkeypatch.setenv("RELULAB_MAX_RUNS", "3")
    assert default_limit() == 3 and RunQueue().limit == 3
    monkeypatch.delenv("RELULAB_MAX_RUNS")
    queue = RunQueue()
    assert queue.limit >= 1 and queue.threads_per_run >= 1
    assert queue.limit * queue.threads_per_run <= max(1, cpu_count())


def test_a_session_caps_its_active_runs(mnist):
    runs = SessionRuns(queue=RunQueue(limit=1, threads_per_run=1), max_active=2)
    jobs = [runs.start(LONG), runs.start(LONG)]
    assert all(isinstance(j, TrainJob) for j in jobs) and runs.start(LONG) is None
    runs.release()
    assert runs.join(timeout=30)
