"""The layering of lab/: each sub-package imports only what its docstring's "May import:" line names.

Also: no import cycle between modules (lazy imports inside functions included), and lab/ never
imports streamlit. The checker is tried on a small tree with a violation, so it can fail.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

LAB = Path(__file__).resolve().parent.parent / "lab"


def module_name(path: Path, root: Path) -> str:
    """lab/runs/store.py -> lab.runs.store; a package's __init__ is the package."""
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(root: Path) -> dict[str, set[str]]:
    """Every module under root and the modules it imports (at any depth of its code), as dotted names."""
    found: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        names = found.setdefault(module_name(path, root), set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                # `from lab.runs import store` imports lab.runs.store; `from lab.runs.store import Store` a name
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
                names.add(node.module)
    return found


def package_of(module: str, root: Path) -> str | None:
    """The sub-package of a lab module (lab.runs.store -> runs); None for lab itself and lab.__main__."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and (root / parts[1]).is_dir() else None


def allowed(root: Path) -> dict[str, set[str]]:
    """Each sub-package's "May import:" line, read from its __init__ docstring."""
    table = {}
    for init in sorted(root.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        match = re.search(r"May import: (.*?)\.\s+Checked", doc, re.S)
        assert match, f"{init} has no 'May import:' line"
        table[init.parent.name] = {name.removeprefix("lab.") for name in re.findall(r"lab\.(\w+)", match.group(1))}
    return table


def problems(root: Path) -> list[str]:
    """Layering violations, streamlit imports and import cycles under root, as readable lines."""
    graph, table = imports(root), allowed(root)
    modules = set(graph)
    out = []
    for module, names in graph.items():
        here = package_of(module, root)
        for name in sorted(names):
            if name.split(".")[0] == "streamlit":
                out.append(f"{module} imports streamlit")
            there = package_of(name, root) if name.startswith(f"{root.name}.") else None
            if here and there and there != here and there not in table[here]:
                out.append(f"{module} imports {name}: {here} may import only {sorted(table[here])}")
    edges = {m: {n for n in names if n in modules and n != m} for m, names in graph.items()}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        """Depth-first search; a node met again while on the path closes a cycle."""
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                out.append("import cycle: " + " -> ".join([*path[path.index(nxt):], nxt]))
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for module in sorted(modules):
        if module not in state:
            visit(module, [module])
    return out


def test_lab_keeps_its_layers_and_has_no_cycle():
    assert problems(LAB) == []
    assert set(allowed(LAB)) == {"engine", "i18n", "lessons", "draw", "runs", "classroom", "figures", "web", "cli",
                                "lesson_mode"}
    assert allowed(LAB)["engine"] == set() and allowed(LAB)["i18n"] == set()


def test_the_checker_finds_a_violation_a_cycle_and_streamlit(tmp_path):
    root = tmp_path / "lab"
    for pkg, may in (("engine", "nothing else in lab"), ("runs", "lab.engine")):
        (root / pkg).mkdir(parents=True)
        (root / pkg / "__init__.py").write_text(f'"""{pkg}.\n\nMay import: {may}. Checked.\n"""\n')
    (root / "__init__.py").write_text("")
    (root / "engine" / "a.py").write_text("def f():\n    from lab.runs import store\n")  # lazy, still counted
    (root / "runs" / "store.py").write_text("from lab.engine import a\nimport streamlit as st\n")
    (root / "runs" / "b.py").write_text("from lab.engine.a import f\n")
    found = problems(root)
    assert "lab.engine.a imports lab.runs.store: engine may import only []" in found
    assert "lab.runs.store imports streamlit" in found
    assert "import cycle: lab.engine.a -> lab.runs.store -> lab.engine.a" in found
    assert not any("lab.runs.b" in line for line in found)  # runs may import the engine


def test_what_app_py_imports_leaves_torch_out():
    # The home page is the first visit of a class: the server stays ~80 MB until a page that trains
    # or predicts is opened (issue 14: start.sh's idle memory). A RunConfig validated on the way in
    # (the store, the presets) once pulled torch in through the optimizer table.
    import subprocess
    import sys

    app = ast.parse((LAB.parent / "app.py").read_text(encoding="utf-8"))
    mods = sorted({n.module for n in ast.walk(app) if isinstance(n, ast.ImportFrom) and n.module.startswith("lab")})
    assert "lab.runs.store" in mods
    code = f"import sys; import {', '.join(mods)}; print(sorted(m for m in ('torch', 'ray') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=LAB.parent, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
