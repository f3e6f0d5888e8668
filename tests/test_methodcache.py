"""The methods of dataclasses compiled once and kept (diagramgen/methodcache.py): the
classes are the same with or without the kept code, the kept code is taken by the next
process, and a missing, damaged or turned-off cache changes nothing but the time."""
from __future__ import annotations

import sys
from pathlib import Path

from diagramgen import methodcache

from conftest import kept_tables, run_probe

ROOT = Path(__file__).resolve().parent.parent

# Imports every module of the package that defines dataclasses, with the kept methods
# installed or not (argv[1]: "on" or "off"), and prints each generated method's code,
# its annotations and defaults, and how many methods the process compiled anew.
PROBE = r"""
import json, sys, dataclasses, importlib, pkgutil
from diagramgen import methodcache
installed = methodcache.install() if sys.argv[1] == "on" else False
import diagramgen
names = sorted(m.name for m in pkgutil.walk_packages(diagramgen.__path__, "diagramgen."))

def shape(code):
    return [code.co_code.hex(), [shape(c) if hasattr(c, "co_code") else repr(c) for c in code.co_consts],
            code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars, code.co_flags,
            code.co_argcount, code.co_kwonlyargcount, code.co_posonlyargcount, code.co_name,
            code.co_firstlineno, code.co_filename]

out = {}
for name in names:
    if name.rsplit(".", 1)[1].startswith("_") or name.endswith("makeall"):
        continue  # the command entries, the compiled parts
    module = importlib.import_module(name)
    for cls in vars(module).values():
        if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == name:
            for attr, fn in sorted(vars(cls).items()):
                if attr.startswith("__") and hasattr(fn, "__code__") and fn.__code__.co_filename == "<string>":
                    out[f"{name}.{cls.__qualname__}.{attr}"] = [shape(fn.__code__), repr(fn.__annotations__),
                                                                repr(fn.__defaults__), repr(fn.__kwdefaults__)]
print(json.dumps({"installed": installed, "added": methodcache._state.get("added"), "methods": out}))
methodcache._save()
"""


def probe(mode: str, cache) -> dict:
    return run_probe(PROBE, mode, cache, "DIAGRAMGEN_COMPILE_METHODS")


def kept_files(cache) -> list:
    return kept_tables(cache, methodcache.FOLDER)


def test_the_classes_are_the_same_with_kept_methods_and_the_next_process_compiles_none(tmp_path):
    plain = probe("off", tmp_path / "cache")
    assert not plain["installed"] and kept_files(tmp_path / "cache") == []
    first = probe("on", tmp_path / "cache")
    assert first["installed"] and first["added"] > 50  # the package's dataclasses, compiled and kept
    assert len(kept_files(tmp_path / "cache")) == 1
    second = probe("on", tmp_path / "cache")
    assert second["added"] == 0  # every method taken from the kept code
    assert len(plain["methods"]) > 50
    assert first["methods"] == plain["methods"]
    assert second["methods"] == plain["methods"]


def test_a_damaged_table_is_ignored_and_replaced(tmp_path):
    probe("on", tmp_path / "cache")
    (kept,) = (tmp_path / "cache" / methodcache.FOLDER).glob("*.marshal")
    plain = probe("off", tmp_path / "other")
    for damage in (b"", b"not marshal data", kept.read_bytes()[:100], b"\xe9\x00\x00\x00\x00"):
        kept.write_bytes(damage)
        again = probe("on", tmp_path / "cache")
        assert again["added"] > 50 and again["methods"] == plain["methods"]
        assert probe("on", tmp_path / "cache")["added"] == 0  # written whole again


def test_without_a_disk_cache_or_turned_off_nothing_is_installed(monkeypatch):
    monkeypatch.setattr(methodcache, "_state", {})
    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", "")
    assert methodcache.install() is False and methodcache._state == {}
    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", "/nowhere")
    monkeypatch.setenv("DIAGRAMGEN_COMPILE_METHODS", "1")
    assert methodcache.install() is False and methodcache._state == {}


def test_source_is_compiled_with_its_callers_future_flags(tmp_path, monkeypatch):
    """As the built-in exec: the ``__future__`` features of the module that calls it
    (this one has ``annotations``: the annotation stays text), not of methodcache."""
    import builtins

    monkeypatch.setattr(methodcache, "_state", {"path": str(tmp_path / "t.marshal"), "added": 0, "used": set(),
                                                "mask": methodcache._future_mask()})
    source = "def f(x: int) -> int:\n    return x\n"
    ours: dict = {}
    methodcache._exec(source, {}, ours)
    theirs: dict = {}
    builtins.exec(source, {}, theirs)
    assert ours["f"].__annotations__ == theirs["f"].__annotations__ == {"x": "int", "return": "int"}
    plain = compile("import diagramgen.methodcache as m\nns = {}\nm._exec(SOURCE, {}, ns)\n", "<test>", "exec",
                    dont_inherit=True)
    scope = {"SOURCE": source}
    exec(plain, scope)  # a caller without the annotations feature: evaluated annotations
    assert scope["ns"]["f"].__annotations__ == {"x": int, "return": int}
    assert len(methodcache._state["codes"]) == 2  # one entry per source and flags


def test_a_table_past_its_limit_keeps_the_methods_of_the_run_that_writes_it(tmp_path, monkeypatch):
    import marshal

    path = tmp_path / "t.marshal"
    flags = sys._getframe().f_code.co_flags & methodcache._future_mask()  # this module's, as _exec sees them
    stale = {(f"def f{i}():\n    return {i}\n", flags): compile(f"def f{i}():\n    return {i}\n", "<string>", "exec")
             for i in range(methodcache.MAX_ENTRIES)}
    path.write_bytes(marshal.dumps(stale))
    monkeypatch.setattr(methodcache, "_state", {"path": str(path), "added": 0, "used": set(),
                                                "mask": methodcache._future_mask()})
    ns: dict = {}
    methodcache._exec("def f1():\n    return 1\n", {}, ns)  # kept: taken, not compiled
    methodcache._exec("def g():\n    return 2\n", {}, ns)  # new: the table is then past its limit
    assert methodcache._state["added"] == 1 and ns["f1"]() == 1 and ns["g"]() == 2
    methodcache._save()
    assert sorted(source for source, _flags in marshal.loads(path.read_bytes())) == [
        "def f1():\n    return 1\n", "def g():\n    return 2\n"]
