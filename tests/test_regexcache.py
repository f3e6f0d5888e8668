"""The programs of regular expressions compiled once and kept (diagramgen/regexcache.py):
the patterns are the same with or without the kept programs, the next process compiles
none of them again, and a missing, damaged or turned-off table changes nothing but the
time."""
from __future__ import annotations

import marshal
import os
import re
import subprocess
import sys
from pathlib import Path

from diagramgen import regexcache

from conftest import kept_tables, run_probe

ROOT = Path(__file__).resolve().parent.parent

# Installs the kept programs or not (argv[1]: "on" or "off"), imports every module of the
# package and the libraries a command uses (each compiles its expressions as it is
# imported), compiles a few more (text and bytes, flags, named groups), then prints how
# many the process compiled anew, and whether every kept program equals the one Python
# compiles now (Pattern objects compare their flags and programs).
PROBE = r"""
import importlib, json, pkgutil, re, sys
from diagramgen import regexcache
installed = regexcache.install() if sys.argv[1] == "on" else False
import diagramgen
for m in sorted(m.name for m in pkgutil.walk_packages(diagramgen.__path__, "diagramgen.")):
    if not m.rsplit(".", 1)[1].startswith("_"):
        importlib.import_module(m)
import click, lxml.etree, yaml, yaml.constructor, diagrams
extra = [re.compile(r"(?P<name>[a-z]+)-(?P<n>\d+)", re.I), re.compile(rb"^\x00[\x80-\xff]+$", re.M),
         re.compile(r"[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010ffff]"),
         re.compile(r"\w+", re.ASCII), re.compile("(a)|b(?=c)", re.S | re.X)]
same = None
if installed:
    sre, python_compile = regexcache._state["sre"], regexcache._state["compile"]
    same = all(sre.compile(*args) == python_compile(p, flags)
               for (p, flags), args in regexcache._state["table"].items())
print(json.dumps({"installed": installed, "added": regexcache._state.get("added"),
                  "kept": len(regexcache._state.get("table", ())), "same": same,
                  "extra": [[p.pattern if isinstance(p.pattern, str) else p.pattern.hex(), p.flags, p.groups,
                             dict(p.groupindex)] for p in extra],
                  "matches": [bool(extra[0].fullmatch("Ab-12")), bool(extra[1].match(b"\x00\x90\xa0")),
                              extra[2].search("ok\x07") is not None, extra[3].findall("é ab c"),
                              [m.group(0) for m in extra[4].finditer("ab bc ac")]]}))
regexcache._save()
"""


def probe(mode: str, cache) -> dict:
    return run_probe(PROBE, mode, cache, "DIAGRAMGEN_COMPILE_REGEX")


def kept_files(cache) -> list:
    return kept_tables(cache, regexcache.FOLDER)


def test_the_patterns_are_the_same_with_kept_programs_and_the_next_process_compiles_none(tmp_path):
    plain = probe("off", tmp_path / "cache")
    assert not plain["installed"] and kept_files(tmp_path / "cache") == []
    first = probe("on", tmp_path / "cache")
    assert first["installed"] and first["added"] > 50  # the libraries' and the package's expressions
    assert len(kept_files(tmp_path / "cache")) == 1
    second = probe("on", tmp_path / "cache")
    assert second["added"] == 0 and second["kept"] == first["kept"]  # every one taken from the table
    assert second["same"] is True  # each kept program is the one Python compiles
    assert first["extra"] == second["extra"] == plain["extra"]
    assert first["matches"] == second["matches"] == plain["matches"] == [
        True, True, True, ["ab", "c"], ["a", "b", "a"]]


def test_a_damaged_table_is_ignored_and_replaced(tmp_path):
    probe("on", tmp_path / "cache")
    (kept,) = (tmp_path / "cache" / regexcache.FOLDER).glob("*.marshal")
    whole = marshal.loads(kept.read_bytes())
    one_bad = dict(whole)
    key = next(iter(one_bad))
    one_bad[key] = one_bad[key][:5]  # an entry of the wrong shape: the whole table is refused
    for damage in (b"", b"not marshal data", kept.read_bytes()[:100], marshal.dumps([1, 2]),
                   marshal.dumps(one_bad)):
        kept.write_bytes(damage)
        again = probe("on", tmp_path / "cache")
        assert again["added"] > 50 and again["same"] is True
        assert probe("on", tmp_path / "cache")["added"] == 0  # written whole again


def test_a_kept_program_that_sre_refuses_is_compiled_again(tmp_path, monkeypatch):
    """An entry of the right shape whose program _sre.compile rejects: the pattern is
    compiled by Python and the entry replaced."""
    path = tmp_path / "t.marshal"
    pattern = "x(?P<y>yz)+"
    path.write_bytes(marshal.dumps({(pattern, 0): (pattern, 32, [999_999, 1, 2], 1, {"y": 1}, (None, "y"))}))
    start(monkeypatch, path)
    compiled = regexcache._compile(pattern, 0)
    assert compiled == regexcache._state["compile"](pattern, 0) and compiled.fullmatch("xyzyz").group("y") == "yz"
    assert regexcache._state["added"] == 1
    regexcache._save()
    (args,) = marshal.loads(path.read_bytes()).values()
    assert args[2] != [999_999, 1, 2] and regexcache._state["sre"].compile(*args) == compiled


def start(monkeypatch, path) -> None:
    """regexcache's state as install() sets it, with the table in ``path``, and
    re._compiler's _sre the recording stand-in (its compile left as it is: the tests
    call regexcache._compile)."""
    import re._compiler as compiler

    monkeypatch.setattr(regexcache, "_state", {"path": str(path), "used": set(), "added": 0, "sre": compiler._sre,
                                               "compile": compiler.compile, "debug": int(re.DEBUG)})
    monkeypatch.setattr(compiler, "_sre", regexcache.recorder(compiler._sre))


def test_a_table_past_its_limit_keeps_the_patterns_of_the_run_that_writes_it(tmp_path, monkeypatch):
    import re._compiler as compiler

    path = tmp_path / "t.marshal"
    start(monkeypatch, path)
    stale = {}
    for i in range(regexcache.MAX_ENTRIES):  # Python's own compile, the arguments it gave _sre.compile
        compiler.compile(f"a{i}", 0)
        stale[(f"a{i}", 0)] = regexcache._local.args
    monkeypatch.undo()
    path.write_bytes(marshal.dumps(stale))
    start(monkeypatch, path)
    assert regexcache._compile("a1", 0).fullmatch("a1")  # kept: taken, not compiled
    assert regexcache._compile("b+", 0).fullmatch("bbb")  # new: the table is then past its limit
    assert regexcache._state["added"] == 1
    regexcache._save()
    assert sorted(marshal.loads(path.read_bytes())) == [("a1", 0), ("b+", 0)]


def test_debug_patterns_and_compiled_patterns_are_left_to_python(tmp_path, monkeypatch, capsys):
    start(monkeypatch, tmp_path / "t.marshal")
    regexcache._compile("q+", re.DEBUG)
    assert "MAX_REPEAT" in capsys.readouterr().out  # re's own compile printed the program
    assert regexcache._state.get("table", {}) == {} and regexcache._state["added"] == 0


def test_without_a_disk_cache_or_turned_off_nothing_is_installed(monkeypatch):
    import re._compiler as compiler

    before = compiler.compile
    monkeypatch.setattr(regexcache, "_state", {})
    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", "")
    assert regexcache.install() is False and regexcache._state == {}
    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", "/nowhere")
    monkeypatch.setenv("DIAGRAMGEN_COMPILE_REGEX", "1")
    assert regexcache.install() is False and regexcache._state == {}
    assert compiler.compile is before


def test_a_command_keeps_its_programs_and_the_next_run_adds_none(tmp_path):
    """`python -m diagramgen` installs the kept programs (quickexit.prepare): the first
    render writes the table, a second render of the same architecture compiles no
    expression anew and leaves the table as it was (no pattern of a run is made from
    anything that changes between runs)."""
    env = {k: v for k, v in os.environ.items() if k != "DIAGRAMGEN_COMPILE_REGEX"}
    env["DIAGRAMGEN_CACHE_DIR"] = str(tmp_path / "cache")
    command = [sys.executable, "-m", "diagramgen", "render", "--force", "--quiet", "--format", "svg",
               "--out", str(tmp_path / "out"), "architectures/premium.yaml"]
    tables = []
    for _ in range(2):
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        (table,) = (tmp_path / "cache" / regexcache.FOLDER).glob("*.marshal")
        tables.append((table.read_bytes(), table.stat().st_mtime_ns))
    assert len(marshal.loads(tables[0][0])) > 50
    assert tables[1] == tables[0]
