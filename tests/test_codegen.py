"""'Show as PyTorch code': the script runs as it is and its first cost is the engine's first loss."""

from __future__ import annotations

import gzip
import itertools
import re
import subprocess
import sys

import pytest

from lab.engine.config import ACTIVATION_NAMES, INIT_NAMES, OPTIMIZER_NAMES, PRESETS, RunConfig
from lab.engine.data import BUNDLED_DIR, SHA256_GZ
from lab.engine.optim_table import OPTIMIZERS
from lab.engine.train import Trainer
from lab.lessons.codegen import pytorch_script

RUN_CONFIGS = {
    "lesson-nn": PRESETS["lesson-nn"].replace(train_subset=1000, epochs=1),
    "lesson-softmax": PRESETS["lesson-softmax"].replace(train_subset=1000, epochs=1),
    "sparseadam-augment": RunConfig(activation="sigmoid", init="xavier", optimizer="sparseadam", depth=1,
                                    width=32, batch_size=64, train_subset=500, epochs=1, augment=True),
    "lbfgs-leaky-kaiming": RunConfig(activation="leaky_relu", leaky_slope=0.2, init="kaiming",
                                     optimizer="lbfgs", depth=2, width=32, batch_size=250,
                                     train_subset=500, epochs=1),
}


@pytest.fixture(scope="module")
def mnist_root(tmp_path_factory):
    """torchvision's layout (root/MNIST/raw/<files>) made from the bundled, verified MNIST."""
    root = tmp_path_factory.mktemp("mnist_root")
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for stem in SHA256_GZ:  # torchvision looks for the uncompressed files when it may not download
        (raw / stem).write_bytes(gzip.decompress((BUNDLED_DIR / f"{stem}.gz").read_bytes()))
    return root


def run_script(script: str, root, tmp_path, max_steps: int = 2) -> str:
    """Save and run the generated script in a fresh interpreter; its stdout."""
    path = tmp_path / "relulab_train.py"
    path.write_text(script, encoding="utf-8")
    done = subprocess.run([sys.executable, str(path), "--root", str(root), "--no-download",
                           "--max-steps", str(max_steps)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("name", list(RUN_CONFIGS))
def test_generated_script_runs_and_its_first_loss_matches_the_engine(name, mnist, mnist_root, tmp_path):
    config = RUN_CONFIGS[name]
    out = run_script(pytorch_script(config, label="#1"), mnist_root, tmp_path)
    script_loss = float(re.search(r"^Step: 1 cost = (\S+)$", out, re.M).group(1))
    engine_loss = Trainer(config.replace(device="cpu"), data=mnist).run().steps[0]["loss"]
    assert script_loss == pytest.approx(engine_loss, abs=1e-4)
    assert "Learning finished" in out and re.search(r"^Accuracy: 0\.\d+$", out, re.M)


def test_the_script_reads_like_the_lesson():
    script = pytorch_script(PRESETS["lesson-nn"])
    for line in ("linear1 = torch.nn.Linear(784, 256, bias=True)", "relu = torch.nn.ReLU()",
                 "model = torch.nn.Sequential(linear1, relu, linear2, relu, linear3).to(device)",
                 "criterion = torch.nn.CrossEntropyLoss().to(device)",
                 "optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)",
                 "torch.nn.init.normal_(linear.weight, generator=gen)", "training_epochs = 15",
                 "batch_size = 100", "torch.manual_seed(777)", "cost.backward()"):
        assert line in script
    softmax = pytorch_script(PRESETS["lesson-softmax"])
    assert "model = torch.nn.Sequential(linear).to(device)" in softmax and "ReLU()" not in softmax


def test_optimizer_settings_appear_when_they_differ_from_torch():
    script = pytorch_script(RunConfig(optimizer="sgd", opt_params={"momentum": 0.9, "nesterov": True}))
    assert "torch.optim.SGD(model.parameters(), lr=learning_rate, momentum=0.9, nesterov=True)" in script
    assert "learning_rate = 0.1" in script  # SGD's default lr in ReLU Lab
    lbfgs = pytorch_script(RunConfig(optimizer="lbfgs"))
    assert "max_iter=4" in lbfgs and "history_size=10" in lbfgs and "optimizer.step(closure)" in lbfgs


@pytest.mark.parametrize("optimizer", OPTIMIZER_NAMES)
def test_every_combination_generates_valid_python(optimizer):
    for activation, init, depth in itertools.product(ACTIVATION_NAMES, INIT_NAMES, (0, 3)):
        script = pytorch_script(RunConfig(activation=activation, init=init, depth=depth, optimizer=optimizer,
                                          augment=depth == 3))
        compile(script, f"<{optimizer}-{activation}-{init}-{depth}>", "exec")
        cls = "SparseAdam" if optimizer == "sparseadam" else OPTIMIZERS[optimizer].cls_name
        assert f"torch.optim.{cls}(" in script
