"""Tables a command keeps in the disk cache for the next one: what this Python build
makes of text that does not change from run to run (the methods ``dataclasses``
compiles: methodcache.py; the programs of regular expressions: regexcache.py).

A table is a dict written with ``marshal``, one file per Python build (its version and
optimisation level: what it holds is not portable between versions) in a folder of
cache.cache_dir. ``read`` gives an empty table for a file that cannot be read or does
not hold one of the expected shape; ``write`` merges the run's table with what another
process wrote meanwhile and replaces the file under a temporary name. Like
``__pycache__``, what is kept is code that runs: it lives in the user's own cache folder.

Imports nothing of the package but cache.py, which imports none of its dataclasses, and
files.py when a table is written.
"""
from __future__ import annotations

import marshal
import os
import sys
from typing import Callable, Optional


def table_path(folder: str) -> Optional[str]:
    """The file of this Python's build in ``folder`` of the disk cache, or None without
    a disk cache."""
    from diagramgen.cache import cache_dir

    where = cache_dir()
    if where is None:
        return None
    name = f"{sys.implementation.cache_tag}-{sys.hexversion:x}-O{sys.flags.optimize}.marshal"
    return os.path.join(where, folder, name)


def read(path, valid: Callable[[object, object], bool]) -> dict:
    """The table in ``path``; empty when it cannot be read, or is not a dict whose every
    item ``valid(key, value)`` accepts."""
    try:
        with open(path, "rb") as fh:
            table = marshal.loads(fh.read())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(table, dict) or not all(valid(k, v) for k, v in table.items()):
        return {}
    return table


def lookup(state: dict, lock, table_key: str, key, valid: Callable[[object, object], bool]):
    """The value the table ``state[table_key]`` keeps under ``key``, or None; the table
    is read from ``state["path"]`` at the first lookup, and ``key`` noted as used
    (``state["used"]``). ``lock`` guards ``state``."""
    with lock:
        if table_key not in state:
            state[table_key] = read(state["path"], valid)
        state["used"].add(key)
        return state[table_key].get(key)


def add(state: dict, lock, table_key: str, key, value) -> None:
    """Keep ``value`` under ``key`` in the table ``state[table_key]`` (which lookup has
    read), counted in ``state["added"]``."""
    with lock:
        state[table_key][key] = value
        state["added"] += 1


def save(state: dict, lock, table_key: str, max_entries: int, valid: Callable[[object, object], bool]) -> None:
    """Write the table ``state[table_key]`` of a run that added something to it
    (``state["added"]``), with the keys it asked for (``state["used"]``), to
    ``state["path"]`` (write); ``lock`` guards ``state``."""
    with lock:
        if not state.get("added"):
            return
        table = dict(state[table_key])
        used = set(state["used"])
        state["added"] = 0
    write(state["path"], table, used, max_entries, valid)


def write(path, table: dict, used, max_entries: int, valid: Callable[[object, object], bool]) -> None:
    """Write ``table`` merged with what ``path`` holds now; past ``max_entries`` items,
    only those whose keys are in ``used`` (what the writing run asked for) are kept."""
    from pathlib import Path

    from diagramgen.files import store

    merged = {**read(path, valid), **table}
    if len(merged) > max_entries:
        merged = {key: table[key] for key in used if key in table}
    store(Path(path), marshal.dumps(merged))
