"""GPU checks for one device-tool session: graphs vs eager losses, divergence, stop, accuracy."""

import json
import os
import sys
import threading
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from lab.engine.config import PRESETS, RunConfig  # noqa: E402
from lab.engine.events import StepsLogged  # noqa: E402
from lab.engine.train import Trainer, train  # noqa: E402

out = {"torch": torch.__version__, "gpu": torch.cuda.get_device_name(0), "checks": {}}
print(out, flush=True)
for opt in ["adam", "sgd", "rmsprop", "adamw", "nadam", "sparseadam"]:
    cfg = RunConfig(optimizer=opt, train_subset=10000, epochs=2, log_every=1, device="cuda")
    t0 = time.perf_counter()
    g = train(cfg, use_graphs=True)
    t1 = time.perf_counter()
    e = train(cfg, use_graphs=False)
    t2 = time.perf_counter()
    diff = max(abs(a["loss"] - b["loss"]) for a, b in zip(g.steps, e.steps))
    row = {"graph_status": g.status, "eager_status": e.status, "note": g.device_note,
           "max_loss_diff": diff, "n_steps": len(g.steps), "graph_s": t1 - t0, "eager_s": t2 - t1,
           "acc": [g.final_test_acc, e.final_test_acc]}
    out["checks"][opt] = row
    print(opt, row, flush=True)

div = train(RunConfig(optimizer="sgd", lr=1e3, epochs=1, device="cuda"))
out["diverge"] = [div.status, div.message]
print("diverge", out["diverge"], flush=True)

stop = threading.Event()
tr = Trainer(RunConfig(epochs=3, log_every=1, device="cuda"),
             lambda ev: stop.set() if isinstance(ev, StepsLogged) and ev.steps[-1] >= 120 else None,
             stop_event=stop)
rec = tr.run()
out["stop"] = [rec.status, tr.step, rec.message]
print("stop", out["stop"], flush=True)

for name, cfg in [("relu-default-15", RunConfig(epochs=15, device="cuda")),
                  ("lesson-nn", PRESETS["lesson-nn"].replace(device="cuda")),
                  ("lesson-softmax", PRESETS["lesson-softmax"].replace(device="cuda"))]:
    t0 = time.perf_counter()
    r = train(cfg)
    out[name] = {"status": r.status, "accs": [e["test_acc"] for e in r.epochs],
                 "epoch_s": [round(e["seconds"], 3) for e in r.epochs], "wall": time.perf_counter() - t0,
                 "note": r.device_note}
    print(name, out[name], flush=True)

with open(os.path.join(os.environ.get("OUT", "/tmp"), "cuda_check.json"), "w") as f:
    json.dump(out, f, indent=1)
