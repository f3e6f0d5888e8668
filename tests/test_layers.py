"""The package's layering, read from its source with ``ast``.

The stages come in one order: model -> draw -> diff -> docs -> publish, with the
commands (cli, commands, makeall, watch, clidoc) on top and small shared modules (diagnostics, ids,
markdown, the package's ``__init__``) at the bottom. A module imports only from its own
stage, an earlier one or the shared bottom, whether the import is at module level or
inside a function; no modules import each other in a cycle; and only ``diagramgen/draw/``
imports the ``diagrams`` library.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "diagramgen"
PACKAGE_DIR = Path(__file__).resolve().parent.parent / PACKAGE

# Rank of each part of the package: a module may import from its own part or a lower rank.
STAGES = ("model", "draw", "diff", "docs", "publish")
BOTTOM = 0
TOP = len(STAGES) + 1
# The only stage that may import these libraries.
RESTRICTED = {"diagrams": "draw"}


@dataclass(frozen=True)
class Import:
    importer: str  # the importing module, e.g. "diagramgen.draw.render"
    target: str  # the imported module, e.g. "diagramgen.files" or "diagrams"
    line: int
    text: str  # the import statement as written
    lazy: bool  # inside a function, so run only when that function is


def part(module: str) -> str:
    """The part of the package a module belongs to: a stage package (``diagramgen.draw``),
    or the module itself when it lies directly in the package (``diagramgen.cli``)."""
    pieces = module.split(".")
    return ".".join(pieces[:2])


def rank(module: str) -> int:
    """A module's place in the order: shared modules at the bottom, the stages in order,
    the commands on top."""
    pieces = module.split(".")
    if len(pieces) == 1:
        return BOTTOM  # the package's __init__ (the version)
    if pieces[1] in STAGES:
        return STAGES.index(pieces[1]) + 1
    if pieces[1] in {"cli", "commands", "makeall", "watch", "clidoc", "__main__"}:
        return TOP
    return BOTTOM  # diagnostics, ids, markdown: shared by every stage


def module_names(package_dir: Path, package: str) -> dict[str, Path]:
    names = {}
    for path in sorted(package_dir.rglob("*.py")):
        rel = path.relative_to(package_dir).with_suffix("")
        pieces = [package, *rel.parts]
        if pieces[-1] == "__init__":
            pieces.pop()
        names[".".join(pieces)] = path
    return names


def _resolve(name: str, modules: set[str], package: str) -> str:
    """The module an imported dotted name stands for: the longest module prefix within
    the package, the top-level name outside it."""
    pieces = name.split(".")
    if pieces[0] != package:
        return pieces[0]
    for end in range(len(pieces), 0, -1):
        candidate = ".".join(pieces[:end])
        if candidate in modules:
            return candidate
    return package


def _imports_of(module: str, source: str, modules: set[str], is_package: bool, package: str) -> list[Import]:
    tree = ast.parse(source)
    lines = source.splitlines()
    found: list[Import] = []

    def add(node: ast.AST, target: str, lazy: bool) -> None:
        text = lines[node.lineno - 1].strip()  # type: ignore[attr-defined]
        found.append(Import(module, target, node.lineno, text, lazy))  # type: ignore[attr-defined]

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    add(child, _resolve(alias.name, modules, package), inner)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    here = module.split(".") if is_package else module.split(".")[:-1]
                    here = here[: len(here) - (child.level - 1)]
                    base = ".".join([*here, base] if base else here)
                for alias in child.names:
                    # `from pkg import mod` imports the module pkg.mod when there is one
                    full = f"{base}.{alias.name}"
                    add(child, _resolve(full if full in modules else base, modules, package), inner)
            elif isinstance(child, ast.Call) and _called(child) == "import_module" and child.args:
                first = child.args[0]
                if isinstance(first, ast.JoinedStr) and first.values:
                    first = first.values[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    add(child, _resolve(first.value, modules, package), inner)
            visit(child, inner)

    visit(tree, False)
    return found


def _called(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def package_imports(package_dir: Path = PACKAGE_DIR, package: str = PACKAGE) -> list[Import]:
    """Every import statement of every module of the package, those inside functions too."""
    names = module_names(package_dir, package)
    found = []
    for module, path in names.items():
        is_package = path.name == "__init__.py"
        found += _imports_of(module, path.read_text(encoding="utf-8"), set(names), is_package, package)
    return found


def _where(imp: Import) -> str:
    how = "inside a function" if imp.lazy else "at module level"
    return f"{imp.importer} line {imp.line} ({how}): {imp.text}"


def layer_violations(imports: list[Import], package: str = PACKAGE) -> list[str]:
    """One message for each import that goes up the stage order, across to a sibling of
    the same rank, or to a restricted library from outside the part allowed to use it."""
    problems: list[str] = []
    for imp in imports:
        stage = RESTRICTED.get(imp.target)
        if stage is not None:
            allowed = f"{package}.{stage}"
            if not (imp.importer == allowed or imp.importer.startswith(allowed + ".")):
                problems.append(f"{_where(imp)}: only {allowed} may import {imp.target}")
            continue
        if not (imp.target == package or imp.target.startswith(package + ".")):
            continue
        if part(imp.importer) == part(imp.target) or imp.importer == imp.target:
            continue
        low, high = rank(imp.importer), rank(imp.target)
        if high > low or (high == low and low not in (BOTTOM, TOP)):
            problems.append(f"{_where(imp)}: {part(imp.importer)} may not import {part(imp.target)}")
    return list(dict.fromkeys(problems))  # one message per statement


def cycles(imports: list[Import], package: str = PACKAGE, lazy: bool = False) -> list[list[str]]:
    """The groups of package modules that import each other in a cycle (strongly
    connected components with more than one module, or a module importing itself),
    through module-level imports only, or through every import with ``lazy=True``."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if (imp.lazy and not lazy) or not imp.target.startswith(package):
            continue
        graph.setdefault(imp.importer, set()).add(imp.target)
        graph.setdefault(imp.target, set())

    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph[node]:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return sorted(found)


def describe_cycle(group: list[str], imports: list[Import], lazy: bool = False) -> str:
    members = set(group)
    edges = [_where(i) for i in imports if i.importer in members and i.target in members and (lazy or not i.lazy)]
    return "cycle among " + ", ".join(group) + ":\n    " + "\n    ".join(sorted(set(edges)))


# --- the checker, on a small made-up package ---------------------------------------------


def _synthetic(tmp_path: Path) -> list[Import]:
    files = {
        "__init__.py": '__version__ = "1"\n',
        "ids.py": "from pkg import __version__\n",
        "cli.py": "from pkg.publish import out\n",
        "model/__init__.py": "",
        "model/a.py": "from pkg.model import b\nfrom pkg import ids\n",
        "model/b.py": "import pkg.model.a\n",
        "draw/__init__.py": "",
        "draw/scene.py": "import diagrams\nfrom pkg.model import a\n",
        "docs/__init__.py": "",
        "docs/page.py": "def f():\n    from pkg.draw import scene\n    from diagrams import Node\n",
        "diff/__init__.py": "",
        "diff/comp.py": "def g():\n    from pkg.docs.page import f\n",
        "publish/__init__.py": "",
        "publish/out.py": "from pkg.cli import main\n",
    }
    root = tmp_path / "pkg"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return package_imports(root, "pkg")


def test_the_checker_finds_an_import_up_the_stages_a_library_outside_draw_and_cycles(tmp_path):
    imports = _synthetic(tmp_path)
    assert layer_violations(imports, "pkg") == [
        "pkg.diff.comp line 2 (inside a function): from pkg.docs.page import f: pkg.diff may not import pkg.docs",
        "pkg.docs.page line 3 (inside a function): from diagrams import Node: only pkg.draw may import diagrams",
        "pkg.publish.out line 1 (at module level): from pkg.cli import main: pkg.publish may not import pkg.cli",
    ]
    assert cycles(imports, "pkg") == [["pkg.cli", "pkg.publish.out"], ["pkg.model.a", "pkg.model.b"]]
    # the lazy import of docs.page from diff.comp closes no cycle
    assert cycles(imports, "pkg", lazy=True) == cycles(imports, "pkg")
    assert describe_cycle(["pkg.model.a", "pkg.model.b"], imports) == (
        "cycle among pkg.model.a, pkg.model.b:\n"
        "    pkg.model.a line 1 (at module level): from pkg.model import b\n"
        "    pkg.model.b line 1 (at module level): import pkg.model.a"
    )


def test_the_checker_sees_a_cycle_made_only_by_imports_inside_functions(tmp_path):
    root = tmp_path / "pkg"
    (root / "draw").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "draw" / "__init__.py").write_text("")
    (root / "draw" / "x.py").write_text("from pkg.draw import y\n")
    (root / "draw" / "y.py").write_text("def late():\n    from pkg.draw.x import thing\n")
    imports = package_imports(root, "pkg")
    assert layer_violations(imports, "pkg") == []
    assert cycles(imports, "pkg") == []
    assert cycles(imports, "pkg", lazy=True) == [["pkg.draw.x", "pkg.draw.y"]]


def test_the_checker_resolves_relative_imports_and_dynamic_library_imports(tmp_path):
    root = tmp_path / "pkg"
    (root / "model").mkdir(parents=True)
    (root / "draw").mkdir()
    (root / "draw" / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "model" / "__init__.py").write_text("")
    (root / "model" / "a.py").write_text(
        "import importlib\nfrom ..draw import scene\ncls = importlib.import_module(f'diagrams.{name}')\n"
    )
    imports = package_imports(root, "pkg")
    assert [(i.target, i.line) for i in imports] == [("importlib", 1), ("pkg.draw", 2), ("diagrams", 3)]
    assert len(layer_violations(imports, "pkg")) == 2


# --- the package itself ------------------------------------------------------------------


def test_every_import_follows_the_stage_order():
    assert layer_violations(package_imports()) == []


def test_only_draw_imports_the_diagrams_library():
    imports = package_imports()
    users = {i.importer for i in imports if i.target == "diagrams"}
    assert users and all(u.startswith(f"{PACKAGE}.draw.") for u in users), users


def test_no_modules_import_each_other_at_module_level():
    imports = package_imports()
    assert [describe_cycle(g, imports) for g in cycles(imports)] == []


def test_no_modules_import_each_other_even_inside_functions():
    imports = package_imports()
    assert [describe_cycle(g, imports, lazy=True) for g in cycles(imports, lazy=True)] == []
