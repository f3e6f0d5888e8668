"""Temporary files and folders left behind by a diagramgen process that was killed.

``publish.files`` writes each output under a temporary name beside it, and
``draw.render`` gives Graphviz a temporary folder; both name them after the process id,
and both clean up, with :func:`left_by_dead_writers`, what a process that no longer runs
left. Imports nothing of the package.
"""
from __future__ import annotations

import os


def left_by_dead_writers(folder, pattern, folders: bool) -> list:
    """Entries of ``folder`` (folders, or else regular files, never links) whose names
    ``pattern`` matches with a process id as its first group, where that process is not
    this one and no longer runs. A process of another user, or a number that is no
    process id, keeps its entries."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    out = []
    for e in entries:
        m = pattern.match(e.name)
        kind_ok = e.is_dir(follow_symlinks=False) if folders else e.is_file(follow_symlinks=False)
        if not m or not kind_ok or int(m.group(1)) == os.getpid():
            continue
        try:
            os.kill(int(m.group(1)), 0)
        except ProcessLookupError:
            out.append(e)
        except (PermissionError, OverflowError, ValueError):
            pass
    return out
