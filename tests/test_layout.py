"""Rules of the code's layout, checked over its syntax trees (issue 10)."""

from __future__ import annotations

import ast
from pathlib import Path

from schedlab.catalog import SCHEDULERS

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*ROOT.glob("schedlab/**/*.py"), *ROOT.glob("ui/*.py"),
                  *ROOT.glob("pages/*.py")])
SCHEDULER_PARAMS = {p.name for info in SCHEDULERS.values() for p in info.params} - {
    "optimizer", "schedulers", "milestones"}


def test_scheduler_defaults_are_bound_once() -> None:
    """torch's defaults live in the catalog and are bound when a spec is made
    (``spec.args``); nowhere else writes one again as ``kw.get("gamma", 0.1)``."""
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr == "get" and len(node.args) == 2 and \
                    isinstance(node.args[0], ast.Constant) and \
                    node.args[0].value in SCHEDULER_PARAMS and \
                    "opt" not in ast.unparse(node.func.value):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    assert not found, "\n".join(found)


def test_spec_args_hold_every_parameter_with_torchs_default() -> None:
    from schedlab.examples import example_spec

    for name, info in SCHEDULERS.items():
        spec = example_spec(name)
        expected = {p.name for p in info.params if p.kind != "optimizer"}
        assert set(spec.args) == expected, name
        for p in info.params:
            if p.kind != "optimizer" and p.name not in spec.kwargs and not p.required:
                assert spec.args[p.name] == p.default, (name, p.name)


def _imports(path: Path) -> set[str]:
    """The schedlab modules a file imports, at any depth but under ``if TYPE_CHECKING``."""
    tree = ast.parse(path.read_text())
    skipped = {id(n) for stmt in ast.walk(tree) if isinstance(stmt, ast.If) and
               ast.unparse(stmt.test) == "TYPE_CHECKING" for n in ast.walk(stmt)}
    out = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and \
                node.module.split(".")[0] == "schedlab":
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "schedlab")
    return out


def test_no_import_cycles() -> None:
    """No module of schedlab imports itself back, even through others (function-level
    imports count: they only hide a cycle)."""
    modules = {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
               for p in ROOT.glob("schedlab/**/*.py")}
    graph = {m: {i for i in _imports(p) if i in modules and i != m and i != "schedlab"}
             for m, p in modules.items()}
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            raise AssertionError("import cycle: " + " -> ".join(
                path[path.index(module):] + [module]))
        if module in done:
            return
        for dep in sorted(graph[module]):
            visit(dep, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
