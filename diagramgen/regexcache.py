"""The programs of regular expressions, compiled once and kept.

Python compiles a regular expression in two steps: ``re._compiler.compile`` parses the
pattern and generates the program of the matching engine in Python, then
``_sre.compile`` (C) makes the pattern object from that program. The first step is
the slow one, and its result depends on nothing but the pattern text, the flags and the
Python build. A command compiles about 80 to 100 expressions as the libraries it uses are
imported (PyYAML's reader alone about 4 ms, for one character class); 9 to 14 ms of
CPU in all, on every run.

``install()`` puts a ``compile`` of its own in ``re._compiler``: for a pattern text and
flags compiled before, it calls ``_sre.compile`` with the arguments the first
compilation passed to it; any other pattern is compiled by Python's own function, whose
call of ``_sre.compile`` is recorded (``re._compiler`` is given an ``_sre`` whose
``compile`` notes its arguments). ``_sre.compile`` checks the program it is given, as
it does for Python's own. The arguments are kept in the disk cache (kepttables.py,
folder ``regex``), read at the first compilation and written, with what the run added,
when the command ends. A file that cannot be read, or does not hold a table of such
arguments, is ignored and replaced, and an entry ``_sre.compile`` refuses is compiled
again. Without a disk cache (``DIAGRAMGEN_CACHE_DIR=``) nothing is kept; with
``DIAGRAMGEN_COMPILE_REGEX=1`` every expression is compiled by Python alone. Patterns
compiled in debug mode (``re.DEBUG``, which prints the program) are never taken from
the table. The pattern objects are the same either way (the tests compare their
programs).

Python's ``re`` keeps the patterns it compiled in a process (``re._cache``); this keeps
the costly part of making them from one process to the next, as ``__pycache__`` keeps
the bytecode of modules. Python builds without ``re._compiler`` (before 3.11) are left
as they are.
"""
from __future__ import annotations

import atexit
import os
import threading
import types
from typing import Any

from diagramgen import kepttables

FOLDER = "regex"  # in the cache folder
# a table that grew past this many patterns (a command needs about 100) keeps only those
# of the run that writes it
MAX_ENTRIES = 2000
_lock = threading.Lock()
_local = threading.local()  # .args: what the current thread's compilation passed to _sre.compile
# "path": the file, "table": {(pattern, flags): _sre.compile's arguments}, "used": the
# keys this process asked for, "added": how many it compiled, "sre": the real _sre,
# "compile": re._compiler's own compile, "debug": the flag re.DEBUG
_state: dict = {}


def _valid(key, value) -> bool:
    """An item of a table: (pattern text or bytes, flags) and the six arguments of
    _sre.compile (the pattern, flags, the program, the number of groups, the group
    names and their order); the program's items are checked by _sre.compile."""
    return (type(key) is tuple and len(key) == 2 and type(key[0]) in (str, bytes) and type(key[1]) is int
            and type(value) is tuple and len(value) == 6 and value[0] == key[0] and type(value[1]) is int
            and type(value[2]) is list and type(value[3]) is int and type(value[4]) is dict
            and type(value[5]) is tuple)


def _recording_compile(*args):
    """_sre.compile, noting its arguments for the thread that compiles."""
    if len(args) == 6:
        pattern, flags, code, groups, groupindex, indexgroup = args
        # as plain ints (the program holds re's named opcodes, an int subclass marshal refuses)
        _local.args = (pattern, int(flags), [int(c) for c in code], int(groups),
                       {name: int(i) for name, i in groupindex.items()}, tuple(indexgroup))
    return _state["sre"].compile(*args)


def recorder(sre):
    """A stand-in for the module ``sre`` (``_sre``) whose ``compile`` notes its arguments
    (_recording_compile): everything else is the module's."""
    stand_in = types.SimpleNamespace(**{name: getattr(sre, name) for name in dir(sre) if not name.startswith("__")})
    stand_in.compile = _recording_compile
    return stand_in


def _compile(p, flags=0):
    """re._compiler.compile, taking kept arguments for a pattern compiled before (see the
    module's description)."""
    if type(p) not in (str, bytes) or flags & _state["debug"]:
        return _state["compile"](p, flags)
    key = (p, int(flags))
    args = kepttables.lookup(_state, _lock, "table", key, _valid)
    if args is not None:
        try:
            return _state["sre"].compile(*args)
        except Exception:  # not a program _sre accepts (a damaged entry): compiled again
            pass
    _local.args = None
    compiled = _state["compile"](p, flags)
    args, _local.args = _local.args, None
    if args is not None and args[0] == p:
        kepttables.add(_state, _lock, "table", key, args)
    return compiled


def _save() -> None:
    """Write the table when the run compiled something new (kepttables.save)."""
    kepttables.save(_state, _lock, "table", MAX_ENTRIES, _valid)


def install() -> bool:
    """Have ``re`` take kept programs for the expressions it compiles (see the module's
    description); True when it now does. Once per process; nothing when turned off,
    without a disk cache or without ``re._compiler``."""
    if os.environ.get("DIAGRAMGEN_COMPILE_REGEX", "") not in ("", "0"):
        return False
    if "path" in _state:
        return True
    import re

    _compiler: Any = getattr(re, "_compiler", None)
    sre = getattr(_compiler, "_sre", None)
    if not callable(getattr(_compiler, "compile", None)) or not callable(getattr(sre, "compile", None)):
        return False  # pragma: no cover - Python before 3.11, or another layout of re
    path = kepttables.table_path(FOLDER)
    if path is None:
        return False
    _state.update(path=path, used=set(), added=0, sre=sre, compile=_compiler.compile, debug=int(re.DEBUG))
    _compiler._sre = recorder(sre)
    _compiler.compile = _compile
    atexit.register(_save)
    return True
