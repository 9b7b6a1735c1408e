"""Rules of the code's layout, checked over its syntax trees (issue 10)."""

from __future__ import annotations

import ast
from pathlib import Path

from schedlab.spec.catalog import SCHEDULERS

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(ROOT.glob("schedlab/**/*.py"))
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
    from schedlab.spec.examples import example_spec

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


# What each part of schedlab may import (besides the standard library and errors.py): a
# part only builds on the parts under it, so the data model can be used without torch, the
# engine without the app, and a new store or page never drags the training loop along.
LAYERS = {
    "spec": {"spec"},
    "engine": {"spec", "engine"},
    "source": {"spec", "engine", "source"},
    "analysis": {"spec", "engine", "analysis"},
    "present": {"spec", "engine", "analysis", "source", "present"},
    "training": {"spec", "engine", "analysis", "training"},
    "jobs": {"spec", "engine", "analysis", "training", "jobs"},
    "ui": {"spec", "engine", "analysis", "source", "present", "training", "jobs", "ui"},
    "app": {"spec", "engine", "analysis", "source", "present", "training", "jobs", "ui", "app"},
}
# The top modules every part may use: the errors, and the messages they are said in.
SHARED = ("schedlab", "schedlab.errors", "schedlab.messages")
# Third-party libraries kept to their homes: (library, where it may be imported).
LIBRARIES = (("torch", ("schedlab/engine/", "schedlab/training/")),
             ("plotly", ("schedlab/present/",)),
             ("streamlit", ("schedlab/ui/", "schedlab/app/")))


def _modules() -> dict[str, Path]:
    return {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
            for p in ROOT.glob("schedlab/**/*.py")}


def _part(module: str) -> str | None:
    """The subpackage a module belongs to ("spec", "engine", ...), None for the top."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and (ROOT / "schedlab" / parts[1]).is_dir() else None


def test_each_part_imports_only_the_parts_under_it() -> None:
    modules, found = _modules(), []
    for module, path in modules.items():
        part = _part(module)
        if part is None or part == "locale":  # the top (cli, errors...) may use all;
            continue  # locale/ holds the messages' words, no code
        assert part in LAYERS, f"{module}: a new part needs its place in LAYERS"
        for target in sorted(_imports(path)):
            if target in modules and _part(target) not in LAYERS[part] | {None}:
                found.append(f"{module} imports {target}")
            if target in modules and _part(target) is None and target not in SHARED:
                found.append(f"{module} imports {target} (the top: cli, __main__)")
    assert not found, "\n".join(found)


def _third_party(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
    return out


def test_heavy_libraries_stay_in_their_homes() -> None:
    """torch only in engine/ and training/, plotly only in present/, streamlit only in
    the app (ui/ and app/): at any depth, function-level imports included."""
    files = SOURCES
    found = [f"{path.relative_to(ROOT)} imports {library}"
             for path in files for library, homes in LIBRARIES
             if library in _third_party(path) and
             not str(path.relative_to(ROOT)).startswith(homes)]
    assert not found, "\n".join(found)


def test_the_store_never_reaches_torch() -> None:
    """The run store (the app's Train page and the CLI's history read it) imports nothing
    that imports torch, however indirectly."""
    modules = _modules()
    seen, todo = set(), ["schedlab.jobs.store"]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        assert "torch" not in _third_party(modules[module]), f"{module} imports torch"
        todo += [m for m in _imports(modules[module]) if m in modules]
    assert "schedlab.jobs.storefile" in seen  # the walk did follow the store's imports


def test_schedulers_are_told_apart_by_their_registry_entry() -> None:
    """What a scheduler does is asked of its registry entry (its length, events, checks,
    ``needs_metric``, ``per_batch``, ``composite``...), never decided by matching its
    name: outside the registry (spec/catalog/) and the engine's models, no scheduler name
    is compared with or used as the key of a lookup table. Adding a scheduler then means
    its entry and its model, nothing else."""
    names = set(SCHEDULERS)
    found = []
    for path in SOURCES:
        where = str(path.relative_to(ROOT))
        if where.startswith(("schedlab/spec/catalog/", "schedlab/engine/")):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare):
                parts = [node.left, *node.comparators]
            elif isinstance(node, ast.Dict):
                parts = [k for k in node.keys if k is not None]
            else:
                continue
            hits = {n.value for part in parts for n in ast.walk(part)
                    if isinstance(n, ast.Constant) and n.value in names}
            found += [f"{where}:{node.lineno}: {name}" for name in sorted(hits)]
    assert not found, "\n".join(found)
