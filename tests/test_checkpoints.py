"""Checkpoints while a run trains: copied on the training thread, so the store's writer runs no torch op.

Issue 21: the writer thread called trainer.snapshot(), a torch op on a second thread; that thread
got OpenMP threads of its own, and every epoch after the first checkpoint took twice as long.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import torch

from lab.engine.config import RunConfig
from lab.engine.events import StepsLogged
from lab.engine.models import build_from_config, plain_state_dict
from lab.engine.train import Trainer
from lab.runs.execute import StoreWriter, execute_run
from lab.runs.store import Store
from tests.conftest import ROOT

# 20 steps an epoch
CFG = RunConfig(depth=2, width=32, epochs=3, train_subset=2000, log_every=1, probe_every=7, device="cpu")


def test_a_checkpoint_is_copied_on_the_training_thread_between_steps(mnist):
    handed: list[tuple[int, int, dict]] = []
    reached, asked = threading.Event(), threading.Event()

    def on_event(event):  # the trainer waits at the end of epoch 1 (step 20) until asked
        if isinstance(event, StepsLogged) and event.steps[-1] == 20:
            reached.set()
            asked.wait(60)

    trainer = Trainer(CFG, on_event, data=mnist,
                      on_checkpoint=lambda w, step: handed.append((threading.get_ident(), step, w)))
    trainer.request_checkpoint()  # before the first step: the initial weights, at step 0
    box: dict = {}
    runner = threading.Thread(target=lambda: box.update(record=trainer.run()))
    runner.start()
    assert reached.wait(60)
    trainer.request_checkpoint()  # from another thread, mid-run
    asked.set()
    runner.join(120)
    assert box["record"].status == "finished" and len(handed) == 2
    assert {ident for ident, _, _ in handed} == {runner.ident}  # never on the asking thread
    (_, first_step, first), (_, later_step, later) = handed
    initial = plain_state_dict(build_from_config(CFG))
    assert first_step == 0 and all(torch.equal(first[k], initial[k]) for k in initial)
    # The weights after exactly 20 steps, as a run that stops there has them, on the CPU.
    one_epoch = Trainer(CFG.replace(epochs=1), data=mnist)
    one_epoch.run()
    after_20 = one_epoch.snapshot()
    assert later_step == 20 and set(later) == set(after_20)
    assert all(torch.equal(later[k], after_20[k]) for k in after_20)
    assert not torch.equal(later["fc1.weight"], initial["fc1.weight"])


def test_a_run_through_the_store_trains_exactly_as_the_bare_trainer(mnist, tmp_path, monkeypatch):
    monkeypatch.setattr("lab.runs.execute.CHECKPOINT_S", 0.0)  # ask for weights at every batch written
    saved, real = [], StoreWriter.take_checkpoint

    def counting(self, weights, step):
        saved.append(step)
        real(self, weights, step)

    monkeypatch.setattr(StoreWriter, "take_checkpoint", counting)
    store = Store(f"sqlite:///{tmp_path / 'runs.sqlite3'}")
    run = store.create_run(CFG, "alice")
    execute_run(store, run.id, data=mnist)
    stored = store.record(run.id)  # read back from the store
    bare = Trainer(CFG, data=mnist)
    bare_record = bare.run()
    assert len(saved) >= 3 and saved == sorted(saved)  # checkpoints were taken while it trained
    assert stored.status == bare_record.status == "finished"
    assert stored.steps == bare_record.steps and stored.activations == bare_record.activations
    assert [(e["train_loss"], e["test_acc"]) for e in stored.epochs] == [
        (e["train_loss"], e["test_acc"]) for e in bare_record.epochs]
    weights, kind, step = store.load_weights(run.id)
    final = bare.snapshot()
    assert kind == "final" and step == bare.step and all(torch.equal(weights[k], final[k]) for k in final)


# In a fresh interpreter: the process's threads while a run trains through the store with 2 torch
# threads, against the same process before the run (the main thread's OpenMP team already started).
THREADS_SCRIPT = """
import os, sys, tempfile, torch
import lab.runs.execute as ex
from lab.engine.config import RunConfig
from lab.engine.events import StepsLogged
from lab.engine.data import load_mnist
from lab.runs.store import Store
ex.CHECKPOINT_S = 0.0
torch.set_num_threads(2)
torch.ones(300, 300) @ torch.ones(300, 300)
count = lambda: len(os.listdir('/proc/self/task'))
data, before = load_mnist(), count()
store = Store(f"sqlite:///{tempfile.mkdtemp()}/t.sqlite3")
run = store.create_run(RunConfig(depth=1, width=64, epochs=3, train_subset=3000), "t")
during, handed, call, take = [], [], ex.StoreWriter.__call__, ex.StoreWriter.take_checkpoint
ex.StoreWriter.__call__ = lambda self, event: (during.append(count()), call(self, event))
ex.StoreWriter.take_checkpoint = lambda self, w, step: (handed.append(step), take(self, w, step))
ex.execute_run(store, run.id, data=data)
print(before, max(during), len(handed), store.get_run(run.id).status)
"""


def test_the_store_writer_starts_no_openmp_threads():
    out = subprocess.run([sys.executable, "-c", THREADS_SCRIPT], cwd=ROOT, capture_output=True, text=True,
                         timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    before, during, handed, status = out.stdout.split()
    # One thread more while it trains: the writer itself. A torch op on the writer (the old
    # snapshot()) gave it an OpenMP thread too: 2 more.
    assert status == "finished" and int(handed) >= 3
    assert int(during) == int(before) + 1, (before, during)
