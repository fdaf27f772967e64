"""Cold start and idle memory of `streamlit run app.py` (not part of pytest).

Usage: python bench/startup.py [--runs 3] [--compare REV] [--imports] [--env NAME=VALUE]

Cold start: from the server process's start to (1) /_stcore/health answering, (2) the home page's
HTML served, (3) the home page rendered in Chromium (its title and the sidebar's page links shown;
the browser is started beforehand, so its own start-up is not counted). Idle memory: resident
memory of the server, and of its prewarmed training worker, 10 s after the page rendered.
--compare REV runs the same measures, alternating, on a `git archive` of REV beside this tree and
prints the ratios. --imports also lists which heavy packages the server process has imported.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, LOOPBACK, _free_port, stop_process  # noqa: E402

HEAVY = ("torch", "numpy", "pandas", "pyarrow", "plotly", "PIL", "altair", "lab.engine.data", "lab.engine.train")


def rss(pid: int) -> int:
    """Resident bytes of one process (0 if it has ended)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    """The process's child pids (the server's training workers)."""
    pids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            pids += [int(p) for p in task.read_text().split()]
        except OSError:
            pass
    return pids


def wait_http(url: str, deadline: float) -> float:
    """Poll url until it answers 200; returns the perf_counter time it did."""
    while time.perf_counter() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    resp.read()
                    return time.perf_counter()
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(url)


def measure(browser, tree: Path, env: dict[str, str], imports: bool) -> dict[str, float | str]:
    """One cold start of the app in tree: seconds to health, HTML, rendered page; idle RSS in MB."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    stderr = tempfile.TemporaryFile("w+") if imports else subprocess.DEVNULL
    command = [sys.executable, *(["-X", "importtime"] if imports else []), "-m", "streamlit", "run", "app.py",
               "--server.port", str(port)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(command, cwd=tree, env={**os.environ, "PYTHONPATH": str(tree), **LOOPBACK, **env},
                            stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        health = wait_http(f"{url}/_stcore/health", t0 + 120) - t0
        html = wait_http(f"{url}/", t0 + 120) - t0
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
        page = context.new_page()
        page.goto(f"{url}/?lang=en", timeout=120_000)
        page.get_by_role("heading", name="ReLU").first.wait_for(timeout=120_000)
        page.locator("[data-testid='stSidebarNav'] a", has_text="Train").wait_for(timeout=120_000)
        rendered = time.perf_counter() - t0
        time.sleep(10)  # idle: the prewarmed worker has loaded torch and MNIST by now
        workers = children(proc.pid)
        row: dict[str, float | str] = {
            "health_s": health, "html_s": html, "rendered_s": rendered,
            "server_mb": rss(proc.pid) / 1e6, "workers_mb": sum(rss(p) for p in workers) / 1e6,
            "workers": len(workers)}
        context.close()
    finally:
        stop_process(proc, timeout=20)
    if imports:
        stderr.seek(0)
        names = {line.rsplit("|", 1)[1].strip() for line in stderr if line.startswith("import time:")}
        row["imported"] = " ".join(m for m in HEAVY if m in names) or "-"
    return row


def export(rev: str) -> Path:
    """A clean copy of the tree at rev (git archive), in a temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="relulab-startup-"))
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def main() -> int:
    """Measure, alternating the trees; print medians and ratios against the first."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compare", help="a git revision to measure side by side with this tree")
    parser.add_argument("--imports", action="store_true", help="list the heavy packages the server imported")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the server (repeatable)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    env = dict(item.split("=", 1) for item in args.env)
    trees = {"this tree": ROOT, **({args.compare: export(args.compare)} if args.compare else {})}
    rows: dict[str, list[dict]] = {name: [] for name in trees}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for run in range(args.runs):
            for name, tree in trees.items():
                row = measure(browser, tree, env, args.imports)
                rows[name].append(row)
                shown = (f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items())
                print(f"run {run + 1} {name}: " + ", ".join(shown), flush=True)
        browser.close()
    print(f"\nmedians of {args.runs} runs ({os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}):")
    first = next(iter(rows))
    for key in ("health_s", "html_s", "rendered_s", "server_mb", "workers_mb"):
        line = f"{key:11}" + "".join(f"  {name}: {statistics.median(r[key] for r in rs):7.2f}"
                                     for name, rs in rows.items())
        if len(rows) > 1:
            base = statistics.median(r[key] for r in rows[first])
            other = statistics.median(r[key] for r in rows[list(rows)[1]])
            line += f"  ratio {other / base:.2f}" if base else ""
        print(line)
    if args.imports:
        for name, rs in rows.items():
            print(f"server imported ({name}): {rs[-1]['imported']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
