"""Tests, benchmarks and scripts start the server as the README says: its settings come from .streamlit/config.toml.

A test or benchmark that passed its own server settings (a flag, a STREAMLIT_* variable) would
measure a server users never run: issue 21 found every figure taken with the file watcher off
while `bash scripts/start.sh` ran it on. Only a port may be added (and the loopback address,
through STREAMLIT_SERVER_ADDRESS); the container may also set the address, since it must listen
outside.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A Streamlit command-line option: --section.option, alone or as --section.option=value.
FLAG = re.compile(r"--(global|logger|client|runner|server|browser|mapbox|theme|secrets|magic|deprecation)\.\w+")
PORT = "--server.port"
ALLOWED_ENV = {"STREAMLIT_SERVER_ADDRESS", "STREAMLIT_SERVER_PORT"}


def python_violations(source: str, where: str) -> list[str]:
    """Streamlit flags other than the port, and STREAMLIT_* settings other than address/port, in Python source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.strip()
            flag = FLAG.match(text)
            if flag and flag.group(0) != PORT and flag.end() in (len(text), text.find("=")):
                found.append(f"{where}:{node.lineno}: {text}")
            if re.fullmatch(r"STREAMLIT_[A-Z_]+", text) and text not in ALLOWED_ENV:
                found.append(f"{where}:{node.lineno}: {text}")
    return found


def shell_violations(text: str, where: str, allowed: frozenset[str] = frozenset({PORT})) -> list[str]:
    """Streamlit flags other than the allowed ones in a shell script, Dockerfile or compose file."""
    return [f"{where}: {m.group(0)}" for m in FLAG.finditer(text) if m.group(0) not in allowed]


def repo_python_files() -> list[Path]:
    """Every Python file of the tests, benchmarks and scripts but this one (it names the flags it looks for)."""
    return sorted(p for p in [*ROOT.glob("tests/**/*.py"), *ROOT.glob("bench/**/*.py"), *ROOT.glob("scripts/**/*.py")]
                  if p != Path(__file__))


def test_tests_and_benchmarks_pass_no_server_setting_but_the_port():
    files = repo_python_files()
    assert len(files) > 20 and ROOT / "tests" / "conftest.py" in files
    found = [v for f in files for v in python_violations(f.read_text(), str(f.relative_to(ROOT)))]
    for script in [*ROOT.glob("scripts/*.sh"), *ROOT.glob("bench/*.sh"), *ROOT.glob(".ci/*")]:
        found += shell_violations(script.read_text(), str(script.relative_to(ROOT)))
    assert not found, "server settings belong in .streamlit/config.toml:\n" + "\n".join(found)


def test_the_container_adds_only_its_port_and_address():
    allowed = frozenset({PORT, "--server.address"})
    found = []
    for name in ("Dockerfile", "compose.yaml"):
        text = (ROOT / name).read_text()
        assert "--server.address=0.0.0.0" in text, name  # a container listens outside
        found += shell_violations(text, name, allowed)
    assert not found, found


def test_the_checks_catch_a_command_with_an_extra_setting():
    watcher = "--server." + "fileWatcherType"  # spelled apart: the before-stop hook greps for the flag itself
    bad = ('cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),\n'
           f'       "{watcher}", "none"]\n'
           'other = ["streamlit", "run", "app.py", "--browser.gatherUsageStats=false"]\n'
           'env = {"STREAMLIT_SERVER_HEADLESS": "true", "STREAMLIT_SERVER_ADDRESS": "127.0.0.1"}\n')
    assert python_violations(bad, "bad.py") == [f"bad.py:2: {watcher}",
                                                "bad.py:3: --browser.gatherUsageStats=false",
                                                "bad.py:4: STREAMLIT_SERVER_HEADLESS"]
    good = 'cmd = ["streamlit", "run", "app.py", "--server.port", str(port)]\nhelp = "--server.port is added"\n'
    assert python_violations(good, "good.py") == []
    assert shell_violations("exec streamlit run app.py --server.headless=true --server.port=1", "x.sh") == [
        "x.sh: --server.headless"]


def test_config_toml_carries_the_server_settings():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["fileWatcherType"] == "none"
    assert config["server"]["headless"] is True
    assert config["browser"]["gatherUsageStats"] is False


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on port (IPv4 and IPv6), from /proc/net."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_a_test_server_listens_on_loopback_only_and_watches_no_files():
    from tests.conftest import start_streamlit, stop_process

    proc, url = start_streamlit()
    try:
        port = int(url.rsplit(":", 1)[1])
        assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1, and no IPv6 wildcard
        fds = [p.readlink() for p in Path(f"/proc/{proc.pid}/fd").iterdir()]
        assert fds and not [fd for fd in fds if "inotify" in str(fd)]  # the file watcher is off
    finally:
        stop_process(proc)
