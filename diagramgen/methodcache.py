"""The methods ``dataclasses`` writes for each class, compiled once and kept.

For each dataclass, ``dataclasses`` writes the source of ``__init__``, ``__repr__``,
``__eq__`` (and for a frozen one ``__setattr__``, ``__delattr__`` and ``__hash__``) and
compiles it, every time the class is defined: in every command, for the thirty-odd
dataclasses of the modules a render or a `make` imports, 140 to 170 compilations and
10 to 14 ms of CPU, the largest single part of the package's import. The source is the same
from run to run, so what it compiles to is too: Python keeps the bytecode of modules
for the same reason.

``install()`` gives the ``dataclasses`` module an ``exec`` of its own that takes the
code compiled from the same source text before (with the same ``__future__`` flags)
instead of compiling it again; any other call is the built-in's. The code is kept in the
disk cache (kepttables.py, folder ``methods``), read when the first dataclass is made
and written, with what the run added, when the command ends. A file that cannot be
read, or does not hold a table of code, is ignored and replaced; without a disk cache
(``DIAGRAMGEN_CACHE_DIR=``) nothing is kept and every method is compiled, as without
this module. The classes made are the same either way (the tests compare every method's
code). ``DIAGRAMGEN_COMPILE_METHODS=1`` compiles every method (leaves ``dataclasses``
as it is).

Imports nothing of the package at ``install()`` but kepttables.py and cache.py, which
import none of its dataclasses: the first are made while the package's own modules are
imported.
"""
from __future__ import annotations

import atexit
import builtins
import os
import sys
import threading
import types

from diagramgen import kepttables

FOLDER = "methods"  # in the cache folder
# a table that grew past this many methods (all the package's dataclasses need about 290;
# each edit of one adds its new methods) keeps only those of the run that writes it
MAX_ENTRIES = 2000
_lock = threading.Lock()
# "path": the file, "mask": the __future__ flags, "codes": {(source, flags): code},
# "used": the keys this process asked for, "added": how many it compiled
_state: dict = {}


def _path():
    """The file of this Python's build in the disk cache, or None without one."""
    return kepttables.table_path(FOLDER)


def _valid(key, value) -> bool:
    return (isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], str) and isinstance(key[1], int)
            and type(value) is types.CodeType)


def _future_mask() -> int:
    import __future__

    mask = 0
    for name in __future__.all_feature_names:
        mask |= getattr(__future__, name).compiler_flag
    return mask


def _exec(source, globals=None, locals=None):
    """``exec`` as the built-in does it; source text is compiled once per build and
    kept (see the module's description)."""
    if type(source) is not str:
        return builtins.exec(source, globals, locals)
    # the flags the built-in would compile with: the __future__ features of its caller
    flags = sys._getframe(1).f_code.co_flags & _state["mask"]
    key = (source, flags)
    code = kepttables.lookup(_state, _lock, "codes", key, _valid)
    if code is None:
        code = compile(source, "<string>", "exec", flags=flags, dont_inherit=True)
        kepttables.add(_state, _lock, "codes", key, code)
    return builtins.exec(code, globals, locals)


def _save() -> None:
    """Write the table when the run compiled something new (kepttables.save)."""
    kepttables.save(_state, _lock, "codes", MAX_ENTRIES, _valid)


def install() -> bool:
    """Have ``dataclasses`` take kept code for the methods it writes (see the module's
    description); True when it now does. Once per process; nothing when turned off or
    without a disk cache."""
    if os.environ.get("DIAGRAMGEN_COMPILE_METHODS", "") not in ("", "0"):
        return False
    if "path" in _state:
        return True
    path = _path()
    if path is None:
        return False
    import dataclasses

    _state.update(path=path, mask=_future_mask(), used=set(), added=0)
    dataclasses.exec = _exec  # type: ignore[attr-defined]
    atexit.register(_save)
    return True
