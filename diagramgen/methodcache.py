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
disk cache (cache.cache_dir, folder ``methods``), one file per Python build (its
version and optimisation level: bytecode is not portable between versions), read when
the first dataclass is made and written, with what the run added, when the command
ends. A file that cannot be read, or does not hold a table of code, is ignored and
replaced; without a disk cache (``DIAGRAMGEN_CACHE_DIR=``) nothing is kept and every
method is compiled, as without this module. The classes made are the same either way
(the tests compare every method's code). Like ``__pycache__``, the file is code that
runs: it lives in the user's own cache folder. ``DIAGRAMGEN_COMPILE_METHODS=1``
compiles every method (leaves ``dataclasses`` as it is).

Imports nothing of the package at ``install()`` but cache.py, which imports none of
its dataclasses: the first are made while the package's own modules are imported.
"""
from __future__ import annotations

import atexit
import builtins
import marshal
import os
import sys
import threading

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
    from diagramgen.cache import cache_dir

    where = cache_dir()
    if where is None:
        return None
    name = f"{sys.implementation.cache_tag}-{sys.hexversion:x}-O{sys.flags.optimize}.marshal"
    return os.path.join(where, FOLDER, name)


def _read(path) -> dict:
    try:
        with open(path, "rb") as fh:
            table = marshal.loads(fh.read())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    code_type = type(_read.__code__)
    if not isinstance(table, dict) or not all(
            isinstance(k, tuple) and len(k) == 2 and isinstance(k[0], str) and isinstance(k[1], int)
            and type(v) is code_type for k, v in table.items()):
        return {}
    return table


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
    with _lock:
        if "codes" not in _state:
            _state["codes"] = _read(_state["path"])
        codes = _state["codes"]
        code = codes.get(key)
        _state["used"].add(key)
    if code is None:
        code = compile(source, "<string>", "exec", flags=flags, dont_inherit=True)
        with _lock:
            codes[key] = code
            _state["added"] += 1
    return builtins.exec(code, globals, locals)


def _save() -> None:
    """Write the table when the run compiled something new: merged with what another
    process wrote meanwhile, under a temporary name, then renamed."""
    with _lock:
        if not _state.get("added"):
            return
        codes = dict(_state["codes"])
        used = set(_state["used"])
        _state["added"] = 0
    from pathlib import Path

    from diagramgen.files import store

    path = Path(_state["path"])
    merged = {**_read(path), **codes}
    if len(merged) > MAX_ENTRIES:
        merged = {key: codes[key] for key in used}
    store(path, marshal.dumps(merged))


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
