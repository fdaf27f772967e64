"""Which torch each requirements file installs, resolved by real pip and uv against a local index.

A loopback HTTP server plays both PyPI (a PEP 503 simple tree) and PyTorch's CPU pages (a link list
like download.pytorch.org/whl/cpu/torch/, `+` written as %2B). They hold FAKE minimal wheels: PyPI's
torch 2.14.1 needs the CUDA stack (fake nvidia-cublas and triton, as on Linux x86_64), the
CPU page's torch 2.14.1+cpu needs nothing of it. Like the real CPU index, /whl/cpu/ also mirrors an
old numpy: used as an extra index, uv (first index that has a package wins) would take it from there.
The files' URLs are rewritten to the server.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import zipfile
from functools import partial
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PYTORCH = "https://download.pytorch.org"
CUDA_STACK = ("nvidia-cublas", "triton")  # as PyPI's torch 2.14.1 (+cu130) needs them
# What each fake's metadata requires; everything else needs nothing.
REQUIRES = {("torch", "2.14.1"): [f"{name}==1.0" for name in CUDA_STACK] + ["filelock"],
            ("torch", "2.14.1+cpu"): ["filelock"],
            ("torchvision", "0.29.1"): ["torch==2.14.1"],
            ("torchvision", "0.29.1+cpu"): ["torch==2.14.1"]}


def fake_wheel(folder: Path, name: str, version: str, requires: list[str]) -> Path:
    """Write a minimal valid py3-none-any wheel (METADATA, WHEEL, RECORD) and return its path."""
    stem = f"{str(canonicalize_name(name)).replace('-', '_')}-{version}"
    path = folder / f"{stem}-py3-none-any.whl"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    files = {f"{stem}.dist-info/METADATA": metadata + "".join(f"Requires-Dist: {r}\n" for r in requires),
             f"{stem}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: fake\nRoot-Is-Purelib: true\n"
                                        "Tag: py3-none-any\n"}
    record = [f"{n},sha256={b64_sha256(t.encode())},{len(t.encode())}" for n, t in files.items()]
    files[f"{stem}.dist-info/RECORD"] = "\n".join([*record, f"{stem}.dist-info/RECORD,,"]) + "\n"
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for n, t in files.items():
            zf.writestr(n, t)
    return path


def b64_sha256(data: bytes) -> str:
    """A RECORD file's hash: urlsafe base64 of the sha256, no padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def link(path: Path, href_dir: str) -> str:
    """An anchor to a wheel with its sha256, as index pages write it (+ quoted as %2B)."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return f'<a href="{href_dir}{path.name.replace("+", "%2B")}#sha256={digest}">{path.name}</a><br>\n'


def requirements_in(path: Path) -> list[Requirement]:
    """The requirements of a file and the files it includes with -r."""
    found: list[Requirement] = []
    for line in path.read_text().splitlines():
        line = line.split(" #")[0].strip()
        if line.startswith("-r"):
            found += requirements_in(path.parent / line[2:].strip())
        elif line and not line.startswith(("#", "-")):
            found.append(Requirement(line))
    return found


def version_for(req: Requirement) -> str:
    """A version the requirement's specifier allows, taken from the specifier itself."""
    for spec in req.specifier:
        candidate = spec.version.removesuffix(".*")
        if req.specifier.contains(candidate, prereleases=True):
            return candidate
    return "1.0"


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """Serve fake PyPI at /simple/ and fake PyTorch CPU pages at /whl/cpu/ on loopback; yield the URL."""
    web = tmp_path_factory.mktemp("web")
    releases: dict[str, set[str]] = {name: {"1.0"} for name in (*CUDA_STACK, "filelock")}
    for file in ("requirements.txt", "requirements-dev.txt"):
        for req in requirements_in(ROOT / file):
            if req.name not in ("torch", "torchvision"):
                releases.setdefault(str(canonicalize_name(req.name)), set()).add(version_for(req))
    releases["torch"], releases["torchvision"] = {"2.14.1"}, {"0.29.1"}
    for name, versions in releases.items():  # PyPI: /simple/<name>/ links to /files/
        anchors = "".join(link(fake_wheel(web / "files", name, v, REQUIRES.get((name, v), [])), "/files/")
                          for v in sorted(versions, key=Version))
        (web / "simple" / name).mkdir(parents=True)
        (web / "simple" / name / "index.html").write_text(f"<html><body>\n{anchors}</body></html>\n")
    for name, version in (("torch", "2.14.1+cpu"), ("torchvision", "0.29.1+cpu"), ("numpy", "1.26.3")):
        wheel = fake_wheel(web / "whl" / "cpu", name, version, REQUIRES.get((name, version), []))
        (web / "whl" / "cpu" / name).mkdir(parents=True)
        (web / "whl" / "cpu" / name / "index.html").write_text(link(wheel, "/whl/cpu/"))

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            """No access log in the test output."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(web)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def checkout(tmp_path, index):
    """A copy of the requirements files with PyTorch's host rewritten to the local server."""
    for file in ("requirements.txt", "requirements-dev.txt"):
        (tmp_path / file).write_text((ROOT / file).read_text().replace(PYTORCH, index))
    shutil.copytree(ROOT / "requirements", tmp_path / "requirements")
    for file in (tmp_path / "requirements").glob("*.txt"):
        file.write_text(file.read_text().replace(PYTORCH, index))
    return tmp_path


def hermetic_env(tmp_path: Path) -> dict[str, str]:
    """No pip/uv configuration of this machine (its torch cap, its local wheel folders, its indexes)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    return {**env, "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
            "UV_NO_CONFIG": "1", "UV_CACHE_DIR": str(tmp_path / "uv-cache"), "XDG_CONFIG_HOME": str(tmp_path)}


def pip_resolve(checkout: Path, index: str, file: str) -> dict[str, str]:
    """name -> version (and url under key name+'@') that `pip install --dry-run --report` picks."""
    report = checkout / "report.json"
    pip = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "-q", "--no-cache-dir"]
    done = subprocess.run([*pip, "--report", str(report), "--index-url", f"{index}/simple/", "-r", file],
                          cwd=checkout, env=hermetic_env(checkout), timeout=120, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    picked: dict[str, str] = {}
    for item in json.loads(report.read_text())["install"]:
        name = str(canonicalize_name(item["metadata"]["name"]))
        picked[name], picked[name + "@"] = item["metadata"]["version"], item["download_info"]["url"]
    return picked


def uv_resolve(checkout: Path, index: str, file: str) -> dict[str, str]:
    """name -> version that `uv pip install --dry-run` would install into an empty venv."""
    uv = [sys.executable, "-m", "uv"]
    env = hermetic_env(checkout)
    subprocess.run([*uv, "venv", "--quiet", "--python", sys.executable, str(checkout / "venv")],
                   env=env, check=True, timeout=60)
    out = subprocess.run([*uv, "pip", "install", "--dry-run", "--python", str(checkout / "venv/bin/python"),
                          "--index-url", f"{index}/simple/", "-r", file],
                         cwd=checkout, env=env, timeout=120, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    # uv says "Would install N packages" then one " + name==version" line per package (on stderr).
    return {str(canonicalize_name(m[1])): m[2]
            for m in re.finditer(r"^ \+ ([A-Za-z0-9_.-]+)==(\S+)$", out.stderr + out.stdout, re.M)}


@pytest.mark.parametrize("resolve", [pip_resolve, uv_resolve], ids=["pip", "uv"])
def test_cloud_file_installs_cpu_torch_and_no_cuda(checkout, index, resolve):
    picked = resolve(checkout, index, "requirements.txt")
    assert picked["torch"] == "2.14.1+cpu" and picked["torchvision"] == "0.29.1+cpu"
    assert not [name for name in picked if name.startswith(("nvidia", "triton"))], picked
    assert {"streamlit", "plotly", "pandas", "numpy", "pillow", "filelock"} <= picked.keys()
    assert picked["numpy"] == "2"  # PyPI's, not the CPU index's old copy
    if resolve is pip_resolve:
        assert picked["torch@"].startswith(f"{index}/whl/cpu/")
        assert picked["numpy@"].startswith(f"{index}/files/")  # everything else from PyPI


@pytest.mark.parametrize("resolve", [pip_resolve, uv_resolve], ids=["pip", "uv"])
@pytest.mark.parametrize("file", ["requirements/local.txt", "requirements-dev.txt"])
def test_local_files_install_pypi_torch_with_cuda(checkout, index, resolve, file):
    """scripts/start.sh and scripts/test.sh: PyPI's torch, the CUDA build on Linux x86_64."""
    picked = resolve(checkout, index, file)
    assert picked["torch"] == "2.14.1" and picked["torchvision"] == "0.29.1"
    assert set(CUDA_STACK) <= picked.keys()


def options_in(path: Path) -> list[str]:
    """The option lines (-r excluded) of a file and the files it includes."""
    found: list[str] = []
    for line in path.read_text().splitlines():
        if line.startswith("-r"):
            found += options_in(path.parent / line[2:].strip())
        elif line.startswith("-"):
            found.append(line)
    return found


def test_local_installs_name_no_other_index():
    """A machine that reaches only PyPI loses no time on an unreachable extra index or link page."""
    assert options_in(ROOT / "requirements-dev.txt") == []
    assert options_in(ROOT / "requirements" / "local.txt") == []
    for script in ("start.sh", "test.sh"):
        text = (ROOT / "scripts" / script).read_text()
        assert "requirements/local.txt" in text or "requirements-dev.txt" in text


def test_cloud_file_is_self_contained_and_matches_app_list():
    """Cloud and the Dockerfile read requirements.txt alone; its app lines are requirements/app.txt's."""
    cloud = [line for line in (ROOT / "requirements.txt").read_text().splitlines()
             if line and not line.startswith("#")]
    assert not [line for line in cloud if line.startswith("-r")]
    app = [line for line in (ROOT / "requirements" / "app.txt").read_text().splitlines()
           if line and not line.startswith("#")]
    assert [line for line in cloud if not line.startswith(("-", "torch"))] == app
    assert [line for line in cloud if line.startswith("torch")] == ["torch==2.14.1+cpu",
                                                                     "torchvision==0.29.1+cpu"]
    local = [str(r) for r in requirements_in(ROOT / "requirements/local.txt") if r.name.startswith("torch")]
    assert local == ["torch==2.14.1", "torchvision==0.29.1"]  # the same release, PyPI's build
