"""Shared fixtures: real MNIST, a live `streamlit run` server, and Debian's Chromium via Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHROMIUM = os.environ.get("RELULAB_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
# How many x values the first line of a run chart has, by the chart's meta name: a live run's charts
# are SVG images (data-meta, data-points), a finished run's are Plotly charts (layout.meta).
CHART_POINTS_JS = """(meta) => {
  const svg = document.querySelector(`img[data-meta="${meta}"]`);
  if (svg) return Number(svg.dataset.points || 0);
  const el = [...document.querySelectorAll('.js-plotly-plot')].find(p => p.layout && p.layout.meta === meta);
  return el && el.data && el.data[0] && el.data[0].x ? el.data[0].x.length : 0;
}"""
# Every test (AppTest pages, servers started here, their workers) uses a throw-away run store,
# never the developer's runs/relulab.sqlite3.
TEST_DB_DIR = Path(tempfile.mkdtemp(prefix="relulab-tests-"))
os.environ["RELULAB_DB"] = f"sqlite:///{TEST_DB_DIR / 'runs.sqlite3'}"


@pytest.fixture(scope="session")
def mnist():
    """The bundled, verified MNIST (decoded once)."""
    from lab.engine.data import load_mnist

    return load_mnist()


def wait_until(predicate, timeout: float = 120.0, every: float = 0.05):
    """Poll until predicate() is truthy and return its value; fail (not hang) if it never is."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            pytest.fail(f"condition not reached within {timeout:.0f} s")
        time.sleep(every)
    return value


def _free_port() -> int:
    """An unused TCP port on localhost."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Servers started by tests and benchmarks listen on loopback only. Through the environment, not a
# flag: Streamlit reads STREAMLIT_SERVER_ADDRESS, and the command line stays the README's.
LOOPBACK = {"STREAMLIT_SERVER_ADDRESS": "127.0.0.1"}


def start_streamlit(extra_env: dict[str, str] | None = None, prefix: tuple[str, ...] = (),
                    port: int | None = None) -> tuple[subprocess.Popen, str]:
    """Start `[*prefix] streamlit run app.py` on a free (or this) localhost port; returns (process, base URL)."""
    port = port or _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), **LOOPBACK, **(extra_env or {})}
    # The README's command plus a port: every other setting comes from .streamlit/config.toml,
    # so what the tests run is what users run (tests/test_start_command.py checks it).
    proc = subprocess.Popen(
        [*prefix, sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, 60)
    except (RuntimeError, TimeoutError):
        proc.kill()
        raise
    return proc, url


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float) -> None:
    """Wait until the server at url answers /_stcore/health; RuntimeError if proc exits, TimeoutError if late."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output = proc.stdout.read() if proc.stdout else ""
            raise RuntimeError(f"the server exited early ({proc.returncode}):\n{output}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"the server did not become healthy within {timeout:.0f} s")


@pytest.fixture(scope="module")
def student_browser(browser, tmp_path_factory):
    """The students' Chromium, niced: in class each has a device; here they share 2 cores with the teacher's."""
    wrapper = tmp_path_factory.mktemp("nice") / "chromium"
    wrapper.write_text(f"#!/bin/sh\nexec nice -n 15 {CHROMIUM} \"$@\"\n")
    wrapper.chmod(0o755)
    students = browser.browser_type.launch(executable_path=str(wrapper), args=CHROMIUM_ARGS, headless=True)
    yield students
    students.close()


def stop_process(proc: subprocess.Popen, timeout: float = 10) -> None:
    """Terminate a server process and wait for it; kill it if it has not ended within timeout seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def app_url():
    """Base URL of a live ReLU Lab server for the whole test session."""
    proc, url = start_streamlit()
    yield url
    stop_process(proc, timeout=10)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (its own browser download is not used)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install it (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh browser context and page at a projector-like size."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


def wait_for_app(pg) -> None:
    """Wait until Streamlit has finished its current script run."""
    pg.wait_for_selector("[data-testid='stApp']", timeout=30_000)
    pg.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')",
        timeout=30_000)


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server on a loopback port for the whole session (stopped at the end)."""
    from tests.pg import PostgresServer

    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """A fresh, empty run store: a SQLite file, and a database on the real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'runs.sqlite3'}"
    server = request.getfixturevalue("postgres")
    return server.new_database(f"t_{uuid.uuid4().hex[:12]}")
