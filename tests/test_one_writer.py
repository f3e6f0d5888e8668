"""Only diagramgen/files.py writes or deletes files: every other module of the package
asks it to. The check reads each module with ast and looks for the calls that create,
replace or remove files and folders."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "diagramgen"
WRITER = "files.py"
# attribute calls that write or delete, whatever object they are called on
WRITE_METHODS = {"write_text", "write_bytes", "unlink", "rmdir", "mkdir", "touch", "symlink_to",
                 "hardlink_to", "rename", "replace"}
# module functions (module.name) that write or delete
WRITE_FUNCTIONS = {("os", "replace"), ("os", "rename"), ("os", "remove"), ("os", "unlink"), ("os", "rmdir"),
                   ("os", "mkdir"), ("os", "makedirs"), ("os", "symlink"), ("os", "link"), ("os", "removedirs"),
                   ("shutil", "rmtree"), ("shutil", "copyfile"), ("shutil", "copy"), ("shutil", "copy2"),
                   ("shutil", "copytree"), ("shutil", "move"), ("tempfile", "mkdtemp"), ("tempfile", "mkstemp"),
                   ("tempfile", "TemporaryDirectory"), ("tempfile", "NamedTemporaryFile")}


def writes(source: str) -> list:
    """``(line, what)`` for each call in ``source`` that writes or deletes a file."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Attribute):
            if isinstance(f.value, ast.Name) and (f.value.id, f.attr) in WRITE_FUNCTIONS:
                found.append((node.lineno, f"{f.value.id}.{f.attr}"))
            elif f.attr in WRITE_METHODS and not (isinstance(f.value, ast.Name) and f.value.id in ("str", "re")):
                # str.replace / text.replace are not file writes: only calls on a path-like
                # receiver count, so a .replace( with one or two string arguments is skipped
                if f.attr == "replace" and (len(node.args) >= 2 or not _path_like(f.value)):
                    continue
                found.append((node.lineno, f".{f.attr}()"))
        elif isinstance(f, ast.Name) and f.id == "open" and _write_mode(node):
            found.append((node.lineno, "open(..., write mode)"))
    return sorted(found)


def _path_like(node) -> bool:
    return isinstance(node, ast.Name) and node.id in ("path", "tmp", "target", "cached", "out", "p")


def _write_mode(call: ast.Call) -> bool:
    mode = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "mode"), None)
    return isinstance(mode, ast.Constant) and isinstance(mode.value, str) and any(c in mode.value for c in "wxa+")


def test_the_checker_finds_writes():
    src = ("import os, shutil, tempfile\n"
           "def f(path, text):\n"
           "    path.write_text(text)\n"
           "    os.replace('a', 'b')\n"
           "    shutil.rmtree('x')\n"
           "    with open('f', 'w') as fh: pass\n"
           "    tempfile.mkdtemp()\n"
           "    text.replace('a', 'b')\n"
           "    with open('g') as fh: pass\n")
    assert writes(src) == [(3, ".write_text()"), (4, "os.replace"), (5, "shutil.rmtree"),
                           (6, "open(..., write mode)"), (7, "tempfile.mkdtemp")]


@pytest.mark.parametrize("module", sorted(p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")
                                          if p.name != WRITER or p.parent != PACKAGE))
def test_only_files_py_writes(module):
    found = writes((PACKAGE / module).read_text(encoding="utf-8"))
    assert not found, (f"diagramgen/{module} writes or deletes files itself ({found}); "
                       f"call diagramgen/{WRITER} instead")


def test_files_py_does_write():
    assert writes((PACKAGE / WRITER).read_text(encoding="utf-8"))
