"""`python -m lab bench`: the lesson's own loop against the engine, side by side in one process."""

from __future__ import annotations

import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import torch

from lab.engine.config import RunConfig
from lab.engine.data import BUNDLED_DIR, SHA256_GZ
from lab.engine.events import EpochEnded
from lab.engine.train import Trainer


def add_parser(sub) -> None:
    """Register the bench subcommand."""
    p = sub.add_parser("bench", help="time the engine against the lesson's reference loop")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--epochs", type=int, default=5, help="rounds: engine epochs per variant (median taken)")
    p.add_argument("--reference-epochs", type=int, default=3)
    p.add_argument("--json", type=Path, help="also write the figures as JSON")


def lesson_reference_loop(root: str, device: str, epochs: int) -> list[float]:
    """REFERENCE, kept as the lesson wrote it (lab-10_2): torchvision DataLoader, ToTensor, Adam.

    Returns the seconds of each epoch. Only the timing and the return value are ours.
    """
    import torchvision.datasets as dsets
    import torchvision.transforms as transforms

    learning_rate, batch_size = 0.001, 100
    torch.manual_seed(777)
    mnist_train = dsets.MNIST(root=root, train=True, transform=transforms.ToTensor(), download=False)
    data_loader = torch.utils.data.DataLoader(dataset=mnist_train, batch_size=batch_size,
                                              shuffle=True, drop_last=True)
    linear1 = torch.nn.Linear(784, 256, bias=True)
    linear2 = torch.nn.Linear(256, 256, bias=True)
    linear3 = torch.nn.Linear(256, 10, bias=True)
    relu = torch.nn.ReLU()
    torch.nn.init.normal_(linear1.weight)
    torch.nn.init.normal_(linear2.weight)
    torch.nn.init.normal_(linear3.weight)
    model = torch.nn.Sequential(linear1, relu, linear2, relu, linear3).to(device)
    criterion = torch.nn.CrossEntropyLoss().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    total_batch = len(data_loader)
    seconds = []
    for epoch in range(epochs):
        start = time.perf_counter()
        avg_cost = 0
        for X, Y in data_loader:
            X = X.view(-1, 28 * 28).to(device)
            Y = Y.to(device)
            optimizer.zero_grad()
            hypothesis = model(X)
            cost = criterion(hypothesis, Y)
            cost.backward()
            optimizer.step()
            avg_cost += cost / total_batch
        print('Epoch:', '%04d' % (epoch + 1), 'cost =', '{:.9f}'.format(avg_cost))  # noqa: UP031, UP032 - the lesson's line
        if device == "cuda":
            torch.cuda.synchronize()
        seconds.append(time.perf_counter() - start)
    return seconds


def torchvision_root(tmp: str) -> str:
    """A torchvision MNIST root (MNIST/raw, uncompressed) made from the bundled, verified files."""
    from lab.engine.data import read_verified

    raw = Path(tmp) / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for stem in SHA256_GZ:
        (raw / stem).write_bytes(read_verified(BUNDLED_DIR, stem))
    return tmp


def engine_epochs(device: str, epochs: int, probes: bool, graphs: bool = True) -> list[float]:
    """Seconds per epoch of the engine on the lesson's 3-layer net (test evaluation included)."""
    cfg = RunConfig(activation="relu", depth=2, width=256, init="normal", optimizer="adam", lr=1e-3,
                    batch_size=100, epochs=epochs, device=device, seed=777,
                    log_every=10 if probes else 10**4, probe_every=100 if probes else 10**5)
    seconds: list[float] = []
    record = Trainer(cfg, lambda e: seconds.append(e.seconds) if isinstance(e, EpochEnded) else None,
                     use_graphs=graphs).run()
    if record.status != "finished":
        raise RuntimeError(f"engine run {record.status}: {record.message}")
    return seconds


def machine() -> str:
    """CPU model and cores, or the GPU's name."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    text = f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__}, {torch.get_num_threads()} threads"
    if torch.cuda.is_available():
        text += f", GPU {torch.cuda.get_device_name(0)}"
    return text


def run(args) -> int:
    """Time every variant in this one process, interleaved round by round, and print medians."""
    if args.device == "cuda" and not torch.cuda.is_available():
        print("error: --device cuda but no CUDA GPU is present")
        return 2
    variants = [("engine, probes on", True, True), ("engine, probes off", False, True)]
    if args.device == "cuda":
        variants.append(("engine, probes on, no CUDA graphs", True, False))
    rows: dict[str, list[float]] = {"lesson reference loop": []} | {name: [] for name, _, _ in variants}
    engine_epochs(args.device, 1, True)  # warm-up: first-use allocations and kernel loading
    with tempfile.TemporaryDirectory() as tmp:
        root = torchvision_root(tmp)
        # Round by round (reference, then each engine variant), so that drift in a shared
        # machine's load hits every variant alike; medians over the rounds are reported.
        for round_ in range(max(args.epochs, args.reference_epochs)):
            if round_ < args.reference_epochs:
                rows["lesson reference loop"] += lesson_reference_loop(root, args.device, 1)
            if round_ < args.epochs:
                for name, probes, graphs in variants:
                    rows[name] += engine_epochs(args.device, 1, probes, graphs)
    median = {name: statistics.median(v) for name, v in rows.items()}
    ref, on, off = median["lesson reference loop"], median["engine, probes on"], median["engine, probes off"]
    print(f"\nmachine: {machine()}\ndevice: {args.device}, batch 100, 784-256-256-10 ReLU, Adam\n")
    print(f"{'variant':40} {'s/epoch':>9} {'vs lesson':>10}")
    for name, value in median.items():
        print(f"{name:40} {value:9.3f} {ref / value:9.1f}x")
    print(f"\nengine speed-up over the lesson (probes on): {ref / on:.1f}x")
    print(f"probe cost (probes on vs off): {100 * (on / off - 1):+.1f}%")
    if args.json:
        from lab.draw.modelfile import write_atomic

        payload = {"machine": machine(), "device": args.device, "date": time.strftime("%Y-%m-%d"),
                   "seconds_per_epoch": median, "all_epochs": rows, "speedup": ref / on,
                   "probe_cost": on / off - 1}
        write_atomic(args.json, json.dumps(payload, indent=1).encode())
    return 0

